//! The outbox relay: a deposit or a revocation reaches the registry and the notification
//! service after it is recorded, exactly once from their point of view, across restarts.
//! These tests need the real registry and notification service (through `TestNode`).

use crate::support::*;
use treaty_proto::approvals as pb;
use treaty_proto::notification as npb;
use treaty_proto::registry as rpb;

async fn membership(
    node: &treaty_testkit::TestNode,
    as_of: treaty_proto::google::r#type::Date,
) -> rpb::Membership {
    node.registry()
        .get_membership(rpb::GetMembershipRequest {
            treaty: "apmbc".into(),
            state: "LT".into(),
            as_of: Some(as_of),
        })
        .await
        .expect("Lithuania's membership")
        .into_inner()
        .membership
        .expect("the membership")
}

#[tokio::test]
async fn a_deposit_publishes_the_notice_to_the_other_parties_the_depositary_and_the_security_council()
 {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    let published = wait_for_notice(&node, &case.notice_id).await;
    let notice = published.notice.expect("the notice");
    assert_eq!(notice.kind(), npb::NoticeKind::Deposit);
    assert_eq!(notice.case_id, "apmbc-LT-1");
    assert_eq!(
        (notice.treaty.as_str(), notice.state.as_str()),
        ("apmbc", "LT")
    );
    assert_eq!(notice.received_on, Some(day(2025, 6, 27)));
    assert_eq!(notice.circulated_on, Some(day(2025, 6, 27)));
    assert_eq!(notice.effective_on, Some(day(2025, 12, 27)));
    assert!(notice.reasons.contains("military threat"));
    assert!(notice.text.contains("Lithuania"), "{}", notice.text);

    let recipients: Vec<_> = published
        .deliveries
        .iter()
        .map(|d| d.recipient.as_str())
        .collect();
    for expected in [
        "depositary",
        "un-security-council",
        "states/FR",
        "states/DE",
        "states/EE",
    ] {
        assert!(
            recipients.contains(&expected),
            "{expected} in {recipients:?}"
        );
    }
    assert!(
        !recipients.contains(&"states/LT"),
        "not the withdrawing state"
    );
}

#[tokio::test]
async fn the_registry_shows_the_withdrawal_notified_after_the_deposit() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    let membership = eventually("the registry to record the notice", || async {
        let m = membership(&node, day(2025, 7, 1)).await;
        (m.status() == rpb::MembershipStatus::WithdrawalNotified).then_some(m)
    })
    .await;
    let period = membership.current_period.expect("the current period");
    assert_eq!(period.withdrawal_case, case.case_id);
    assert_eq!(period.withdrawal_received_on, Some(day(2025, 6, 27)));
    assert_eq!(
        period.withdrawal_effective_on,
        Some(day(2025, 12, 27)),
        "the registry agrees on the date"
    );
}

#[tokio::test]
async fn a_revocation_after_the_deposit_is_told_to_the_registry_and_published() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    node.approvals()
        .revoke_withdrawal(req(pb::RevokeWithdrawalRequest {
            request_id: "revoke".into(),
            case_id: case.case_id.clone(),
            revoked_on: Some(day(2025, 9, 1)),
            detail: "The state revokes its notice".into(),
            sources: vec!["https://example.org/revocation".into()],
        }))
        .await
        .expect("the revocation is recorded");

    let notice = wait_for_notice(&node, "apmbc-LT-1-revocation")
        .await
        .notice
        .expect("the notice");
    assert_eq!(notice.kind(), npb::NoticeKind::Revocation);
    assert_eq!(notice.circulated_on, Some(day(2025, 9, 1)));
    let membership = eventually("the registry to record the revocation", || async {
        let m = membership(&node, day(2025, 9, 2)).await;
        (m.status() == rpb::MembershipStatus::Party).then_some(m)
    })
    .await;
    let period = membership.current_period.expect("the current period");
    assert_eq!(period.withdrawal_revoked_on, Some(day(2025, 9, 1)));
}

#[tokio::test]
async fn no_notice_is_published_before_the_deposit() {
    let node = seeded_node().await;
    let case = approved_lithuania(&node).await;
    // The deposit is the first entry with an external effect; once its notice is there,
    // every earlier entry has been relayed.
    let notified = deposit(&node, &case.case_id, day(2025, 6, 27)).await;
    wait_for_notice(&node, &notified.notice_id).await;
    let notices = node
        .notification()
        .list_notices(npb::ListNoticesRequest {
            state: "LT".into(),
            ..Default::default()
        })
        .await
        .expect("Lithuania's notices")
        .into_inner()
        .notices;
    let ids: Vec<_> = notices.iter().map(|n| n.notice_id.as_str()).collect();
    assert_eq!(ids, ["apmbc-LT-1-deposit"]);
}

#[tokio::test]
async fn notices_survive_a_restart_and_are_published_once() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    // Stop at once: the relay may or may not have published before the stop.
    let stopped = node.stop().await;
    let node = stopped.restart().await;
    wait_for_notice(&node, &case.notice_id).await;

    // After the restart the relay replays from its cursor; the node's own effect notice
    // proves the relay has passed the deposit again.
    node.set_today(jiff::civil::date(2025, 12, 27));
    wait_for_notice(&node, "apmbc-LT-1-effect").await;
    let notices = node
        .notification()
        .list_notices(npb::ListNoticesRequest {
            state: "LT".into(),
            ..Default::default()
        })
        .await
        .expect("Lithuania's notices")
        .into_inner()
        .notices;
    let ids: Vec<_> = notices.iter().map(|n| n.notice_id.as_str()).collect();
    assert_eq!(
        ids,
        ["apmbc-LT-1-deposit", "apmbc-LT-1-effect"],
        "each notice once"
    );
}

#[tokio::test]
async fn a_deposit_notice_carries_the_proof_that_its_deposit_is_in_the_signed_log() {
    use treaty_transparency::notice::{Announced, NoticeProof, NoticeProofError, verify};
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    let notice = wait_for_notice(&node, &case.notice_id)
        .await
        .notice
        .expect("the notice");
    let p = notice.proof.expect("the notice carries its proof");
    let proof = NoticeProof {
        leaf_index: p.leaf_index,
        leaf: &p.leaf,
        proof: &p.proof,
    };
    let deposit = Announced {
        step: "approvals.instrument_deposited",
        case: "apmbc-LT-1",
        state: "LT",
        treaty: "apmbc",
    };
    // Checked with the log's key alone: the deposit is in the signed tree.
    let (proved, checkpoint) =
        verify(&proof, &deposit, &node.log_key(), &[], 0).expect("the proof verifies");
    assert_eq!(proved.step.source, "approvals");
    assert_eq!(proved.step.kind, "approvals.instrument_deposited");
    assert!(checkpoint.size > p.leaf_index);
    // The same proof says nothing of another step, and nothing under another key.
    let revocation = Announced {
        step: "approvals.withdrawal_revoked",
        ..deposit
    };
    assert!(matches!(
        verify(&proof, &revocation, &node.log_key(), &[], 0),
        Err(NoticeProofError::OtherStep(_))
    ));
    let (other, _) = treaty_transparency::LogKey::generate(&checkpoint.origin).unwrap();
    assert!(matches!(
        verify(&proof, &deposit, other.verifier_key(), &[], 0),
        Err(NoticeProofError::Checkpoint(_))
    ));
    // Every copy of the notice carries it: the inbox stream and the listing.
    let listed = node
        .notification()
        .list_notices(npb::ListNoticesRequest {
            recipient: "states/FR".into(),
            ..Default::default()
        })
        .await
        .expect("FR's notices")
        .into_inner()
        .notices;
    assert_eq!(
        listed[0].proof.as_ref().map(|q| q.leaf_index),
        Some(p.leaf_index)
    );
}
