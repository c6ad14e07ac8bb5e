//! `treaty serve`: configuration, the server, and the bundled data.

use std::error::Error;
use std::sync::Arc;

use treaty_bundle::load_bundle_once;
use treaty_node::{NodeSpec, Role};
use treaty_runtime::{Config, Server, Shutdown};

use crate::cli::ServeArgs;

/// Runs `treaty serve` until SIGTERM or SIGINT.
pub async fn run(args: ServeArgs) -> Result<(), Box<dyn Error>> {
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
    let load = !args.no_bundle && roles.len() == Role::ALL.len();
    let data_dir = config.data_dir.clone();
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals()?;
    let server = Server::bind(config.listen_addr).await?;
    let spec = NodeSpec {
        roles,
        config,
        clock: Arc::new(treaty_ledger::SystemClock),
    };
    let loader_shutdown = shutdown.clone();
    treaty_node::run(spec, server, shutdown, move |addr| {
        if let Err(e) = treaty_runtime::announce(addr) {
            tracing::warn!(error = %e, "cannot print the listening line");
        }
        if load {
            tokio::spawn(load_bundle_once(
                format!("http://{addr}"),
                data_dir,
                loader_shutdown,
            ));
        }
    })
    .await?;
    Ok(())
}
