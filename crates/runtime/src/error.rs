//! The runtime's error type.

use std::net::SocketAddr;
use std::time::Duration;

use crate::ConfigError;

/// What went wrong while starting, serving or reaching a peer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `TREATY_*` variable has a value the code does not accept.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The log filter could not be parsed.
    #[error(
        "log filter {filter:?} is invalid ({reason}); expected something like info or treaty=debug,h2=warn"
    )]
    InvalidLogFilter {
        filter: String,
        /// The parser's complaint.
        reason: String,
    },
    /// The listen address could not be bound, for example because it is in use.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Plaintext was asked for on an address other people can reach.
    #[error(
        "refusing to serve plaintext on {addr}, which is not a loopback address: give the listener a certificate with TREATY_TLS_CERT and TREATY_TLS_KEY (treaty serve --tls-cert/--tls-key), and TREATY_TLS_CLIENT_CA for the services' client certificates; or listen on 127.0.0.1"
    )]
    PlaintextOffLoopback { addr: SocketAddr },
    /// A certificate, key or CA bundle could not be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// A token issuer key could not be read.
    #[error("cannot use the token issuer key {path}: {reason}")]
    IssuerKey {
        path: std::path::PathBuf,
        reason: String,
    },
    /// The bound listener could not report its address.
    #[error("cannot read the listener's local address: {0}")]
    LocalAddr(#[source] std::io::Error),
    /// The SIGTERM or SIGINT handler could not be installed.
    #[error("cannot install the SIGTERM/SIGINT handlers: {0}")]
    Signals(#[source] std::io::Error),
    /// A descriptor set given for reflection could not be decoded.
    #[error("a descriptor set for reflection is invalid: {0}")]
    Reflection(#[source] tonic_reflection::server::Error),
    /// The gRPC server failed while serving.
    #[error("the gRPC server failed: {0}")]
    Serve(#[source] tonic::transport::Error),
    /// A peer URL is not an `http(s)://host:port` URL.
    #[error(
        "peer URL {url:?} is invalid ({reason}); expected an https:// URL such as https://registry:50051 (http:// on loopback)"
    )]
    InvalidPeerUrl {
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A peer did not report SERVING in time.
    #[error("service {service:?} was not SERVING after {waited:?}; last answer: {last}")]
    NotServing {
        /// The health service name polled (`""` for the whole server).
        service: String,
        /// How long the poll went on.
        waited: Duration,
        /// The last status or error seen.
        last: String,
    },
}
