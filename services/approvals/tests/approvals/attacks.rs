//! The attacks on the workflow an outside client made before the trust boundary, each now
//! refused without changing anything: every mutation was accepted anonymously or as whatever
//! `x-treaty-actor` said (`lt-seimas-clerk` recorded Switzerland's parliament vote;
//! `un-secretary-general` was accepted), and request ids were global, so one caller could
//! claim or read another's.

use tonic::Code;
use tonic::metadata::MetadataValue;
use treaty_proto::approvals as pb;
use treaty_proto::registry as rpb;
use treaty_testkit::{TestNode, as_user};

use crate::support::{counted_vote, day, open, req, seeded_node};

/// `request` claiming to be `actor` in the old header.
fn claiming<T>(actor: &'static str, mut request: tonic::Request<T>) -> tonic::Request<T> {
    request
        .metadata_mut()
        .insert("x-treaty-actor", MetadataValue::from_static(actor));
    request
}

async fn steps(node: &TestNode, case_id: &str) -> usize {
    node.approvals()
        .get_withdrawal(pb::GetWithdrawalRequest {
            case_id: case_id.into(),
        })
        .await
        .expect("the case")
        .into_inner()
        .withdrawal
        .expect("the case")
        .steps
        .len()
}

/// Switzerland, a party since 1998, with a case opened by its own ministry.
async fn swiss_case(node: &TestNode) -> String {
    node.registry()
        .record_consent(req(rpb::RecordConsentRequest {
            request_id: "consent-CH".into(),
            treaty: "apmbc".into(),
            state: "CH".into(),
            kind: rpb::ConsentKind::Ratification.into(),
            on: Some(day(1998, 3, 24)),
            sources: vec!["https://treaties.un.org/".into()],
        }))
        .await
        .expect("Switzerland's ratification");
    node.approvals()
        .open_withdrawal(as_user(
            "ch-fdfa",
            &["state:CH:record"],
            pb::OpenWithdrawalRequest {
                request_id: "open-CH".into(),
                treaty: "apmbc".into(),
                state: "CH".into(),
                recommended_on: Some(day(2025, 3, 18)),
                detail: "A recommendation".into(),
                sources: vec!["https://example.org/".into()],
                without_recommendation: false,
            },
        ))
        .await
        .expect("Switzerland's case")
        .into_inner()
        .withdrawal
        .expect("the case")
        .case_id
}

#[tokio::test]
async fn a_change_without_a_token_is_unauthenticated_whatever_x_treaty_actor_claims() {
    let node = seeded_node().await;
    let case = swiss_case(&node).await;
    let before = steps(&node, &case).await;
    for actor in ["lt-seimas-clerk", "un-secretary-general", "ch-fdfa"] {
        let vote = counted_vote(&case, "parliament", day(2025, 5, 8), (120, 10, 0), true);
        let err = node
            .approvals()
            .record_chamber_vote(claiming(actor, tonic::Request::new(vote)))
            .await
            .expect_err("no credentials");
        assert_eq!(err.code(), Code::Unauthenticated, "{actor}: {err:?}");
    }
    // Credentials come first: even a request that would not read is UNAUTHENTICATED.
    let half = node
        .approvals()
        .open_withdrawal(pb::OpenWithdrawalRequest {
            request_id: "x1".into(),
            treaty: "apmbc".into(),
            state: "NO".into(),
            ..Default::default()
        })
        .await
        .expect_err("no credentials");
    assert_eq!(half.code(), Code::Unauthenticated, "{half:?}");
    assert_eq!(steps(&node, &case).await, before, "nothing was recorded");
}

#[tokio::test]
async fn a_lithuanian_clerk_cannot_record_switzerlands_parliament_vote() {
    let node = seeded_node().await;
    let case = swiss_case(&node).await;
    let before = steps(&node, &case).await;
    let vote = counted_vote(&case, "parliament", day(2025, 5, 8), (120, 10, 0), true);
    let err = node
        .approvals()
        .record_chamber_vote(claiming(
            "ch-fdfa",
            as_user("lt-seimas-clerk", &["state:LT:record"], vote),
        ))
        .await
        .expect_err("not Lithuania's case");
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    assert!(err.message().contains("state:CH:record"), "{err:?}");
    assert_eq!(steps(&node, &case).await, before, "nothing was recorded");
}

#[tokio::test]
async fn the_recorded_principal_is_the_tokens_and_never_the_header() {
    let node = seeded_node().await;
    let case = swiss_case(&node).await;
    let vote = counted_vote(&case, "parliament", day(2025, 5, 8), (120, 10, 0), true);
    let recorded = node
        .approvals()
        .record_chamber_vote(claiming(
            "un-secretary-general",
            as_user("ch-parliament-services", &["state:CH:record"], vote),
        ))
        .await
        .expect("Switzerland's own officer records its vote")
        .into_inner()
        .withdrawal
        .expect("the case");
    let step = recorded.steps.last().expect("the vote");
    assert_eq!(
        step.actor,
        treaty_testkit::recorded("ch-parliament-services", "approvals")
    );
    assert!(!step.actor.contains("un-secretary-general"));
}

#[tokio::test]
async fn one_principals_request_id_is_never_answered_to_another() {
    let node = seeded_node().await;
    let first = open(&node, "LT", day(2025, 3, 18)).await;
    // Another Lithuanian officer sends the very same request under the same id: it is hers
    // to make, not a retry of the first officer's, so it is not answered from the first
    // one's memory — the case is already open.
    let same = pb::OpenWithdrawalRequest {
        request_id: "open-LT-2025-3-18".into(),
        treaty: "apmbc".into(),
        state: "LT".into(),
        recommended_on: Some(day(2025, 3, 18)),
        detail: "Recommendation to withdraw".into(),
        sources: vec!["https://example.org/recommendation".into()],
        without_recommendation: false,
    };
    let err = node
        .approvals()
        .open_withdrawal(as_user(
            "another-lt-officer",
            &["state:LT:record"],
            same.clone(),
        ))
        .await
        .expect_err("not the first officer's answer");
    assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
    assert_eq!(
        treaty_testkit::reason(&err).as_deref(),
        Some("CASE_ALREADY_OPEN")
    );
    // The first officer's retry still gets the first answer.
    let retried = node
        .approvals()
        .open_withdrawal(req(same))
        .await
        .expect("the first officer's retry")
        .into_inner()
        .withdrawal
        .expect("the case");
    assert_eq!(retried.case_id, first.case_id);
}
