//! Shared fixtures for the approvals tests: a node of all four services with the Ottawa
//! Convention, some of its parties and their procedures seeded in the registry, and
//! helpers that call the approvals service as a ministry's treaty section would.

#![allow(dead_code, unreachable_pub)]

use tonic::{Code, Request, Status};
use tonic_types::StatusExt;
use treaty_proto::approvals as pb;
use treaty_proto::google::r#type::Date;
use treaty_proto::notification as npb;
use treaty_proto::registry as rpb;
use treaty_testkit::TestNode;

/// The principal the tests record steps as.
pub const ACTOR: &str = "lt-mfa-treaty-section";

/// A civil date on the wire.
pub fn day(year: i32, month: i32, day: i32) -> Date {
    Date { year, month, day }
}

/// What the test principal may do: act for every state the tests use, record the
/// depositary's receipts and administer the registry (for the fixture).
pub const PERMISSIONS: &[&str] = &[
    "registry:admin",
    "depositary:record",
    "state:EE:record",
    "state:LV:record",
    "state:LT:record",
    "state:PL:record",
    "state:FR:record",
    "state:DE:record",
    "state:US:record",
];

/// A request carrying the test principal's token.
pub fn req<T>(message: T) -> Request<T> {
    treaty_testkit::as_user(ACTOR, PERMISSIONS, message)
}

/// The states bound by the Ottawa Convention in the fixture, with the dates of their
/// instruments (UN Treaty Collection) and their kind of consent.
pub const PARTIES: [(&str, (i32, i32, i32), rpb::ConsentKind); 6] = [
    ("EE", (2004, 5, 12), rpb::ConsentKind::Accession),
    ("LV", (2005, 7, 1), rpb::ConsentKind::Accession),
    ("LT", (2003, 5, 12), rpb::ConsentKind::Ratification),
    ("PL", (2012, 12, 27), rpb::ConsentKind::Ratification),
    ("FR", (1998, 7, 23), rpb::ConsentKind::Ratification),
    ("DE", (1998, 7, 23), rpb::ConsentKind::Ratification),
];

fn threshold(kind: rpb::ThresholdKind, yes_votes: u32, of_seats: u32) -> Option<rpb::Threshold> {
    Some(rpb::Threshold {
        kind: kind.into(),
        yes_votes,
        of_seats,
    })
}

/// Starts every service and seeds the registry: the Ottawa Convention (`apmbc`: six months
/// from the depositary's receipt, deferred by armed conflict, in force 1999-03-01), the
/// consents of [`PARTIES`], and the procedures of Lithuania (Seimas, 85 of 141, President),
/// Poland (Sejm and Senate, President) and Estonia (Riigikogu, President). Latvia keeps
/// the registry's default (one chamber, simple majority, no assent).
pub async fn seeded_node() -> TestNode {
    let node = TestNode::start_all().await;
    seed(&node).await;
    node
}

/// Seeds the registry of `node` (see [`seeded_node`]).
pub async fn seed(node: &TestNode) {
    let mut registry = node.registry();
    registry
        .create_treaty(req(rpb::CreateTreatyRequest {
            request_id: "seed-apmbc".into(),
            treaty: Some(rpb::Treaty {
                treaty_id: "apmbc".into(),
                title: "Convention on the Prohibition of the Use, Stockpiling, Production and Transfer of Anti-Personnel Mines and on their Destruction".into(),
                short_title: "Ottawa Convention".into(),
                depositary: "Secretary-General of the United Nations".into(),
                in_force_on: Some(day(1999, 3, 1)),
                entry_into_force_months: 6,
                withdrawal_clause: Some(rpb::WithdrawalClause {
                    notice_months: 6,
                    runs_from: rpb::RunsFrom::DepositaryReceipt.into(),
                    armed_conflict_defers: true,
                    article: "Article 20".into(),
                }),
                ..Default::default()
            }),
        }))
        .await
        .expect("the registry registers the Ottawa Convention");
    for (state, (y, m, d), kind) in PARTIES {
        registry
            .record_consent(req(rpb::RecordConsentRequest {
                request_id: format!("seed-consent-{state}"),
                treaty: "apmbc".into(),
                state: state.into(),
                kind: kind.into(),
                on: Some(day(y, m, d)),
                sources: vec!["https://treaties.un.org/ XXVI-5".into()],
            }))
            .await
            .unwrap_or_else(|e| panic!("the registry records the consent of {state}: {e:?}"));
    }
    let at_least = rpb::ThresholdKind::AtLeast;
    let simple = rpb::ThresholdKind::SimpleMajority;
    let procedures = [
        ("LT", vec![("Seimas", threshold(at_least, 85, 141))], true),
        (
            "PL",
            vec![
                ("Sejm", threshold(simple, 0, 0)),
                ("Senate", threshold(simple, 0, 0)),
            ],
            true,
        ),
        ("EE", vec![("Riigikogu", threshold(simple, 0, 0))], true),
    ];
    for (state, chambers, assent) in procedures {
        registry
            .set_approval_procedure(req(rpb::SetApprovalProcedureRequest {
                request_id: format!("seed-procedure-{state}"),
                state: state.into(),
                procedure: Some(rpb::ApprovalProcedure {
                    chambers: chambers
                        .into_iter()
                        .map(|(name, threshold)| rpb::Chamber {
                            name: name.into(),
                            threshold,
                        })
                        .collect(),
                    head_of_state_assent: assent,
                    sources: vec!["constitution".into()],
                }),
            }))
            .await
            .unwrap_or_else(|e| panic!("the registry records the procedure of {state}: {e:?}"));
    }
}

/// Opens a case for `state` by a recommendation on `on`.
pub async fn open(node: &TestNode, state: &str, on: Date) -> pb::Withdrawal {
    node.approvals()
        .open_withdrawal(req(pb::OpenWithdrawalRequest {
            request_id: format!("open-{state}-{}-{}-{}", on.year, on.month, on.day),
            treaty: "apmbc".into(),
            state: state.into(),
            recommended_on: Some(on),
            detail: "Recommendation to withdraw".into(),
            sources: vec!["https://example.org/recommendation".into()],
            without_recommendation: false,
        }))
        .await
        .unwrap_or_else(|e| panic!("a case opens for {state}: {e:?}"))
        .into_inner()
        .withdrawal
        .expect("the opened case")
}

/// A chamber vote request with counts.
pub fn counted_vote(
    case_id: &str,
    chamber: &str,
    on: Date,
    counts: (u32, u32, u32),
    final_reading: bool,
) -> pb::RecordChamberVoteRequest {
    pb::RecordChamberVoteRequest {
        request_id: String::new(),
        case_id: case_id.into(),
        vote: Some(pb::ChamberVote {
            chamber: chamber.into(),
            yes: Some(counts.0),
            no: Some(counts.1),
            abstain: Some(counts.2),
            final_reading,
            ..Default::default()
        }),
        voted_on: Some(on),
        undated: false,
        detail: format!("{chamber} vote"),
        sources: vec!["https://example.org/vote".into()],
    }
}

/// Records a chamber vote with counts.
pub async fn vote(
    node: &TestNode,
    case_id: &str,
    chamber: &str,
    on: Date,
    counts: (u32, u32, u32),
) -> pb::Withdrawal {
    node.approvals()
        .record_chamber_vote(req(counted_vote(case_id, chamber, on, counts, true)))
        .await
        .unwrap_or_else(|e| panic!("the {chamber} vote is recorded: {e:?}"))
        .into_inner()
        .withdrawal
        .expect("the case")
}

/// Records the head of state's assent (undated when `on` is `None`).
pub async fn assent(node: &TestNode, case_id: &str, on: Option<Date>) -> pb::Withdrawal {
    node.approvals()
        .record_head_of_state_assent(req(pb::RecordHeadOfStateAssentRequest {
            request_id: String::new(),
            case_id: case_id.into(),
            undated: on.is_none(),
            assented_on: on,
            detail: "The President signed".into(),
            sources: vec!["https://example.org/assent".into()],
        }))
        .await
        .unwrap_or_else(|e| panic!("the assent is recorded: {e:?}"))
        .into_inner()
        .withdrawal
        .expect("the case")
}

/// A deposit request.
pub fn deposit_request(case_id: &str, received_on: Date) -> pb::DepositInstrumentRequest {
    pb::DepositInstrumentRequest {
        request_id: format!("deposit-{case_id}"),
        case_id: case_id.into(),
        received_on: Some(received_on),
        reasons: "The military threat in the region has changed fundamentally.".into(),
        sources: vec!["https://example.org/deposit".into()],
    }
}

/// Records the deposit of the instrument.
pub async fn deposit(node: &TestNode, case_id: &str, received_on: Date) -> pb::Withdrawal {
    node.approvals()
        .deposit_instrument(req(deposit_request(case_id, received_on)))
        .await
        .unwrap_or_else(|e| panic!("the deposit is recorded: {e:?}"))
        .into_inner()
        .withdrawal
        .expect("the case")
}

/// Opens Lithuania's case on 2025-03-18 and approves it (Seimas 107-0-3 on 2025-05-08,
/// undated assent), ready for the deposit.
pub async fn approved_lithuania(node: &TestNode) -> pb::Withdrawal {
    let case = open(node, "LT", day(2025, 3, 18)).await;
    vote(node, &case.case_id, "Seimas", day(2025, 5, 8), (107, 0, 3)).await;
    assent(node, &case.case_id, None).await
}

/// Lithuania's case deposited on 2025-06-27.
pub async fn notified_lithuania(node: &TestNode) -> pb::Withdrawal {
    let case = approved_lithuania(node).await;
    deposit(node, &case.case_id, day(2025, 6, 27)).await
}

/// Reads one case.
pub async fn get(node: &TestNode, case_id: &str) -> pb::Withdrawal {
    node.approvals()
        .get_withdrawal(pb::GetWithdrawalRequest {
            case_id: case_id.into(),
        })
        .await
        .unwrap_or_else(|e| panic!("case {case_id} is readable: {e:?}"))
        .into_inner()
        .withdrawal
        .expect("the case")
}

// Not every test file that includes this module polls.
#[allow(unused_imports)]
pub use treaty_testkit::eventually;

/// Waits until case `case_id` has `status`.
pub async fn wait_for_status(
    node: &TestNode,
    case_id: &str,
    status: pb::WithdrawalStatus,
) -> pb::Withdrawal {
    eventually(&format!("{case_id} to become {status:?}"), || async {
        let case = get(node, case_id).await;
        (case.status() == status).then_some(case)
    })
    .await
}

/// Waits until the notification service has the notice `notice_id`.
pub async fn wait_for_notice(node: &TestNode, notice_id: &str) -> npb::GetNoticeResponse {
    eventually(&format!("the notice {notice_id}"), || async {
        node.notification()
            .get_notice(npb::GetNoticeRequest {
                notice_id: notice_id.into(),
            })
            .await
            .ok()
            .map(tonic::Response::into_inner)
    })
    .await
}

/// The field violations of an INVALID_ARGUMENT status.
pub fn violated_fields(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let bad = status
        .get_details_bad_request()
        .expect("INVALID_ARGUMENT carries BadRequest details");
    bad.field_violations.into_iter().map(|v| v.field).collect()
}

/// The `ErrorInfo` reason of a status, checking its code.
pub fn reason(status: &Status, code: Code) -> String {
    assert_eq!(status.code(), code, "{status:?}");
    status
        .get_details_error_info()
        .unwrap_or_else(|| panic!("{code:?} carries ErrorInfo: {status:?}"))
        .reason
}

/// The kinds of the approvals journal entries about `case_id` in the audit log, once the
/// entry of kind `last_kind` has arrived there.
pub async fn audited_kinds(node: &TestNode, case_id: &str, last_kind: &str) -> Vec<String> {
    eventually(
        &format!("{last_kind} of {case_id} in the audit log"),
        || async {
            let entries = node
                .audit()
                .list_entries(treaty_proto::audit::ListEntriesRequest {
                    source: "approvals".into(),
                    case_id: case_id.into(),
                    page_size: 1000,
                    ..Default::default()
                })
                .await
                .ok()?
                .into_inner()
                .entries;
            let kinds: Vec<String> = entries.into_iter().map(|e| e.kind).collect();
            kinds.iter().any(|k| k == last_kind).then_some(kinds)
        },
    )
    .await
}
