//! The node's side of the trust boundary: its listener's TLS, the CA it trusts its peers
//! with, the identity each of its services presents to them, and the token issuers it trusts.
//!
//! Configured files are used as given. On a loopback address with none configured, the node
//! makes its own development PKI under `<data>/tls` and a development token issuer under
//! `<data>/auth`, so `treaty serve` works at once and its services authenticate to each other
//! with mTLS exactly as in production; off loopback nothing is made up: without a certificate
//! the node refuses to start, and names the settings to give.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use treaty_auth::ServiceName;
use treaty_auth::token::{Verifier, VerifyingKey};
use treaty_runtime::tls::{ClientTls, DevPki, ServerTls};
use treaty_runtime::{Authenticator, Config, Security};

use crate::{NodeError, Role};

/// What the node's listener and its peer channels use.
#[derive(Debug)]
pub(crate) struct Trust {
    pub(crate) security: Security,
    /// The TLS each service of this node speaks to its peers with (its CA and identity).
    pub(crate) identities: BTreeMap<Role, ClientTls>,
}

impl Trust {
    /// No trust boundary (see `NodeSpec::unchecked_baseline`): plaintext peers, every call
    /// allowed.
    pub(crate) fn unchecked_baseline() -> Trust {
        Trust {
            security: Security::unchecked_baseline(),
            identities: BTreeMap::new(),
        }
    }

    /// The trust of a node running `roles` with `config`.
    pub(crate) fn of(config: &Config, roles: &[Role]) -> Result<Trust, NodeError> {
        let loopback = config.listen_addr.ip().is_loopback();
        let fail = |reason: String| NodeError::Trust(reason);
        let (security_tls, dev_pki) = match (&config.tls.cert, &config.tls.key) {
            (Some(cert), Some(key)) => (
                ServerTls::load(cert, key, config.tls.client_ca.as_deref())
                    .map_err(|e| fail(e.to_string()))?,
                None,
            ),
            (Some(_), None) | (None, Some(_)) => {
                return Err(fail(
                    "TREATY_TLS_CERT and TREATY_TLS_KEY go together: give both or neither".into(),
                ));
            }
            (None, None) if loopback => {
                let pki = DevPki::ensure(&config.data_dir.join("tls"))
                    .map_err(|e| fail(e.to_string()))?;
                let (cert, key) = pki.server();
                let tls = ServerTls::load(&cert, &key, Some(&pki.ca()))
                    .map_err(|e| fail(e.to_string()))?;
                (tls, Some(pki))
            }
            (None, None) => {
                return Err(NodeError::Runtime(
                    treaty_runtime::Error::PlaintextOffLoopback {
                        addr: config.listen_addr,
                    },
                ));
            }
        };
        if config.tls.client_ca.is_none() && dev_pki.is_none() {
            // Registry, notification and audit are called by the other services, by their
            // certificates; approvals only by people.
            let called: Vec<&str> = roles
                .iter()
                .filter(|r| **r != Role::Approvals)
                .map(|r| r.name())
                .collect();
            if !loopback && !called.is_empty() {
                return Err(fail(format!(
                    "{} {} called by the other services, which authenticate with their certificates: set TREATY_TLS_CLIENT_CA (treaty serve --tls-client-ca) to the CA bundle they chain to",
                    called.join(", "),
                    if called.len() == 1 { "is" } else { "are" },
                )));
            }
            tracing::warn!(
                "TREATY_TLS_CLIENT_CA is unset: no client certificate is trusted, so no peer service can call the service-only RPCs here"
            );
        }

        let ca: Option<PathBuf> = config
            .tls_ca
            .clone()
            .or_else(|| dev_pki.as_ref().map(DevPki::ca));
        let mut identities = BTreeMap::new();
        if let Some(ca) = &ca {
            for role in roles {
                let service = role.service();
                let (cert, key) = identity(config, dev_pki.as_ref(), service, roles)?;
                let tls = ClientTls::load(ca)
                    .and_then(|t| t.with_identity(&cert, &key))
                    .map_err(|e| fail(e.to_string()))?;
                identities.insert(*role, tls);
            }
        }

        let verifier = issuers(config, loopback)?;
        Ok(Trust {
            security: Security {
                tls: Some(security_tls),
                plaintext: loopback,
                authenticator: Authenticator::new(verifier),
            },
            identities,
        })
    }
}

/// The certificate and key `service` presents to its peers: from `TREATY_TLS_IDENTITY_DIR`,
/// the development PKI, or — for a node running one service — the listener's own certificate,
/// which must then name that service.
fn identity(
    config: &Config,
    dev_pki: Option<&DevPki>,
    service: ServiceName,
    roles: &[Role],
) -> Result<(PathBuf, PathBuf), NodeError> {
    let fail = |reason: String| NodeError::Trust(reason);
    if let Some(dir) = &config.tls_identity_dir {
        return Ok((
            dir.join(format!("{service}.crt")),
            dir.join(format!("{service}.key")),
        ));
    }
    if let Some(pki) = dev_pki {
        return Ok(pki.identity(service));
    }
    let (Some(cert), Some(key)) = (&config.tls.cert, &config.tls.key) else {
        unreachable!("a node without a development PKI has its own certificate");
    };
    let named = named_service(cert).map_err(fail)?;
    if roles.len() == 1 && named == Some(service) {
        return Ok((cert.clone(), key.clone()));
    }
    Err(fail(format!(
        "the {service} service needs a client certificate whose URI SAN is {}: {} names {}; give each service of this process its own in TREATY_TLS_IDENTITY_DIR (<service>.crt and <service>.key)",
        service.spiffe_id(),
        cert.display(),
        named.map_or_else(|| "no service".to_owned(), |s| s.spiffe_id()),
    )))
}

fn named_service(cert: &Path) -> Result<Option<ServiceName>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let pem = std::fs::read(cert).map_err(|e| format!("cannot read {}: {e}", cert.display()))?;
    let leaf = CertificateDer::pem_slice_iter(&pem)
        .next()
        .ok_or_else(|| format!("{} holds no certificate", cert.display()))?
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    Ok(treaty_runtime::tls::service_of(leaf.as_ref()))
}

/// The token verifier: the configured issuer keys, else (loopback only) the development
/// issuer, created on first start.
fn issuers(config: &Config, loopback: bool) -> Result<Option<Verifier>, NodeError> {
    let auth = &config.auth;
    if !auth.issuer_keys.is_empty() {
        let mut keys = Vec::new();
        for path in &auth.issuer_keys {
            let pem = std::fs::read_to_string(path).map_err(|e| {
                NodeError::Runtime(treaty_runtime::Error::IssuerKey {
                    path: path.clone(),
                    reason: e.to_string(),
                })
            })?;
            keys.push(VerifyingKey::from_pem(&pem).map_err(|e| {
                NodeError::Runtime(treaty_runtime::Error::IssuerKey {
                    path: path.clone(),
                    reason: e.to_string(),
                })
            })?);
        }
        return Ok(Some(Verifier::new(keys, &auth.issuer, &auth.audience)));
    }
    if !loopback {
        tracing::warn!(
            "TREATY_AUTH_ISSUER_KEYS is unset: no bearer token is trusted, so only services can change anything here"
        );
        return Ok(None);
    }
    let dir = config.data_dir.join("auth");
    let key = treaty_runtime::dev_issuer(&dir).map_err(|e| {
        NodeError::Trust(format!(
            "cannot create the development token issuer in {}: {e}",
            dir.display()
        ))
    })?;
    tracing::info!(
        key = %dir.join("issuer.key").display(),
        kid = key.kid(),
        "development token issuer (loopback only): mint tokens with `treaty token issue`"
    );
    Ok(Some(Verifier::new(
        vec![key.verifying_key()],
        &auth.issuer,
        &auth.audience,
    )))
}
