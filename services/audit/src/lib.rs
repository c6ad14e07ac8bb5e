//! The audit service: the global, append-only, hash-chained log of every step of
//! every service, its indexes by state, treaty and case, and its proofs.
//!
//! - [`store`] keeps the log (a `treaty-ledger` journal) and, in the same
//!   transactions, each source's head and the indexes.
//! - [`service`] is the thin `treaty.audit.v1.AuditService` handler layer.
//! - [`shipper`] is the client side every other service runs: it sends its
//!   journal here in order.
//!
//! *Architecture invariant*: an entry is accepted only as the successor of its
//! source's last entry in the log, with a matching hash and predecessor link;
//! nothing in this crate updates or deletes a log entry.

pub mod convert;
pub mod error;
pub mod service;
pub mod shipper;
pub mod store;

pub use error::AuditError;
pub use service::AuditApi;
pub use store::AuditStore;

/// The service's short name, used for its data directory, health and logs.
pub const NAME: &str = "audit";
