//! The notification service: notices of withdrawal to every other State Party,
//! the depositary and the UN Security Council, per-recipient inboxes, delivery
//! and acknowledgement.

use std::sync::Arc;

use tonic::transport::Channel;
use treaty_ledger::{Clock, Ledger, LedgerConfig, LedgerError};
use treaty_proto::notification::notification_service_server::NotificationService;
use treaty_runtime::{ClientConfig, Shutdown};

/// The service's short name, used for its data directory, journal source, health and logs.
pub const NAME: &str = "notification";

/// The services the notification service calls.
#[derive(Clone, Debug)]
pub struct Peers {
    /// The registry (recipients: the parties as of the notice date).
    pub registry: Channel,
    /// The approvals service (is the case approved?).
    pub approvals: Channel,
    /// Deadlines for calls to them.
    pub client: ClientConfig,
}

/// The notification service's storage.
#[derive(Clone, Debug)]
pub struct NotificationStore {
    ledger: Ledger,
}

impl NotificationStore {
    /// Opens (or creates) the store; `config.trees` is replaced by the service's trees.
    pub fn open(config: LedgerConfig) -> Result<Self, LedgerError> {
        Ok(Self { ledger: Ledger::open(config)? })
    }

    /// The service's journal.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
}

/// The `treaty.notification.v1.NotificationService` implementation.
#[derive(Clone, Debug)]
pub struct NotificationApi {
    store: NotificationStore,
    peers: Peers,
    clock: Arc<dyn Clock>,
    shutdown: Shutdown,
}

impl NotificationApi {
    /// Serves `store`, calling `peers`; live `Subscribe` streams end on `shutdown`.
    pub fn new(store: NotificationStore, peers: Peers, clock: Arc<dyn Clock>, shutdown: Shutdown) -> Self {
        Self { store, peers, clock, shutdown }
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationApi {}
