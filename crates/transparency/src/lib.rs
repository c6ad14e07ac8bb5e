//! `treaty-transparency`: what anyone needs to check the treaty audit log without trusting
//! whoever runs it. Pure: no gRPC, no async, no storage of its own.
//!
//! - [`proof`]: RFC 6962 / RFC 9162 inclusion and consistency proofs, read from untrusted bytes.

#![forbid(unsafe_code)]

pub mod proof;

pub use proof::{ProofError, verify_consistency, verify_inclusion};
