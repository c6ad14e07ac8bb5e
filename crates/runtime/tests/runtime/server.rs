//! The server runner, in process on 127.0.0.1:0, through real gRPC clients.

use std::time::{Duration, Instant};

use crate::common::{FAKE, call_slow, check, fake_descriptor_set, finishes, start};
use tokio_stream::StreamExt as _;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::{v1, v1alpha};
use treaty_runtime::{Error, Server, Services, Shutdown, wait_until_serving};

const LONG: Duration = Duration::from_secs(30);

async fn list_v1(channel: &Channel) -> Vec<String> {
    use v1::server_reflection_request::MessageRequest;
    use v1::server_reflection_response::MessageResponse;
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let mut answers = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    match answers.message().await.unwrap().unwrap().message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("unexpected answer {other:?}"),
    }
}

async fn list_v1alpha(channel: &Channel) -> Vec<String> {
    use v1alpha::server_reflection_request::MessageRequest;
    use v1alpha::server_reflection_response::MessageResponse;
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut client =
        v1alpha::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let mut answers = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    match answers.message().await.unwrap().unwrap().message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("unexpected answer {other:?}"),
    }
}

#[tokio::test]
async fn health_is_not_serving_before_ready_serving_after_and_not_serving_once_shutdown_starts() {
    let mut running = start(Duration::ZERO, LONG).await;
    assert_eq!(check(&running.channel, "").await, ServingStatus::NotServing);
    assert_eq!(
        check(&running.channel, FAKE).await,
        ServingStatus::NotServing
    );

    running.make_ready();
    wait_until_serving(&running.channel, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(check(&running.channel, FAKE).await, ServingStatus::Serving);

    // After the trigger the listener closes, so watch from a stream opened before it.
    let mut watch = HealthClient::new(running.channel.clone())
        .watch(HealthCheckRequest {
            service: FAKE.to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.next().await.unwrap().unwrap().status(),
        ServingStatus::Serving
    );
    running.shutdown.trigger();
    assert_eq!(
        watch.next().await.unwrap().unwrap().status(),
        ServingStatus::NotServing
    );
    running.health.set_serving().await;
    assert!(!running.health.is_serving().await, "shutdown is for good");
    drop(watch);
    finishes(running.task).await.unwrap();
}

#[tokio::test]
async fn a_readiness_signal_after_shutdown_does_not_report_serving() {
    let mut running = start(Duration::ZERO, LONG).await;
    running.shutdown.trigger();
    running.make_ready();
    finishes(running.task).await.unwrap();
    assert!(!running.health.is_serving().await);
}

#[tokio::test]
async fn both_reflection_versions_list_the_callers_health_and_reflection_services() {
    let running = start(Duration::ZERO, LONG).await;
    for services in [
        list_v1(&running.channel).await,
        list_v1alpha(&running.channel).await,
    ] {
        for expected in [
            FAKE,
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        ] {
            assert!(
                services.iter().any(|s| s == expected),
                "{expected} in {services:?}"
            );
        }
    }
    running.shutdown.trigger();
    finishes(running.task).await.unwrap();
}

#[tokio::test]
async fn an_in_flight_request_finishes_during_the_drain_and_then_the_server_returns() {
    let mut running = start(Duration::from_millis(300), LONG).await;
    running.make_ready();
    let entered = running.entered.clone();
    let arrived = entered.notified();
    let channel = running.channel.clone();
    let call = tokio::spawn(async move { call_slow(&channel).await });
    arrived.await;

    running.shutdown.trigger();
    let status = finishes(call).await.unwrap_err();
    assert_eq!(status.code(), Code::Aborted, "{status}");
    assert_eq!(status.message(), "slow done");
    finishes(running.task).await.unwrap();
}

#[tokio::test]
async fn the_server_abandons_requests_still_running_when_the_drain_time_is_up() {
    let drain = Duration::from_millis(200);
    let running = start(LONG, drain).await;
    let arrived = running.entered.notified();
    let channel = running.channel.clone();
    let _call = tokio::spawn(async move { call_slow(&channel).await });
    arrived.await;

    let triggered = Instant::now();
    running.shutdown.trigger();
    finishes(running.task).await.unwrap();
    let took = triggered.elapsed();
    assert!(
        took >= drain,
        "returned after {took:?}, before the drain time"
    );
}

#[tokio::test]
async fn the_listener_is_closed_once_shutdown_starts() {
    let running = start(Duration::ZERO, LONG).await;
    assert_eq!(check(&running.channel, "").await, ServingStatus::NotServing);
    running.shutdown.trigger();
    finishes(running.task).await.unwrap();
    let err = check_fails(&running.channel).await;
    assert_eq!(err, Code::Unavailable);
}

async fn check_fails(channel: &Channel) -> Code {
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest::default())
        .await
        .unwrap_err()
        .code()
}

#[tokio::test]
async fn binding_an_address_in_use_names_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = Server::bind(addr).await.unwrap_err();
    assert!(matches!(err, Error::Bind { .. }), "{err}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[tokio::test]
async fn an_invalid_descriptor_set_is_refused_before_serving() {
    let server = Server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let services = Services::new()
        .descriptor_set(&[0xff, 0xff, 0xff])
        .descriptor_set(fake_descriptor_set());
    let err = server.serve(services, Shutdown::new()).await.unwrap_err();
    assert!(matches!(err, Error::Reflection(_)), "{err}");
}

#[tokio::test]
async fn a_request_that_is_not_protobuf_is_invalid_argument_with_error_info() {
    let mut running = start(Duration::ZERO, LONG).await;
    running.make_ready();
    wait_until_serving(&running.channel, LONG).await.unwrap();
    // Field 1 (the service name) claims 255 bytes and brings one.
    let err = crate::common::call_raw(
        &running.channel,
        "/grpc.health.v1.Health/Check",
        vec![0x0a, 0xff, 0x01],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(
        treaty_proto::status::reason(&err).as_deref(),
        Some("UNDECODABLE_REQUEST")
    );
    let info = tonic_types::StatusExt::get_details_error_info(&err).expect("ErrorInfo");
    assert_eq!(info.domain, "grpc.health.v1");
    running.shutdown.trigger();
    finishes(running.task).await.unwrap();
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_resource_exhausted() {
    let mut running = start(Duration::ZERO, LONG).await;
    running.make_ready();
    wait_until_serving(&running.channel, LONG).await.unwrap();
    // A valid HealthCheckRequest whose service name is 5 MiB long (the limit is 4 MiB).
    let name = vec![b'x'; 5 * 1024 * 1024];
    let mut body = vec![0x0a];
    prost::encoding::encode_varint(name.len() as u64, &mut body);
    body.extend_from_slice(&name);
    let err = crate::common::call_raw(&running.channel, "/grpc.health.v1.Health/Check", body)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert_eq!(
        treaty_proto::status::reason(&err).as_deref(),
        Some("MESSAGE_TOO_LARGE")
    );
    running.shutdown.trigger();
    finishes(running.task).await.unwrap();
}

#[tokio::test]
async fn reflection_describes_the_error_details_so_grpcurl_can_print_them() {
    use v1::server_reflection_request::MessageRequest;
    use v1::server_reflection_response::MessageResponse;
    let mut running = start(Duration::ZERO, LONG).await;
    running.make_ready();
    wait_until_serving(&running.channel, LONG).await.unwrap();
    let mut client =
        v1::server_reflection_client::ServerReflectionClient::new(running.channel.clone());
    for symbol in ["google.rpc.ErrorInfo", "google.rpc.BadRequest"] {
        let request = v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(symbol.to_owned())),
        };
        let mut answers = client
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap()
            .into_inner();
        match answers.message().await.unwrap().unwrap().message_response {
            Some(MessageResponse::FileDescriptorResponse(files)) => {
                assert!(!files.file_descriptor_proto.is_empty(), "{symbol}")
            }
            other => panic!("{symbol}: unexpected answer {other:?}"),
        }
    }
    running.shutdown.trigger();
    finishes(running.task).await.unwrap();
}
