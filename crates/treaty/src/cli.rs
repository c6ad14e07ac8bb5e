//! The command line: `treaty serve [SERVICE]` and the client subcommands.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::node::Role;

/// `treaty`: the system of record for states leaving multilateral treaties.
#[derive(Debug, Parser)]
#[command(name = "treaty", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every service in one process (or one service, by name), with embedded storage.
    Serve(ServeArgs),
}

/// Arguments of `treaty serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Run only this service (registry, approvals, notification, audit); all when omitted.
    pub service: Option<Role>,
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, env = "TREATY_LISTEN_ADDR")]
    pub listen: Option<SocketAddr>,
    /// Where the services keep their sled databases.
    #[arg(long, env = "TREATY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}
