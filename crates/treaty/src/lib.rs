//! The `treaty` binary's library: how services are wired into a process
//! ([`node`]), and the command line ([`cli`]). `main.rs` only parses and
//! dispatches.

pub mod bench;
pub mod bundle;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod import;
pub mod load;
pub mod node;
pub mod serve;
