//! One `treaty serve` process: which services it runs, their storage under the
//! data directory, their peers, the journal shippers and background tasks, and
//! the server around them.
//!
//! `treaty serve` runs every service in one process on one port (monolithic
//! mode): the services call each other through that same port. `treaty serve
//! <name>` runs one (microservices mode), finding its peers through
//! `TREATY_<NAME>_ADDR`. The same code wires both.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;

use tonic::transport::Channel;
use treaty_approvals::{ApprovalsApi, ApprovalsStore};
use treaty_audit::{AuditApi, AuditStore};
use treaty_ledger::{Clock, Ledger, LedgerConfig};
use treaty_notification::{NotificationApi, NotificationStore};
use treaty_proto::approvals::approvals_service_server::ApprovalsServiceServer;
use treaty_proto::audit::audit_service_server::AuditServiceServer;
use treaty_proto::notification::notification_service_server::NotificationServiceServer;
use treaty_proto::registry::registry_service_server::RegistryServiceServer;
use treaty_registry::{RegistryApi, RegistryStore};
use treaty_runtime::{ClientConfig, Config, Server, Services, Shutdown};

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

    /// The environment variable that holds this service's URL for its peers.
    pub fn addr_variable(self) -> &'static str {
        match self {
            Role::Registry => "TREATY_REGISTRY_ADDR",
            Role::Approvals => "TREATY_APPROVALS_ADDR",
            Role::Notification => "TREATY_NOTIFICATION_ADDR",
            Role::Audit => "TREATY_AUDIT_ADDR",
        }
    }

    fn configured_addr(self, config: &Config) -> Option<&String> {
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
    /// A service this process runs needs a peer that is neither local nor configured.
    #[error(
        "{service} needs the {peer} service: run it in this process or set {variable} (e.g. http://{peer}:50051)"
    )]
    MissingPeer {
        /// The service that needs it.
        service: &'static str,
        /// The peer.
        peer: &'static str,
        /// The variable to set.
        variable: &'static str,
    },
}

/// How to run a node: which services, with which configuration and clock.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    /// The services to run in this process.
    pub roles: Vec<Role>,
    /// The effective configuration.
    pub config: Config,
    /// The clock: `recorded_at` stamps and "today" for the scheduler (the system clock outside tests).
    pub clock: Arc<dyn Clock>,
}

struct Wiring<'a> {
    spec: &'a NodeSpec,
    local: SocketAddr,
    client: ClientConfig,
}

impl Wiring<'_> {
    fn ledger_config(&self, role: Role) -> LedgerConfig {
        let mut c = LedgerConfig::new(self.spec.config.data_dir.join(role.name()), role.name());
        c.durability = match self.spec.config.durability {
            treaty_runtime::Durability::Flush => treaty_ledger::Durability::Flush,
            treaty_runtime::Durability::Fsync => treaty_ledger::Durability::Fsync,
        };
        c.clock = self.spec.clock.clone();
        c
    }

    fn storage<T, E: fmt::Display>(
        &self,
        role: Role,
        opened: Result<T, E>,
    ) -> Result<T, NodeError> {
        opened.map_err(|e| NodeError::Storage {
            service: role.name(),
            dir: self
                .spec
                .config
                .data_dir
                .join(role.name())
                .display()
                .to_string(),
            reason: e.to_string(),
        })
    }

    /// A channel to `peer`: this process when it runs the peer, else the configured URL.
    async fn peer(&self, service: Role, peer: Role) -> Result<Channel, NodeError> {
        let url = if self.spec.roles.contains(&peer) {
            format!("http://{}", self.local)
        } else {
            peer.configured_addr(&self.spec.config)
                .cloned()
                .ok_or(NodeError::MissingPeer {
                    service: service.name(),
                    peer: peer.name(),
                    variable: peer.addr_variable(),
                })?
        };
        Ok(treaty_runtime::connect(&url, &self.client).await?)
    }
}

/// Opens the stores of `spec.roles`, starts their shippers and background
/// tasks, serves them on `server` until `shutdown` triggers, then drains and
/// makes every store durable.
///
/// `on_ready` runs once storage is open and background tasks run, just before
/// health turns SERVING (the binary prints its `listening on` line there).
pub async fn run(
    spec: NodeSpec,
    server: Server,
    shutdown: Shutdown,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), NodeError> {
    let w = Wiring {
        spec: &spec,
        local: server.local_addr(),
        client: ClientConfig::from(&spec.config),
    };
    let mut services = Services::new().descriptor_set(treaty_proto::FILE_DESCRIPTOR_SET);
    let mut journals: Vec<(Role, Ledger)> = Vec::new();
    let mut tasks = Vec::new();
    let clock = spec.clock.clone();
    for role in &spec.roles {
        let role = *role;
        match role {
            Role::Registry => {
                let store = w.storage(role, RegistryStore::open(w.ledger_config(role)))?;
                journals.push((role, store.ledger().clone()));
                services = services.add_service(RegistryServiceServer::new(RegistryApi::new(
                    store,
                    clock.clone(),
                )));
            }
            Role::Approvals => {
                let store = w.storage(role, ApprovalsStore::open(w.ledger_config(role)))?;
                journals.push((role, store.ledger().clone()));
                let peers = treaty_approvals::Peers {
                    registry: w.peer(role, Role::Registry).await?,
                    notification: w.peer(role, Role::Notification).await?,
                    client: w.client,
                };
                let tick = spec.config.scheduler_tick;
                tasks.extend(treaty_approvals::spawn_background(
                    store.clone(),
                    peers.clone(),
                    clock.clone(),
                    tick,
                    shutdown.clone(),
                ));
                services = services.add_service(ApprovalsServiceServer::new(ApprovalsApi::new(
                    store,
                    peers,
                    clock.clone(),
                )));
            }
            Role::Notification => {
                let store = w.storage(role, NotificationStore::open(w.ledger_config(role)))?;
                journals.push((role, store.ledger().clone()));
                let peers = treaty_notification::Peers {
                    registry: w.peer(role, Role::Registry).await?,
                    approvals: w.peer(role, Role::Approvals).await?,
                    client: w.client,
                };
                let api = NotificationApi::new(store, peers, clock.clone(), shutdown.clone());
                services = services.add_service(NotificationServiceServer::new(api));
            }
            Role::Audit => {
                let store = w.storage(role, AuditStore::open(w.ledger_config(role)))?;
                journals.push((role, store.ledger().clone()));
                services = services.add_service(AuditServiceServer::new(AuditApi::new(
                    store,
                    shutdown.clone(),
                )));
            }
        }
    }
    // Every service but the audit log itself ships its journal to the audit service.
    for (role, ledger) in &journals {
        if *role != Role::Audit {
            let audit = w.peer(*role, Role::Audit).await?;
            let shipper = treaty_audit::shipper::spawn(
                ledger.clone(),
                role.name().to_owned(),
                audit,
                shutdown.clone(),
            );
            tasks.push(shipper.into_task());
        }
    }
    let server = server.with_drain(spec.config.drain);
    on_ready(server.local_addr());
    let served = server.serve(services, shutdown.clone()).await;
    shutdown.trigger();
    for task in tasks {
        let _ = task.await;
    }
    for (_, ledger) in journals {
        ledger.shutdown().await;
    }
    tracing::info!("storage flushed; stopped");
    Ok(served?)
}

/// A suite of every service running inside this process on a free loopback
/// port, with its data in a temporary directory that goes away with it: what
/// `treaty demo` and `treaty bench` run against.
pub struct LocalSuite {
    /// Its URL.
    pub url: String,
    /// A channel to it, already SERVING.
    pub channel: Channel,
    shutdown: Shutdown,
    task: Option<tokio::task::JoinHandle<Result<(), NodeError>>>,
    _dir: tempfile::TempDir,
}

impl fmt::Debug for LocalSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSuite")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl LocalSuite {
    /// Starts every service with the default configuration as `configure`
    /// changes it (the listen address and data directory are the suite's own),
    /// and waits until it is SERVING.
    pub async fn start(
        configure: impl FnOnce(&mut Config),
    ) -> Result<LocalSuite, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut config = Config::default();
        configure(&mut config);
        config.listen_addr = SocketAddr::from(([127, 0, 0, 1], 0));
        config.data_dir = dir.path().to_path_buf();
        let server = Server::bind(config.listen_addr).await?;
        let url = format!("http://{}", server.local_addr());
        let shutdown = Shutdown::new();
        let spec = NodeSpec {
            roles: Role::ALL.to_vec(),
            config,
            clock: Arc::new(treaty_ledger::SystemClock),
        };
        let task = tokio::spawn(run(spec, server, shutdown.clone(), |_| {}));
        let channel = treaty_runtime::connect(&url, &ClientConfig::default()).await?;
        treaty_runtime::wait_until_serving(&channel, std::time::Duration::from_secs(30)).await?;
        Ok(LocalSuite {
            url,
            channel,
            shutdown,
            task: Some(task),
            _dir: dir,
        })
    }

    /// Stops it and waits for its storage to be flushed.
    pub async fn stop(mut self) {
        self.shutdown.trigger();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for LocalSuite {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}
