//! The registry: treaties and their withdrawal clauses, states and their domestic approval
//! procedures, memberships (every period), suspension claims and armed-conflict periods; it
//! answers "who is party, as of when".
//!
//! The layout is the one every service has (ARCHITECTURE.md, "The service template"):
//!
//! - [`service`] — the `treaty.registry.v1.RegistryService` handlers: request → command →
//!   store → answer;
//! - [`request`] — every request validated into a command of domain values;
//! - [`wire`] — stored records and standings as API messages;
//! - [`stored`] — the registry's own versioned records and their tables;
//! - [`journal`] — the journal kinds it writes, as one enum, and their payloads;
//! - [`store`] — the ledger and one commit per mutation;
//! - [`error`] — its one error enum and the one mapping to gRPC statuses.
//!
//! *Architecture invariant*: a standing is never stored. It is computed for the date asked
//! about by `treaty_domain::standing` from the recorded facts, and a withdrawal's effect always
//! comes from `treaty_domain::effect`, so the registry, the approvals service and the CLI
//! agree on every date.

pub mod error;
pub mod journal;
pub mod request;
pub mod service;
pub mod store;
pub mod stored;
pub mod wire;

pub use error::RegistryError;
pub use service::RegistryApi;
pub use store::RegistryStore;

/// The service as its errors name it: its short name (data directory, journal source, health,
/// logs) and its `ErrorInfo` domain.
pub const SERVICE: treaty_proto::status::Service = treaty_proto::status::Service {
    name: "registry",
    domain: "treaty.registry.v1",
};

/// The service's short name.
pub const NAME: &str = SERVICE.name;
