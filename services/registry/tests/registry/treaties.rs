//! Treaties: registering them with their withdrawal clauses, reading and listing them.

use crate::common::registry_client;
use crate::common::{apmbc, date, fields, node_with_apmbc, reason, req};
use tonic::Code;
use treaty_proto::registry as pb;
use treaty_testkit::TestNode;

fn create(request_id: &str, treaty: pb::Treaty) -> tonic::Request<pb::CreateTreatyRequest> {
    req(pb::CreateTreatyRequest {
        request_id: request_id.into(),
        treaty: Some(treaty),
    })
}

#[tokio::test]
async fn a_created_treaty_is_returned_by_get_and_list_with_its_clause() {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    let created = registry
        .create_treaty(create("r1", apmbc()))
        .await
        .expect("create")
        .into_inner()
        .treaty
        .expect("a treaty");
    assert_eq!(created.name, "treaties/apmbc");
    assert_eq!(created.in_force_on, Some(date("1999-03-01")));
    let clause = created.withdrawal_clause.clone().expect("a clause");
    assert_eq!(clause.notice_months, 6);
    assert_eq!(clause.runs_from(), pb::RunsFrom::DepositaryReceipt);
    assert!(clause.armed_conflict_defers);

    let got = registry
        .get_treaty(pb::GetTreatyRequest {
            treaty: "apmbc".into(),
        })
        .await
        .expect("get")
        .into_inner()
        .treaty;
    assert_eq!(got, Some(created.clone()));

    let listed = registry
        .list_treaties(pb::ListTreatiesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.treaties, vec![created]);
    assert!(listed.next_page_token.is_empty());
}

#[tokio::test]
async fn creating_a_treaty_again_returns_the_first_answer_for_the_same_request_and_is_refused_otherwise()
 {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    let first = registry
        .create_treaty(create("r1", apmbc()))
        .await
        .expect("create")
        .into_inner();
    let retry = registry
        .create_treaty(create("r1", apmbc()))
        .await
        .expect("a retry succeeds")
        .into_inner();
    assert_eq!(retry, first, "a retry returns the first answer");

    // The same request id for a different request is refused, never answered with the first
    // request's result (AIP-155).
    let mut changed = apmbc();
    changed.title = "Another title".into();
    let err = registry
        .create_treaty(create("r1", changed.clone()))
        .await
        .expect_err("the key is reused for another request");
    assert_eq!(fields(&err), ["request_id"]);
    assert_eq!(reason(&err), "REQUEST_ID_REUSED");

    let err = registry
        .create_treaty(create("r2", changed))
        .await
        .expect_err("the id is taken");
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(reason(&err), "TREATY_EXISTS");
}

#[tokio::test]
async fn a_treaty_with_bad_fields_is_refused_with_one_violation_per_field_and_nothing_is_created() {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    let bad = pb::Treaty {
        treaty_id: "Ottawa Convention".into(),
        title: " ".into(),
        in_force_on: Some(treaty_proto::google::r#type::Date {
            year: 1999,
            month: 2,
            day: 30,
        }),
        entry_into_force_months: 0,
        withdrawal_clause: Some(pb::WithdrawalClause {
            notice_months: 121,
            runs_from: pb::RunsFrom::Unspecified.into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let err = registry
        .create_treaty(create("bad", bad))
        .await
        .expect_err("refused");
    let mut got = fields(&err);
    got.sort();
    assert_eq!(
        got,
        [
            "treaty.entry_into_force_months",
            "treaty.in_force_on",
            "treaty.title",
            "treaty.treaty_id",
            "treaty.withdrawal_clause.notice_months",
            "treaty.withdrawal_clause.runs_from",
        ]
    );

    let missing = registry
        .create_treaty(req(pb::CreateTreatyRequest {
            request_id: "none".into(),
            treaty: None,
        }))
        .await
        .expect_err("refused");
    assert_eq!(fields(&missing), ["treaty"]);
    let listed = registry
        .list_treaties(pb::ListTreatiesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert!(listed.treaties.is_empty());
}

#[tokio::test]
async fn an_unknown_treaty_is_not_found_and_a_malformed_id_is_invalid() {
    let (_node, mut registry) = node_with_apmbc().await;
    let err = registry
        .get_treaty(pb::GetTreatyRequest {
            treaty: "ccm".into(),
        })
        .await
        .expect_err("unknown");
    assert_eq!(err.code(), Code::NotFound);
    let err = registry
        .get_treaty(pb::GetTreatyRequest {
            treaty: "CCM!".into(),
        })
        .await
        .expect_err("malformed");
    assert_eq!(fields(&err), ["treaty"]);
}

#[tokio::test]
async fn treaties_are_listed_in_pages_by_id() {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    for id in ["ccm", "apmbc", "npt"] {
        let treaty = pb::Treaty {
            treaty_id: id.into(),
            ..apmbc()
        };
        registry
            .create_treaty(create(id, treaty))
            .await
            .expect("create");
    }
    let first = registry
        .list_treaties(pb::ListTreatiesRequest {
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .expect("page 1")
        .into_inner();
    let ids: Vec<_> = first
        .treaties
        .iter()
        .map(|t| t.treaty_id.as_str())
        .collect();
    assert_eq!(ids, ["apmbc", "ccm"]);
    let second = registry
        .list_treaties(pb::ListTreatiesRequest {
            page_size: 2,
            page_token: first.next_page_token,
        })
        .await
        .expect("page 2")
        .into_inner();
    let ids: Vec<_> = second
        .treaties
        .iter()
        .map(|t| t.treaty_id.as_str())
        .collect();
    assert_eq!(ids, ["npt"]);
    assert!(second.next_page_token.is_empty());

    let err = registry
        .list_treaties(pb::ListTreatiesRequest {
            page_size: -1,
            page_token: "garbage".into(),
        })
        .await
        .expect_err("bad paging");
    let mut got = fields(&err);
    got.sort();
    assert_eq!(got, ["page_size", "page_token"]);
}
