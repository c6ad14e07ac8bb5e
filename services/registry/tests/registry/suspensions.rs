//! Claimed suspensions (Ukraine, July 2025): recorded with their date, listed from it,
//! never a change of standing.

use crate::common::{date, fields, membership, node_with_apmbc, ratify, reason, req};
use tonic::Code;
use treaty_proto::registry as pb;
use treaty_proto::registry::MembershipStatus as S;

fn claim(
    request_id: &str,
    state: &str,
    on: &str,
) -> tonic::Request<pb::RecordSuspensionClaimRequest> {
    req(pb::RecordSuspensionClaimRequest {
        request_id: request_id.into(),
        treaty: "apmbc".into(),
        state: state.into(),
        claim: Some(pb::SuspensionClaim {
            claimed_on: Some(date(on)),
            detail: "Suspension of the Convention's operation; several States Parties objected"
                .into(),
            sources: vec!["https://www.icbl.org/".into()],
        }),
    })
}

#[tokio::test]
async fn a_suspension_claim_is_listed_from_its_date_and_leaves_the_state_a_party() {
    let (_node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "UA", "2005-12-27").await;
    let claimed = registry
        .record_suspension_claim(claim("s1", "UA", "2025-07-18"))
        .await
        .expect("claim")
        .into_inner()
        .membership
        .expect("a membership");
    assert_eq!(claimed.status(), S::Party);
    assert_eq!(claimed.suspensions.len(), 1);
    let before = membership(&mut registry, "UA", "2025-07-01").await;
    assert!(before.suspensions.is_empty(), "not claimed yet");
    let after = membership(&mut registry, "UA", "2025-08-01").await;
    assert_eq!((after.status(), after.suspensions.len()), (S::Party, 1));

    let err = registry
        .record_suspension_claim(claim("s2", "UA", "2025-07-18"))
        .await
        .expect_err("the same claim again");
    assert_eq!(err.code(), Code::AlreadyExists);
    let err = registry
        .record_suspension_claim(claim("s3", "US", "2025-07-18"))
        .await
        .expect_err("not bound");
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::FailedPrecondition, "NOT_BOUND".into())
    );
    let err = registry
        .record_suspension_claim(req(pb::RecordSuspensionClaimRequest {
            request_id: "s4".into(),
            treaty: "apmbc".into(),
            state: "UA".into(),
            claim: None,
        }))
        .await
        .expect_err("no claim");
    assert_eq!(fields(&err), ["claim"]);
}
