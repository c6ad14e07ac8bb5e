//! Test support: start real services in-process on `127.0.0.1:0` with
//! temporary sled directories, and talk to them through real gRPC clients.
//!
//! ```no_run
//! # async fn demo() {
//! let suite = treaty_testkit::TestNode::start_all().await;
//! let mut audit = suite.audit();
//! # }
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use treaty::node::{self, NodeSpec, Role};
use treaty_ledger::{Clock, ManualClock};
use treaty_proto::approvals::approvals_service_client::ApprovalsServiceClient;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_proto::notification::notification_service_client::NotificationServiceClient;
use treaty_proto::registry::registry_service_client::RegistryServiceClient;
use treaty_runtime::{ClientConfig, Config, Durability, Server, Shutdown};

/// How long a test waits for a node to report SERVING before failing.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// A node of real services running in this process.
#[derive(Debug)]
pub struct TestNode {
    addr: SocketAddr,
    channel: Channel,
    shutdown: Shutdown,
    task: JoinHandle<Result<(), node::NodeError>>,
    data: DataDir,
    roles: Vec<Role>,
    clock: Arc<ManualClock>,
}

/// The node's data directory: owned (deleted on drop) or borrowed from the test.
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

/// The instant the test clock starts at: the day Estonia, Latvia and Lithuania deposited.
pub fn start_instant() -> jiff::Timestamp {
    "2025-06-27T09:00:00Z".parse().expect("a valid instant")
}

impl TestNode {
    /// Starts every service in one process, with a fresh data directory.
    pub async fn start_all() -> TestNode {
        Self::start(Role::ALL.to_vec()).await
    }

    /// Starts `roles` in one process, with a fresh data directory.
    pub async fn start(roles: Vec<Role>) -> TestNode {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let clock = Arc::new(ManualClock::new(start_instant()));
        Self::start_in(roles, DataDir::Owned(dir), clock).await
    }

    async fn start_in(roles: Vec<Role>, data: DataDir, clock: Arc<ManualClock>) -> TestNode {
        Self::start_at(roles, data, clock, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    async fn start_at(
        roles: Vec<Role>,
        data: DataDir,
        clock: Arc<ManualClock>,
        listen_addr: SocketAddr,
    ) -> TestNode {
        let config = Config {
            listen_addr,
            data_dir: data.path().to_path_buf(),
            durability: Durability::Flush,
            drain: Duration::from_secs(2),
            scheduler_tick: Duration::from_millis(20),
            ..Config::default()
        };
        let server = Server::bind(config.listen_addr)
            .await
            .expect("bind 127.0.0.1:0");
        let addr = server.local_addr();
        let shutdown = Shutdown::new();
        let spec = NodeSpec {
            roles: roles.clone(),
            config,
            clock: clock.clone() as Arc<dyn Clock>,
        };
        let task = tokio::spawn(node::run(spec, server, shutdown.clone(), |_| {}));
        let channel = treaty_runtime::connect(&format!("http://{addr}"), &ClientConfig::default())
            .await
            .expect("a channel to the node");
        treaty_runtime::wait_until_serving(&channel, READY_TIMEOUT)
            .await
            .expect("the node reports SERVING");
        TestNode {
            addr,
            channel,
            shutdown,
            task,
            data,
            roles,
            clock,
        }
    }

    /// The address the node listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The node's URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A channel to the node.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The node's data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// The clock the node stamps `recorded_at` with.
    pub fn clock(&self) -> Arc<ManualClock> {
        self.clock.clone()
    }

    /// An audit client.
    pub fn audit(&self) -> AuditServiceClient<Channel> {
        AuditServiceClient::new(self.channel())
    }

    /// A registry client.
    pub fn registry(&self) -> RegistryServiceClient<Channel> {
        RegistryServiceClient::new(self.channel())
    }

    /// An approvals client.
    pub fn approvals(&self) -> ApprovalsServiceClient<Channel> {
        ApprovalsServiceClient::new(self.channel())
    }

    /// A notification client.
    pub fn notification(&self) -> NotificationServiceClient<Channel> {
        NotificationServiceClient::new(self.channel())
    }

    /// Moves the node's clock to 09:00 UTC on `date` (the scheduler's "today").
    pub fn set_today(&self, date: jiff::civil::Date) {
        let at = date
            .at(9, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .expect("a UTC instant")
            .timestamp();
        self.clock.set(at);
    }

    /// Stops the node gracefully (drain, flush) and returns its data directory,
    /// which stays on disk until the returned guard drops.
    pub async fn stop(self) -> StoppedNode {
        self.shutdown.trigger();
        self.task
            .await
            .expect("the node task ran to completion")
            .expect("the node stopped cleanly");
        StoppedNode {
            data: self.data,
            roles: self.roles,
            clock: self.clock,
        }
    }
}

/// A stopped node's data, ready to restart.
#[derive(Debug)]
pub struct StoppedNode {
    data: DataDir,
    roles: Vec<Role>,
    clock: Arc<ManualClock>,
}

impl StoppedNode {
    /// Starts the same services on the same data directory, on a new port.
    pub async fn restart(self) -> TestNode {
        TestNode::start_in(self.roles, self.data, self.clock).await
    }
}

/// Starts `roles` on a data directory the test owns (for example one a crashed
/// child process left behind).
pub async fn start_on(roles: Vec<Role>, dir: &Path) -> TestNode {
    let clock = Arc::new(ManualClock::new(start_instant()));
    TestNode::start_in(roles, DataDir::Borrowed(dir.to_path_buf()), clock).await
}

impl StoppedNode {
    /// The stopped node's data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }
}

impl StoppedNode {
    /// Starts the same services on the same data directory and the same address
    /// (so clients holding the old URL reconnect), as a restarted pod would.
    pub async fn restart_at(self, addr: SocketAddr) -> TestNode {
        TestNode::start_at(self.roles, self.data, self.clock, addr).await
    }
}

/// How long [`eventually`] waits before failing the test.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Polls `check` every 20 ms until it returns `Some`, failing the test with
/// `what` after [`PATIENCE`]: the way tests wait for background effects
/// (relays, schedulers, shippers) instead of sleeping a guessed time.
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
