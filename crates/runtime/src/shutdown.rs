//! The shutdown handle shared by the server and background tasks, and the signals that trigger it.

use std::sync::Arc;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Error;

/// A one-way switch that tells the server and every background task to stop.
///
/// Clones share the switch. Triggering is idempotent and cannot be undone. Tests trigger it
/// directly; the binary connects it to SIGTERM and SIGINT with [`Shutdown::trigger_on_signals`].
#[derive(Debug, Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Shutdown {
    /// Creates a switch that has not been triggered.
    pub fn new() -> Shutdown {
        Shutdown {
            tx: Arc::new(watch::Sender::new(false)),
        }
    }

    /// Starts shutdown; every waiter of [`Shutdown::triggered`] wakes up.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// Tells whether shutdown has started.
    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Completes once shutdown has started (at once if it already has).
    pub async fn triggered(&self) {
        let mut rx = self.tx.subscribe();
        // `self` keeps the sender alive, so the channel cannot close while we wait.
        let _ = rx.wait_for(|started| *started).await;
    }

    /// Returns a `'static` future that completes once shutdown has started, for spawned tasks
    /// and for APIs that take an owned signal future.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let this = self.clone();
        async move { this.triggered().await }
    }

    /// Installs SIGTERM and SIGINT handlers now and spawns a task that triggers this switch on
    /// the first of them.
    ///
    /// Installing up front means a failure is reported at start, not when the signal arrives.
    /// Must be called inside a Tokio runtime.
    pub fn trigger_on_signals(&self) -> Result<JoinHandle<()>, Error> {
        let signals = Signals::install()?;
        let this = self.clone();
        Ok(tokio::spawn(async move {
            tokio::select! {
                name = signals.recv() => {
                    tracing::info!(signal = name, "shutdown requested by signal");
                    this.trigger();
                }
                () = this.triggered() => {}
            }
        }))
    }
}

/// Completes when the process receives SIGTERM or SIGINT.
///
/// Fails only when the handlers cannot be installed. Prefer [`Shutdown::trigger_on_signals`],
/// which also stops background tasks.
pub async fn shutdown_signal() -> Result<(), Error> {
    let name = Signals::install()?.recv().await;
    tracing::info!(signal = name, "shutdown requested by signal");
    Ok(())
}

/// Installed handlers for the two signals that request a graceful stop.
struct Signals {
    term: Signal,
    int: Signal,
}

impl Signals {
    fn install() -> Result<Signals, Error> {
        Ok(Signals {
            term: signal(SignalKind::terminate()).map_err(Error::Signals)?,
            int: signal(SignalKind::interrupt()).map_err(Error::Signals)?,
        })
    }

    /// Waits for the first signal and returns its name.
    async fn recv(mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn every_clone_sees_the_trigger_including_late_waiters() {
        let shutdown = Shutdown::new();
        let waiter = tokio::spawn(shutdown.wait());
        assert!(!shutdown.is_triggered());
        shutdown.clone().trigger();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter should wake")
            .unwrap();
        assert!(shutdown.is_triggered());
        tokio::time::timeout(Duration::from_secs(5), shutdown.triggered())
            .await
            .expect("a late waiter should return at once");
    }

    #[tokio::test]
    async fn sigterm_triggers_the_switch() {
        let shutdown = Shutdown::new();
        let task = shutdown.trigger_on_signals().unwrap();
        let status = std::process::Command::new("sh")
            .args(["-c", &format!("kill -TERM {}", std::process::id())])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(5), shutdown.triggered())
            .await
            .expect("SIGTERM should trigger shutdown");
        task.await.unwrap();
    }
}
