//! The notification service alone, with its peers down: a publication is
//! UNAVAILABLE and stores nothing.

use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use tonic::Code;
use treaty_ledger::{Clock, ManualClock};
use treaty_node::{self as node, NodeSpec, Role};
use treaty_proto::notification as pb;
use treaty_proto::notification::notification_service_client::NotificationServiceClient;
use treaty_runtime::{ClientConfig, Config, Durability, Server, Shutdown};

#[tokio::test]
async fn a_publication_while_the_approvals_service_is_down_is_unavailable_and_stores_nothing() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Bind then drop, so nothing listens there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let config = Config {
        listen_addr: "127.0.0.1:0".parse().expect("an address"),
        data_dir: dir.path().to_path_buf(),
        durability: Durability::Flush,
        drain: Duration::from_secs(2),
        request_timeout: Duration::from_millis(500),
        registry_addr: Some(format!("http://{dead}")),
        approvals_addr: Some(format!("http://{dead}")),
        ..Config::default()
    };
    let server = Server::bind(config.listen_addr).await.expect("bind");
    let addr = server.local_addr();
    let shutdown = Shutdown::new();
    let spec = NodeSpec {
        roles: vec![Role::Notification, Role::Audit],
        config,
        clock: Arc::new(ManualClock::new(treaty_testkit::start_instant())) as Arc<dyn Clock>,
        unchecked_baseline: false,
    };
    let task = tokio::spawn(node::run(spec, server, shutdown.clone(), |_| {}));
    let channel = treaty_runtime::connect(&format!("http://{addr}"), &ClientConfig::default())
        .await
        .expect("channel");
    treaty_runtime::wait_until_serving(&channel, treaty_testkit::READY_TIMEOUT)
        .await
        .expect("serving");
    // The caller is the approvals service, by the certificate the node's development PKI
    // gave it.
    let dev = treaty_node::DevCredentials::read(
        dir.path(),
        treaty_testkit::TEST_ISSUER,
        treaty_testkit::TEST_AUDIENCE,
    )
    .expect("the node's development PKI");
    let channel = treaty_runtime::connect_with(
        &format!("https://{addr}"),
        &ClientConfig::default(),
        Some(&dev.identity(treaty_auth::ServiceName::Approvals)),
    )
    .await
    .expect("a TLS channel");
    let mut client = NotificationServiceClient::new(channel);

    let err = client
        .publish_notice(as_approvals(pb::PublishNoticeRequest {
            request_id: "p1".into(),
            notice: Some(lt_deposit("apmbc-LT-1-deposit", "apmbc-LT-1")),
        }))
        .await
        .expect_err("the approvals service is down");

    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert_eq!(reason(&err), "PEER_UNAVAILABLE");
    let missing = client
        .get_notice(pb::GetNoticeRequest {
            notice_id: "apmbc-LT-1-deposit".into(),
        })
        .await
        .expect_err("nothing stored");
    assert_eq!(missing.code(), Code::NotFound);
    shutdown.trigger();
    task.await.expect("the node task").expect("a clean stop");
}
