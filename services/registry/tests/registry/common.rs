//! Shared fixtures for the registry's tests: a node of real services, the Ottawa
//! Convention, and short ways to record and read memberships.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;
use treaty_auth::ServiceName;
use treaty_proto::audit as audit_pb;
use treaty_proto::google::r#type::Date as WireDate;
use treaty_proto::registry as pb;
use treaty_proto::registry::registry_service_client::RegistryServiceClient;
use treaty_testkit::TestNode;

/// The registry client type.
pub type Registry = RegistryServiceClient<Channel>;

/// The principal the tests record steps as.
pub const ACTOR: &str = "lt-mfa-treaty-section";

/// A civil date written `YYYY-MM-DD`.
pub fn day(text: &str) -> jiff::civil::Date {
    text.parse().expect("test dates are written YYYY-MM-DD")
}

/// A wire date written `YYYY-MM-DD`.
pub fn date(text: &str) -> WireDate {
    treaty_proto::wire::date_to_wire(day(text))
}

/// What the test principal may do: administer the registry.
pub const PERMISSIONS: &[&str] = &["registry:admin"];

/// A request carrying the test principal's token.
pub fn req<T>(message: T) -> Request<T> {
    treaty_testkit::as_user(ACTOR, PERMISSIONS, message)
}

/// A request without a token: on a [`registry_client`], the approvals service's certificate
/// makes it (the only caller of `RecordWithdrawalNotice` and `RecordRevocation`).
pub fn as_approvals<T>(message: T) -> Request<T> {
    Request::new(message)
}

/// A registry client over a connection that presents the approvals service's certificate:
/// requests with a token ([`req`]) are the token's, those without ([`as_approvals`]) the
/// approvals service's.
pub async fn registry_client(node: &TestNode) -> Registry {
    RegistryServiceClient::new(node.as_service(ServiceName::Approvals).await)
}

/// The Ottawa Convention as the registry stores it.
pub fn apmbc() -> pb::Treaty {
    pb::Treaty {
        treaty_id: "apmbc".into(),
        title: "Convention on the Prohibition of the Use, Stockpiling, Production and Transfer of Anti-Personnel Mines and on their Destruction".into(),
        short_title: "Ottawa Convention".into(),
        depositary: "Secretary-General of the United Nations".into(),
        in_force_on: Some(date("1999-03-01")),
        entry_into_force_months: 6,
        withdrawal_clause: Some(pb::WithdrawalClause {
            notice_months: 6,
            runs_from: pb::RunsFrom::DepositaryReceipt.into(),
            armed_conflict_defers: true,
            article: "Article 20".into(),
        }),
        sources: vec!["https://treaties.un.org/ MTDSG XXVI-5".into()],
        ..Default::default()
    }
}

/// Starts every service and registers the Ottawa Convention.
pub async fn node_with_apmbc() -> (TestNode, Registry) {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    registry
        .create_treaty(req(pb::CreateTreatyRequest {
            request_id: "create-apmbc".into(),
            treaty: Some(apmbc()),
        }))
        .await
        .expect("create the Ottawa Convention");
    (node, registry)
}

/// Records a signature or consent.
pub async fn consent(
    registry: &mut Registry,
    state: &str,
    kind: pb::ConsentKind,
    on: &str,
) -> Result<pb::Membership, Status> {
    registry
        .record_consent(req(pb::RecordConsentRequest {
            request_id: format!("consent-{state}-{on}"),
            treaty: "apmbc".into(),
            state: state.into(),
            kind: kind.into(),
            on: Some(date(on)),
            sources: vec!["UN Treaty Collection".into()],
        }))
        .await
        .map(|r| r.into_inner().membership.expect("a membership"))
}

/// Records a ratification, with no signature.
pub async fn ratify(registry: &mut Registry, state: &str, on: &str) {
    consent(registry, state, pb::ConsentKind::Ratification, on)
        .await
        .expect("record the ratification");
}

/// A notice of withdrawal of `case` received on `received_on`.
pub fn notice(state: &str, case: &str, received_on: &str) -> pb::RecordWithdrawalNoticeRequest {
    pb::RecordWithdrawalNoticeRequest {
        request_id: format!("notice-{case}-{received_on}"),
        treaty: "apmbc".into(),
        state: state.into(),
        case_id: case.into(),
        received_on: Some(date(received_on)),
        approved_on: None,
        reasons: "The military threat in the region has fundamentally changed.".into(),
        sources: vec!["C.N.2025.TREATIES-XXVI.5".into()],
    }
}

/// Records a notice of withdrawal.
pub async fn give_notice(
    registry: &mut Registry,
    state: &str,
    case: &str,
    received_on: &str,
) -> Result<pb::RecordWithdrawalNoticeResponse, Status> {
    registry
        .record_withdrawal_notice(as_approvals(notice(state, case, received_on)))
        .await
        .map(tonic::Response::into_inner)
}

/// A state's membership of the Ottawa Convention as of a date.
pub async fn membership(registry: &mut Registry, state: &str, as_of: &str) -> pb::Membership {
    registry
        .get_membership(req(pb::GetMembershipRequest {
            treaty: "apmbc".into(),
            state: state.into(),
            as_of: Some(date(as_of)),
        }))
        .await
        .expect("get the membership")
        .into_inner()
        .membership
        .expect("a membership")
}

/// The status of a state's membership as of a date.
pub async fn status(registry: &mut Registry, state: &str, as_of: &str) -> pb::MembershipStatus {
    membership(registry, state, as_of).await.status()
}

/// The field violations of an INVALID_ARGUMENT status, as `(field, description)`.
pub fn violations(status: &Status) -> Vec<(String, String)> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .expect("BadRequest details")
        .field_violations
        .into_iter()
        .map(|v| (v.field, v.description))
        .collect()
}

/// The fields named by an INVALID_ARGUMENT status.
pub fn fields(status: &Status) -> Vec<String> {
    violations(status).into_iter().map(|(f, _)| f).collect()
}

/// The ErrorInfo reason of a status.
pub fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// Every entry the registry shipped to the audit service, in order.
pub async fn registry_entries(node: &TestNode) -> Vec<audit_pb::Entry> {
    let mut audit = node.audit();
    let mut token = String::new();
    let mut out = Vec::new();
    loop {
        let page = audit
            .list_entries(audit_pb::ListEntriesRequest {
                source: "registry".into(),
                page_token: token,
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("list the audit log")
            .into_inner();
        out.extend(page.entries);
        if page.next_page_token.is_empty() {
            return out;
        }
        token = page.next_page_token;
    }
}

/// Polls the audit log until the registry's entries satisfy `done`, for at most 10 s.
pub async fn wait_for_entries(
    node: &TestNode,
    done: impl Fn(&[audit_pb::Entry]) -> bool,
) -> Vec<audit_pb::Entry> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let entries = registry_entries(node).await;
        if done(&entries) {
            return entries;
        }
        assert!(
            Instant::now() < deadline,
            "the audit log did not catch up; it holds {:?}",
            entries.iter().map(|e| &e.kind).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Records a marker change (an armed conflict of Antarctica) and waits until the audit
/// log holds it, so every earlier registry entry has been shipped too.
pub async fn shipped(node: &TestNode, registry: &mut Registry) -> Vec<audit_pb::Entry> {
    let marker = registry
        .record_armed_conflict(req(pb::RecordArmedConflictRequest {
            request_id: String::new(),
            state: "AQ".into(),
            description: "marker".into(),
            began_on: Some(date("2000-01-01")),
            sources: vec![],
        }))
        .await
        .expect("record the marker")
        .into_inner()
        .conflict
        .expect("a conflict");
    let mut entries = wait_for_entries(node, |entries| {
        entries.iter().any(|e| {
            e.state == "AQ"
                && e.details
                    .contains(&format!("\"id\":{},", marker.conflict_id))
        })
    })
    .await;
    entries.retain(|e| e.state != "AQ");
    entries
}
