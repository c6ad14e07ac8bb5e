//! Bad input: INVALID_ARGUMENT with one field violation per wrong field, unknown ids
//! NOT_FOUND; and nothing changes.

use crate::support::*;
use tonic::Code;
use tonic_types::StatusExt;
use treaty_proto::approvals as pb;

#[tokio::test]
async fn an_unknown_state_code_is_invalid_and_nothing_is_opened() {
    let node = seeded_node().await;
    let err = node
        .approvals()
        .open_withdrawal(req(pb::OpenWithdrawalRequest {
            treaty: "apmbc".into(),
            state: "XX".into(),
            recommended_on: Some(day(2025, 3, 18)),
            ..Default::default()
        }))
        .await
        .expect_err("XX is no state");
    assert_eq!(violated_fields(&err), ["state"]);
    let all = node
        .approvals()
        .list_withdrawals(pb::ListWithdrawalsRequest::default())
        .await
        .expect("a list")
        .into_inner();
    assert!(all.withdrawals.is_empty());
}

#[tokio::test]
async fn each_wrong_field_gets_its_own_violation() {
    let node = seeded_node().await;
    let err = node
        .approvals()
        .open_withdrawal(req(pb::OpenWithdrawalRequest {
            treaty: "Ottawa Convention".into(),
            state: "Lithuanía".into(),
            recommended_on: Some(day(2025, 2, 30)),
            sources: vec![" ".into()],
            ..Default::default()
        }))
        .await
        .expect_err("four wrong fields");
    assert_eq!(
        violated_fields(&err),
        ["treaty", "state", "recommended_on", "sources[0]"]
    );

    let err = node
        .approvals()
        .issue_joint_statement(req(pb::IssueJointStatementRequest {
            treaty: "apmbc".into(),
            states: vec!["LT".into(), "QQ".into(), "lt".into()],
            ..Default::default()
        }))
        .await
        .expect_err("a bad code, a repeated state and no date");
    assert_eq!(
        violated_fields(&err),
        ["states[1]", "states[2]", "issued_on"]
    );
}

#[tokio::test]
async fn unknown_treaties_and_cases_are_not_found_and_malformed_ids_invalid() {
    let node = seeded_node().await;
    let err = node
        .approvals()
        .open_withdrawal(req(pb::OpenWithdrawalRequest {
            treaty: "ccm".into(),
            state: "LT".into(),
            recommended_on: Some(day(2024, 7, 8)),
            ..Default::default()
        }))
        .await
        .expect_err("the CCM is not registered in this fixture");
    assert_eq!(err.code(), Code::NotFound);

    let err = node
        .approvals()
        .get_withdrawal(pb::GetWithdrawalRequest {
            case_id: "apmbc-LT-7".into(),
        })
        .await
        .expect_err("no such case");
    assert_eq!(err.code(), Code::NotFound);

    let err = node
        .approvals()
        .record_government_decision(req(pb::RecordGovernmentDecisionRequest {
            case_id: "apmbc-LT-7".into(),
            decided_on: Some(day(2025, 4, 1)),
            ..Default::default()
        }))
        .await
        .expect_err("no such case");
    assert_eq!(err.code(), Code::NotFound);

    let err = node
        .approvals()
        .get_withdrawal(pb::GetWithdrawalRequest {
            case_id: "LT-apmbc".into(),
        })
        .await
        .expect_err("not a case id");
    assert_eq!(violated_fields(&err), ["case_id"]);
}

#[tokio::test]
async fn a_missing_date_needs_undated_and_undated_needs_no_date() {
    let node = seeded_node().await;
    let case = open(&node, "LT", day(2025, 3, 18)).await;
    let err = node
        .approvals()
        .record_government_decision(req(pb::RecordGovernmentDecisionRequest {
            case_id: case.case_id.clone(),
            ..Default::default()
        }))
        .await
        .expect_err("a missing date without undated");
    assert_eq!(violated_fields(&err), ["decided_on"]);
    let err = node
        .approvals()
        .record_government_decision(req(pb::RecordGovernmentDecisionRequest {
            case_id: case.case_id.clone(),
            decided_on: Some(day(2025, 4, 1)),
            undated: true,
            ..Default::default()
        }))
        .await
        .expect_err("a date and undated");
    assert_eq!(violated_fields(&err), ["decided_on"]);

    let undated = node
        .approvals()
        .record_government_decision(req(pb::RecordGovernmentDecisionRequest {
            case_id: case.case_id.clone(),
            undated: true,
            ..Default::default()
        }))
        .await
        .expect("an undated decision")
        .into_inner()
        .withdrawal
        .expect("the case");
    assert_eq!(undated.steps[1].occurred_on, None);
}

#[tokio::test]
async fn votes_with_bad_counts_or_an_unknown_chamber_are_invalid() {
    let node = seeded_node().await;
    let case = open(&node, "LT", day(2025, 3, 18)).await;
    let id = case.case_id.as_str();
    let mut approvals = node.approvals();

    let err = approvals
        .record_chamber_vote(req(counted_vote(
            id,
            "Sejm",
            day(2025, 5, 8),
            (107, 0, 3),
            true,
        )))
        .await
        .expect_err("Lithuania has no Sejm");
    assert_eq!(violated_fields(&err), ["vote.chamber"]);
    assert!(err.message().contains("Seimas"), "{}", err.message());

    let err = approvals
        .record_chamber_vote(req(counted_vote(
            id,
            "Seimas",
            day(2025, 5, 8),
            (107, 30, 5),
            true,
        )))
        .await
        .expect_err("142 votes in a chamber of 141");
    assert_eq!(violated_fields(&err), ["vote"]);

    let mut no_counts = counted_vote(id, "Seimas", day(2025, 5, 8), (0, 0, 0), true);
    let ballot = no_counts.vote.as_mut().expect("a vote");
    (ballot.yes, ballot.no, ballot.abstain) = (None, None, None);
    let err = approvals
        .record_chamber_vote(req(no_counts))
        .await
        .expect_err("neither counts nor a result");
    assert_eq!(violated_fields(&err), ["vote.yes"]);

    let mut half = counted_vote(id, "Seimas", day(2025, 5, 8), (107, 0, 3), true);
    half.vote.as_mut().expect("a vote").no = None;
    let err = approvals
        .record_chamber_vote(req(half))
        .await
        .expect_err("yes without no");
    assert_eq!(violated_fields(&err), ["vote.no"]);

    assert_eq!(get(&node, id).await, case, "nothing changed");
}

#[tokio::test]
async fn a_deposit_needs_its_date_and_its_statement_of_reasons() {
    let node = seeded_node().await;
    let case = approved_lithuania(&node).await;
    let err = node
        .approvals()
        .deposit_instrument(req(pb::DepositInstrumentRequest {
            case_id: case.case_id.clone(),
            reasons: "  ".into(),
            ..Default::default()
        }))
        .await
        .expect_err("no date, no reasons");
    assert_eq!(violated_fields(&err), ["received_on", "reasons"]);
    assert_eq!(get(&node, &case.case_id).await, case);
}

#[tokio::test]
async fn a_bad_page_token_or_status_filter_is_invalid() {
    let node = seeded_node().await;
    let err = node
        .approvals()
        .list_withdrawals(pb::ListWithdrawalsRequest {
            page_token: "page-2".into(),
            status: 99,
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("three bad fields");
    let mut fields = violated_fields(&err);
    fields.sort();
    assert_eq!(fields, ["page_size", "page_token", "status"]);
    assert!(err.get_details_bad_request().is_some());
}

#[tokio::test]
async fn a_recommendation_needs_its_date_or_without_recommendation_but_not_both() {
    let node = seeded_node().await;
    let err = node
        .approvals()
        .open_withdrawal(req(pb::OpenWithdrawalRequest {
            treaty: "apmbc".into(),
            state: "LT".into(),
            ..Default::default()
        }))
        .await
        .expect_err("no date and no without_recommendation");
    assert_eq!(violated_fields(&err), ["recommended_on"]);
    let err = node
        .approvals()
        .open_withdrawal(req(pb::OpenWithdrawalRequest {
            treaty: "apmbc".into(),
            state: "LT".into(),
            recommended_on: Some(day(2025, 3, 18)),
            without_recommendation: true,
            ..Default::default()
        }))
        .await
        .expect_err("a date and without_recommendation");
    assert_eq!(violated_fields(&err), ["recommended_on"]);
}
