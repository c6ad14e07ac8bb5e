//! What a node on loopback makes for itself when nothing is configured — a development CA
//! (with one identity per service) and a development token issuer — read back from its data
//! directory by clients on the same machine: `treaty serve`'s bundle load, `treaty token
//! issue`, the demo, the benchmark and the tests.

use std::path::{Path, PathBuf};
use std::time::Duration;

use treaty_auth::token::SigningKey;
use treaty_auth::{Permission, ServiceName};
use treaty_runtime::Bearer;
use treaty_runtime::tls::{ClientTls, DevPki};

use crate::NodeError;

/// A node's development CA and token issuer.
#[derive(Debug)]
pub struct DevCredentials {
    pki: DevPki,
    /// Absent when the node trusts configured issuer keys instead.
    issuer: Option<SigningKey>,
    issuer_name: String,
    audience: String,
}

impl DevCredentials {
    /// The development credentials under `data_dir` (`tls/` and `auth/`), which a node on
    /// loopback creates on its first start; tokens name `issuer` for `audience`.
    pub fn read(
        data_dir: &Path,
        issuer: &str,
        audience: &str,
    ) -> Result<DevCredentials, NodeError> {
        let pki_dir = data_dir.join("tls");
        let key_path = Self::issuer_key_path(data_dir);
        let missing = |what: &str, path: &Path| {
            NodeError::Trust(format!(
                "no development {what} at {}: a node on loopback without TREATY_TLS_CERT creates it on its first start",
                path.display()
            ))
        };
        if !pki_dir.join("ca.crt").exists() {
            return Err(missing("CA", &pki_dir.join("ca.crt")));
        }
        let issuer_key = match std::fs::read_to_string(&key_path) {
            Ok(pem) => Some(
                SigningKey::from_pem(&pem)
                    .map_err(|e| NodeError::Trust(format!("{}: {e}", key_path.display())))?,
            ),
            Err(_) => None,
        };
        let pki = DevPki::ensure(&pki_dir).map_err(|e| NodeError::Trust(e.to_string()))?;
        Ok(DevCredentials {
            pki,
            issuer: issuer_key,
            issuer_name: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// Where the development issuer's private key is kept under `data_dir`.
    pub fn issuer_key_path(data_dir: &Path) -> PathBuf {
        data_dir.join("auth").join("issuer.key")
    }

    /// The CA bundle clients trust the node's certificate with.
    pub fn ca(&self) -> PathBuf {
        self.pki.ca()
    }

    /// TLS trusting the node's CA, without a client identity.
    pub fn client_tls(&self) -> ClientTls {
        ClientTls::load(&self.pki.ca()).expect("the development CA the node wrote reads back")
    }

    /// TLS presenting `service`'s development identity: a client that is that service.
    pub fn identity(&self, service: ServiceName) -> ClientTls {
        let (cert, key) = self.pki.identity(service);
        self.client_tls()
            .with_identity(&cert, &key)
            .expect("the development identity the node wrote reads back")
    }

    /// A token for `subject` holding `permissions`, valid for `ttl` from now, signed by the
    /// development issuer (which the node made unless it trusts configured issuer keys).
    pub fn token(
        &self,
        subject: &str,
        permissions: &[Permission],
        ttl: Duration,
    ) -> Result<String, NodeError> {
        let issuer = self.issuer.as_ref().ok_or_else(|| {
            NodeError::Trust(
                "this node trusts configured issuer keys (TREATY_AUTH_ISSUER_KEYS) and made no development issuer; mint tokens with its issuer's key".to_owned(),
            )
        })?;
        let now = jiff::Timestamp::now().as_second();
        Ok(issuer.issue(
            &self.issuer_name,
            &self.audience,
            subject,
            permissions,
            now,
            ttl,
        ))
    }

    /// [`DevCredentials::token`] as a client's bearer, valid for a day.
    pub fn bearer(&self, subject: &str, permissions: &[Permission]) -> Result<Bearer, NodeError> {
        self.token(subject, permissions, Duration::from_secs(24 * 3600))
            .map(Bearer::new)
    }

    /// The development issuer's signing key, if the node made one.
    pub fn issuer(&self) -> Option<&SigningKey> {
        self.issuer.as_ref()
    }
}
