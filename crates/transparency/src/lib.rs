//! `treaty-transparency`: what anyone needs to check the treaty audit log without trusting
//! whoever runs it. Pure: no gRPC, no async, no storage of its own.
//!
//! - [`proof`]: RFC 6962 / RFC 9162 inclusion and consistency proofs, read from untrusted bytes.
//! - [`checkpoint`]: signed checkpoints (C2SP tlog-checkpoint) and witness cosignatures
//!   (C2SP tlog-cosignature).
//! - [`commitment`]: the commitment to every history's head that ends each checkpoint.
//! - [`history`]: a history's completeness, checked against a checkpoint.
//! - [`tiles`]: the C2SP tlog-tiles layout, built from the leaves.
//! - [`offline`]: verification of a tlog-tiles export, trusting only the log's key.
//! - [`notice`]: the proof a notice carries that its step is in the log.
//! - [`receipt`]: a recipient's signed receipt of a notice.
//! - [`witness`]: what a witness checks before it cosigns a checkpoint.

#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod commitment;
pub mod history;
pub mod notice;
pub mod offline;
pub mod proof;
pub mod receipt;
pub mod tiles;
pub mod witness;

pub use checkpoint::{Checkpoint, CheckpointError, LogKey, WitnessKey};
pub use proof::{ProofError, read_tlog_proof, tlog_proof, verify_consistency, verify_inclusion};
