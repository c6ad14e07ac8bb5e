//! The ledger's integration tests, in one binary (each test binary relinks sled).
//! The crash test is a binary of its own (`tests/crash.rs`): it re-executes itself as the
//! writer it kills.

mod commit;
mod common;
mod journal;
mod merkle;
mod once;
mod record;
mod verify;
