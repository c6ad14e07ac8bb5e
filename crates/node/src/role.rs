//! The services a process can run, by the one short name each has everywhere.

use std::fmt;
use std::str::FromStr;

use treaty_auth::ServiceName;
use treaty_runtime::Config;

/// A service a process can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The signatory registry.
    Registry,
    /// The parliamentary-approval workflow.
    Approvals,
    /// The notices to the other parties.
    Notification,
    /// The global audit log.
    Audit,
}

impl Role {
    /// Every service.
    pub const ALL: [Role; 4] = [
        Role::Registry,
        Role::Approvals,
        Role::Notification,
        Role::Audit,
    ];

    /// The short name used for data directories, journal sources, logs, Kubernetes objects and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Role::Registry => treaty_registry::NAME,
            Role::Approvals => treaty_approvals::NAME,
            Role::Notification => treaty_notification::NAME,
            Role::Audit => treaty_audit::NAME,
        }
    }

    /// The name its certificate carries (`spiffe://treaty/<name>`).
    pub fn service(self) -> ServiceName {
        match self {
            Role::Registry => ServiceName::Registry,
            Role::Approvals => ServiceName::Approvals,
            Role::Notification => ServiceName::Notification,
            Role::Audit => ServiceName::Audit,
        }
    }

    /// The environment variable that holds this service's URL for its peers.
    pub fn addr_variable(self) -> &'static str {
        match self {
            Role::Registry => "TREATY_REGISTRY_ADDR",
            Role::Approvals => "TREATY_APPROVALS_ADDR",
            Role::Notification => "TREATY_NOTIFICATION_ADDR",
            Role::Audit => "TREATY_AUDIT_ADDR",
        }
    }

    pub(crate) fn configured_addr(self, config: &Config) -> Option<&String> {
        match self {
            Role::Registry => config.registry_addr.as_ref(),
            Role::Approvals => config.approvals_addr.as_ref(),
            Role::Notification => config.notification_addr.as_ref(),
            Role::Audit => config.audit_addr.as_ref(),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Role::ALL.iter().map(|r| r.name()).collect();
                format!(
                    "unknown service {s:?}; expected one of: {}",
                    names.join(", ")
                )
            })
    }
}
