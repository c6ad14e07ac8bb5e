//! Reading cases back: listing with filters and pages, and the journal entries the audit
//! log receives for every step.

use crate::support::*;
use pb::WithdrawalStatus as S;
use treaty_proto::approvals as pb;

#[tokio::test]
async fn list_withdrawals_filters_by_treaty_state_and_status_and_pages() {
    let node = seeded_node().await;
    node.approvals()
        .issue_joint_statement(req(pb::IssueJointStatementRequest {
            request_id: "statement".into(),
            treaty: "apmbc".into(),
            states: vec!["EE".into(), "LV".into(), "LT".into(), "PL".into()],
            issued_on: Some(day(2025, 3, 18)),
            text: String::new(),
            sources: vec![],
        }))
        .await
        .expect("the statement is recorded");
    vote(
        &node,
        "apmbc-LV-1",
        "parliament",
        day(2025, 4, 16),
        (66, 14, 2),
    )
    .await;

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = node
            .approvals()
            .list_withdrawals(pb::ListWithdrawalsRequest {
                treaty: "apmbc".into(),
                page_size: 3,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("a page")
            .into_inner();
        assert!(page.withdrawals.len() <= 3);
        seen.extend(page.withdrawals.into_iter().map(|w| w.case_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        seen,
        ["apmbc-EE-1", "apmbc-LT-1", "apmbc-LV-1", "apmbc-PL-1"]
    );

    let approved = node
        .approvals()
        .list_withdrawals(pb::ListWithdrawalsRequest {
            status: S::Approved.into(),
            ..Default::default()
        })
        .await
        .expect("a filtered list")
        .into_inner();
    let ids: Vec<_> = approved
        .withdrawals
        .iter()
        .map(|w| w.case_id.as_str())
        .collect();
    assert_eq!(ids, ["apmbc-LV-1"]);

    let poland = node
        .approvals()
        .list_withdrawals(pb::ListWithdrawalsRequest {
            state: "pl".into(),
            ..Default::default()
        })
        .await
        .expect("a filtered list")
        .into_inner();
    let ids: Vec<_> = poland
        .withdrawals
        .iter()
        .map(|w| w.case_id.as_str())
        .collect();
    assert_eq!(ids, ["apmbc-PL-1"]);

    let other_treaty = node
        .approvals()
        .list_withdrawals(pb::ListWithdrawalsRequest {
            treaty: "ccm".into(),
            ..Default::default()
        })
        .await
        .expect("an empty list")
        .into_inner();
    assert!(other_treaty.withdrawals.is_empty());
}

#[tokio::test]
async fn every_step_is_one_journal_entry_shipped_to_the_audit_log() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    let kinds = audited_kinds(&node, &case.case_id, "approvals.instrument_deposited").await;
    assert_eq!(
        kinds,
        [
            "approvals.withdrawal_opened",
            "approvals.chamber_vote_recorded",
            "approvals.head_of_state_assent_recorded",
            "approvals.instrument_deposited"
        ]
    );
    let history = node
        .audit()
        .get_history(treaty_proto::audit::GetHistoryRequest {
            state: "LT".into(),
            treaty: "apmbc".into(),
            ..Default::default()
        })
        .await
        .expect("Lithuania's history")
        .into_inner();
    let deposit = history
        .entries
        .iter()
        .find(|e| e.kind == "approvals.instrument_deposited")
        .expect("the deposit in Lithuania's history");
    assert_eq!(deposit.actor, treaty_testkit::recorded(ACTOR, "approvals"));
    assert_eq!(deposit.occurred_on, Some(day(2025, 6, 27)));
    assert_eq!(deposit.case_id, "apmbc-LT-1");
    assert_eq!(deposit.sources, ["https://example.org/deposit"]);
    assert!(
        deposit.details.contains("\"status\":\"NOTIFIED\""),
        "{}",
        deposit.details
    );
}
