//! Publishing notices through a real gRPC client, with the real registry and
//! approvals services of a `TestNode`.

use std::collections::BTreeSet;

use crate::support::*;
use tonic::Code;
use treaty_proto::notification as pb;
use treaty_testkit::TestNode;

#[tokio::test]
async fn a_notice_for_a_case_parliament_has_not_approved_is_refused_and_nothing_is_stored() {
    let node = TestNode::start_all().await;
    seed_ottawa(&node).await;
    let case = open_case(&node, "apmbc", "LT", day(2025, 3, 18)).await;

    let err = publish(&node, "p1", lt_deposit("apmbc-LT-1-deposit", &case))
        .await
        .expect_err("an unapproved case has no notice");

    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(reason(&err), "CASE_NOT_APPROVED");
    assert!(
        err.message().contains("parliament has not approved"),
        "{}",
        err.message()
    );
    let missing = get_notice(&node, "apmbc-LT-1-deposit")
        .await
        .expect_err("nothing stored");
    assert_eq!(missing.code(), Code::NotFound);
    let listed = node
        .notification()
        .list_notices(pb::ListNoticesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert!(listed.notices.is_empty(), "{listed:?}");
}

#[tokio::test]
async fn a_notice_for_a_case_the_approvals_service_does_not_know_is_refused() {
    let node = TestNode::start_all().await;
    seed_ottawa(&node).await;

    let err = publish(&node, "p1", lt_deposit("apmbc-LT-9-deposit", "apmbc-LT-9"))
        .await
        .expect_err("no such case");

    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    assert_eq!(reason(&err), "CASE_NOT_FOUND");
    assert_eq!(
        get_notice(&node, "apmbc-LT-9-deposit")
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
}

#[tokio::test]
async fn an_approved_cases_notice_reaches_every_other_party_the_depositary_and_the_security_council()
 {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;

    let published = publish(&node, "p1", lt_deposit("apmbc-LT-1-deposit", &case))
        .await
        .expect("publish");

    assert!(!published.already_published);
    let notice = published.notice.expect("the notice");
    assert_eq!(notice.name, "notices/apmbc-LT-1-deposit");
    assert_eq!(notice.recipient_count, 10);
    assert_eq!(
        notice.circulated_on,
        Some(day(2025, 6, 27)),
        "circulated on the day of publication"
    );
    assert!(notice.published_at.is_some());
    let got = get_notice(&node, "apmbc-LT-1-deposit").await.expect("get");
    let recipients: BTreeSet<String> = got.deliveries.iter().map(|d| d.recipient.clone()).collect();
    assert_eq!(recipients, ottawa_recipients_but_lt());
    assert!(
        !recipients.contains("states/LT"),
        "the withdrawing state is not its own recipient"
    );
    for d in &got.deliveries {
        assert_eq!(d.cursor, 1, "the first notice in every inbox: {d:?}");
        assert!(d.delivered_at.is_none() && d.acknowledged_at.is_none());
        let kind = match d.recipient.as_str() {
            "depositary" => pb::RecipientKind::Depositary,
            "un-security-council" => pb::RecipientKind::SecurityCouncil,
            _ => pb::RecipientKind::StateParty,
        };
        assert_eq!(d.kind(), kind, "{d:?}");
    }
}

#[tokio::test]
async fn a_signatory_that_has_not_consented_is_not_notified() {
    let node = TestNode::start_all().await;
    seed_ccm(&node).await;
    let case = open_case(&node, "ccm", "LT", day(2024, 7, 8)).await;
    approve_lt(&node, &case, day(2024, 7, 18), 103, day(2024, 7, 25)).await;
    let notice = pb::Notice {
        notice_id: "ccm-LT-1-deposit".into(),
        kind: pb::NoticeKind::Deposit.into(),
        treaty: "ccm".into(),
        state: "LT".into(),
        case_id: case,
        received_on: Some(day(2024, 9, 6)),
        circulated_on: Some(day(2024, 9, 9)),
        reasons: "Cluster munitions are needed for the defence of Lithuania.".into(),
        ..Default::default()
    };

    publish(&node, "p1", notice).await.expect("publish");

    let got = get_notice(&node, "ccm-LT-1-deposit").await.expect("get");
    let recipients: Vec<&str> = got
        .deliveries
        .iter()
        .map(|d| d.recipient.as_str())
        .collect();
    assert_eq!(
        recipients,
        [
            "depositary",
            "states/AT",
            "states/DE",
            "states/FR",
            "states/NO",
            "un-security-council"
        ],
        "Angola only signed the CCM"
    );
    assert_eq!(
        got.notice.expect("notice").circulated_on,
        Some(day(2024, 9, 9))
    );
}

#[tokio::test]
async fn publishing_the_same_notice_id_again_changes_nothing() {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;
    let first = publish(&node, "p1", lt_deposit("apmbc-LT-1-deposit", &case))
        .await
        .expect("publish");

    let again = publish(&node, "p2", lt_deposit("apmbc-LT-1-deposit", &case))
        .await
        .expect("publish again");
    let retry = publish(&node, "p1", lt_deposit("apmbc-LT-1-deposit", &case))
        .await
        .expect("retry");

    assert!(again.already_published);
    assert_eq!(again.notice, first.notice, "the stored notice, unchanged");
    assert_eq!(
        retry, first,
        "a retry with the same request_id returns the first answer"
    );
    let got = get_notice(&node, "apmbc-LT-1-deposit").await.expect("get");
    assert!(
        got.deliveries.iter().all(|d| d.cursor == 1),
        "no second inbox entry: {got:?}"
    );
    let listed = node
        .notification()
        .list_notices(pb::ListNoticesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.notices.len(), 1);
}

#[tokio::test]
async fn the_same_notice_id_with_different_content_is_refused() {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;
    publish(&node, "p1", lt_deposit("apmbc-LT-1-deposit", &case))
        .await
        .expect("publish");
    let mut changed = lt_deposit("apmbc-LT-1-deposit", &case);
    changed.received_on = Some(day(2025, 6, 28));

    let err = publish(&node, "p2", changed)
        .await
        .expect_err("a published notice never changes");

    assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
    assert_eq!(reason(&err), "NOTICE_ID_TAKEN");
    let got = get_notice(&node, "apmbc-LT-1-deposit").await.expect("get");
    assert_eq!(
        got.notice.expect("notice").received_on,
        Some(day(2025, 6, 27))
    );
}

#[tokio::test]
async fn a_malformed_notice_is_refused_with_one_violation_per_wrong_field() {
    let node = TestNode::start_all().await;
    let notice = pb::Notice {
        notice_id: "has a space".into(),
        kind: pb::NoticeKind::Deposit.into(),
        treaty: "Ottawa".into(),
        state: "XX".into(),
        case_id: "apmbc-LT".into(),
        circulated_on: Some(day(2025, 2, 30)),
        ..Default::default()
    };

    let err = publish(&node, "p1", notice).await.expect_err("malformed");

    assert_eq!(
        violated_fields(&err),
        [
            "notice.case_id",
            "notice.circulated_on",
            "notice.notice_id",
            "notice.reasons",
            "notice.received_on",
            "notice.state",
            "notice.treaty",
        ]
    );
    let no_notice = publish(&node, "p2", pb::Notice::default())
        .await
        .expect_err("empty");
    assert_eq!(
        violated_fields(&no_notice),
        [
            "notice.case_id",
            "notice.kind",
            "notice.notice_id",
            "notice.state",
            "notice.treaty"
        ]
    );
    let missing = approvals_client(&node)
        .await
        .publish_notice(as_approvals(pb::PublishNoticeRequest {
            request_id: "p3".into(),
            notice: None,
        }))
        .await
        .expect_err("no notice");
    assert_eq!(violated_fields(&missing), ["notice"]);
}

#[tokio::test]
async fn a_case_of_another_state_or_treaty_is_refused() {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;
    let mut notice = lt_deposit("apmbc-LV-1-deposit", &case);
    notice.state = "LV".into();

    let err = publish(&node, "p1", notice)
        .await
        .expect_err("case of LT, notice of LV");

    assert_eq!(violated_fields(&err), ["notice.case_id"]);
}

#[tokio::test]
async fn an_effect_notice_needs_its_date_and_a_circulation_cannot_precede_receipt() {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;
    let effect = pb::Notice {
        kind: pb::NoticeKind::Effect.into(),
        effective_on: None,
        ..lt_deposit("apmbc-LT-1-effect", &case)
    };
    let early = pb::Notice {
        circulated_on: Some(day(2025, 6, 26)),
        ..lt_deposit("apmbc-LT-1-deposit", &case)
    };

    let err = publish(&node, "p1", effect)
        .await
        .expect_err("no effective date");
    let early = publish(&node, "p2", early)
        .await
        .expect_err("circulated before receipt");

    assert_eq!(violated_fields(&err), ["notice.effective_on"]);
    assert_eq!(violated_fields(&early), ["notice.circulated_on"]);
}

pub(crate) async fn deposit(node: &TestNode, case: &str) {
    node.approvals()
        .deposit_instrument(req(treaty_proto::approvals::DepositInstrumentRequest {
            request_id: format!("deposit-{case}"),
            case_id: case.into(),
            received_on: Some(day(2025, 6, 27)),
            reasons: "The security environment in the region has fundamentally changed.".into(),
            sources: vec!["https://en.trend.az/baltics/4063907.html".into()],
        }))
        .await
        .expect("deposit the instrument");
}

/// The notices about Lithuania of `kind`, once there is one.
pub(crate) async fn published(node: &TestNode, kind: pb::NoticeKind) -> pb::Notice {
    eventually("the approvals service to publish the notice", || async {
        node.notification()
            .list_notices(pb::ListNoticesRequest {
                state: "LT".into(),
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner()
            .notices
            .into_iter()
            .find(|n| n.kind() == kind)
    })
    .await
}

async fn recipients(node: &TestNode, notice_id: &str) -> BTreeSet<String> {
    let got = get_notice(node, notice_id).await.expect("get");
    got.deliveries.into_iter().map(|d| d.recipient).collect()
}

#[tokio::test]
async fn depositing_the_instrument_publishes_its_notice_and_the_effect_publishes_another() {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;
    let mut fr = subscribe(&node, "states/FR", 0).await;

    deposit(&node, &case).await;

    let notice = published(&node, pb::NoticeKind::Deposit).await;
    assert_eq!(
        (notice.case_id.as_str(), notice.received_on),
        (case.as_str(), Some(day(2025, 6, 27)))
    );
    assert!(!notice.reasons.is_empty());
    assert_eq!(
        recipients(&node, &notice.notice_id).await,
        ottawa_recipients_but_lt()
    );
    let streamed = next(&mut fr).await;
    assert_eq!(
        (streamed.cursor, streamed.notice),
        (1, Some(notice.clone()))
    );

    node.set_today(jiff::civil::date(2025, 12, 27));
    let effect = published(&node, pb::NoticeKind::Effect).await;
    assert_eq!(effect.effective_on, Some(day(2025, 12, 27)));
    assert_eq!(
        recipients(&node, &effect.notice_id).await,
        ottawa_recipients_but_lt()
    );
    assert_eq!(next(&mut fr).await.cursor, 2);
}

#[tokio::test]
async fn revoking_a_deposited_withdrawal_publishes_a_revocation_notice() {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;
    deposit(&node, &case).await;
    published(&node, pb::NoticeKind::Deposit).await;

    node.approvals()
        .revoke_withdrawal(req(treaty_proto::approvals::RevokeWithdrawalRequest {
            request_id: "revoke".into(),
            case_id: case.clone(),
            revoked_on: Some(day(2025, 7, 1)),
            detail: "Revocation before effect (VCLT Art. 68)".into(),
            sources: vec!["https://example.org/revocation".into()],
        }))
        .await
        .expect("revoke");

    let revocation = published(&node, pb::NoticeKind::Revocation).await;
    assert_eq!(revocation.circulated_on, Some(day(2025, 7, 1)));
    assert_eq!(
        recipients(&node, &revocation.notice_id).await,
        ottawa_recipients_but_lt()
    );
}

#[tokio::test]
async fn a_request_id_reused_for_another_notice_is_refused_and_publishes_nothing() {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;
    let first = publish(&node, "n1", lt_deposit("first", &case))
        .await
        .expect("the first notice");
    let err = publish(&node, "n1", lt_deposit("second", &case))
        .await
        .expect_err("the key belongs to the first notice");
    assert_eq!(violated_fields(&err), ["request_id"]);
    assert_eq!(reason(&err), "REQUEST_ID_REUSED");
    let missing = get_notice(&node, "second")
        .await
        .expect_err("not published");
    assert_eq!(missing.code(), Code::NotFound);
    let again = publish(&node, "n1", lt_deposit("first", &case))
        .await
        .expect("the first request again");
    assert_eq!(again, first);
}

/// The proof the audit log gives of the approvals journal entry `sequence`, once a signed
/// checkpoint covers it.
async fn proof_of_approvals_entry(node: &TestNode, sequence: u64) -> pb::NoticeProof {
    use treaty_proto::audit as au;
    treaty_testkit::eventually(
        &format!("approvals entry {sequence} in a checkpoint"),
        async || {
            let p = node
                .audit()
                .get_inclusion_proof(au::GetInclusionProofRequest {
                    tree_size: 0,
                    leaf: Some(au::get_inclusion_proof_request::Leaf::SourceEntry(
                        au::SourceEntryRef {
                            source: "approvals".into(),
                            sequence,
                        },
                    )),
                })
                .await
                .ok()?
                .into_inner();
            Some(pb::NoticeProof {
                leaf_index: p.leaf_index,
                leaf: p.leaf,
                proof: p.proof,
            })
        },
    )
    .await
}

#[tokio::test]
async fn a_notice_whose_proof_shows_another_step_or_is_altered_is_refused_and_nothing_is_stored() {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;
    // A real proof, of the case's opening: in the log, but not the deposit a deposit
    // notice announces.
    let opening = proof_of_approvals_entry(&node, 1).await;
    let mut notice = lt_deposit("apmbc-LT-1-deposit", &case);
    notice.proof = Some(opening.clone());
    let err = publish(&node, "proof-1", notice.clone())
        .await
        .expect_err("a proof of another step");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(violated_fields(&err), ["notice.proof"]);
    assert!(
        err.message()
            .contains("approvals.withdrawal_opened, not approvals.instrument_deposited"),
        "{}",
        err.message()
    );
    // One byte of the leaf changed: no longer the leaf the tree holds.
    let mut altered = opening.clone();
    altered.leaf[40] ^= 1;
    notice.proof = Some(altered);
    let err = publish(&node, "proof-2", notice.clone())
        .await
        .expect_err("an altered leaf");
    assert_eq!(violated_fields(&err), ["notice.proof"]);
    assert!(
        err.message().contains("not in the checkpoint's tree"),
        "{}",
        err.message()
    );
    // A proof of another leaf index than it names.
    let mut renumbered = opening;
    renumbered.leaf_index += 1;
    notice.proof = Some(renumbered);
    let err = publish(&node, "proof-3", notice)
        .await
        .expect_err("another index");
    assert_eq!(violated_fields(&err), ["notice.proof"]);
    let missing = get_notice(&node, "apmbc-LT-1-deposit")
        .await
        .expect_err("nothing stored");
    assert_eq!(missing.code(), Code::NotFound);
}
