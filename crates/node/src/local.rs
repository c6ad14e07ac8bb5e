//! A node inside the calling process, on a loopback port: what `treaty demo`,
//! `treaty bench` and the tests run against. It can be stopped and started
//! again on the same data, on a new port or on the same address.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use treaty_ledger::{Clock, SystemClock};
use treaty_runtime::tls::ClientTls;
use treaty_runtime::{ClientConfig, Config, Server, Shutdown};

use crate::{DevCredentials, NodeError, NodeSpec, Role, run};

/// Services running in this process, already SERVING.
///
/// Dropping it asks the node to shut down without waiting; [`LocalNode::stop`]
/// waits until its storage is flushed and keeps its data for a restart.
#[derive(Debug)]
pub struct LocalNode {
    addr: SocketAddr,
    channel: Channel,
    running: Running,
    plan: Plan,
}

/// How to start a [`LocalNode`]. By default: every service, the default
/// configuration listening on `127.0.0.1:0`, the system clock, a temporary
/// data directory deleted with the node, and 30 s to become SERVING.
#[derive(Debug)]
pub struct LocalNodeBuilder {
    roles: Vec<Role>,
    config: Config,
    clock: Arc<dyn Clock>,
    data_dir: Option<PathBuf>,
    ready_timeout: Duration,
    unchecked_baseline: bool,
}

/// A stopped [`LocalNode`]: its data, kept for a restart.
#[derive(Debug)]
pub struct StoppedLocalNode {
    plan: Plan,
}

/// Everything a (re)start needs.
#[derive(Debug)]
struct Plan {
    roles: Vec<Role>,
    config: Config,
    clock: Arc<dyn Clock>,
    data: DataDir,
    ready_timeout: Duration,
    unchecked_baseline: bool,
}

/// The node's data directory: owned (deleted with the node) or the caller's (left on disk).
#[derive(Debug)]
enum DataDir {
    Owned(TempDir),
    Borrowed(PathBuf),
}

impl DataDir {
    fn path(&self) -> &Path {
        match self {
            DataDir::Owned(t) => t.path(),
            DataDir::Borrowed(p) => p,
        }
    }
}

/// The node's task; dropping it asks the node to shut down.
struct Running {
    shutdown: Shutdown,
    task: Option<JoinHandle<Result<(), NodeError>>>,
}

impl fmt::Debug for Running {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Running")
            .field("stopping", &self.shutdown.is_triggered())
            .finish_non_exhaustive()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

impl Running {
    /// Shuts the node down and waits until its storage is flushed.
    async fn stop(mut self) -> Result<(), NodeError> {
        self.shutdown.trigger();
        match self.task.take() {
            Some(task) => joined(task.await),
            None => Ok(()),
        }
    }
}

fn joined(ended: Result<Result<(), NodeError>, tokio::task::JoinError>) -> Result<(), NodeError> {
    ended.map_err(|e| NodeError::Ended(e.to_string()))?
}

impl LocalNode {
    /// How to start one; see [`LocalNodeBuilder`] for the defaults.
    pub fn builder() -> LocalNodeBuilder {
        LocalNodeBuilder {
            roles: Role::ALL.to_vec(),
            config: Config {
                listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                ..Config::default()
            },
            clock: Arc::new(SystemClock),
            data_dir: None,
            ready_timeout: Duration::from_secs(30),
            unchecked_baseline: false,
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A plaintext channel to it (whose callers are anonymous unless their requests carry a
    /// token); it reconnects to a node restarted at the same address.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Its TLS URL, e.g. `https://127.0.0.1:40123`.
    pub fn tls_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// A TLS channel to it with `tls` (a CA, and an identity to present, if any).
    pub async fn tls_channel(&self, tls: &ClientTls) -> Result<Channel, NodeError> {
        Ok(
            treaty_runtime::connect_with(&self.tls_url(), &ClientConfig::default(), Some(tls))
                .await?,
        )
    }

    /// The development CA and token issuer it made for itself (see [`DevCredentials`]).
    pub fn dev(&self) -> Result<DevCredentials, NodeError> {
        let auth = &self.plan.config.auth;
        DevCredentials::read(self.data_dir(), &auth.issuer, &auth.audience)
    }

    /// Where its services keep their sled databases (one directory per service).
    pub fn data_dir(&self) -> &Path {
        self.plan.data.path()
    }

    /// Stops it gracefully (drain, flush) and keeps its data directory for a
    /// restart; an owned one stays on disk until the returned value drops.
    pub async fn stop(self) -> Result<StoppedLocalNode, NodeError> {
        let LocalNode { running, plan, .. } = self;
        running.stop().await?;
        Ok(StoppedLocalNode { plan })
    }
}

impl LocalNodeBuilder {
    /// Runs these services instead of all four (a peer it does not run must be
    /// configured, see [`LocalNodeBuilder::configure`]).
    pub fn roles(mut self, roles: impl IntoIterator<Item = Role>) -> Self {
        self.roles = roles.into_iter().collect();
        self
    }

    /// Changes the configuration. Its `data_dir` is ignored: the node's data
    /// directory is a temporary one or [`LocalNodeBuilder::data_dir`].
    pub fn configure(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.config);
        self
    }

    /// The clock for `recorded_at` stamps and the scheduler's "today".
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Keeps the data in `dir`, which the caller owns and which stays on disk.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Listens on `addr` (port 0 picks a free port; a restart picks a new one).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.config.listen_addr = addr;
        self
    }

    /// Runs without the trust boundary — plaintext, every call allowed — for the benchmark's
    /// baseline only (the same suite "without TLS and tokens", measured in the same run).
    pub fn unchecked_baseline(mut self) -> Self {
        self.unchecked_baseline = true;
        self
    }

    /// How long [`LocalNodeBuilder::start`] (and every restart) waits for SERVING.
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// Starts the node and waits until its health reports SERVING. A node that
    /// fails before that (its storage cannot open, a peer is not configured)
    /// is reported at once, with its reason.
    pub async fn start(self) -> Result<LocalNode, NodeError> {
        let data = match self.data_dir {
            Some(dir) => DataDir::Borrowed(dir),
            None => DataDir::Owned(tempfile::tempdir().map_err(NodeError::TemporaryDir)?),
        };
        let listen = self.config.listen_addr;
        Plan {
            roles: self.roles,
            config: self.config,
            clock: self.clock,
            data,
            ready_timeout: self.ready_timeout,
            unchecked_baseline: self.unchecked_baseline,
        }
        .start(listen)
        .await
    }
}

impl StoppedLocalNode {
    /// Its data directory.
    pub fn data_dir(&self) -> &Path {
        self.plan.data.path()
    }

    /// Starts the same services on the same data, on the address it was first
    /// configured with (with port 0, a new free port).
    pub async fn restart(self) -> Result<LocalNode, NodeError> {
        let listen = self.plan.config.listen_addr;
        self.plan.start(listen).await
    }

    /// Starts the same services on the same data and on `addr`, so clients
    /// holding the old URL reconnect, as to a restarted pod.
    pub async fn restart_at(self, addr: SocketAddr) -> Result<LocalNode, NodeError> {
        self.plan.start(addr).await
    }
}

impl Plan {
    async fn start(self, listen: SocketAddr) -> Result<LocalNode, NodeError> {
        let mut config = self.config.clone();
        config.listen_addr = listen;
        config.data_dir = self.data.path().to_path_buf();
        let server = Server::bind(config.listen_addr).await?;
        let addr = server.local_addr();
        let spec = NodeSpec {
            roles: self.roles.clone(),
            config,
            clock: self.clock.clone(),
            unchecked_baseline: self.unchecked_baseline,
        };
        let shutdown = Shutdown::new();
        let mut task = tokio::spawn(run(spec, server, shutdown.clone(), |_| {}));
        let mut running = Running {
            shutdown,
            task: None,
        };
        let timeout = self.ready_timeout;
        let ready = async move {
            let url = format!("http://{addr}");
            let channel = treaty_runtime::connect(&url, &ClientConfig::default()).await?;
            treaty_runtime::wait_until_serving(&channel, timeout).await?;
            Ok::<_, NodeError>(channel)
        };
        tokio::select! {
            ready = ready => {
                running.task = Some(task);
                match ready {
                    Ok(channel) => Ok(LocalNode { addr, channel, running, plan: self }),
                    Err(e) => {
                        // The node's own failure, if it has one, says more.
                        running.stop().await?;
                        Err(e)
                    }
                }
            }
            ended = &mut task => {
                joined(ended)?;
                Err(NodeError::Ended("it stopped before it was serving".into()))
            }
        }
    }
}
