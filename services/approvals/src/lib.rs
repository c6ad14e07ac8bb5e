//! The approvals service: withdrawal cases through the state's domestic
//! procedure to the deposit of the instrument, and the scheduler that records
//! their effect, deferral or revocation.

use std::sync::Arc;
use std::time::Duration;

use tonic::transport::Channel;
use treaty_ledger::{Clock, Ledger, LedgerConfig, LedgerError};
use treaty_proto::approvals::approvals_service_server::ApprovalsService;
use treaty_runtime::{ClientConfig, Shutdown};

/// The service's short name, used for its data directory, journal source, health and logs.
pub const NAME: &str = "approvals";

/// The services the approvals service calls.
#[derive(Clone, Debug)]
pub struct Peers {
    /// The registry.
    pub registry: Channel,
    /// The notification service.
    pub notification: Channel,
    /// Deadlines for calls to them.
    pub client: ClientConfig,
}

/// The approvals service's storage.
#[derive(Clone, Debug)]
pub struct ApprovalsStore {
    ledger: Ledger,
}

impl ApprovalsStore {
    /// Opens (or creates) the store; `config.trees` is replaced by the service's trees.
    pub fn open(config: LedgerConfig) -> Result<Self, LedgerError> {
        Ok(Self { ledger: Ledger::open(config)? })
    }

    /// The service's journal.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
}

/// The `treaty.approvals.v1.ApprovalsService` implementation.
#[derive(Clone, Debug)]
pub struct ApprovalsApi {
    store: ApprovalsStore,
    peers: Peers,
    clock: Arc<dyn Clock>,
}

impl ApprovalsApi {
    /// Serves `store`, calling `peers`.
    pub fn new(store: ApprovalsStore, peers: Peers, clock: Arc<dyn Clock>) -> Self {
        Self { store, peers, clock }
    }
}

/// Starts the background tasks (the outbox relay to the registry and the
/// notification service, and the effective-date scheduler, ticking every
/// `tick`), which stop when `shutdown` triggers.
pub fn spawn_background(
    store: ApprovalsStore,
    peers: Peers,
    clock: Arc<dyn Clock>,
    tick: Duration,
    shutdown: Shutdown,
) -> Vec<tokio::task::JoinHandle<()>> {
    let _ = (store, peers, clock, tick, shutdown);
    Vec::new()
}

#[tonic::async_trait]
impl ApprovalsService for ApprovalsApi {}
