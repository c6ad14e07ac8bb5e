//! The `treaty` binary's library: how services are wired into a process
//! ([`node`]), and the command line ([`cli`]). `main.rs` only parses and
//! dispatches.

pub mod cli;
pub mod node;
