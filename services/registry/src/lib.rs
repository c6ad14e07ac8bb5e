//! The registry: treaties and their withdrawal clauses, states and their
//! domestic approval procedures, memberships (every period), suspension claims
//! and armed-conflict periods; it answers "who is party, as of when".
//!
//! - [`store`] keeps the registry's trees and its journal (a `treaty-ledger`),
//!   changed in one transaction per mutation, with the first answer remembered by
//!   `request_id`.
//! - [`service`] is the thin `treaty.registry.v1.RegistryService` handler layer;
//!   [`validate`] turns requests into checked inputs and [`wire`] turns stored
//!   records and standings into messages.
//! - [`stored`] holds the registry's own versioned record types, and [`events`]
//!   the journal kinds and their payloads.
//!
//! *Architecture invariant*: a standing is never stored. It is computed for the
//! date asked about by `treaty_domain::standing` from the recorded facts, and a
//! withdrawal's effect always comes from `treaty_domain::effect`, so the registry,
//! the approvals service and the CLI agree on every date.

pub mod error;
pub mod events;
pub mod service;
pub mod store;
pub mod stored;
pub mod validate;
pub mod wire;

pub use error::RegistryError;
pub use service::RegistryApi;
pub use store::RegistryStore;

/// The service's short name, used for its data directory, journal source, health and logs.
pub const NAME: &str = "registry";
