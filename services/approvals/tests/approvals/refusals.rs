//! Steps out of order (FAILED_PRECONDITION with a reason), a second open case
//! (ALREADY_EXISTS), and retried requests (the first answer, nothing recorded twice).

use crate::support::*;
use pb::WithdrawalStatus as S;
use tonic::Code;
use treaty_proto::approvals as pb;

#[tokio::test]
async fn a_deposit_before_parliament_approved_is_refused_and_changes_nothing() {
    let node = seeded_node().await;
    let case = open(&node, "LT", day(2025, 3, 18)).await;
    let err = node
        .approvals()
        .deposit_instrument(req(deposit_request(&case.case_id, day(2025, 6, 27))))
        .await
        .expect_err("no deposit before approval");
    assert_eq!(reason(&err, Code::FailedPrecondition), "NOT_APPROVED");
    assert!(
        err.message().contains("parliament has not approved"),
        "{}",
        err.message()
    );
    assert!(err.message().contains("Seimas"), "{}", err.message());
    assert_eq!(get(&node, &case.case_id).await, case, "nothing changed");
}

#[tokio::test]
async fn a_deposit_before_the_head_of_state_assented_is_refused() {
    let node = seeded_node().await;
    let case = open(&node, "LT", day(2025, 3, 18)).await;
    let voted = vote(&node, &case.case_id, "Seimas", day(2025, 5, 8), (107, 0, 3)).await;
    let err = node
        .approvals()
        .deposit_instrument(req(deposit_request(&case.case_id, day(2025, 6, 27))))
        .await
        .expect_err("no deposit before the assent");
    assert_eq!(reason(&err, Code::FailedPrecondition), "NOT_APPROVED");
    assert!(err.message().contains("head of state"), "{}", err.message());
    assert_eq!(get(&node, &case.case_id).await, voted);
}

#[tokio::test]
async fn a_final_vote_below_85_of_141_rejects_the_case_and_closes_it() {
    let node = seeded_node().await;
    let case = open(&node, "LT", day(2025, 3, 18)).await;
    let rejected = vote(&node, &case.case_id, "Seimas", day(2025, 5, 8), (84, 10, 3)).await;
    assert_eq!(rejected.status(), S::Rejected);
    let ballot = rejected.steps[1].vote.as_ref().expect("the vote");
    assert!(!ballot.passed, "84 of 141 is short of 85");

    let err = node
        .approvals()
        .record_head_of_state_assent(req(pb::RecordHeadOfStateAssentRequest {
            case_id: case.case_id.clone(),
            assented_on: Some(day(2025, 5, 9)),
            ..Default::default()
        }))
        .await
        .expect_err("a rejected case takes no more steps");
    assert_eq!(reason(&err, Code::FailedPrecondition), "CASE_CLOSED");

    let again = open(&node, "LT", day(2025, 9, 1)).await;
    assert_eq!(
        again.case_id, "apmbc-LT-2",
        "a rejected case is no longer open"
    );
}

#[tokio::test]
async fn a_step_dated_before_the_latest_step_is_refused() {
    let node = seeded_node().await;
    let case = open(&node, "LT", day(2025, 3, 18)).await;
    let err = node
        .approvals()
        .record_chamber_vote(req(counted_vote(
            &case.case_id,
            "Seimas",
            day(2025, 3, 17),
            (107, 0, 3),
            true,
        )))
        .await
        .expect_err("a vote the day before the recommendation");
    assert_eq!(
        reason(&err, Code::FailedPrecondition),
        "DATE_WENT_BACKWARDS"
    );
    assert!(err.message().contains("2025-03-18"), "{}", err.message());
    assert_eq!(get(&node, &case.case_id).await, case);
}

#[tokio::test]
async fn a_second_open_case_for_the_same_state_and_treaty_already_exists() {
    let node = seeded_node().await;
    open(&node, "LT", day(2025, 3, 18)).await;
    let err = node
        .approvals()
        .open_withdrawal(req(pb::OpenWithdrawalRequest {
            treaty: "apmbc".into(),
            state: "LT".into(),
            recommended_on: Some(day(2025, 3, 20)),
            ..Default::default()
        }))
        .await
        .expect_err("Lithuania already has an open case");
    assert_eq!(reason(&err, Code::AlreadyExists), "CASE_ALREADY_OPEN");
    assert!(err.message().contains("apmbc-LT-1"), "{}", err.message());

    let err = node
        .approvals()
        .issue_joint_statement(req(pb::IssueJointStatementRequest {
            treaty: "apmbc".into(),
            states: vec!["EE".into(), "LT".into()],
            issued_on: Some(day(2025, 3, 20)),
            ..Default::default()
        }))
        .await
        .expect_err("all or nothing");
    assert_eq!(reason(&err, Code::AlreadyExists), "CASE_ALREADY_OPEN");
    let estonia = node
        .approvals()
        .list_withdrawals(pb::ListWithdrawalsRequest {
            state: "EE".into(),
            ..Default::default()
        })
        .await
        .expect("a list")
        .into_inner();
    assert!(
        estonia.withdrawals.is_empty(),
        "no case was opened for Estonia either"
    );
}

#[tokio::test]
async fn a_state_not_bound_by_the_treaty_cannot_withdraw_from_it() {
    let node = seeded_node().await;
    let err = node
        .approvals()
        .open_withdrawal(req(pb::OpenWithdrawalRequest {
            treaty: "apmbc".into(),
            state: "US".into(),
            recommended_on: Some(day(2025, 3, 18)),
            ..Default::default()
        }))
        .await
        .expect_err("the United States never joined");
    assert_eq!(reason(&err, Code::FailedPrecondition), "STATE_NOT_BOUND");

    let err = node
        .approvals()
        .open_withdrawal(req(pb::OpenWithdrawalRequest {
            treaty: "apmbc".into(),
            state: "PL".into(),
            recommended_on: Some(day(2010, 1, 1)),
            ..Default::default()
        }))
        .await
        .expect_err("Poland ratified only in 2012");
    assert_eq!(reason(&err, Code::FailedPrecondition), "STATE_NOT_BOUND");
}

#[tokio::test]
async fn chambers_vote_in_the_order_of_the_procedure() {
    let node = seeded_node().await;
    let case = open(&node, "PL", day(2025, 3, 18)).await;
    let err = node
        .approvals()
        .record_chamber_vote(req(counted_vote(
            &case.case_id,
            "Senate",
            day(2025, 7, 1),
            (80, 10, 1),
            true,
        )))
        .await
        .expect_err("the Senate votes after the Sejm");
    assert_eq!(
        reason(&err, Code::FailedPrecondition),
        "CHAMBER_OUT_OF_ORDER"
    );
}

#[tokio::test]
async fn assent_is_refused_where_the_procedure_does_not_ask_for_it_or_before_parliament() {
    let node = seeded_node().await;
    let latvia = open(&node, "LV", day(2025, 3, 18)).await;
    vote(
        &node,
        &latvia.case_id,
        "parliament",
        day(2025, 4, 16),
        (66, 14, 2),
    )
    .await;
    let err = node
        .approvals()
        .record_head_of_state_assent(req(pb::RecordHeadOfStateAssentRequest {
            case_id: latvia.case_id.clone(),
            assented_on: Some(day(2025, 4, 24)),
            ..Default::default()
        }))
        .await
        .expect_err("the default procedure has no assent");
    assert_eq!(
        reason(&err, Code::FailedPrecondition),
        "ASSENT_NOT_REQUIRED"
    );

    let lithuania = open(&node, "LT", day(2025, 3, 18)).await;
    let err = node
        .approvals()
        .record_head_of_state_assent(req(pb::RecordHeadOfStateAssentRequest {
            case_id: lithuania.case_id.clone(),
            assented_on: Some(day(2025, 4, 24)),
            ..Default::default()
        }))
        .await
        .expect_err("the Seimas has not voted");
    assert_eq!(
        reason(&err, Code::FailedPrecondition),
        "ASSENT_BEFORE_PARLIAMENT"
    );
}

#[tokio::test]
async fn a_second_deposit_is_refused() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    let mut again = deposit_request(&case.case_id, day(2025, 6, 30));
    again.request_id = "another-deposit".into();
    let err = node
        .approvals()
        .deposit_instrument(req(again))
        .await
        .expect_err("already deposited");
    assert_eq!(reason(&err, Code::FailedPrecondition), "ALREADY_DEPOSITED");
}

#[tokio::test]
async fn a_duplicate_request_id_returns_the_first_answer_and_records_nothing_twice() {
    let node = seeded_node().await;
    let case = open(&node, "LT", day(2025, 3, 18)).await;
    let mut first_vote = counted_vote(&case.case_id, "Seimas", day(2025, 5, 8), (107, 0, 3), true);
    first_vote.request_id = "seimas-final".into();
    let first = node
        .approvals()
        .record_chamber_vote(req(first_vote.clone()))
        .await
        .expect("the vote")
        .into_inner();
    node.clock().advance(jiff::SignedDuration::from_secs(60));
    let retry = node
        .approvals()
        .record_chamber_vote(req(first_vote))
        .await
        .expect("the retry answers")
        .into_inner();
    assert_eq!(retry, first, "the first answer, recorded_at included");

    // A retried joint statement answers too, although its cases are now open.
    let statement = pb::IssueJointStatementRequest {
        request_id: "statement".into(),
        treaty: "apmbc".into(),
        states: vec!["EE".into(), "LV".into()],
        issued_on: Some(day(2025, 3, 18)),
        text: String::new(),
        sources: vec![],
    };
    let first = node
        .approvals()
        .issue_joint_statement(req(statement.clone()))
        .await
        .expect("the statement");
    let retry = node
        .approvals()
        .issue_joint_statement(req(statement))
        .await
        .expect("the retry answers");
    assert_eq!(retry.into_inner(), first.into_inner());

    let assented = assent(&node, &case.case_id, None).await;
    assert_eq!(assented.steps.len(), 3, "one vote, not two");
    let kinds = audited_kinds(
        &node,
        &case.case_id,
        "approvals.head_of_state_assent_recorded",
    )
    .await;
    assert_eq!(
        kinds,
        [
            "approvals.withdrawal_opened",
            "approvals.chamber_vote_recorded",
            "approvals.head_of_state_assent_recorded"
        ],
        "one journal entry for the vote"
    );
}

#[tokio::test]
async fn a_second_recommendation_or_one_after_parliament_voted_is_refused() {
    let node = seeded_node().await;
    let case = open(&node, "LT", day(2025, 3, 18)).await;
    let recommendation = |on| pb::RecordRecommendationRequest {
        request_id: String::new(),
        case_id: case.case_id.clone(),
        recommended_on: Some(on),
        detail: String::new(),
        sources: vec![],
    };
    let err = node
        .approvals()
        .record_recommendation(req(recommendation(day(2025, 3, 19))))
        .await
        .expect_err("already recommended");
    assert_eq!(
        reason(&err, Code::FailedPrecondition),
        "ALREADY_RECOMMENDED"
    );

    let latvia = node
        .approvals()
        .open_withdrawal(req(pb::OpenWithdrawalRequest {
            treaty: "apmbc".into(),
            state: "LV".into(),
            without_recommendation: true,
            ..Default::default()
        }))
        .await
        .expect("a case without a recommendation")
        .into_inner()
        .withdrawal
        .expect("the case");
    vote(
        &node,
        &latvia.case_id,
        "parliament",
        day(2025, 4, 16),
        (66, 14, 2),
    )
    .await;
    let err = node
        .approvals()
        .record_recommendation(req(pb::RecordRecommendationRequest {
            case_id: latvia.case_id.clone(),
            recommended_on: Some(day(2025, 4, 17)),
            ..Default::default()
        }))
        .await
        .expect_err("parliament has voted");
    assert_eq!(
        reason(&err, Code::FailedPrecondition),
        "PARLIAMENT_ALREADY_VOTING"
    );
}
