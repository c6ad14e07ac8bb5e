//! The in-process launcher: it waits for SERVING, reports a node that cannot
//! start at once with its reason, and restarts a stopped node on its data.

use std::time::{Duration, Instant};

use treaty_auth::Permission;
use treaty_node::{LocalNode, NodeError, Role};
use treaty_proto::registry::{self as reg, registry_service_client::RegistryServiceClient};

fn procedure(request_id: &str) -> reg::SetApprovalProcedureRequest {
    reg::SetApprovalProcedureRequest {
        request_id: request_id.into(),
        state: "FR".into(),
        procedure: Some(reg::ApprovalProcedure {
            chambers: vec![reg::Chamber {
                name: "Assemblée nationale".into(),
                threshold: Some(reg::Threshold {
                    kind: reg::ThresholdKind::SimpleMajority.into(),
                    ..Default::default()
                }),
            }],
            head_of_state_assent: true,
            sources: vec!["a test".into()],
        }),
    }
}

/// `message` with a token of the node's development issuer for the registry's administrator.
fn as_admin<T>(node: &LocalNode, message: T) -> tonic::Request<T> {
    node.dev()
        .expect("the node's development credentials")
        .bearer("registry-administrator", &[Permission::RegistryAdmin])
        .expect("a development token")
        .request(message)
}

async fn recorded(registry: &mut RegistryServiceClient<tonic::transport::Channel>) -> bool {
    registry
        .get_state(reg::GetStateRequest { state: "FR".into() })
        .await
        .expect("GetState")
        .into_inner()
        .state
        .is_some_and(|s| s.procedure_recorded)
}

#[tokio::test]
async fn a_stopped_node_restarted_at_its_address_keeps_its_data_and_old_clients_reconnect() {
    let node = LocalNode::builder()
        .roles([Role::Registry, Role::Audit])
        .start()
        .await
        .expect("the node starts");
    let addr = node.addr();
    assert_eq!(node.url(), format!("http://{addr}"));
    let mut registry = RegistryServiceClient::new(node.channel());
    registry
        .set_approval_procedure(as_admin(&node, procedure("p1")))
        .await
        .expect("SetApprovalProcedure");

    let stopped = node.stop().await.expect("a clean stop");
    let dir = stopped.data_dir().to_path_buf();
    assert!(
        dir.join("registry").is_dir(),
        "the data stays while stopped"
    );
    let node = stopped.restart_at(addr).await.expect("the node restarts");
    assert_eq!(node.addr(), addr);
    assert!(recorded(&mut registry).await, "the procedure survived");

    drop(node.stop().await.expect("a clean stop"));
    assert!(!dir.exists(), "an owned data directory goes with the node");
}

#[tokio::test]
async fn a_node_on_the_callers_directory_leaves_it_on_disk_and_restarts_on_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let node = LocalNode::builder()
        .roles([Role::Registry, Role::Audit])
        .data_dir(dir.path())
        .start()
        .await
        .expect("the node starts");
    assert_eq!(node.data_dir(), dir.path());
    RegistryServiceClient::new(node.channel())
        .set_approval_procedure(as_admin(&node, procedure("p1")))
        .await
        .expect("SetApprovalProcedure");
    let node = node
        .stop()
        .await
        .expect("a clean stop")
        .restart()
        .await
        .expect("the node restarts");
    assert!(recorded(&mut RegistryServiceClient::new(node.channel())).await);
    drop(node.stop().await.expect("a clean stop"));
    assert!(
        dir.path().join("registry").is_dir(),
        "the caller's data stays"
    );
}

#[tokio::test]
async fn a_node_whose_storage_cannot_open_fails_to_start_at_once_with_the_reason() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // The registry's store is a file where its directory should be.
    std::fs::write(dir.path().join("registry"), b"").expect("a file");
    let started = Instant::now();
    let err = LocalNode::builder()
        .data_dir(dir.path())
        .ready_timeout(Duration::from_secs(600))
        .start()
        .await
        .expect_err("no store opens under a file");
    assert!(
        matches!(
            err,
            NodeError::Storage {
                service: "registry",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "reported without waiting for SERVING: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_service_without_its_peer_in_the_node_or_the_configuration_is_refused_naming_the_variable()
 {
    let err = LocalNode::builder()
        .roles([Role::Approvals])
        .ready_timeout(Duration::from_secs(600))
        .start()
        .await
        .expect_err("approvals needs the registry");
    assert!(
        matches!(
            err,
            NodeError::MissingPeer {
                peer: "registry",
                variable: "TREATY_REGISTRY_ADDR",
                ..
            }
        ),
        "{err}"
    );
}
