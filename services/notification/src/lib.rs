//! The notification service: notices of withdrawal to every other State Party, the
//! depositary and the UN Security Council, one inbox per recipient, delivery and
//! acknowledgement.
//!
//! The layout is the one every service has (ARCHITECTURE.md, "The service template"):
//!
//! - [`service`] — the `treaty.notification.v1.NotificationService` handlers: request →
//!   command → peers and store → answer;
//! - [`request`] — every request validated into a command of domain values;
//! - [`wire`] — stored records as API messages;
//! - [`stored`] — the service's own versioned records and their tables;
//! - [`journal`] — the journal kinds it writes, as one enum, and their payloads;
//! - [`store`] — the ledger and one commit per mutation;
//! - [`peers`] — typed clients for the approvals service and the registry;
//! - [`subscribe`] — the live inbox stream;
//! - [`error`] — its one error enum and the one mapping to gRPC statuses.
//!
//! *Architecture invariant*: no notice is stored, and so none is ever streamed, unless the
//! approvals service confirmed, on this service's own call, that parliament approved the case
//! (DESIGN invariant 1). Who receives a notice, as of which date, and when it may be
//! circulated are the domain's rules (`treaty_domain::recipients`,
//! `NoticeKind::recipients_as_of`, `circulation_date`). Each notice has exactly one cursor in
//! each recipient's inbox, so a subscriber that resumes after its last cursor sees every
//! notice once (DESIGN invariant 6).

pub mod error;
pub mod journal;
pub mod peers;
pub mod request;
pub mod service;
pub mod store;
pub mod stored;
pub mod subscribe;
pub mod wire;

pub use error::NotificationError;
pub use peers::Peers;
pub use service::NotificationApi;
pub use store::NotificationStore;

/// The service as its errors name it: its short name (data directory, journal source, health,
/// logs) and its `ErrorInfo` domain.
pub const SERVICE: treaty_proto::status::Service = treaty_proto::status::Service {
    name: "notification",
    domain: "treaty.notification.v1",
};

/// The service's short name.
pub const NAME: &str = SERVICE.name;
