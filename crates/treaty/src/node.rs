//! One `treaty serve` process: which services it runs, their storage under the
//! data directory, the journal shippers, and the server around them.
//!
//! `treaty serve` runs every service in one process on one port (monolithic
//! mode); `treaty serve <name>` runs one (microservices mode), finding its peers
//! through `TREATY_<NAME>_ADDR`. The same code wires both.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use treaty_audit::{AuditApi, AuditStore};
use treaty_ledger::{Clock, LedgerConfig};
use treaty_proto::audit::audit_service_server::AuditServiceServer;
use treaty_runtime::{Config, Server, Services, Shutdown};

/// A service a process can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The global audit log.
    Audit,
}

impl Role {
    /// Every service, in start order (dependencies first).
    pub const ALL: [Role; 1] = [Role::Audit];

    /// The short name used for data directories, logs, Kubernetes objects and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Role::Audit => treaty_audit::NAME,
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

/// What went wrong starting or running a node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The server could not be set up or failed.
    #[error(transparent)]
    Runtime(#[from] treaty_runtime::Error),
    /// A service's storage could not be opened.
    #[error("cannot open the {service} store in {dir}: {reason}")]
    Storage {
        /// The service.
        service: &'static str,
        /// Its data directory.
        dir: String,
        /// Why.
        reason: String,
    },
}

/// How to run a node: which services, with which configuration and clock.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    /// The services to run in this process.
    pub roles: Vec<Role>,
    /// The effective configuration.
    pub config: Config,
    /// The clock that stamps `recorded_at` (the system clock outside tests).
    pub clock: Arc<dyn Clock>,
}

fn ledger_config(spec: &NodeSpec, role: Role) -> LedgerConfig {
    let mut c = LedgerConfig::new(spec.config.data_dir.join(role.name()), role.name());
    c.durability = match spec.config.durability {
        treaty_runtime::Durability::Flush => treaty_ledger::Durability::Flush,
        treaty_runtime::Durability::Fsync => treaty_ledger::Durability::Fsync,
    };
    c.clock = spec.clock.clone();
    c
}

/// Opens the stores of `spec.roles`, serves them on `server` until `shutdown`
/// triggers, then drains and makes every store durable.
///
/// `on_ready` runs once storage is open and background tasks run, just before
/// health turns SERVING (the binary prints its `listening on` line there).
pub async fn run(
    spec: NodeSpec,
    server: Server,
    shutdown: Shutdown,
    on_ready: impl FnOnce(std::net::SocketAddr),
) -> Result<(), NodeError> {
    let mut services = Services::new().descriptor_set(treaty_proto::FILE_DESCRIPTOR_SET);
    let mut ledgers = Vec::new();
    for role in &spec.roles {
        match role {
            Role::Audit => {
                let config = ledger_config(&spec, *role);
                let dir = config.path.display().to_string();
                let store = AuditStore::open(config).map_err(|e| NodeError::Storage {
                    service: role.name(),
                    dir,
                    reason: e.to_string(),
                })?;
                ledgers.push(store.ledger().clone());
                services = services.add_service(AuditServiceServer::new(AuditApi::new(
                    store,
                    shutdown.clone(),
                )));
            }
        }
    }
    let server = server.with_drain(spec.config.drain);
    on_ready(server.local_addr());
    let served = server.serve(services, shutdown).await;
    for ledger in ledgers {
        ledger.shutdown().await;
    }
    tracing::info!("storage flushed; stopped");
    Ok(served?)
}
