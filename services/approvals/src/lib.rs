//! The approvals service: withdrawal cases through the state's domestic
//! procedure to the deposit of the instrument, and the scheduler that records
//! their effect, deferral or revocation.
//!
//! The layout is the one every service has (ARCHITECTURE.md, "The service template"):
//!
//! - [`service`] — the `treaty.approvals.v1.ApprovalsService` handlers;
//! - [`request`] — every request validated into a command of domain values (a step is a
//!   domain `Step`);
//! - [`wire`] — cases as API messages;
//! - [`stored`] — the service's own versioned records and their tables;
//! - [`journal`] — the journal kinds it writes, as one enum, and their payloads;
//! - [`store`] — the ledger and one commit per mutation (opening cases, recording a step);
//! - [`peers`] — typed clients for the registry and the notification service;
//! - [`error`] — its one error enum and the one mapping to gRPC statuses;
//!
//! and its two background tasks: [`relay`], the outbox relay that reads the journal and tells
//! the registry and the notification service what happened, in order, exactly once from their
//! point of view; and [`scheduler`], which records the deferrals and effects the domain makes
//! due (`Withdrawal::due_step`).
//!
//! *Architecture invariant*: every step goes through the domain's
//! `Withdrawal::apply` on the case replayed from its stored steps, inside the commit that
//! stores it; no treaty rule lives in this crate.

use std::sync::Arc;
use std::time::Duration;

use tonic::transport::Channel;
use treaty_ledger::Clock;
use treaty_runtime::{ClientConfig, Shutdown};

pub mod error;
pub mod journal;
pub mod peers;
pub mod relay;
pub mod request;
pub mod scheduler;
pub mod service;
pub mod store;
pub mod stored;
pub mod wire;

pub use error::ApprovalsError;
pub use service::ApprovalsApi;
pub use store::ApprovalsStore;

/// The service as its errors name it: its short name (data directory, journal source, health,
/// logs) and its `ErrorInfo` domain.
pub const SERVICE: treaty_proto::status::Service = treaty_proto::status::Service {
    name: "approvals",
    domain: "treaty.approvals.v1",
};

/// The service's short name.
pub const NAME: &str = SERVICE.name;

/// The services the approvals service calls.
#[derive(Clone, Debug)]
pub struct Peers {
    pub registry: Channel,
    pub notification: Channel,
    /// The audit log, for the proof each notice carries.
    pub audit: Channel,
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
