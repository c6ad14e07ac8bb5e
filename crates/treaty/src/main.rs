//! `treaty`: parse the command line, then hand over to the library.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use treaty::cli::{Cli, Command, ServeArgs};
use treaty::node::{self, NodeSpec, Role};
use treaty_runtime::{Config, Server, Shutdown};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("treaty: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("treaty: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::from_env()?;
    if let Some(listen) = args.listen {
        config.listen_addr = listen;
    }
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    treaty_runtime::init_tracing(&config.log, config.log_format)?;
    for (name, value) in config.describe() {
        tracing::info!(variable = name, %value, "config");
    }
    let roles = args.service.map_or_else(|| Role::ALL.to_vec(), |r| vec![r]);
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals()?;
    let server = Server::bind(config.listen_addr).await?;
    let spec = NodeSpec {
        roles,
        config,
        clock: Arc::new(treaty_ledger::SystemClock),
    };
    node::run(spec, server, shutdown, |addr| {
        if let Err(e) = treaty_runtime::announce(addr) {
            tracing::warn!(error = %e, "cannot print the listening line");
        }
    })
    .await?;
    Ok(())
}
