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

use crate::trust::Trust;
use crate::{NodeError, Role};

/// How to run a node: which services, with which configuration and clock.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    /// The services to run in this process.
    pub roles: Vec<Role>,
    pub config: Config,
    /// The clock: `recorded_at` stamps and "today" for the scheduler (the system clock outside tests).
    pub clock: Arc<dyn Clock>,
    /// Runs without the trust boundary — plaintext, every call allowed — as the benchmark's
    /// baseline; loopback only, and never set by configuration.
    pub unchecked_baseline: bool,
}

struct Wiring<'a> {
    spec: &'a NodeSpec,
    local: SocketAddr,
    client: ClientConfig,
    trust: Trust,
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
        opened.map_err(|e| self.storage_error(role, e))
    }

    /// `e` as the failure of `role`'s store, naming its directory.
    fn storage_error(&self, role: Role, e: impl fmt::Display) -> NodeError {
        NodeError::Storage {
            service: role.name(),
            dir: self
                .spec
                .config
                .data_dir
                .join(role.name())
                .display()
                .to_string(),
            reason: e.to_string(),
        }
    }

    /// A channel from `service` to `peer`, with `service`'s identity: this process when it
    /// runs the peer (over TLS on its own port, so the same rules apply as between
    /// processes), else the configured URL.
    async fn peer(&self, service: Role, peer: Role) -> Result<Channel, NodeError> {
        let identity = self.trust.identities.get(&service);
        let url = if self.spec.roles.contains(&peer) {
            let mut local = self.local;
            if local.ip().is_unspecified() {
                local.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            let scheme = if identity.is_some() { "https" } else { "http" };
            format!("{scheme}://{local}")
        } else {
            peer.configured_addr(&self.spec.config)
                .cloned()
                .ok_or(NodeError::MissingPeer {
                    service: service.name(),
                    peer: peer.name(),
                    variable: peer.addr_variable(),
                })?
        };
        Ok(treaty_runtime::connect_with(&url, &self.client, identity).await?)
    }
}

/// Checks, before anything listens, that a node running `roles` with `config` can build its
/// side of the trust boundary: its certificate, its peers' CA, each service's identity and its
/// token issuers (on loopback with nothing configured, this makes the development PKI and
/// issuer).
pub fn check_trust(config: &Config, roles: &[Role]) -> Result<(), NodeError> {
    Trust::of(config, roles)?;
    if roles.contains(&Role::Audit) {
        crate::log::settings(config)?;
    }
    Ok(())
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
    let trust = if spec.unchecked_baseline {
        Trust::unchecked_baseline()
    } else {
        Trust::of(&spec.config, &spec.roles)?
    };
    let server = server
        .with_security(trust.security.clone())
        .with_limits(spec.config.limits);
    let max = spec.config.limits.max_message_bytes;
    let server = match spec.config.health_addr {
        Some(addr) => server.with_health_addr(addr).await?,
        None => server,
    };
    let w = Wiring {
        spec: &spec,
        local: server.local_addr(),
        client: ClientConfig::from(&spec.config),
        trust,
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
                services = services.add_service(
                    RegistryServiceServer::new(RegistryApi::new(store, clock.clone()))
                        .max_decoding_message_size(max),
                );
            }
            Role::Approvals => {
                let store = w.storage(role, ApprovalsStore::open(w.ledger_config(role)))?;
                journals.push((role, store.ledger().clone()));
                let peers = treaty_approvals::Peers {
                    registry: w.peer(role, Role::Registry).await?,
                    notification: w.peer(role, Role::Notification).await?,
                    audit: w.peer(role, Role::Audit).await?,
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
                services = services.add_service(
                    ApprovalsServiceServer::new(ApprovalsApi::new(store, peers, clock.clone()))
                        .max_decoding_message_size(max),
                );
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
                services = services.add_service(
                    NotificationServiceServer::new(api).max_decoding_message_size(max),
                );
            }
            Role::Audit => {
                let store = w.storage(role, AuditStore::open(w.ledger_config(role)))?;
                let log = crate::log::settings(&spec.config)?;
                treaty_audit::checkpointer::check_guard(&store, &log)
                    .map_err(|e| w.storage_error(role, e))?;
                tracing::info!(
                    origin = log.key.origin(),
                    key = log.key.verifier_key(),
                    witnesses = log.witnesses.len(),
                    "audit log: checkpoints are signed with this key"
                );
                journals.push((role, store.ledger().clone()));
                let (checkpoints, checkpointer) =
                    treaty_audit::checkpointer::spawn(store.clone(), log, shutdown.clone())
                        .map_err(|e| w.storage_error(role, e))?;
                tasks.push(checkpointer);
                services = services.add_service(
                    AuditServiceServer::new(AuditApi::new(
                        store,
                        checkpoints,
                        spec.config.streams,
                        shutdown.clone(),
                    ))
                    .max_decoding_message_size(max),
                );
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
