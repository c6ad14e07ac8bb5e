//! The audit service: the global, append-only, hash-chained log of every step of every
//! service, its indexes by source, state, treaty and case, and its proofs.
//!
//! The layout is the one every service has (ARCHITECTURE.md, "The service template"):
//!
//! - [`service`] — the `treaty.audit.v1.AuditService` handlers: request → command →
//!   store → answer; [`tail`] is the `Tail` stream;
//! - [`request`] — every request validated into a command; an `Append`'s entries rebuilt as
//!   their sources' records and checked against their hashes;
//! - [`wire`] — log records and verification reports as API messages;
//! - [`stored`] — the trees the audit keeps beside the log, and their key and value bytes;
//! - [`store`] — the log and the one commit of `Append`, the listings, the verification of
//!   every source chain;
//! - [`shipper`] — the client side every other service runs: it sends its journal here;
//! - [`error`] — its one error enum and the one mapping to gRPC statuses.
//!
//! There is no `journal` module: the audit service writes no journal entries of its own. Its
//! ledger *is* the global log, and every record in it is a source's entry, copied with its
//! origin.
//!
//! *Architecture invariant*: an entry is accepted only as the successor of its source's last
//! entry in the log, with a matching hash and predecessor link; nothing in this crate updates
//! or deletes a log entry, and every answer stops at the durable head.

pub mod checkpointer;
pub mod error;
pub mod request;
pub mod service;
pub mod shipper;
pub mod store;
pub mod stored;
pub mod tail;
pub mod wire;

pub use error::AuditError;
pub use service::AuditApi;
pub use store::AuditStore;

/// The service as its errors name it: its short name (data directory, journal source, health,
/// logs) and its `ErrorInfo` domain.
pub const SERVICE: treaty_proto::status::Service = treaty_proto::status::Service {
    name: "audit",
    domain: "treaty.audit.v1",
};

/// The service's short name.
pub const NAME: &str = SERVICE.name;
