//! One node: the stores of the services it runs, their peers, the journal
//! shippers and background tasks, and the server around them.

use std::fmt;
use std::net::SocketAddr;
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

use crate::{NodeError, Role};

/// How to run a node: which services, with which configuration and clock.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    /// The services to run in this process.
    pub roles: Vec<Role>,
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
                let api = NotificationApi::new(
                    store,
                    peers,
                    clock.clone(),
                    spec.config.streams,
                    shutdown.clone(),
                );
                services = services.add_service(NotificationServiceServer::new(api));
            }
            Role::Audit => {
                let store = w.storage(role, AuditStore::open(w.ledger_config(role)))?;
                journals.push((role, store.ledger().clone()));
                services = services.add_service(AuditServiceServer::new(AuditApi::new(
                    store,
                    spec.config.streams,
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
