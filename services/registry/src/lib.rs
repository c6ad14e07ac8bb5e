//! The registry: treaties and their withdrawal clauses, states and their
//! domestic approval procedures, memberships (every period), suspension claims
//! and armed-conflict periods; it answers "who is party, as of when".

use std::sync::Arc;

use treaty_ledger::{Clock, Ledger, LedgerConfig, LedgerError};
use treaty_proto::registry::registry_service_server::RegistryService;

/// The service's short name, used for its data directory, journal source, health and logs.
pub const NAME: &str = "registry";

/// The registry's storage.
#[derive(Clone, Debug)]
pub struct RegistryStore {
    ledger: Ledger,
}

impl RegistryStore {
    /// Opens (or creates) the store; `config.trees` is replaced by the registry's trees.
    pub fn open(config: LedgerConfig) -> Result<Self, LedgerError> {
        Ok(Self { ledger: Ledger::open(config)? })
    }

    /// The registry's journal.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
}

/// The `treaty.registry.v1.RegistryService` implementation.
#[derive(Clone, Debug)]
pub struct RegistryApi {
    store: RegistryStore,
    clock: Arc<dyn Clock>,
}

impl RegistryApi {
    /// Serves `store`; `clock` gives "today" for queries without `as_of`.
    pub fn new(store: RegistryStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

#[tonic::async_trait]
impl RegistryService for RegistryApi {}
