//! `treaty serve`: configuration, the server, and the bundled data.

use std::error::Error;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use treaty_bundle::{Loader, Minted, load_bundle_once};
use treaty_node::{DevCredentials, NodeSpec, Role};
use treaty_runtime::{ClientConfig, Config, Server, Shutdown};

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
    config.tls.cert = args.tls_cert.or(config.tls.cert);
    config.tls.key = args.tls_key.or(config.tls.key);
    config.tls.client_ca = args.tls_client_ca.or(config.tls.client_ca);
    config.tls_ca = args.tls_ca.or(config.tls_ca);
    config.health_addr = args.health_addr.or(config.health_addr);
    treaty_runtime::init_tracing(&config.log, config.log_format)?;
    for (name, value) in config.describe() {
        tracing::info!(variable = name, %value, "config");
    }
    let roles = args.service.map_or_else(|| Role::ALL.to_vec(), |r| vec![r]);
    let load = !args.no_bundle && roles.len() == Role::ALL.len();
    // Before binding: nothing listens where others can reach it without its trust boundary.
    treaty_node::check_trust(&config, &roles)?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals()?;
    let server = Server::bind(config.listen_addr).await?;
    let bundle = load.then(|| config.clone());
    let spec = NodeSpec {
        roles,
        config,
        clock: Arc::new(treaty_ledger::SystemClock),
        unchecked_baseline: false,
    };
    let loader_shutdown = shutdown.clone();
    treaty_node::run(spec, server, shutdown, move |addr| {
        if let Err(e) = treaty_runtime::announce(addr) {
            tracing::warn!(error = %e, "cannot print the listening line");
        }
        if let Some(config) = bundle {
            tokio::spawn(async move {
                match bundle_loader(&config, addr).await {
                    Ok(loader) => {
                        load_bundle_once(loader, &config.data_dir, loader_shutdown).await;
                    }
                    Err(why) => tracing::warn!(
                        "not loading the bundled treaties: {why}; load them with `treaty import --bundled --token …`"
                    ),
                }
            });
        }
    })
    .await?;
    Ok(())
}

/// The loader of the bundled data into this process's own services: over TLS with the
/// development CA (plaintext on loopback with a configured certificate), each actor with a
/// token of the development issuer. Only a node on loopback has that issuer.
async fn bundle_loader(config: &Config, addr: SocketAddr) -> Result<Loader, String> {
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{addr} is not loopback, and this process holds no issuer key off loopback"
        ));
    }
    let dev =
        DevCredentials::read(&config.data_dir, &config.auth.issuer, &config.auth.audience).ok();
    let key = dev
        .as_ref()
        .and_then(|d| d.issuer().cloned())
        .ok_or_else(|| {
            "this process trusts configured issuer keys (TREATY_AUTH_ISSUER_KEYS) and holds none of their private keys".to_owned()
        })?;
    let has_dev_pki = config.tls.cert.is_none() && ca_exists(&config.data_dir);
    let channel = match dev.filter(|_| has_dev_pki) {
        Some(dev) => {
            treaty_runtime::connect_with(
                &format!("https://{addr}"),
                &ClientConfig::default(),
                Some(&dev.client_tls()),
            )
            .await
        }
        None => treaty_runtime::connect(&format!("http://{addr}"), &ClientConfig::default()).await,
    }
    .map_err(|e| e.to_string())?;
    Ok(Loader::new(channel).with_credentials(Minted::new(
        key,
        &config.auth.issuer,
        &config.auth.audience,
    )))
}

fn ca_exists(data_dir: &Path) -> bool {
    data_dir.join("tls").join("ca.crt").exists()
}
