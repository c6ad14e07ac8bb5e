//! `treaty-auth`: who a request comes from and what it may do — the trust boundary's pure part,
//! without gRPC or I/O.
//!
//! - [`Principal`] is the authenticated caller: anonymous, a person or system with a bearer
//!   token ([`User`], its [`Permission`]s), or a service of the suite ([`ServiceName`], from its
//!   mTLS certificate). [`Principal::recorded`] is how the journal records it, and
//!   [`Principal::scope`] scopes its request ids.
//! - [`Rpc::rule`] is the one table of rules over every RPC, and [`authorize`] applies it to a
//!   principal and a request's [`Target`]; [`may_receive`] says whether streaming an inbox records
//!   deliveries.
//! - [`token`] signs and verifies the bearer tokens (JWT, Ed25519).

mod permission;
mod principal;
mod rules;
pub mod token;

pub use permission::{Permission, UnknownPermission};
pub use principal::{Principal, Recorded, ServiceName, User};
pub use rules::{Denied, Rpc, Rule, Target, authorize, may_receive};
