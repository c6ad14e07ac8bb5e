//! Helpers shared by the integration tests: a fake service and a server started on 127.0.0.1:0.

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use prost::Message as _;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tonic::body::Body;
use tonic::codegen::{Service, http};
use tonic::server::NamedService;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use treaty_runtime::{ClientConfig, Error, Health, Server, Services, Shutdown, connect};

/// The fully qualified name of [`Fake`].
pub const FAKE: &str = "treaty.test.v1.FakeService";
/// The path of the fake's only method.
pub const SLOW_PATH: &str = "/treaty.test.v1.FakeService/Slow";

/// A hand-written gRPC service whose `Slow` method waits, then fails with ABORTED "slow done".
#[derive(Clone)]
pub struct Fake {
    /// How long each call takes.
    pub delay: Duration,
    /// Notified when a call has arrived.
    pub entered: Arc<Notify>,
}

impl NamedService for Fake {
    const NAME: &'static str = FAKE;
}

impl Service<http::Request<Body>> for Fake {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<Body>) -> Self::Future {
        let (delay, entered) = (self.delay, self.entered.clone());
        Box::pin(async move {
            tracing::info!("fake called");
            entered.notify_one();
            tokio::time::sleep(delay).await;
            Ok(Status::new(Code::Aborted, "slow done").into_http())
        })
    }
}

/// An encoded descriptor set that declares [`Fake`], so reflection can list it.
pub fn fake_descriptor_set() -> &'static [u8] {
    static SET: OnceLock<Vec<u8>> = OnceLock::new();
    SET.get_or_init(|| {
        use prost_types::*;
        let empty = ".treaty.test.v1.Empty".to_owned();
        FileDescriptorSet {
            file: vec![FileDescriptorProto {
                name: Some("treaty/test/v1/fake.proto".to_owned()),
                package: Some("treaty.test.v1".to_owned()),
                message_type: vec![DescriptorProto {
                    name: Some("Empty".to_owned()),
                    ..Default::default()
                }],
                service: vec![ServiceDescriptorProto {
                    name: Some("FakeService".to_owned()),
                    method: vec![MethodDescriptorProto {
                        name: Some("Slow".to_owned()),
                        input_type: Some(empty.clone()),
                        output_type: Some(empty),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                syntax: Some("proto3".to_owned()),
                ..Default::default()
            }],
        }
        .encode_to_vec()
    })
}

/// A server running in the background on 127.0.0.1:0.
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub channel: Channel,
    pub shutdown: Shutdown,
    pub health: Health,
    pub entered: Arc<Notify>,
    pub ready: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<Result<(), Error>>,
}

/// Starts a server with [`Fake`] (taking `delay` per call) that drains for at most `drain`; it
/// becomes ready only when `ready` is sent.
pub async fn start(delay: Duration, drain: Duration) -> Running {
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
        .with_drain(drain);
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0, "the real port is known before serving");
    let entered = Arc::new(Notify::new());
    let services = Services::new()
        .add_service(Fake {
            delay,
            entered: entered.clone(),
        })
        .descriptor_set(fake_descriptor_set());
    let shutdown = Shutdown::new();
    let health = server.health();
    let (ready_tx, ready_rx) = oneshot::channel::<()>();
    let ready = async move {
        let _ = ready_rx.await;
    };
    let task = tokio::spawn(server.serve_when_ready(services, ready, shutdown.clone()));
    let channel = connect(&format!("http://{addr}"), &ClientConfig::default())
        .await
        .unwrap();
    Running {
        addr,
        channel,
        shutdown,
        health,
        entered,
        ready: Some(ready_tx),
        task,
    }
}

impl Running {
    /// Lets the server report SERVING.
    pub fn make_ready(&mut self) {
        self.ready.take().unwrap().send(()).unwrap();
    }
}

/// Asks the server for the health of `service` once.
pub async fn check(channel: &Channel, service: &str) -> ServingStatus {
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .status()
}

/// Calls the fake's `Slow` method.
pub async fn call_slow(channel: &Channel) -> Result<(), Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    grpc.unary(
        tonic::Request::new(()),
        http::uri::PathAndQuery::from_static(SLOW_PATH),
        codec,
    )
    .await
    .map(|_| ())
}

/// Waits at most five seconds for `task`, failing the test if it does not finish.
pub async fn finishes<T>(task: JoinHandle<T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the task should finish")
        .expect("the task should not panic")
}

/// A codec that sends and receives raw bytes, to put what no generated client would on the wire.
#[derive(Clone, Copy, Debug, Default)]
pub struct Raw;

impl tonic::codec::Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl tonic::codec::Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), Status> {
        use bytes::BufMut as _;
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut tonic::codec::DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        use bytes::Buf as _;
        let out = src.copy_to_bytes(src.remaining()).to_vec();
        Ok(Some(out))
    }
}

/// Calls `path` with `body` as the request's bytes, as they are.
pub async fn call_raw(
    channel: &Channel,
    path: &'static str,
    body: Vec<u8>,
) -> Result<Vec<u8>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    grpc.unary(
        tonic::Request::new(body),
        http::uri::PathAndQuery::from_static(path),
        Raw,
    )
    .await
    .map(tonic::Response::into_inner)
}
