//! The gRPC server runner: a pre-bound listener, the caller's services plus health and reflection,
//! the trust boundary (TLS, plaintext only on loopback, authentication), readiness, an optional
//! plaintext health-only listener for probes, and a graceful drain on shutdown.

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::body::Body;
use tonic::codegen::{Service, http};
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::HealthService;

use crate::tls::ServerTls;
use crate::{AuthLayer, Authenticator, Error, Health, Shutdown, WireErrorsLayer, request_span};

/// What the listener accepts and whom it believes: its TLS, whether plaintext is accepted
/// beside it (loopback only), and the authenticator of bearer tokens.
#[derive(Clone, Debug)]
pub struct Security {
    /// The listener's certificate and the CA of client certificates; `None`: plaintext only.
    pub tls: Option<ServerTls>,
    /// Whether plaintext connections are accepted too. The server refuses to start with
    /// plaintext on an address that is not loopback.
    pub plaintext: bool,
    /// Verifies bearer tokens.
    pub authenticator: Authenticator,
}

/// What each connection may take: each a `TREATY_*` setting (see [`crate::Config::limits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest request message a service decodes (RESOURCE_EXHAUSTED beyond).
    pub max_message_bytes: usize,
    /// The most streams one connection may have open at once.
    pub max_streams_per_connection: u32,
    /// How long a new connection has to show whether it speaks TLS and finish its handshake.
    pub handshake_timeout: Duration,
    /// How long a connection may stay without an open stream before it is closed.
    pub idle_timeout: Duration,
    /// How often an HTTP/2 PING checks that a connection's peer is alive.
    pub keepalive_interval: Duration,
    /// How long a PING may go unanswered before the connection is closed.
    pub keepalive_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 4 * 1024 * 1024,
            max_streams_per_connection: 100,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(10),
        }
    }
}

impl Security {
    /// Plaintext only, no trusted token issuer: every caller is anonymous (loopback only).
    pub fn plaintext() -> Security {
        Security {
            tls: None,
            plaintext: true,
            authenticator: Authenticator::default(),
        }
    }

    /// No trust boundary: plaintext, every caller anonymous and every call allowed — the
    /// benchmark's baseline only ([`Authenticator::unchecked`]); loopback only.
    pub fn unchecked_baseline() -> Security {
        Security {
            tls: None,
            plaintext: true,
            authenticator: Authenticator::unchecked(),
        }
    }
}

/// The caller's gRPC services, with the descriptor sets reflection serves and the names health reports.
#[derive(Debug, Clone, Default)]
pub struct Services {
    routes: Routes,
    descriptor_sets: Vec<&'static [u8]>,
    health_names: Vec<String>,
}

impl Services {
    /// Starts an empty set; the server always adds health and reflection itself.
    pub fn new() -> Services {
        Services::default()
    }

    /// Starts from routes built elsewhere; name their services with [`Services::health_name`].
    pub fn from_routes(routes: Routes) -> Services {
        Services {
            routes,
            ..Services::default()
        }
    }

    /// Adds a generated `*Server` and reports health under its fully qualified name.
    pub fn add_service<S>(mut self, service: S) -> Services
    where
        S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.routes = self.routes.add_service(service);
        self.health_name(S::NAME)
    }

    /// Reports health under `name` too, such as `treaty.registry.v1.RegistryService`.
    pub fn health_name(mut self, name: impl Into<String>) -> Services {
        self.health_names.push(name.into());
        self
    }

    /// Registers an encoded `FileDescriptorSet` (from the proto crate's build) with reflection.
    pub fn descriptor_set(mut self, encoded: &'static [u8]) -> Services {
        self.descriptor_sets.push(encoded);
        self
    }
}

/// A bound listener waiting to serve; health reports NOT_SERVING until it is ready.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    health: Health,
    health_service: HealthServer<HealthService>,
    drain: Duration,
    security: Security,
    limits: Limits,
    health_listener: Option<TcpListener>,
}

impl Server {
    /// The drain time used unless [`Server::with_drain`] sets another, matching `TREATY_DRAIN_SECONDS`.
    pub const DEFAULT_DRAIN: Duration = Duration::from_secs(10);

    /// Binds `addr` now, so the port is taken (and known, for port 0) before anything else starts.
    pub async fn bind(addr: SocketAddr) -> Result<Server, Error> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        Server::from_listener(listener).await
    }

    /// Wraps a listener the caller bound.
    pub async fn from_listener(listener: TcpListener) -> Result<Server, Error> {
        let local_addr = listener.local_addr().map_err(Error::LocalAddr)?;
        let (health, health_service) = Health::new().await;
        Ok(Server {
            listener,
            local_addr,
            health,
            health_service,
            drain: Server::DEFAULT_DRAIN,
            security: Security::plaintext(),
            limits: Limits::default(),
            health_listener: None,
        })
    }

    /// Bounds each connection with `limits` instead of the defaults.
    pub fn with_limits(self, limits: Limits) -> Server {
        Server { limits, ..self }
    }

    /// The limits it serves with.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Serves with `security` instead of plaintext without authentication.
    pub fn with_security(self, security: Security) -> Server {
        Server { security, ..self }
    }

    /// Also serves `grpc.health.v1`, and nothing else, in plaintext on `addr` (for the
    /// kubelet's probes, which cannot speak TLS).
    pub async fn with_health_addr(self, addr: SocketAddr) -> Result<Server, Error> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        Ok(Server {
            health_listener: Some(listener),
            ..self
        })
    }

    /// The address of the health-only listener, if there is one.
    pub fn health_addr(&self) -> Option<SocketAddr> {
        self.health_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// Returns the address actually bound, with the real port when port 0 was asked for.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Returns the health handle, for background tasks that report trouble or readiness.
    pub fn health(&self) -> Health {
        self.health.clone()
    }

    /// Sets how long in-flight requests may run after shutdown starts before they are abandoned.
    pub fn with_drain(self, drain: Duration) -> Server {
        Server { drain, ..self }
    }

    /// Serves `services` and reports SERVING at once; returns once `shutdown` has drained.
    ///
    /// Call it after storage is open and background tasks run: that is what ready means.
    pub async fn serve(self, services: Services, shutdown: Shutdown) -> Result<(), Error> {
        self.serve_when_ready(services, std::future::ready(()), shutdown)
            .await
    }

    /// Serves `services`, reports SERVING when `ready` completes, and returns after shutdown.
    ///
    /// Health answers NOT_SERVING until `ready` completes. When `shutdown` triggers, health turns
    /// NOT_SERVING for good, the listener closes, connections are told to go away, and in-flight
    /// requests get the drain time to finish; whatever still runs after that is abandoned and this
    /// returns `Ok`, so the caller can flush storage and exit 0. Abandoned requests are not
    /// cancelled (tonic runs connections on their own tasks); they stop when the runtime does.
    /// Long-lived streams should watch `shutdown` themselves and end, or they hold the drain to
    /// its limit.
    pub async fn serve_when_ready(
        self,
        services: Services,
        ready: impl Future<Output = ()> + Send,
        shutdown: Shutdown,
    ) -> Result<(), Error> {
        let Server {
            listener,
            local_addr,
            health,
            health_service,
            drain,
            security,
            limits,
            health_listener,
        } = self;
        if security.plaintext && !local_addr.ip().is_loopback() {
            return Err(Error::PlaintextOffLoopback { addr: local_addr });
        }
        if security.authenticator.is_unchecked() {
            tracing::warn!(addr = %local_addr, "serving WITHOUT a trust boundary: every call is allowed (a benchmark baseline)");
        }
        let Services {
            routes,
            descriptor_sets,
            health_names,
        } = services;

        let reflection_v1 = reflection(&descriptor_sets)
            .build_v1()
            .map_err(Error::Reflection)?;
        let reflection_v1alpha = reflection(&descriptor_sets)
            .build_v1alpha()
            .map_err(Error::Reflection)?;

        health.register(health_names).await;
        let health_only = health_listener.map(|listener| {
            let health_service = health_service.clone();
            let shutdown = shutdown.clone();
            async move {
                let addr = listener.local_addr().ok();
                tracing::info!(?addr, "serving plaintext health only");
                tonic::transport::Server::builder()
                    .add_service(health_service)
                    .serve_with_incoming_shutdown(
                        TcpIncoming::from(listener).with_nodelay(Some(true)),
                        shutdown.triggered(),
                    )
                    .await
            }
        });
        let health_only = async move {
            match health_only {
                Some(serving) => serving.await,
                None => std::future::pending().await,
            }
        };
        let routes = routes
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);

        let stop_accepting = {
            let (health, shutdown) = (health.clone(), shutdown.clone());
            async move {
                shutdown.triggered().await;
                health.begin_shutdown().await;
                tracing::info!(
                    ?drain,
                    "shutting down: NOT_SERVING, no new connections, draining"
                );
            }
        };
        let timeouts = crate::listener::Timeouts {
            handshake: limits.handshake_timeout,
            idle: limits.idle_timeout,
        };
        let incoming =
            crate::listener::incoming(listener, security.tls, security.plaintext, timeouts);
        let serving = tonic::transport::Server::builder()
            .max_concurrent_streams(limits.max_streams_per_connection)
            .http2_keepalive_interval(Some(limits.keepalive_interval))
            .http2_keepalive_timeout(Some(limits.keepalive_timeout))
            .trace_fn(request_span)
            .layer(crate::listener::ActivityLayer)
            .layer(WireErrorsLayer)
            .layer(AuthLayer::new(security.authenticator))
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, stop_accepting);
        let readiness = async {
            tokio::select! {
                () = ready => {
                    health.set_serving().await;
                    if health.is_serving().await {
                        tracing::info!(addr = %local_addr, "ready: SERVING");
                    }
                }
                () = shutdown.triggered() => {}
            }
            std::future::pending::<()>().await;
        };
        let drain_limit = async {
            shutdown.triggered().await;
            tokio::time::sleep(drain).await;
        };

        tracing::info!(addr = %local_addr, "serving gRPC");
        tokio::select! {
            served = Box::pin(serving) => served.map_err(Error::Serve)?,
            served = health_only => served.map_err(Error::Serve)?,
            () = readiness => {}
            () = drain_limit => {
                tracing::warn!(?drain, "drain time is up; abandoning requests still in flight");
            }
        }
        tracing::info!("server stopped");
        Ok(())
    }
}

/// Configures reflection with health's, reflection's own (both versions) and the caller's descriptor sets.
fn reflection(sets: &[&'static [u8]]) -> tonic_reflection::server::Builder<'static> {
    let own = [
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        // google.rpc.ErrorInfo, BadRequest, …: so `grpcurl -v` prints error details.
        tonic_types::pb::FILE_DESCRIPTOR_SET,
    ];
    own.iter().chain(sets).fold(
        tonic_reflection::server::Builder::configure(),
        |builder, set| builder.register_encoded_file_descriptor_set(set),
    )
}

/// Prints the one line `listening on IP:PORT` to stdout and flushes it, for tests and scripts.
pub fn announce(addr: SocketAddr) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", announcement(addr))?;
    out.flush()
}

/// Returns the announcement line for `addr`, without the newline.
fn announcement(addr: SocketAddr) -> String {
    format!("listening on {addr}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_announcement_is_listening_on_ip_and_port() {
        let v4 = SocketAddr::from(([127, 0, 0, 1], 41234));
        assert_eq!(announcement(v4), "listening on 127.0.0.1:41234");
        let v6: SocketAddr = "[::1]:50051".parse().unwrap();
        assert_eq!(announcement(v6), "listening on [::1]:50051");
        let parsed: SocketAddr = announcement(v4)
            .strip_prefix("listening on ")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(parsed, v4);
    }
}
