//! TLS for every listener and every peer channel (rustls with its `ring` provider, the only
//! crypto provider in the graph), service identities, and the development PKI.
//!
//! A service of the suite is identified by its client certificate's one URI SAN,
//! `spiffe://treaty/<name>`, verified against the trusted client CA — never by a header. The
//! server asks for a client certificate but does not require one: people and systems connect
//! without one and authenticate with a bearer token.
//!
//! On a loopback address with no certificates configured, [`DevPki::ensure`] creates a
//! development CA, a server certificate for `localhost`/`127.0.0.1`/`::1` and one identity per
//! service under the data directory, so the services of one process authenticate to each other
//! with mTLS out of the box.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use treaty_auth::ServiceName;

/// What went wrong reading or making certificates.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} holds no usable {what}: {detail}")]
    Unusable {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    #[error("cannot write the development PKI in {dir}: {detail}")]
    Write { dir: PathBuf, detail: String },
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path, "certificate file")?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Unusable {
            what: "PEM certificates",
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Unusable {
            what: "PEM certificate",
            path: path.to_owned(),
            detail: "the file has no CERTIFICATE block".into(),
        });
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(path, "private key file")?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| TlsError::Unusable {
        what: "PEM private key",
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

fn roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(path)? {
        roots.add(cert).map_err(|e| TlsError::Unusable {
            what: "CA certificate",
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// A server's TLS: its certificate, and the CA its clients' certificates (service identities)
/// must chain to, if it accepts any.
#[derive(Clone)]
pub struct ServerTls {
    pub(crate) config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Reads the certificate chain `cert`, its `key` and the optional `client_ca` bundle.
    pub fn load(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Result<ServerTls, TlsError> {
        let chain = certificates(cert)?;
        let key_der = private_key(key)?;
        let builder = rustls::ServerConfig::builder();
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let verifier = WebPkiClientVerifier::builder(Arc::new(roots(ca)?))
                    .allow_unauthenticated()
                    .build()
                    .map_err(|e| TlsError::Unusable {
                        what: "client CA",
                        path: ca.to_owned(),
                        detail: e.to_string(),
                    })?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config =
            builder
                .with_single_cert(chain, key_der)
                .map_err(|e| TlsError::Unusable {
                    what: "certificate and key pair",
                    path: cert.to_owned(),
                    detail: e.to_string(),
                })?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(ServerTls {
            config: Arc::new(config),
        })
    }
}

/// A client's TLS towards a peer: the CA its server certificate must chain to, and the
/// identity (certificate and key) to present, if any.
#[derive(Clone, Debug)]
pub struct ClientTls {
    ca: Vec<u8>,
    identity: Option<(Vec<u8>, Vec<u8>)>,
    server_name: Option<String>,
}

impl ClientTls {
    /// Trusts the CA bundle at `ca`; presents no identity.
    pub fn load(ca: &Path) -> Result<ClientTls, TlsError> {
        certificates(ca)?;
        Ok(ClientTls {
            ca: read(ca, "CA file")?,
            identity: None,
            server_name: None,
        })
    }

    /// This client presenting the certificate `cert` with its `key`.
    pub fn with_identity(mut self, cert: &Path, key: &Path) -> Result<ClientTls, TlsError> {
        certificates(cert)?;
        private_key(key)?;
        self.identity = Some((
            read(cert, "certificate file")?,
            read(key, "private key file")?,
        ));
        Ok(self)
    }

    /// Checks the server's certificate for `name` instead of the URL's host (a port-forward
    /// to `localhost` reaching a server whose certificate names `registry`).
    pub fn with_server_name(mut self, name: impl Into<String>) -> ClientTls {
        self.server_name = Some(name.into());
        self
    }

    /// The tonic channel configuration.
    pub fn tonic(&self) -> tonic::transport::ClientTlsConfig {
        let mut config = tonic::transport::ClientTlsConfig::new()
            .ca_certificate(tonic::transport::Certificate::from_pem(&self.ca));
        if let Some(name) = &self.server_name {
            config = config.domain_name(name.clone());
        }
        if let Some((cert, key)) = &self.identity {
            config = config.identity(tonic::transport::Identity::from_pem(cert, key));
        }
        config
    }
}

/// The service a verified client certificate names by its URI SAN `spiffe://treaty/<name>`;
/// `None` when it names none or more than one.
pub fn service_of(certificate: &[u8]) -> Option<ServiceName> {
    let (_, cert) = x509_parser::parse_x509_certificate(certificate).ok()?;
    let san = cert.subject_alternative_name().ok()??;
    let uris: Vec<&str> = san
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            x509_parser::extensions::GeneralName::URI(uri) => Some(*uri),
            _ => None,
        })
        .collect();
    match uris.as_slice() {
        [one] => ServiceName::from_spiffe_id(one),
        _ => None,
    }
}

/// The files of a PKI: a CA, a server certificate, and one identity per service.
#[derive(Clone, Debug)]
pub struct DevPki {
    dir: PathBuf,
}

impl DevPki {
    /// The development PKI under `dir`, created on first use: `ca.crt` (and its key), a server
    /// certificate for `localhost`, `127.0.0.1` and `::1`, and `<service>.crt`/`.key` for each
    /// service. Development only: the CA's key lives beside the certificates.
    pub fn ensure(dir: &Path) -> Result<DevPki, TlsError> {
        let pki = DevPki {
            dir: dir.to_owned(),
        };
        if pki.ca().exists() {
            return Ok(pki);
        }
        Self::write(dir, &["localhost"], &["127.0.0.1", "::1"])?;
        Ok(pki)
    }

    /// Writes a fresh PKI under `dir` whose server certificate names `dns` and `ips`.
    pub fn write(dir: &Path, dns: &[&str], ips: &[&str]) -> Result<DevPki, TlsError> {
        let fail = |detail: String| TlsError::Write {
            dir: dir.to_owned(),
            detail,
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        let ca_key = KeyPair::generate().map_err(|e| fail(e.to_string()))?;
        let mut ca = CertificateParams::default();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "treaty development CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).map_err(|e| fail(e.to_string()))?;
        let leaf = |names: Vec<SanType>, cn: &str, file: &str| -> Result<(), TlsError> {
            let key = KeyPair::generate().map_err(|e| fail(e.to_string()))?;
            let mut params = CertificateParams::default();
            params.distinguished_name.push(DnType::CommonName, cn);
            params.subject_alt_names = names;
            params.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ];
            let cert = params
                .signed_by(&key, &ca_cert, &ca_key)
                .map_err(|e| fail(e.to_string()))?;
            write_file(
                &dir.join(format!("{file}.crt")),
                cert.pem().as_bytes(),
                false,
            )
            .map_err(|e| fail(e.to_string()))?;
            write_file(
                &dir.join(format!("{file}.key")),
                key.serialize_pem().as_bytes(),
                true,
            )
            .map_err(|e| fail(e.to_string()))
        };
        let mut server_names = Vec::new();
        for name in dns {
            server_names.push(SanType::DnsName(
                (*name)
                    .try_into()
                    .map_err(|e: rcgen::Error| fail(e.to_string()))?,
            ));
        }
        for ip in ips {
            server_names.push(SanType::IpAddress(
                ip.parse::<IpAddr>().map_err(|e| fail(e.to_string()))?,
            ));
        }
        leaf(server_names.clone(), "treaty server", "server")?;
        for service in ServiceName::ALL {
            let mut names = server_names.clone();
            names.push(SanType::URI(
                service
                    .spiffe_id()
                    .try_into()
                    .map_err(|e: rcgen::Error| fail(e.to_string()))?,
            ));
            leaf(names, service.as_str(), service.as_str())?;
        }
        write_file(&dir.join("ca.key"), ca_key.serialize_pem().as_bytes(), true)
            .map_err(|e| fail(e.to_string()))?;
        // The CA certificate last: its presence says the PKI is complete.
        write_file(&dir.join("ca.crt"), ca_cert.pem().as_bytes(), false)
            .map_err(|e| fail(e.to_string()))?;
        Ok(DevPki {
            dir: dir.to_owned(),
        })
    }

    /// The CA bundle.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// The server certificate and key.
    pub fn server(&self) -> (PathBuf, PathBuf) {
        (self.dir.join("server.crt"), self.dir.join("server.key"))
    }

    /// A service's identity: its certificate (URI SAN `spiffe://treaty/<name>`) and key.
    pub fn identity(&self, service: ServiceName) -> (PathBuf, PathBuf) {
        (
            self.dir.join(format!("{service}.crt")),
            self.dir.join(format!("{service}.key")),
        )
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn write_file(path: &Path, bytes: &[u8], secret: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
