//! `treaty serve`: configuration, the server, and the bundled data.

use std::error::Error;
use std::path::Path;
use std::sync::Arc;

use treaty_runtime::{Config, Server, Shutdown};

use crate::cli::ServeArgs;
use crate::load::{Loader, Progress};
use treaty_node::{NodeSpec, Role};

/// The marker a completed load of the bundled data leaves in the data directory.
pub const BUNDLE_MARKER: &str = "bundle.loaded";

/// Runs `treaty serve` until SIGTERM or SIGINT.
pub async fn serve(args: ServeArgs) -> Result<(), Box<dyn Error>> {
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

/// Logs a load's progress.
#[derive(Debug, Default)]
struct Logged;

impl Progress for Logged {
    fn phase(&mut self, name: &str, calls: usize) {
        tracing::info!(phase = name, calls, "loading the bundled treaty data");
    }
    fn tick(&mut self) {}
}

/// Loads the bundled treaties and facts through the public API, once per data
/// directory: a marker records a completed load. An interrupted load is
/// resumed at the next start; every call is idempotent by its request id, so
/// nothing is recorded twice.
pub async fn load_bundle_once(endpoint: String, data_dir: impl AsRef<Path>, shutdown: Shutdown) {
    let marker = data_dir.as_ref().join(BUNDLE_MARKER);
    if marker.exists() {
        tracing::info!("bundled treaty data already loaded");
        return;
    }
    let channel =
        match treaty_runtime::connect(&endpoint, &treaty_runtime::ClientConfig::default()).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot connect to load the bundled data");
                return;
            }
        };
    let loader = Loader::new(channel);
    let mut logged = Logged;
    tokio::select! {
        loaded = loader.load_bundle(&mut logged) => match loaded {
            Ok(()) => {
                if let Err(e) = std::fs::write(&marker, b"apmbc ccm\n") {
                    tracing::warn!(error = %e, "cannot write the bundle marker; the (idempotent) load will run again at the next start");
                }
                tracing::info!("bundled treaty data loaded: apmbc and ccm, their parties, signatories and the 2024-2026 withdrawals");
            }
            Err(e) => tracing::error!(error = %e, "loading the bundled treaty data failed; it resumes at the next start"),
        },
        () = shutdown.triggered() => {}
    }
}
