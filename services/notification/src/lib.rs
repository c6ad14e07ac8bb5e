//! The notification service: notices of withdrawal to every other State Party,
//! the depositary and the UN Security Council, per-recipient inboxes, delivery
//! and acknowledgement.
//!
//! - [`store`] keeps the notices, the deliveries and one inbox per recipient in
//!   the service's sled database, beside its journal; [`writes`] is every
//!   change, one commit and one journal entry per state change.
//! - [`service`] is the thin `treaty.notification.v1.NotificationService`
//!   handler layer; [`subscribe`] the live inbox stream.
//! - [`peers`] asks the approvals service whether a case is approved and the
//!   registry who the parties are on a notice's date.
//!
//! *Architecture invariant*: no notice is stored, and so none is ever
//! streamed, unless the approvals service confirmed, on this service's own
//! call, that parliament approved the case (DESIGN invariant 1). Each notice
//! has exactly one cursor in each recipient's inbox, so a subscriber that
//! resumes after its last cursor sees every notice once (DESIGN invariant 6).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod convert;
pub mod error;
pub mod peers;
pub mod recipient;
pub mod service;
pub mod store;
pub mod stored;
pub mod subscribe;
pub mod writes;

pub use error::NotificationError;
pub use peers::Peers;
pub use recipient::Recipient;
pub use service::NotificationApi;
pub use store::NotificationStore;

/// The service's short name, used for its data directory, journal source, health and logs.
pub const NAME: &str = "notification";
