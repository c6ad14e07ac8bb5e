//! The attacks on the registry an outside client made before the trust boundary, each now
//! refused without changing anything: `RecordRevocation` made Poland a party again after its
//! withdrawal took effect, and `RecordWithdrawalNotice` gave France a notice it never gave.
//! Only the approvals service — by its certificate — records either.

use tonic::Code;
use treaty_auth::ServiceName;
use treaty_proto::registry as pb;
use treaty_proto::registry::MembershipStatus as S;
use treaty_proto::registry::registry_service_client::RegistryServiceClient;
use treaty_testkit::{TestNode, as_user};

use crate::common::{as_approvals, date, give_notice, node_with_apmbc, ratify, status};

/// Every caller but the approvals service: anonymous, the registry's own administrator
/// (with every permission a person can hold), and the other three services. Each call of
/// `attempt` must be refused.
async fn everyone_but_approvals<T, F, Fut>(node: &TestNode, attempt: F)
where
    F: Fn(RegistryServiceClient<tonic::transport::Channel>, Option<&'static [&'static str]>) -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
    T: std::fmt::Debug,
{
    const EVERYTHING: &[&str] = &[
        "registry:admin",
        "depositary:record",
        "state:PL:record",
        "state:FR:record",
    ];
    let anonymous = attempt(node.registry(), None).await.expect_err("anonymous");
    assert_eq!(anonymous.code(), Code::Unauthenticated, "{anonymous:?}");
    let person = attempt(node.registry(), Some(EVERYTHING))
        .await
        .expect_err("a person");
    assert_eq!(person.code(), Code::PermissionDenied, "{person:?}");
    assert!(person.message().contains("approvals service"), "{person:?}");
    for service in [
        ServiceName::Registry,
        ServiceName::Notification,
        ServiceName::Audit,
    ] {
        let client = RegistryServiceClient::new(node.as_service(service).await);
        let refused = attempt(client, None).await.expect_err("another service");
        assert_eq!(
            refused.code(),
            Code::PermissionDenied,
            "{service}: {refused:?}"
        );
    }
}

fn signed<T>(permissions: Option<&[&str]>, message: T) -> tonic::Request<T> {
    match permissions {
        Some(p) => as_user("mallory", p, message),
        None => tonic::Request::new(message),
    }
}

#[tokio::test]
async fn no_one_but_the_approvals_service_revokes_polands_withdrawal_after_it_took_effect() {
    let (node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "PL", "2012-12-27").await;
    give_notice(&mut registry, "PL", "apmbc-PL-1", "2025-08-20")
        .await
        .expect("the approvals service records Poland's notice");
    assert_eq!(
        status(&mut registry, "PL", "2026-03-01").await,
        S::Withdrawn
    );

    everyone_but_approvals(&node, |mut client, permissions| async move {
        client
            .record_revocation(signed(
                permissions,
                pb::RecordRevocationRequest {
                    request_id: "revoke-pl".into(),
                    treaty: "apmbc".into(),
                    state: "PL".into(),
                    case_id: "apmbc-PL-1".into(),
                    revoked_on: Some(date("2026-02-01")),
                    sources: vec!["a forged note".into()],
                },
            ))
            .await
    })
    .await;
    assert_eq!(
        status(&mut registry, "PL", "2026-03-01").await,
        S::Withdrawn,
        "Poland left on 2026-02-20 and stays out"
    );
}

#[tokio::test]
async fn no_one_but_the_approvals_service_gives_france_a_notice_of_withdrawal() {
    let (node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "FR", "1998-07-23").await;
    everyone_but_approvals(&node, |mut client, permissions| async move {
        client
            .record_withdrawal_notice(signed(
                permissions,
                pb::RecordWithdrawalNoticeRequest {
                    request_id: "notice-fr".into(),
                    treaty: "apmbc".into(),
                    state: "FR".into(),
                    case_id: "apmbc-FR-1".into(),
                    received_on: Some(date("2025-06-27")),
                    approved_on: None,
                    reasons: "A forged notice".into(),
                    sources: vec!["a forged note".into()],
                },
            ))
            .await
    })
    .await;
    assert_eq!(status(&mut registry, "FR", "2026-03-01").await, S::Party);
    // The approvals service itself may (its certificate on this client's connection).
    registry
        .record_withdrawal_notice(as_approvals(pb::RecordWithdrawalNoticeRequest {
            request_id: "notice-fr".into(),
            treaty: "apmbc".into(),
            state: "FR".into(),
            case_id: "apmbc-FR-1".into(),
            received_on: Some(date("2025-06-27")),
            approved_on: None,
            reasons: "A real notice".into(),
            sources: vec!["C.N.".into()],
        }))
        .await
        .expect("the approvals service records a notice");
    assert_eq!(
        status(&mut registry, "FR", "2025-07-01").await,
        S::WithdrawalNotified
    );
}
