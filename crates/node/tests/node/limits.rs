//! The bounds on connections, seen from the wire: a connection that never speaks is dropped
//! after the handshake timeout (300 of them held open before), one without a stream after the
//! idle timeout, a silent peer after its keepalive PINGs go unanswered; the stream limit is
//! advertised to every client; an open stream keeps its connection; a request over the
//! message limit is RESOURCE_EXHAUSTED and changes nothing.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::Code;
use treaty_node::{LocalNode, Role};
use treaty_proto::audit as au;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_proto::registry as reg;
use treaty_proto::registry::registry_service_client::RegistryServiceClient;
use treaty_runtime::{Durability, Limits};
use treaty_testkit::{patience, token, with_token};

async fn node_with(limits: Limits) -> LocalNode {
    LocalNode::builder()
        .roles([Role::Registry, Role::Audit])
        .ready_timeout(treaty_testkit::ready_timeout())
        .configure(|c| {
            c.durability = Durability::Flush;
            c.auth.issuer_keys = vec![treaty_testkit::test_issuer_public_key()];
            c.limits = limits;
        })
        .start()
        .await
        .expect("the node starts")
}

/// Reads until the server closes the connection; `Err` if it is still open after the patience.
async fn until_closed(stream: &mut TcpStream) -> Result<(), String> {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + patience();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Ok(()),
            Ok(Ok(_)) => {}
            Err(_) => return Err(format!("still open after {:?}", patience())),
        }
    }
}

/// The client's HTTP/2 connection preface and an empty SETTINGS frame.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// One HTTP/2 frame: its type and payload.
async fn frame(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut header = [0u8; 9];
    stream.read_exact(&mut header).await.ok()?;
    let len =
        (usize::from(header[0]) << 16) | (usize::from(header[1]) << 8) | usize::from(header[2]);
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload).await.ok()?;
    Some((header[3], payload))
}

const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const MAX_CONCURRENT_STREAMS: u16 = 0x3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_connections_that_never_speak_are_all_dropped_after_the_handshake_timeout() {
    let node = node_with(Limits {
        handshake_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(TcpStream::connect(node.addr()).await.expect("a connection"));
    }
    let started = Instant::now();
    for stream in &mut silent {
        until_closed(stream).await.expect("the server closed it");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "closed by the timeout, not at once: {:?}",
        started.elapsed()
    );
    // The server still serves.
    treaty_runtime::wait_until_serving(&node.channel(), treaty_testkit::ready_timeout())
        .await
        .expect("serving");
}

#[tokio::test]
async fn a_connection_without_a_stream_is_closed_after_the_idle_timeout() {
    let idle = Duration::from_millis(400);
    let node = node_with(Limits {
        idle_timeout: idle,
        ..Limits::default()
    })
    .await;
    let mut stream = TcpStream::connect(node.addr()).await.expect("a connection");
    stream.write_all(PREFACE).await.expect("the preface");
    let opened = Instant::now();
    until_closed(&mut stream).await.expect("closed once idle");
    assert!(opened.elapsed() >= idle, "{:?}", opened.elapsed());
}

#[tokio::test]
async fn the_stream_limit_is_advertised_and_a_silent_peer_is_pinged_then_dropped() {
    let node = node_with(Limits {
        max_streams_per_connection: 4,
        keepalive_interval: Duration::from_millis(200),
        keepalive_timeout: Duration::from_millis(200),
        idle_timeout: Duration::from_secs(600),
        ..Limits::default()
    })
    .await;
    let mut stream = TcpStream::connect(node.addr()).await.expect("a connection");
    stream.write_all(PREFACE).await.expect("the preface");
    let (kind, settings) = frame(&mut stream).await.expect("the server's SETTINGS");
    assert_eq!(kind, SETTINGS);
    let advertised: Vec<(u16, u32)> = settings
        .chunks_exact(6)
        .map(|c| {
            (
                u16::from_be_bytes([c[0], c[1]]),
                u32::from_be_bytes([c[2], c[3], c[4], c[5]]),
            )
        })
        .collect();
    assert!(
        advertised.contains(&(MAX_CONCURRENT_STREAMS, 4)),
        "{advertised:?}"
    );
    let mut pinged = false;
    while let Some((kind, _)) = frame(&mut stream).await {
        pinged |= kind == PING;
    }
    assert!(
        pinged,
        "the server pinged before giving up on its silent peer"
    );
}

#[tokio::test]
async fn an_open_stream_keeps_its_connection_past_the_idle_timeout() {
    let idle = Duration::from_millis(300);
    let node = node_with(Limits {
        idle_timeout: idle,
        ..Limits::default()
    })
    .await;
    let mut tail = AuditServiceClient::new(node.channel())
        .tail(au::TailRequest { after_sequence: 0 })
        .await
        .expect("a tail")
        .into_inner();
    // Nothing to wait for here: the point is that time passes with the stream open.
    tokio::time::sleep(idle * 3).await;
    RegistryServiceClient::new(node.channel())
        .set_approval_procedure(with_token(
            &token("registry-administrator", &["registry:admin"]),
            reg::SetApprovalProcedureRequest {
                request_id: "p1".into(),
                state: "FR".into(),
                procedure: Some(reg::ApprovalProcedure {
                    chambers: vec![reg::Chamber {
                        name: "parliament".into(),
                        threshold: Some(reg::Threshold {
                            kind: reg::ThresholdKind::SimpleMajority.into(),
                            ..Default::default()
                        }),
                    }],
                    head_of_state_assent: true,
                    sources: vec!["a test".into()],
                }),
            },
        ))
        .await
        .expect("a step");
    let entry = tokio::time::timeout(patience(), tail.message())
        .await
        .expect("the entry within the patience")
        .expect("the same stream, still open")
        .expect("an entry");
    assert_eq!(
        entry.entry.map(|e| e.kind),
        Some("registry.approval_procedure_set".to_owned())
    );
}

#[tokio::test]
async fn a_request_over_the_message_limit_is_resource_exhausted_and_changes_nothing() {
    let node = node_with(Limits {
        max_message_bytes: 64 * 1024,
        ..Limits::default()
    })
    .await;
    let mut registry = RegistryServiceClient::new(node.channel());
    let admin = token("registry-administrator", &["registry:admin"]);
    let err = registry
        .set_approval_procedure(with_token(
            &admin,
            reg::SetApprovalProcedureRequest {
                request_id: "big".into(),
                state: "FR".into(),
                procedure: Some(reg::ApprovalProcedure {
                    chambers: Vec::new(),
                    head_of_state_assent: true,
                    sources: vec!["x".repeat(100 * 1024)],
                }),
            },
        ))
        .await
        .expect_err("too large");
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    let state = registry
        .get_state(reg::GetStateRequest { state: "FR".into() })
        .await
        .expect("GetState")
        .into_inner()
        .state
        .expect("France");
    assert!(!state.procedure_recorded, "nothing was recorded");
}
