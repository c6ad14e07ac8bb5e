//! The `treaty` binary's library: the command line ([`cli`]) and one module per
//! subcommand ([`commands`]). It parses and prints; how services are wired
//! into a process is `treaty_node`, the bundled data `treaty_bundle`, the
//! benchmark `treaty_bench`. `main.rs` only parses and dispatches.

pub mod cli;
pub mod commands;
