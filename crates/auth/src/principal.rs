//! Who makes a request, as the server established it — never as the request claims.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::permission::Permission;

/// A service of the suite, identified by the one SPIFFE-style URI SAN of its certificate
/// (`spiffe://treaty/<name>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceName {
    Registry,
    Approvals,
    Notification,
    Audit,
}

impl ServiceName {
    /// Every service.
    pub const ALL: [ServiceName; 4] = [
        ServiceName::Registry,
        ServiceName::Approvals,
        ServiceName::Notification,
        ServiceName::Audit,
    ];

    /// The short name, e.g. `approvals` (also the journal source it ships).
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceName::Registry => "registry",
            ServiceName::Approvals => "approvals",
            ServiceName::Notification => "notification",
            ServiceName::Audit => "audit",
        }
    }

    /// The URI SAN its certificate carries: `spiffe://treaty/<name>`.
    pub fn spiffe_id(self) -> String {
        format!("{SPIFFE_PREFIX}{}", self.as_str())
    }

    /// The service a URI SAN names, if it is one of ours.
    pub fn from_spiffe_id(uri: &str) -> Option<ServiceName> {
        let name = uri.strip_prefix(SPIFFE_PREFIX)?;
        ServiceName::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

const SPIFFE_PREFIX: &str = "spiffe://treaty/";

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServiceName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceName::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a service of the suite"))
    }
}

/// A person or system that presented a valid bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The token's `sub`.
    pub subject: String,
    /// The token's `iss`.
    pub issuer: String,
    /// The signing key's id (the token header's `kid`).
    pub key_id: String,
    pub permissions: BTreeSet<Permission>,
}

/// The authenticated principal of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No credentials: may read, never change anything.
    Anonymous,
    /// A bearer token from a trusted issuer.
    User(User),
    /// A service of the suite, by its mTLS certificate.
    Service(ServiceName),
}

/// The principal as recorded in a journal entry: JSON with fixed keys, written by the server.
/// A principal as a journal entry records it (its `actor`, canonical JSON the entry's hash
/// covers): who made the step, as the recording service authenticated them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recorded {
    /// The token's subject, or `anonymous`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The token's issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The id of the issuer key that signed the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The service whose certificate authenticated the call, or that made the step itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The task of that service that made the step itself (the approvals scheduler).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The service that took the request and recorded the step.
    pub via: String,
}

impl Recorded {
    /// The recorded principal of a journal entry's `actor`, if it is one (entries recorded
    /// before the trust boundary carry a bare name).
    pub fn parse(actor: &str) -> Option<Recorded> {
        serde_json::from_str(actor).ok()
    }

    /// The canonical JSON the journal records.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("the recorded principal always serializes")
    }
}

impl Principal {
    /// Whether the principal holds `permission` (services and anonymous callers hold none).
    pub fn has(&self, permission: Permission) -> bool {
        match self {
            Principal::User(user) => user.permissions.contains(&permission),
            Principal::Anonymous | Principal::Service(_) => false,
        }
    }

    /// The scope of the principal's request ids: one principal can never claim or read
    /// another's key.
    pub fn scope(&self) -> String {
        match self {
            Principal::Anonymous => "anonymous".to_owned(),
            Principal::User(user) => format!("user\u{0}{}\u{0}{}", user.issuer, user.subject),
            Principal::Service(service) => format!("service\u{0}{service}"),
        }
    }

    /// The principal as the journal records it for a step made through `via`: its subject,
    /// issuer and key id, or its service name, and the service that took the request.
    pub fn recorded(&self, via: ServiceName) -> String {
        let via = via.as_str().to_owned();
        let recorded = match self {
            Principal::Anonymous => Recorded {
                subject: Some("anonymous".to_owned()),
                via,
                ..Recorded::default()
            },
            Principal::User(user) => Recorded {
                subject: Some(user.subject.clone()),
                issuer: Some(user.issuer.clone()),
                key_id: Some(user.key_id.clone()),
                via,
                ..Recorded::default()
            },
            Principal::Service(service) => Recorded {
                service: Some(service.as_str().to_owned()),
                via,
                ..Recorded::default()
            },
        };
        recorded.to_json()
    }

    /// A step a service records on its own, by one of its tasks (the approvals scheduler).
    pub fn recorded_task(service: ServiceName, task: &str) -> String {
        Recorded {
            service: Some(service.as_str().to_owned()),
            task: Some(task.to_owned()),
            via: service.as_str().to_owned(),
            ..Recorded::default()
        }
        .to_json()
    }
}
