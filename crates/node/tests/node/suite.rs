//! The suite under attack, in either process mode, reached as an outside client would: over
//! TLS, by the certificate or token each caller holds. Its journals are read from disk while
//! it is stopped, to show that a refused call changed nothing.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use tonic::transport::Channel;
use treaty_auth::ServiceName;
use treaty_ledger::{Ledger, LedgerConfig};
use treaty_node::{LocalNode, Role, StoppedLocalNode};
use treaty_runtime::tls::{ClientTls, DevPki};
use treaty_runtime::{ClientConfig, Durability};

/// How the suite runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every service in one process, which calls itself through its own port.
    AllInOne,
    /// One service per node, each with its own port, certificate and data.
    OnePerProcess,
}

/// The suite: its nodes, the CA its certificates chain to, and the PKI its services'
/// identities come from.
pub(crate) struct Suite {
    pub(crate) mode: Mode,
    nodes: BTreeMap<Role, LocalNode>,
    ca: PathBuf,
    identities: DevPki,
    _pki: Option<tempfile::TempDir>,
}

fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address")
}

fn tuned(builder: treaty_node::LocalNodeBuilder) -> treaty_node::LocalNodeBuilder {
    builder
        .ready_timeout(treaty_testkit::ready_timeout())
        .configure(|c| {
            c.durability = Durability::Flush;
            c.drain = std::time::Duration::from_secs(2);
            c.auth.issuer_keys = vec![treaty_testkit::test_issuer_public_key()];
            // The journals are compared before and after the calls: the audit log's own
            // commitment entries, made on its schedule, would race that comparison.
            c.audit_log.interval = std::time::Duration::from_secs(24 * 3600);
        })
}

impl Suite {
    /// Starts the suite in `mode`, trusting the test issuer.
    pub(crate) async fn start(mode: Mode) -> Suite {
        match mode {
            Mode::AllInOne => {
                let node = tuned(LocalNode::builder())
                    .start()
                    .await
                    .expect("the suite starts");
                let dev = node.dev().expect("its development PKI");
                let identities = DevPki::ensure(&node.data_dir().join("tls")).expect("its PKI");
                Suite {
                    mode,
                    ca: dev.ca(),
                    identities,
                    // One node runs them all; it is filed under the registry.
                    nodes: BTreeMap::from([(Role::Registry, node)]),
                    _pki: None,
                }
            }
            Mode::OnePerProcess => {
                let dir = tempfile::tempdir().expect("a directory for the PKI");
                let pki = DevPki::write(dir.path(), &["localhost"], &["127.0.0.1"])
                    .expect("the suite's PKI");
                let addrs: BTreeMap<Role, SocketAddr> =
                    Role::ALL.iter().map(|r| (*r, free_addr())).collect();
                let mut nodes = BTreeMap::new();
                for role in Role::ALL {
                    let (cert, key) = pki.identity(role.service());
                    let ca = pki.ca();
                    let url = |r: Role| Some(format!("https://{}", addrs[&r]));
                    let node = tuned(LocalNode::builder())
                        .roles([role])
                        .listen(addrs[&role])
                        .configure(|c| {
                            c.tls.cert = Some(cert);
                            c.tls.key = Some(key);
                            c.tls.client_ca = Some(ca.clone());
                            c.tls_ca = Some(ca);
                            c.registry_addr = url(Role::Registry);
                            c.approvals_addr = url(Role::Approvals);
                            c.notification_addr = url(Role::Notification);
                            c.audit_addr = url(Role::Audit);
                        })
                        .start()
                        .await
                        .unwrap_or_else(|e| panic!("{role} starts: {e}"));
                    nodes.insert(role, node);
                }
                Suite {
                    mode,
                    ca: pki.ca(),
                    identities: pki,
                    nodes,
                    _pki: Some(dir),
                }
            }
        }
    }

    /// The node that runs `role`.
    fn node(&self, role: Role) -> &LocalNode {
        match self.mode {
            Mode::AllInOne => &self.nodes[&Role::Registry],
            Mode::OnePerProcess => &self.nodes[&role],
        }
    }

    /// TLS trusting the suite's CA, presenting no certificate.
    pub(crate) fn tls(&self) -> ClientTls {
        ClientTls::load(&self.ca).expect("the suite's CA")
    }

    /// TLS presenting `service`'s certificate.
    pub(crate) fn identity(&self, service: ServiceName) -> ClientTls {
        let (cert, key) = self.identities.identity(service);
        self.tls()
            .with_identity(&cert, &key)
            .expect("the service's identity")
    }

    /// A channel to the node running `role`, with `tls`.
    pub(crate) async fn channel(&self, role: Role, tls: &ClientTls) -> Channel {
        treaty_runtime::connect_with(
            &self.node(role).tls_url(),
            &ClientConfig::default(),
            Some(tls),
        )
        .await
        .expect("a TLS channel")
    }

    /// Stops every node and reads each service's journal head from disk; the suite comes
    /// back on the same addresses and data.
    pub(crate) async fn journal_heads(self) -> (Suite, BTreeMap<Role, u64>) {
        let Suite {
            mode,
            nodes,
            ca,
            identities,
            _pki,
        } = self;
        let mut stopped: Vec<(Role, SocketAddr, StoppedLocalNode)> = Vec::new();
        for (role, node) in nodes {
            let addr = node.addr();
            stopped.push((role, addr, node.stop().await.expect("a clean stop")));
        }
        let mut heads = BTreeMap::new();
        for (_, _, node) in &stopped {
            for role in Role::ALL {
                let dir = node.data_dir().join(role.name());
                if !dir.exists() {
                    continue;
                }
                let ledger = Ledger::open(LedgerConfig::new(dir, role.name()))
                    .unwrap_or_else(|e| panic!("open the {role} journal: {e}"));
                heads.insert(role, ledger.head().0);
                ledger.shutdown().await;
            }
        }
        let mut nodes = BTreeMap::new();
        for (role, addr, node) in stopped {
            nodes.insert(role, node.restart_at(addr).await.expect("a restart"));
        }
        (
            Suite {
                mode,
                nodes,
                ca,
                identities,
                _pki,
            },
            heads,
        )
    }
}
