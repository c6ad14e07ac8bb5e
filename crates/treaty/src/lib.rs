//! The `treaty` binary's library: the command line ([`cli`]) and its
//! subcommands. How services are wired into a process is `treaty_node`.
//! `main.rs` only parses and dispatches.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod import;
pub mod serve;
