//! States: every ISO 3166-1 code, with its domestic approval procedure or the default.

use crate::common::registry_client;
use crate::common::{fields, req, violations};
use tonic::Code;
use treaty_proto::registry as pb;
use treaty_testkit::TestNode;

fn threshold(kind: pb::ThresholdKind, yes_votes: u32, of_seats: u32) -> Option<pb::Threshold> {
    Some(pb::Threshold {
        kind: kind.into(),
        yes_votes,
        of_seats,
    })
}

fn chamber(name: &str, threshold: Option<pb::Threshold>) -> pb::Chamber {
    pb::Chamber {
        name: name.into(),
        threshold,
    }
}

/// Lithuania: the Seimas with at least 85 of 141 votes, then the President.
fn lithuania() -> pb::ApprovalProcedure {
    pb::ApprovalProcedure {
        chambers: vec![chamber(
            "Seimas",
            threshold(pb::ThresholdKind::AtLeast, 85, 141),
        )],
        head_of_state_assent: true,
        sources: vec!["Constitution of Lithuania, Art. 138".into()],
    }
}

fn set(
    state: &str,
    request_id: &str,
    procedure: pb::ApprovalProcedure,
) -> tonic::Request<pb::SetApprovalProcedureRequest> {
    req(pb::SetApprovalProcedureRequest {
        request_id: request_id.into(),
        state: state.into(),
        procedure: Some(procedure),
    })
}

#[tokio::test]
async fn a_state_without_a_recorded_procedure_has_the_default_one() {
    let node = TestNode::start_all().await;
    let state = node
        .registry()
        .get_state(pb::GetStateRequest { state: "ee".into() })
        .await
        .expect("get")
        .into_inner()
        .state
        .expect("a state");
    assert_eq!(state.name, "states/EE");
    assert_eq!(state.code, "EE");
    assert_eq!(state.display_name, "Estonia");
    assert!(!state.procedure_recorded);
    let procedure = state.approval_procedure.expect("the default procedure");
    assert_eq!(procedure.chambers.len(), 1);
    let only = procedure.chambers[0].threshold.expect("a threshold");
    assert_eq!(only.kind(), pb::ThresholdKind::SimpleMajority);
    assert!(!procedure.head_of_state_assent);
}

#[tokio::test]
async fn an_unknown_state_code_is_refused_with_close_codes_suggested() {
    let node = TestNode::start_all().await;
    let err = node
        .registry()
        .get_state(pb::GetStateRequest {
            state: "LTU".into(),
        })
        .await
        .expect_err("not an alpha-2 code");
    let found = violations(&err);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "state");
    assert!(found[0].1.contains("LT"), "{}", found[0].1);
    let err = node
        .registry()
        .get_state(pb::GetStateRequest {
            state: String::new(),
        })
        .await
        .expect_err("missing");
    assert_eq!(fields(&err), ["state"]);
}

#[tokio::test]
async fn a_set_procedure_is_returned_by_get_state_and_a_retry_returns_the_first_answer_and_another_request_under_its_id_is_refused()
 {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    let first = registry
        .set_approval_procedure(set("LT", "p1", lithuania()))
        .await
        .expect("set")
        .into_inner();
    let state = first.state.clone().expect("a state");
    assert!(state.procedure_recorded);
    assert_eq!(state.approval_procedure, Some(lithuania()));

    let retry = registry
        .set_approval_procedure(set("LT", "p1", lithuania()))
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(retry, first);
    let mut other = lithuania();
    other.head_of_state_assent = false;
    let err = registry
        .set_approval_procedure(set("LT", "p1", other.clone()))
        .await
        .expect_err("another request under the same id");
    assert_eq!(fields(&err), ["request_id"]);
    let got = registry
        .get_state(pb::GetStateRequest { state: "LT".into() })
        .await
        .expect("get")
        .into_inner()
        .state
        .expect("a state");
    assert_eq!(
        got.approval_procedure,
        Some(lithuania()),
        "the retry changed nothing"
    );

    registry
        .set_approval_procedure(set("LT", "p2", other.clone()))
        .await
        .expect("a new procedure replaces the old");
    let got = registry
        .get_state(pb::GetStateRequest { state: "LT".into() })
        .await
        .expect("get")
        .into_inner()
        .state
        .expect("a state");
    assert_eq!(got.approval_procedure, Some(other));
}

#[tokio::test]
async fn a_bad_procedure_is_refused_with_a_violation_per_wrong_field_and_nothing_changes() {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    let bad = pb::ApprovalProcedure {
        chambers: vec![
            chamber("Sejm", threshold(pb::ThresholdKind::SimpleMajority, 0, 0)),
            chamber("sejm", threshold(pb::ThresholdKind::SimpleMajority, 0, 0)),
            chamber("Senate", threshold(pb::ThresholdKind::AtLeast, 142, 100)),
            chamber("", threshold(pb::ThresholdKind::Unspecified, 0, 0)),
        ],
        head_of_state_assent: true,
        sources: vec![],
    };
    let err = registry
        .set_approval_procedure(set("PL", "bad", bad))
        .await
        .expect_err("refused");
    let mut got = fields(&err);
    got.sort();
    assert_eq!(
        got,
        [
            "procedure.chambers[1].name",
            "procedure.chambers[2].threshold",
            "procedure.chambers[3].name",
            "procedure.chambers[3].threshold.kind",
        ]
    );
    let none = pb::ApprovalProcedure::default();
    let err = registry
        .set_approval_procedure(set("PL", "none", none))
        .await
        .expect_err("no chambers");
    assert_eq!(fields(&err), ["procedure.chambers"]);
    let err = registry
        .set_approval_procedure(req(pb::SetApprovalProcedureRequest {
            request_id: "x".into(),
            state: "QQ".into(),
            procedure: None,
        }))
        .await
        .expect_err("both wrong");
    assert_eq!(fields(&err), ["state", "procedure"]);
    let state = registry
        .get_state(pb::GetStateRequest { state: "PL".into() })
        .await
        .expect("get")
        .into_inner()
        .state
        .expect("a state");
    assert!(!state.procedure_recorded);
}

#[tokio::test]
async fn every_iso_state_is_listed_in_pages_with_recorded_procedures() {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    registry
        .set_approval_procedure(set("LT", "p1", lithuania()))
        .await
        .expect("set");
    let mut token = String::new();
    let mut codes = Vec::new();
    let mut recorded = Vec::new();
    loop {
        let page = registry
            .list_states(pb::ListStatesRequest {
                page_size: 100,
                page_token: token,
            })
            .await
            .expect("list")
            .into_inner();
        assert!(page.states.len() <= 100);
        for s in &page.states {
            codes.push(s.code.clone());
            if s.procedure_recorded {
                recorded.push(s.code.clone());
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert!(codes.len() >= 249, "{} states", codes.len());
    assert!(
        codes.windows(2).all(|w| w[0] < w[1]),
        "sorted, no duplicates"
    );
    assert!(codes.iter().any(|c| c == "PS") && codes.iter().any(|c| c == "VA"));
    assert_eq!(recorded, ["LT"]);

    let err = registry
        .list_states(pb::ListStatesRequest {
            page_size: 10,
            page_token: "bogus".into(),
        })
        .await
        .expect_err("a token the service did not issue");
    assert_eq!(err.code(), Code::InvalidArgument);
}
