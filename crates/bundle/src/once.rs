//! The one-time load `treaty serve` runs on an empty data directory.

use std::path::Path;

use treaty_runtime::Shutdown;

use crate::{Loader, Progress};

/// The marker a completed load of the bundled data leaves in the data directory.
pub const BUNDLE_MARKER: &str = "bundle.loaded";

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
/// `loader` carries the connection and a token with [`crate::loader_permissions`] of the
/// bundle.
pub async fn load_bundle_once(loader: Loader, data_dir: impl AsRef<Path>, shutdown: Shutdown) {
    let marker = data_dir.as_ref().join(BUNDLE_MARKER);
    if marker.exists() {
        tracing::info!("bundled treaty data already loaded");
        return;
    }
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
