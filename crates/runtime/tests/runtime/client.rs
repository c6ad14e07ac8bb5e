//! Clients to peers, against a server in process on 127.0.0.1:0.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::common::{check, finishes, start};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use treaty_runtime::{
    ClientConfig, RetryPolicy, connect, is_timeout, wait_until_service_serving, with_retry,
};

#[tokio::test]
async fn waiting_for_serving_polls_until_the_server_is_ready() {
    let mut running = start(Duration::ZERO, Duration::from_secs(30)).await;
    let channel = running.channel.clone();
    let waiter = tokio::spawn(async move {
        wait_until_service_serving(&channel, crate::common::FAKE, Duration::from_secs(10)).await
    });
    assert_eq!(check(&running.channel, "").await, ServingStatus::NotServing);
    assert!(
        !waiter.is_finished(),
        "the waiter returned while NOT_SERVING"
    );

    running.make_ready();
    finishes(waiter).await.unwrap();
    running.shutdown.trigger();
    finishes(running.task).await.unwrap();
}

#[tokio::test]
async fn retrying_a_peer_that_is_down_makes_every_attempt_and_returns_unavailable() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let channel = connect(&format!("http://{addr}"), &ClientConfig::default())
        .await
        .unwrap();
    let policy = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        ..RetryPolicy::default()
    };
    let attempts = AtomicU32::new(0);
    let status = with_retry(&policy, || {
        attempts.fetch_add(1, Ordering::SeqCst);
        let mut client = HealthClient::new(channel.clone());
        async move { client.check(HealthCheckRequest::default()).await }
    })
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status}");
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_call_past_the_request_deadline_is_reported_as_a_timeout() {
    let running = start(Duration::from_secs(30), Duration::from_millis(10)).await;
    let addr = format!("http://{}", running.addr);
    let config = ClientConfig {
        request_timeout: Duration::from_millis(100),
        ..ClientConfig::default()
    };
    let channel = connect(&addr, &config).await.unwrap();
    let status = crate::common::call_slow(&channel).await.unwrap_err();
    assert!(is_timeout(&status), "{status:?}");
    running.shutdown.trigger();
    finishes(running.task).await.unwrap();
}
