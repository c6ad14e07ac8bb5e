//! The approvals service: withdrawal cases through the state's domestic
//! procedure to the deposit of the instrument, and the scheduler that records
//! their effect, deferral or revocation.
//!
//! - [`store`] keeps the cases, their indexes and the journal, changed together in one
//!   transaction per step; [`model`] holds the stored (serde) types.
//! - [`service`] is the thin `treaty.approvals.v1.ApprovalsService` handler layer;
//!   [`requests`] and [`convert`] validate requests and convert to and from the wire.
//! - [`peers`] calls the registry and the notification service.
//! - [`relay`] is the outbox relay: it reads the journal and tells the registry and the
//!   notification service what happened, in order, exactly once from their point of view.
//! - [`scheduler`] records deferrals and effects when they fall due.
//!
//! *Architecture invariant*: every step goes through the domain's
//! `Withdrawal::apply` on the case replayed from its stored steps, inside the commit that
//! stores it; no treaty rule lives in this crate.

use std::sync::Arc;
use std::time::Duration;

use tonic::transport::Channel;
use treaty_ledger::Clock;
use treaty_runtime::{ClientConfig, Shutdown};

pub mod convert;
pub mod error;
pub mod model;
pub mod peers;
pub mod relay;
pub mod requests;
pub mod scheduler;
pub mod service;
pub mod store;

pub use error::ApprovalsError;
pub use service::ApprovalsApi;
pub use store::ApprovalsStore;

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
    vec![
        tokio::spawn(relay::run(store.clone(), peers.clone(), shutdown.clone())),
        tokio::spawn(scheduler::run(store, peers, clock, tick, shutdown)),
    ]
}
