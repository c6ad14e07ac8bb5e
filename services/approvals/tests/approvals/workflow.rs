//! The withdrawal workflow through a real gRPC client: every transition a case can take
//! at home and at the depositary, with the real 2025 withdrawals as data.

use crate::support::*;
use pb::WithdrawalStatus as S;
use treaty_proto::approvals as pb;

#[tokio::test]
async fn a_joint_statement_opens_one_case_per_state_in_the_request_order() {
    let node = seeded_node().await;
    let answer = node
        .approvals()
        .issue_joint_statement(req(pb::IssueJointStatementRequest {
            request_id: "statement-2025-03-18".into(),
            treaty: "apmbc".into(),
            states: vec!["EE".into(), "LV".into(), "lt".into(), "PL".into()],
            issued_on: Some(day(2025, 3, 18)),
            text: "The defence ministers unanimously recommend withdrawing from the Ottawa Convention.".into(),
            sources: vec!["https://pap.pl/en/news/president-supports-polands-departure-ottawa-treaty-says-mod".into()],
        }))
        .await
        .expect("the statement is recorded")
        .into_inner();

    assert_eq!(answer.joint_statement, "jointStatements/apmbc-2025-03-18-1");
    let ids: Vec<_> = answer
        .withdrawals
        .iter()
        .map(|w| w.case_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["apmbc-EE-1", "apmbc-LV-1", "apmbc-LT-1", "apmbc-PL-1"]
    );
    for case in &answer.withdrawals {
        assert_eq!(case.status(), S::Recommended);
        assert_eq!(case.joint_statement, answer.joint_statement);
        assert_eq!(case.name, format!("withdrawals/{}", case.case_id));
        let step = &case.steps[0];
        assert_eq!(step.kind(), pb::StepKind::Recommended);
        assert_eq!(step.occurred_on, Some(day(2025, 3, 18)));
        assert_eq!(step.actor, treaty_testkit::recorded(ACTOR, "approvals"));
        assert_eq!(step.sources.len(), 1);
        assert!(step.recorded_at.is_some());
    }
    let read = get(&node, "apmbc-LT-1").await;
    assert_eq!(read, answer.withdrawals[2]);
}

#[tokio::test]
async fn the_lithuanian_withdrawal_of_2025_replays_to_an_effect_six_months_after_receipt() {
    let node = seeded_node().await;
    node.approvals()
        .issue_joint_statement(req(pb::IssueJointStatementRequest {
            request_id: "statement".into(),
            treaty: "apmbc".into(),
            states: vec!["EE".into(), "LV".into(), "LT".into(), "PL".into()],
            issued_on: Some(day(2025, 3, 18)),
            text: "Joint statement of the defence ministers".into(),
            sources: vec![],
        }))
        .await
        .expect("the statement is recorded");

    let voted = vote(&node, "apmbc-LT-1", "Seimas", day(2025, 5, 8), (107, 0, 3)).await;
    assert_eq!(voted.status(), S::AwaitingAssent);
    assert!(!voted.approved);
    let vote = voted.steps[1].vote.as_ref().expect("the vote");
    assert_eq!(
        (vote.yes, vote.no, vote.abstain),
        (Some(107), Some(0), Some(3))
    );
    assert!(vote.passed && vote.final_reading);

    let assented = assent(&node, "apmbc-LT-1", None).await;
    assert_eq!(assented.status(), S::Approved);
    assert!(assented.approved);
    assert_eq!(assented.approved_on, Some(day(2025, 5, 8)));
    assert_eq!(assented.steps[2].occurred_on, None, "the assent is undated");

    let notified = deposit(&node, "apmbc-LT-1", day(2025, 6, 27)).await;
    assert_eq!(notified.status(), S::Notified);
    assert_eq!(notified.received_on, Some(day(2025, 6, 27)));
    assert_eq!(notified.expires_on, Some(day(2025, 12, 27)));
    assert_eq!(notified.effective_on, Some(day(2025, 12, 27)));
    assert_eq!(notified.notice_id, "apmbc-LT-1-deposit");
    assert!(notified.reasons.contains("military threat"));
    let kinds: Vec<_> = notified.steps.iter().map(pb::Step::kind).collect();
    assert_eq!(
        kinds,
        [
            pb::StepKind::Recommended,
            pb::StepKind::ChamberVote,
            pb::StepKind::HeadOfStateAssent,
            pb::StepKind::InstrumentDeposited
        ]
    );
    let numbers: Vec<_> = notified.steps.iter().map(|s| s.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
}

#[tokio::test]
async fn poland_passes_the_sejm_then_the_senate_with_a_reported_result_then_the_president() {
    let node = seeded_node().await;
    let case = open(&node, "PL", day(2025, 3, 18)).await;
    let id = case.case_id.as_str();

    let sejm = vote(&node, id, "Sejm", day(2025, 6, 25), (413, 15, 3)).await;
    assert_eq!(sejm.status(), S::InParliament);
    assert!(sejm.approved_on.is_none(), "the Senate has not voted yet");

    let senate = node
        .approvals()
        .record_chamber_vote(req(pb::RecordChamberVoteRequest {
            request_id: "senate".into(),
            case_id: id.into(),
            vote: Some(pb::ChamberVote {
                chamber: "senate".into(),
                reported_result: pb::VoteResult::Passed.into(),
                final_reading: true,
                ..Default::default()
            }),
            voted_on: None,
            undated: true,
            detail: "The date of the Senate vote was not established".into(),
            sources: vec![],
        }))
        .await
        .expect("the Senate vote is recorded")
        .into_inner()
        .withdrawal
        .expect("the case");
    assert_eq!(senate.status(), S::AwaitingAssent);
    let vote = senate.steps[2].vote.as_ref().expect("the vote");
    assert_eq!(vote.reported_result(), pb::VoteResult::Passed);
    assert_eq!((vote.yes, vote.no), (None, None));
    assert!(vote.passed);
    assert_eq!(
        senate.approved_on, None,
        "the last chamber's vote is undated"
    );

    let approved = assent(&node, id, Some(day(2025, 8, 5))).await;
    assert_eq!(approved.status(), S::Approved);
    let notified = deposit(&node, id, day(2025, 8, 20)).await;
    assert_eq!(notified.status(), S::Notified);
    assert_eq!(notified.effective_on, Some(day(2026, 2, 20)));
}

#[tokio::test]
async fn government_decisions_move_the_case_to_government_decided() {
    let node = seeded_node().await;
    let case = open(&node, "LV", day(2025, 3, 18)).await;
    for (request_id, on) in [
        ("decision-1", day(2025, 3, 18)),
        ("decision-2", day(2025, 3, 25)),
    ] {
        let decided = node
            .approvals()
            .record_government_decision(req(pb::RecordGovernmentDecisionRequest {
                request_id: request_id.into(),
                case_id: case.case_id.clone(),
                decided_on: Some(on),
                undated: false,
                detail: "Cabinet decision".into(),
                sources: vec!["https://example.org/cabinet".into()],
            }))
            .await
            .expect("the decision is recorded")
            .into_inner()
            .withdrawal
            .expect("the case");
        assert_eq!(decided.status(), S::GovernmentDecided);
    }
    let case = get(&node, &case.case_id).await;
    assert_eq!(case.steps.len(), 3);
    assert_eq!(case.steps[2].kind(), pb::StepKind::GovernmentDecision);
    assert_eq!(case.steps[2].occurred_on, Some(day(2025, 3, 25)));
}

#[tokio::test]
async fn an_earlier_reading_is_recorded_and_decides_nothing() {
    let node = seeded_node().await;
    let case = open(&node, "EE", day(2025, 3, 18)).await;
    let first = node
        .approvals()
        .record_chamber_vote(req(counted_vote(
            &case.case_id,
            "Riigikogu",
            day(2025, 5, 21),
            (70, 10, 2),
            false,
        )))
        .await
        .expect("the first reading is recorded")
        .into_inner()
        .withdrawal
        .expect("the case");
    assert_eq!(first.status(), S::InParliament);
    let reading = first.steps[1].vote.as_ref().expect("the vote");
    assert!(!reading.final_reading);
    assert!(reading.passed, "it met the threshold, yet decides nothing");

    let final_vote = vote(
        &node,
        &case.case_id,
        "Riigikogu",
        day(2025, 6, 4),
        (81, 1, 7),
    )
    .await;
    assert_eq!(final_vote.status(), S::AwaitingAssent);
    assert_eq!(final_vote.approved_on, Some(day(2025, 6, 4)));
}

#[tokio::test]
async fn a_state_under_the_default_procedure_is_approved_by_one_simple_majority() {
    let node = seeded_node().await;
    let case = open(&node, "LV", day(2025, 3, 18)).await;
    let approved = vote(
        &node,
        &case.case_id,
        "parliament",
        day(2025, 4, 16),
        (66, 14, 2),
    )
    .await;
    assert_eq!(approved.status(), S::Approved);
    assert!(approved.approved);
}

#[tokio::test]
async fn a_withdrawal_revoked_before_its_deposit_is_closed_and_a_new_case_can_open() {
    let node = seeded_node().await;
    let case = approved_lithuania(&node).await;
    let revoked = node
        .approvals()
        .revoke_withdrawal(req(pb::RevokeWithdrawalRequest {
            request_id: "revoke".into(),
            case_id: case.case_id.clone(),
            revoked_on: Some(day(2025, 6, 1)),
            detail: "The government abandoned the withdrawal".into(),
            sources: vec![],
        }))
        .await
        .expect("the revocation is recorded")
        .into_inner()
        .withdrawal
        .expect("the case");
    assert_eq!(revoked.status(), S::Revoked);
    assert_eq!(revoked.revoked_on, Some(day(2025, 6, 1)));
    assert_eq!(
        revoked.steps.last().map(pb::Step::kind),
        Some(pb::StepKind::Revoked)
    );

    let again = open(&node, "LT", day(2025, 7, 1)).await;
    assert_eq!(again.case_id, "apmbc-LT-2");
}

#[tokio::test]
async fn a_withdrawal_revoked_after_its_deposit_but_before_its_effect_is_revoked() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    let revoked = node
        .approvals()
        .revoke_withdrawal(req(pb::RevokeWithdrawalRequest {
            request_id: "revoke".into(),
            case_id: case.case_id.clone(),
            revoked_on: Some(day(2025, 12, 26)),
            detail: String::new(),
            sources: vec![],
        }))
        .await
        .expect("a revocation the day before the effect is in time")
        .into_inner()
        .withdrawal
        .expect("the case");
    assert_eq!(revoked.status(), S::Revoked);
    assert_eq!(
        revoked.notice_id, "apmbc-LT-1-deposit",
        "the notice stays on record"
    );
    assert_eq!(
        revoked.effective_on, None,
        "a revoked withdrawal never takes effect"
    );
}

#[tokio::test]
async fn a_case_opened_on_a_government_decision_takes_its_recommendation_later() {
    let node = seeded_node().await;
    let opened = node
        .approvals()
        .open_withdrawal(req(pb::OpenWithdrawalRequest {
            request_id: "open".into(),
            treaty: "apmbc".into(),
            state: "LV".into(),
            without_recommendation: true,
            detail: "Opened on the cabinet's decision".into(),
            sources: vec!["https://example.org/cabinet".into()],
            ..Default::default()
        }))
        .await
        .expect("a case opens without a recommendation")
        .into_inner()
        .withdrawal
        .expect("the case");
    assert_eq!(opened.case_id, "apmbc-LV-1");
    assert_eq!(
        opened.status(),
        S::Recommended,
        "opened reads as RECOMMENDED"
    );
    assert!(opened.steps.is_empty());

    node.approvals()
        .record_government_decision(req(pb::RecordGovernmentDecisionRequest {
            request_id: "decision".into(),
            case_id: opened.case_id.clone(),
            decided_on: Some(day(2025, 3, 18)),
            ..Default::default()
        }))
        .await
        .expect("the decision");
    let recommended = node
        .approvals()
        .record_recommendation(req(pb::RecordRecommendationRequest {
            request_id: "recommendation".into(),
            case_id: opened.case_id.clone(),
            recommended_on: Some(day(2025, 3, 20)),
            detail: "The President's decree".into(),
            sources: vec![],
        }))
        .await
        .expect("the recommendation")
        .into_inner()
        .withdrawal
        .expect("the case");
    assert_eq!(recommended.status(), S::GovernmentDecided);
    let kinds: Vec<_> = recommended.steps.iter().map(pb::Step::kind).collect();
    assert_eq!(
        kinds,
        [pb::StepKind::GovernmentDecision, pb::StepKind::Recommended]
    );

    let kinds = audited_kinds(&node, &opened.case_id, "approvals.recommendation_recorded").await;
    assert_eq!(
        kinds,
        [
            "approvals.withdrawal_opened",
            "approvals.government_decision_recorded",
            "approvals.recommendation_recorded"
        ]
    );
}
