//! Requests made once (AIP-155): a request id reused for another request is refused, never
//! answered with the first request's result; copies of one request sent at once get the
//! first answer, never a refusal; errors carry ErrorInfo and stay small.

use tonic::Code;
use treaty_proto::approvals as pb;

use crate::support::*;

fn open_request(request_id: &str, state: &str) -> pb::OpenWithdrawalRequest {
    pb::OpenWithdrawalRequest {
        request_id: request_id.into(),
        treaty: "apmbc".into(),
        state: state.into(),
        recommended_on: Some(day(2025, 3, 18)),
        detail: "Recommendation to withdraw".into(),
        sources: vec![],
        without_recommendation: false,
    }
}

#[tokio::test]
async fn a_request_id_reused_for_another_state_is_refused_and_opens_nothing() {
    let node = seeded_node().await;
    let mut approvals = node.approvals();
    let fr = approvals
        .open_withdrawal(req(open_request("k", "FR")))
        .await
        .expect("France's case opens")
        .into_inner();
    // Today a request for DE under the same key was answered with the case of another state.
    let err = approvals
        .open_withdrawal(req(open_request("k", "DE")))
        .await
        .expect_err("the key belongs to France's request");
    assert_eq!(violated_fields(&err), ["request_id"]);
    assert_eq!(reason(&err, Code::InvalidArgument), "REQUEST_ID_REUSED");
    let de = approvals
        .list_withdrawals(pb::ListWithdrawalsRequest {
            state: "DE".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert!(de.withdrawals.is_empty(), "nothing was opened for DE");
    // The first request, sent again, still gets its own answer.
    let again = approvals
        .open_withdrawal(req(open_request("k", "FR")))
        .await
        .expect("a retry")
        .into_inner();
    assert_eq!(again, fr);
}

#[tokio::test]
async fn copies_of_one_request_sent_at_once_all_get_the_first_answer_never_a_refusal() {
    let node = seeded_node().await;
    for state in ["FR", "DE", "EE"] {
        let request = open_request(&format!("open-{state}"), state);
        let (mut a, mut b, mut c) = (node.approvals(), node.approvals(), node.approvals());
        let (first, second, third) = tokio::join!(
            a.open_withdrawal(req(request.clone())),
            b.open_withdrawal(req(request.clone())),
            c.open_withdrawal(req(request.clone())),
        );
        let answers: Vec<_> = [first, second, third]
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|e| panic!("{state}: a copy was refused: {e:?}"))
                    .into_inner()
            })
            .collect();
        assert!(
            answers.windows(2).all(|w| w[0] == w[1]),
            "{state}: {answers:?}"
        );
    }
    // The same for a deposit, whose checks ask the registry before the commit.
    let case = approved_lithuania(&node).await;
    let request = deposit_request(&case.case_id, day(2025, 6, 27));
    let (mut a, mut b) = (node.approvals(), node.approvals());
    let (first, second) = tokio::join!(
        a.deposit_instrument(req(request.clone())),
        b.deposit_instrument(req(request.clone())),
    );
    let first = first.expect("the first copy").into_inner();
    let second = second.expect("the second copy is not refused").into_inner();
    assert_eq!(first, second);
    let steps = get(&node, &case.case_id).await.steps;
    let deposits = steps
        .iter()
        .filter(|s| s.kind() == pb::StepKind::InstrumentDeposited)
        .count();
    assert_eq!(deposits, 1, "one deposit recorded");
}

#[tokio::test]
async fn an_unknown_case_is_not_found_with_error_info() {
    let node = seeded_node().await;
    let err = node
        .approvals()
        .get_withdrawal(pb::GetWithdrawalRequest {
            case_id: "apmbc-LT-9".into(),
        })
        .await
        .expect_err("no such case");
    assert_eq!(reason(&err, Code::NotFound), "CASE_NOT_FOUND");
    assert_eq!(
        treaty_testkit::error_metadata(&err, "caseId").as_deref(),
        Some("apmbc-LT-9")
    );
    let info = tonic_types::StatusExt::get_details_error_info(&err).expect("ErrorInfo");
    assert_eq!(info.domain, "treaty.approvals.v1");
}

#[tokio::test]
async fn ten_thousand_states_in_one_statement_make_one_small_error() {
    let node = seeded_node().await;
    let states: Vec<String> = (0..10_000).map(|i| format!("X{i}")).collect();
    let err = node
        .approvals()
        .issue_joint_statement(req(pb::IssueJointStatementRequest {
            request_id: "big".into(),
            treaty: "apmbc".into(),
            states,
            issued_on: Some(day(2025, 3, 18)),
            text: "x".repeat(1_000_000),
            sources: vec![],
        }))
        .await
        .expect_err("too many states, too long a text");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().len() < 2_000, "{} bytes", err.message().len());
    assert!(
        err.details().len() < 16 * 1024,
        "{} bytes of details",
        err.details().len()
    );
    assert_eq!(violated_fields(&err), ["states", "text"]);
}
