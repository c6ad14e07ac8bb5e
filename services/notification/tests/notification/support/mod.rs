//! Helpers for the notification tests: requests with an actor, error details,
//! polling with a deadline, and the fixtures of real treaty facts.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;
use treaty_auth::ServiceName;
use treaty_proto::google::r#type::Date;
use treaty_proto::notification as pb;
use treaty_proto::notification::notification_service_client::NotificationServiceClient;
use treaty_testkit::TestNode;

mod fixtures;
pub use fixtures::*;

/// How long a test waits for a background effect (a delivery, shipping).
pub const PATIENCE: Duration = Duration::from_secs(15);

/// The principal the tests record as.
pub const ACTOR: &str = "lt-mfa-treaty-section";

/// A civil date on the wire.
pub fn day(y: i32, m: i32, d: i32) -> Date {
    Date {
        year: y,
        month: m,
        day: d,
    }
}

/// What [`ACTOR`] may do in these tests: act for Lithuania and Latvia, record receipts,
/// administer the registry (for the fixtures), and read every inbox the tests stream as
/// its recipient.
pub const PERMISSIONS: &[&str] = &[
    "registry:admin",
    "depositary:record",
    "state:LT:record",
    "state:LV:record",
    "state:AT:inbox",
    "state:DE:inbox",
    "state:FR:inbox",
    "state:LT:inbox",
    "state:LV:inbox",
    "state:NO:inbox",
    "depositary:inbox",
    "un-security-council:inbox",
];

/// `msg` as a request from [`ACTOR`] (its token).
pub fn req<T>(msg: T) -> tonic::Request<T> {
    treaty_testkit::as_user(ACTOR, PERMISSIONS, msg)
}

/// `msg` without a token: on an [`approvals_client`], the approvals service's certificate
/// makes it (the only caller of `PublishNotice`).
pub fn as_approvals<T>(msg: T) -> tonic::Request<T> {
    tonic::Request::new(msg)
}

/// A notification client whose connection presents the approvals service's certificate.
pub async fn approvals_client(node: &TestNode) -> NotificationServiceClient<Channel> {
    NotificationServiceClient::new(node.as_service(ServiceName::Approvals).await)
}

/// The fields named in an INVALID_ARGUMENT's `BadRequest` details, sorted.
pub fn violated_fields(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let bad = status
        .get_details_bad_request()
        .expect("BadRequest details");
    let mut fields: Vec<String> = bad.field_violations.into_iter().map(|v| v.field).collect();
    fields.sort();
    fields
}

/// The `ErrorInfo` reason of a status.
pub fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}
/// Publishes `notice` under `request_id`.
pub async fn publish(
    node: &TestNode,
    request_id: &str,
    notice: pb::Notice,
) -> Result<pb::PublishNoticeResponse, Status> {
    approvals_client(node)
        .await
        .publish_notice(as_approvals(pb::PublishNoticeRequest {
            request_id: request_id.into(),
            notice: Some(notice),
        }))
        .await
        .map(tonic::Response::into_inner)
}

/// The notice with its deliveries.
pub async fn get_notice(node: &TestNode, notice_id: &str) -> Result<pb::GetNoticeResponse, Status> {
    node.notification()
        .get_notice(req(pb::GetNoticeRequest {
            notice_id: notice_id.into(),
        }))
        .await
        .map(tonic::Response::into_inner)
}

/// One recipient's delivery of a notice.
pub async fn delivery(node: &TestNode, notice_id: &str, recipient: &str) -> pb::Delivery {
    get_notice(node, notice_id)
        .await
        .expect("the notice")
        .deliveries
        .into_iter()
        .find(|d| d.recipient == recipient)
        .expect("a delivery to the recipient")
}

// Not every test file that includes this module polls.
#[allow(unused_imports)]
pub use treaty_testkit::eventually;

/// The next message of a subscription, failing after [`PATIENCE`].
pub async fn next(stream: &mut tonic::Streaming<pb::SubscribeResponse>) -> pb::SubscribeResponse {
    tokio::time::timeout(PATIENCE, stream.message())
        .await
        .expect("a message within the patience")
        .expect("the stream is healthy")
        .expect("the stream has not ended")
}

/// Subscribes `recipient` after `after`.
pub async fn subscribe(
    node: &TestNode,
    recipient: &str,
    after: u64,
) -> tonic::Streaming<pb::SubscribeResponse> {
    node.notification()
        .subscribe(req(pb::SubscribeRequest {
            recipient: recipient.into(),
            after_cursor: after,
        }))
        .await
        .expect("subscribe")
        .into_inner()
}
