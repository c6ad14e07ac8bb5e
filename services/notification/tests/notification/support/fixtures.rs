//! The real facts the tests record: the Ottawa Convention and the CCM, their
//! parties, and the Lithuanian and Latvian withdrawals of 2024–2025, through
//! the real registry and approvals services of a `TestNode`.

use std::collections::BTreeSet;

use treaty_proto::approvals as ap;
use treaty_proto::google::r#type::Date;
use treaty_proto::notification as pb;
use treaty_proto::registry as rg;
use treaty_testkit::TestNode;

use super::{day, publish, req};

/// The Ottawa Convention's parties used here: (code, kind, deposit).
/// Tonga acceded on 2025-06-25 and the Marshall Islands ratified on
/// 2025-03-12: on 2025-06-27 the treaty is not yet in force for them.
pub const OTTAWA: [(&str, rg::ConsentKind, (i32, i32, i32)); 9] = [
    ("AT", rg::ConsentKind::Ratification, (1998, 6, 29)),
    ("DE", rg::ConsentKind::Ratification, (1998, 7, 23)),
    ("EE", rg::ConsentKind::Accession, (2004, 5, 12)),
    ("FR", rg::ConsentKind::Ratification, (1998, 7, 23)),
    ("LT", rg::ConsentKind::Ratification, (2003, 5, 12)),
    ("LV", rg::ConsentKind::Accession, (2005, 7, 1)),
    ("MH", rg::ConsentKind::Ratification, (2025, 3, 12)),
    ("NO", rg::ConsentKind::Ratification, (1998, 7, 9)),
    ("TO", rg::ConsentKind::Accession, (2025, 6, 25)),
];

/// Every recipient of a notice of Lithuania's Ottawa withdrawal on 2025-06-27.
pub fn ottawa_recipients_but_lt() -> BTreeSet<String> {
    OTTAWA
        .iter()
        .filter(|(c, ..)| *c != "LT")
        .map(|(c, ..)| format!("states/{c}"))
        .chain(["depositary".to_owned(), "un-security-council".to_owned()])
        .collect()
}

fn article_20() -> rg::WithdrawalClause {
    rg::WithdrawalClause {
        notice_months: 6,
        runs_from: rg::RunsFrom::DepositaryReceipt.into(),
        armed_conflict_defers: true,
        article: "Article 20".into(),
    }
}

async fn create_treaty(node: &TestNode, id: &str, title: &str, in_force: Date) {
    node.registry()
        .create_treaty(req(rg::CreateTreatyRequest {
            request_id: format!("create-{id}"),
            treaty: Some(rg::Treaty {
                treaty_id: id.into(),
                title: title.into(),
                short_title: title.into(),
                depositary: "Secretary-General of the United Nations".into(),
                in_force_on: Some(in_force),
                entry_into_force_months: 6,
                withdrawal_clause: Some(article_20()),
                sources: vec!["https://treaties.un.org/".into()],
                ..Default::default()
            }),
        }))
        .await
        .expect("create the treaty");
}

async fn consent(node: &TestNode, treaty: &str, state: &str, kind: rg::ConsentKind, on: Date) {
    node.registry()
        .record_consent(req(rg::RecordConsentRequest {
            request_id: format!("consent-{treaty}-{state}-{kind:?}"),
            treaty: treaty.into(),
            state: state.into(),
            kind: kind.into(),
            on: Some(on),
            sources: vec!["https://treaties.un.org/".into()],
        }))
        .await
        .expect("record the consent");
}

async fn lithuanian_procedure(node: &TestNode) {
    node.registry()
        .set_approval_procedure(req(rg::SetApprovalProcedureRequest {
            request_id: "procedure-LT".into(),
            state: "LT".into(),
            procedure: Some(rg::ApprovalProcedure {
                chambers: vec![rg::Chamber {
                    name: "Seimas".into(),
                    threshold: Some(rg::Threshold {
                        kind: rg::ThresholdKind::AtLeast.into(),
                        yes_votes: 85,
                        of_seats: 141,
                    }),
                }],
                head_of_state_assent: true,
                sources: vec!["https://www.lrs.lt/".into()],
            }),
        }))
        .await
        .expect("set Lithuania's procedure");
}

/// Records the Ottawa Convention, the parties of [`OTTAWA`] and Lithuania's procedure.
pub async fn seed_ottawa(node: &TestNode) {
    create_treaty(node, "apmbc", "Ottawa Convention", day(1999, 3, 1)).await;
    for (state, kind, (y, m, d)) in OTTAWA {
        consent(node, "apmbc", state, kind, day(y, m, d)).await;
    }
    lithuanian_procedure(node).await;
}

/// Records the CCM with four parties, Lithuania, and Angola as a signatory
/// that never ratified.
pub async fn seed_ccm(node: &TestNode) {
    create_treaty(
        node,
        "ccm",
        "Convention on Cluster Munitions",
        day(2010, 8, 1),
    )
    .await;
    for (state, (y, m, d)) in [
        ("AT", (2009, 4, 2)),
        ("DE", (2009, 7, 8)),
        ("FR", (2009, 9, 25)),
        ("LT", (2011, 3, 24)),
        ("NO", (2008, 12, 3)),
    ] {
        consent(
            node,
            "ccm",
            state,
            rg::ConsentKind::Ratification,
            day(y, m, d),
        )
        .await;
    }
    consent(
        node,
        "ccm",
        "AO",
        rg::ConsentKind::Signature,
        day(2008, 12, 3),
    )
    .await;
    lithuanian_procedure(node).await;
}

/// Opens a withdrawal case and returns its id.
pub async fn open_case(node: &TestNode, treaty: &str, state: &str, recommended: Date) -> String {
    node.approvals()
        .open_withdrawal(req(ap::OpenWithdrawalRequest {
            request_id: format!("open-{treaty}-{state}"),
            treaty: treaty.into(),
            state: state.into(),
            recommended_on: Some(recommended),
            detail: "Recommendation to withdraw".into(),
            sources: vec!["https://pap.pl/".into()],
            ..Default::default()
        }))
        .await
        .expect("open the case")
        .into_inner()
        .withdrawal
        .expect("the case")
        .case_id
}

/// Takes Lithuania's case through the Seimas (`yes` of 141) and the President.
pub async fn approve_lt(node: &TestNode, case_id: &str, voted: Date, yes: u32, assented: Date) {
    let mut approvals = node.approvals();
    approvals
        .record_chamber_vote(req(ap::RecordChamberVoteRequest {
            request_id: format!("vote-{case_id}"),
            case_id: case_id.into(),
            vote: Some(ap::ChamberVote {
                chamber: "Seimas".into(),
                yes: Some(yes),
                no: Some(0),
                abstain: Some(3),
                final_reading: true,
                ..Default::default()
            }),
            voted_on: Some(voted),
            sources: vec!["https://www.lrytas.lt/".into()],
            ..Default::default()
        }))
        .await
        .expect("record the Seimas vote");
    let case = approvals
        .record_head_of_state_assent(req(ap::RecordHeadOfStateAssentRequest {
            request_id: format!("assent-{case_id}"),
            case_id: case_id.into(),
            assented_on: Some(assented),
            sources: vec!["https://zmi.st/".into()],
            ..Default::default()
        }))
        .await
        .expect("record the assent")
        .into_inner()
        .withdrawal
        .expect("the case");
    assert!(case.approved, "the case is approved: {case:?}");
}

/// Seeds the Ottawa Convention and approves Lithuania's withdrawal from it
/// (Seimas 2025-05-08, 107 for); returns the case id.
pub async fn approved_ottawa_lt(node: &TestNode) -> String {
    seed_ottawa(node).await;
    let case = open_case(node, "apmbc", "LT", day(2025, 3, 18)).await;
    approve_lt(node, &case, day(2025, 5, 8), 107, day(2025, 5, 20)).await;
    case
}

/// A deposit notice of Lithuania's Ottawa withdrawal, received 2025-06-27.
pub fn lt_deposit(notice_id: &str, case_id: &str) -> pb::Notice {
    pb::Notice {
        notice_id: notice_id.into(),
        kind: pb::NoticeKind::Deposit.into(),
        treaty: "apmbc".into(),
        state: "LT".into(),
        case_id: case_id.into(),
        received_on: Some(day(2025, 6, 27)),
        effective_on: Some(day(2025, 12, 27)),
        reasons: "The security environment in the region has fundamentally changed.".into(),
        text: "The Secretary-General circulates the notification of withdrawal of Lithuania."
            .into(),
        sources: vec!["https://en.trend.az/baltics/4063907.html".into()],
        ..Default::default()
    }
}

/// Approves Latvia's Ottawa withdrawal (Saeima 2025-04-16, 66 for; the
/// President proclaimed it on 2025-04-24); returns the case id.
pub async fn approved_ottawa_lv(node: &TestNode) -> String {
    node.registry()
        .set_approval_procedure(req(rg::SetApprovalProcedureRequest {
            request_id: "procedure-LV".into(),
            state: "LV".into(),
            procedure: Some(rg::ApprovalProcedure {
                chambers: vec![rg::Chamber {
                    name: "Saeima".into(),
                    threshold: Some(rg::Threshold {
                        kind: rg::ThresholdKind::SimpleMajority.into(),
                        ..Default::default()
                    }),
                }],
                head_of_state_assent: true,
                sources: vec!["https://www.saeima.lv/".into()],
            }),
        }))
        .await
        .expect("set Latvia's procedure");
    let case = open_case(node, "apmbc", "LV", day(2025, 3, 18)).await;
    let mut approvals = node.approvals();
    approvals
        .record_chamber_vote(req(ap::RecordChamberVoteRequest {
            request_id: format!("vote-{case}"),
            case_id: case.clone(),
            vote: Some(ap::ChamberVote {
                chamber: "Saeima".into(),
                yes: Some(66),
                no: Some(14),
                abstain: Some(2),
                final_reading: true,
                ..Default::default()
            }),
            voted_on: Some(day(2025, 4, 16)),
            ..Default::default()
        }))
        .await
        .expect("record the Saeima vote");
    approvals
        .record_head_of_state_assent(req(ap::RecordHeadOfStateAssentRequest {
            request_id: format!("assent-{case}"),
            case_id: case.clone(),
            assented_on: Some(day(2025, 4, 24)),
            ..Default::default()
        }))
        .await
        .expect("record the proclamation");
    case
}

pub fn lv_deposit(case: &str) -> pb::Notice {
    pb::Notice {
        notice_id: "apmbc-LV-1-deposit".into(),
        state: "LV".into(),
        sources: vec!["https://en.bb.lv/".into()],
        ..lt_deposit("", case)
    }
}

pub fn lt_effect(case: &str) -> pb::Notice {
    pb::Notice {
        notice_id: "apmbc-LT-1-effect".into(),
        kind: pb::NoticeKind::Effect.into(),
        circulated_on: Some(day(2025, 12, 29)),
        ..lt_deposit("", case)
    }
}

/// Two approved cases (Lithuania, Latvia) and the first two notices: FR's
/// inbox holds Lithuania's deposit at cursor 1 and Latvia's at cursor 2.
pub async fn two_deposits(node: &TestNode) -> (String, String) {
    let lt = approved_ottawa_lt(node).await;
    let lv = approved_ottawa_lv(node).await;
    publish(node, "p-lt", lt_deposit("apmbc-LT-1-deposit", &lt))
        .await
        .expect("publish LT");
    publish(node, "p-lv", lv_deposit(&lv))
        .await
        .expect("publish LV");
    (lt, lv)
}

pub fn id(m: &pb::SubscribeResponse) -> (u64, &str) {
    (
        m.cursor,
        m.notice.as_ref().map_or("", |n| n.notice_id.as_str()),
    )
}
