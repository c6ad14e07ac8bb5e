//! [`TestNode`]: a [`LocalNode`] with a manual clock, the settings tests want
//! (flush durability, a short drain, a fast scheduler) and typed clients.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tonic::transport::Channel;
use treaty_auth::ServiceName;
use treaty_ledger::ManualClock;
use treaty_node::{DevCredentials, LocalNode, LocalNodeBuilder, Role, StoppedLocalNode};
use treaty_proto::approvals::approvals_service_client::ApprovalsServiceClient;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_proto::notification::notification_service_client::NotificationServiceClient;
use treaty_proto::registry::registry_service_client::RegistryServiceClient;
use treaty_runtime::{Config, Durability};

use crate::ready_timeout;

/// A node of real services running in this process.
#[derive(Debug)]
pub struct TestNode {
    node: LocalNode,
    clock: Arc<ManualClock>,
}

/// A stopped node's data, ready to restart.
#[derive(Debug)]
pub struct StoppedNode {
    node: StoppedLocalNode,
    clock: Arc<ManualClock>,
}

/// The instant the test clock starts at: the day Estonia, Latvia and Lithuania deposited.
pub fn start_instant() -> jiff::Timestamp {
    "2025-06-27T09:00:00Z".parse().expect("a valid instant")
}

fn builder(roles: Vec<Role>, clock: Arc<ManualClock>) -> LocalNodeBuilder {
    LocalNode::builder()
        .roles(roles)
        .clock(clock)
        .ready_timeout(ready_timeout())
        .configure(|c| {
            c.durability = Durability::Flush;
            c.drain = Duration::from_secs(2);
            c.scheduler_tick = Duration::from_millis(20);
            c.auth.issuer_keys = vec![crate::test_issuer_public_key()];
            // Checkpoints add commitment entries to the log; a test that counts entries
            // should not race them, so a test node checkpoints only when a test asks for it
            // (`TestNode::start_configured` with `CHECKPOINTS_SOON`), or a proof is waited
            // for (a notice's: the relay asks, and the log signs at once).
            c.audit_log.interval = Duration::from_secs(24 * 3600);
        })
}

/// A checkpoint interval for tests about checkpoints: one soon after every entry.
pub const CHECKPOINTS_SOON: Duration = Duration::from_millis(20);

fn started(node: Result<LocalNode, treaty_node::NodeError>, clock: Arc<ManualClock>) -> TestNode {
    match node {
        Ok(node) => TestNode { node, clock },
        Err(e) => panic!("the test node did not start: {e}"),
    }
}

impl TestNode {
    /// Starts every service in one process, with a fresh data directory.
    pub async fn start_all() -> TestNode {
        Self::start(Role::ALL.to_vec()).await
    }

    /// Starts `roles` in one process, with a fresh data directory.
    pub async fn start(roles: Vec<Role>) -> TestNode {
        let clock = Arc::new(ManualClock::new(start_instant()));
        started(builder(roles, clock.clone()).start().await, clock)
    }

    /// Starts `roles` in one process, with a fresh data directory and the test settings
    /// changed by `change` (a limit under test, say).
    pub async fn start_configured(roles: Vec<Role>, change: impl FnOnce(&mut Config)) -> TestNode {
        let clock = Arc::new(ManualClock::new(start_instant()));
        started(
            builder(roles, clock.clone())
                .configure(change)
                .start()
                .await,
            clock,
        )
    }

    /// The address the node listens on.
    pub fn addr(&self) -> SocketAddr {
        self.node.addr()
    }

    /// The node's URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        self.node.url()
    }

    /// A channel to the node.
    pub fn channel(&self) -> Channel {
        self.node.channel()
    }

    /// The node's data directory.
    pub fn data_dir(&self) -> &Path {
        self.node.data_dir()
    }

    /// The verifier key of the development key the node's audit log signs checkpoints with.
    ///
    /// # Panics
    ///
    /// When the node runs no audit log (there is no key in its data directory).
    pub fn log_key(&self) -> String {
        let path = treaty_node::log::dev_key_path(self.data_dir());
        let private = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("the development log key {}: {e}", path.display()));
        treaty_transparency::LogKey::from_private(&private)
            .expect("a log key")
            .verifier_key()
            .to_owned()
    }

    /// The clock the node stamps `recorded_at` with and reads "today" from.
    pub fn clock(&self) -> Arc<ManualClock> {
        self.clock.clone()
    }

    /// A channel that presents `service`'s certificate (from the node's development PKI):
    /// a caller that is that service.
    pub async fn as_service(&self, service: ServiceName) -> Channel {
        let tls = self.dev().identity(service);
        self.node
            .tls_channel(&tls)
            .await
            .expect("a TLS channel to the test node")
    }

    /// A TLS channel without a client certificate.
    pub async fn tls_channel(&self) -> Channel {
        let tls = self.dev().client_tls();
        self.node
            .tls_channel(&tls)
            .await
            .expect("a TLS channel to the test node")
    }

    /// The node's development CA and identities.
    pub fn dev(&self) -> DevCredentials {
        self.node
            .dev()
            .unwrap_or_else(|e| panic!("the test node's development PKI: {e}"))
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
        match self.node.stop().await {
            Ok(node) => StoppedNode {
                node,
                clock: self.clock,
            },
            Err(e) => panic!("the test node did not stop cleanly: {e}"),
        }
    }
}

impl StoppedNode {
    /// The stopped node's data directory.
    pub fn data_dir(&self) -> &Path {
        self.node.data_dir()
    }

    /// Starts the same services on the same data directory, on a new port,
    /// with the same clock.
    pub async fn restart(self) -> TestNode {
        started(self.node.restart().await, self.clock)
    }

    /// Starts the same services on the same data directory and the same address
    /// (so clients holding the old URL reconnect), as a restarted pod would.
    pub async fn restart_at(self, addr: SocketAddr) -> TestNode {
        started(self.node.restart_at(addr).await, self.clock)
    }
}

/// Starts `roles` on a data directory the test owns (for example one a crashed
/// child process left behind).
pub async fn start_on(roles: Vec<Role>, dir: &Path) -> TestNode {
    let clock = Arc::new(ManualClock::new(start_instant()));
    started(
        builder(roles, clock.clone()).data_dir(dir).start().await,
        clock,
    )
}
