//! Armed-conflict periods: recorded per state with ids from 1, ended once, listed
//! oldest first.

use crate::common::registry_client;
use crate::common::{date, fields, reason, req};
use tonic::Code;
use treaty_proto::registry as pb;
use treaty_testkit::TestNode;

fn record(
    request_id: &str,
    state: &str,
    description: &str,
    began_on: &str,
) -> tonic::Request<pb::RecordArmedConflictRequest> {
    req(pb::RecordArmedConflictRequest {
        request_id: request_id.into(),
        state: state.into(),
        description: description.into(),
        began_on: Some(date(began_on)),
        sources: vec!["https://www.rulac.org/".into()],
    })
}

fn end(
    request_id: &str,
    state: &str,
    id: &str,
    ended_on: &str,
) -> tonic::Request<pb::EndArmedConflictRequest> {
    req(pb::EndArmedConflictRequest {
        request_id: request_id.into(),
        state: state.into(),
        conflict_id: id.into(),
        ended_on: Some(date(ended_on)),
        sources: vec!["ceasefire agreement".into()],
    })
}

async fn list(
    registry: &mut crate::common::Registry,
    state: &str,
    page_size: i32,
    token: &str,
) -> pb::ListArmedConflictsResponse {
    registry
        .list_armed_conflicts(pb::ListArmedConflictsRequest {
            state: state.into(),
            page_size,
            page_token: token.into(),
        })
        .await
        .expect("list")
        .into_inner()
}

#[tokio::test]
async fn conflicts_get_ids_per_state_and_are_listed_oldest_first_in_pages() {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    let first = registry
        .record_armed_conflict(record("c1", "UA", "Crimea and Donbas", "2014-02-20"))
        .await
        .expect("record")
        .into_inner()
        .conflict
        .expect("a conflict");
    assert_eq!(first.name, "states/UA/conflicts/1");
    assert_eq!(
        (first.state.as_str(), first.conflict_id.as_str()),
        ("UA", "1")
    );
    assert_eq!(first.began_on, Some(date("2014-02-20")));
    assert_eq!(first.ended_on, None);
    registry
        .record_armed_conflict(record("c2", "UA", "Full-scale invasion", "2022-02-24"))
        .await
        .expect("record");
    let other = registry
        .record_armed_conflict(record("c3", "am", "Nagorno-Karabakh", "2020-09-27"))
        .await
        .expect("record")
        .into_inner()
        .conflict
        .expect("a conflict");
    assert_eq!(other.name, "states/AM/conflicts/1", "ids count per state");

    let page = list(&mut registry, "UA", 1, "").await;
    assert_eq!(page.conflicts.len(), 1);
    assert_eq!(page.conflicts[0].description, "Crimea and Donbas");
    let rest = list(&mut registry, "UA", 1, &page.next_page_token).await;
    assert_eq!(rest.conflicts[0].conflict_id, "2");
    assert!(rest.next_page_token.is_empty());
    assert!(list(&mut registry, "EE", 0, "").await.conflicts.is_empty());
}

#[tokio::test]
async fn ending_a_conflict_records_its_last_day_once() {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    registry
        .record_armed_conflict(record("c1", "AM", "Nagorno-Karabakh", "2020-09-27"))
        .await
        .expect("record");
    let ended = registry
        .end_armed_conflict(end("e1", "AM", "1", "2020-11-10"))
        .await
        .expect("end")
        .into_inner()
        .conflict
        .expect("a conflict");
    assert_eq!(ended.ended_on, Some(date("2020-11-10")));
    assert_eq!(
        ended.sources.len(),
        2,
        "the sources of the beginning and of the end"
    );
    let retry = registry
        .end_armed_conflict(end("e1", "AM", "1", "2020-11-10"))
        .await
        .expect("a retry returns the first answer")
        .into_inner();
    assert_eq!(retry.conflict, Some(ended));
    let err = registry
        .end_armed_conflict(end("e2", "AM", "1", "2020-12-01"))
        .await
        .expect_err("already ended");
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::FailedPrecondition, "CONFLICT_ALREADY_ENDED".into())
    );
    let err = registry
        .end_armed_conflict(end("e3", "AM", "7", "2020-12-01"))
        .await
        .expect_err("unknown conflict");
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn a_conflict_cannot_end_before_it_began_and_nothing_changes() {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    registry
        .record_armed_conflict(record("c1", "UA", "Full-scale invasion", "2022-02-24"))
        .await
        .expect("record");
    let err = registry
        .end_armed_conflict(end("e1", "UA", "1", "2022-02-23"))
        .await
        .expect_err("ends before it began");
    assert_eq!(fields(&err), ["ended_on"]);
    let listed = list(&mut registry, "UA", 0, "").await;
    assert_eq!(listed.conflicts[0].ended_on, None, "nothing was recorded");
    registry
        .end_armed_conflict(end("e2", "UA", "1", "2022-02-24"))
        .await
        .expect("a one-day conflict ends on the day it began");
}

#[tokio::test]
async fn bad_conflict_requests_are_refused_with_a_violation_per_field() {
    let node = TestNode::start_all().await;
    let mut registry = registry_client(&node).await;
    let err = registry
        .record_armed_conflict(req(pb::RecordArmedConflictRequest {
            request_id: "x".into(),
            state: "UK".into(),
            description: String::new(),
            began_on: None,
            sources: vec![],
        }))
        .await
        .expect_err("bad");
    let found = crate::common::violations(&err);
    let names: Vec<_> = found.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names, ["state", "description", "began_on"]);
    assert!(
        found[0].1.contains("UA"),
        "close codes are suggested: {}",
        found[0].1
    );
    let err = registry
        .end_armed_conflict(req(pb::EndArmedConflictRequest {
            request_id: "y".into(),
            state: "UA".into(),
            conflict_id: "01".into(),
            ended_on: None,
            sources: vec![],
        }))
        .await
        .expect_err("bad");
    assert_eq!(fields(&err), ["conflict_id", "ended_on"]);
    let err = registry
        .list_armed_conflicts(pb::ListArmedConflictsRequest::default())
        .await
        .expect_err("the state is required");
    assert_eq!(fields(&err), ["state"]);
}
