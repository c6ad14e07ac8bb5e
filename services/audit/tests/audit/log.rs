//! The audit service through a real gRPC client, on 127.0.0.1:0 with a
//! temporary sled directory.

use std::sync::Arc;

use tonic::Code;
use tonic::transport::Channel;
use treaty_audit::wire::source_entry;
use treaty_auth::ServiceName;
use treaty_ledger::{Abort, Ledger, LedgerConfig, ManualClock, NewRecord, Record, Subject};
use treaty_node::Role;
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_testkit::TestNode;

/// A source's real journal: `steps` entries about (state, treaty), appended
/// through the ledger so every hash is genuine.
pub(crate) async fn journal(source: &str, steps: &[(&str, &str, &str)]) -> Vec<Record> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut config = LedgerConfig::new(dir.path().join(source), source);
    config.durability = treaty_ledger::Durability::Flush;
    config.clock = Arc::new(ManualClock::new(treaty_testkit::start_instant()));
    let ledger = Ledger::open(config).expect("open a source journal");
    for (state, treaty, kind) in steps {
        let record = NewRecord {
            kind: (*kind).to_owned(),
            subject: Subject {
                state: Some((*state).to_owned()),
                treaty: Some((*treaty).to_owned()),
                case: Some(format!("{treaty}-{state}-1")),
            },
            actor: "treaty-section".to_owned(),
            occurred_on: Some(jiff::civil::date(2025, 6, 27)),
            sources: vec!["https://example.org/source".to_owned()],
            payload: br#"{"note":"test"}"#.to_vec(),
            origin: None,
            links: Vec::new(),
        };
        ledger
            .commit(move |txn| {
                txn.append(record.clone());
                Ok::<_, Abort<()>>(())
            })
            .await
            .expect("append to the source journal");
    }
    let (head, _) = ledger.head();
    let records = ledger
        .range(1, head)
        .collect::<Result<Vec<_>, _>>()
        .expect("read the journal");
    ledger.shutdown().await;
    records
}

pub(crate) fn append(source: &str, request_id: &str, records: &[Record]) -> pb::AppendRequest {
    pb::AppendRequest {
        request_id: request_id.to_owned(),
        source: source.to_owned(),
        entries: records.iter().map(source_entry).collect(),
    }
}

pub(crate) const SOURCE: &str = "approvals";

/// An audit client whose connection presents the certificate of [`SOURCE`]: only a service
/// appends, and only its own journal.
pub(crate) async fn appender(node: &TestNode) -> AuditServiceClient<Channel> {
    AuditServiceClient::new(node.as_service(ServiceName::Approvals).await)
}

pub(crate) const BALTIC_STEPS: [(&str, &str, &str); 5] = [
    ("LT", "apmbc", "withdrawal.opened"),
    ("LV", "apmbc", "withdrawal.opened"),
    ("LT", "ccm", "withdrawal.deposited"),
    ("LT", "apmbc", "withdrawal.deposited"),
    ("EE", "apmbc", "withdrawal.opened"),
];

#[tokio::test]
async fn appended_entries_come_back_in_a_states_history_in_order() {
    let node = TestNode::start(vec![Role::Audit]).await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    let mut audit = appender(&node).await;

    let answer = audit
        .append(append(SOURCE, "r1", &records))
        .await
        .expect("append")
        .into_inner();
    assert_eq!(
        (
            answer.accepted,
            answer.duplicates,
            answer.source_head,
            answer.log_head
        ),
        (5, 0, 5, 5)
    );

    let history = audit
        .get_history(pb::GetHistoryRequest {
            state: "LT".into(),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner();
    let seen: Vec<_> = history
        .entries
        .iter()
        .map(|e| (e.source_sequence, e.treaty.as_str(), e.kind.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, "apmbc", "withdrawal.opened"),
            (3, "ccm", "withdrawal.deposited"),
            (4, "apmbc", "withdrawal.deposited")
        ]
    );
    let first = &history.entries[0];
    assert_eq!(first.source, SOURCE);
    assert_eq!(first.actor, "treaty-section");
    assert_eq!(
        first.occurred_on,
        Some(treaty_proto::google::r#type::Date {
            year: 2025,
            month: 6,
            day: 27
        })
    );
    assert!(first.recorded_at.is_some() && first.received_at.is_some());
    assert_eq!(first.sources, vec!["https://example.org/source"]);
    assert_eq!(first.details, r#"{"note":"test"}"#);
    assert_eq!(first.source_hash, records[0].hash.to_vec());

    let one_treaty = audit
        .get_history(pb::GetHistoryRequest {
            state: "lt".into(),
            treaty: "ccm".into(),
            ..Default::default()
        })
        .await
        .expect("history for one treaty")
        .into_inner();
    assert_eq!(one_treaty.entries.len(), 1);
    assert_eq!(one_treaty.entries[0].kind, "withdrawal.deposited");
}

#[tokio::test]
async fn a_replayed_append_changes_nothing_and_a_retried_request_id_returns_the_first_answer() {
    let node = TestNode::start(vec![Role::Audit]).await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    let mut audit = appender(&node).await;
    let first = audit
        .append(append(SOURCE, "once", &records[..3]))
        .await
        .expect("first")
        .into_inner();

    let retried = audit
        .append(append(SOURCE, "once", &records[..3]))
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(
        retried, first,
        "the same request id returns the first answer"
    );

    let replay = audit
        .append(append(SOURCE, "other", &records))
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(
        (
            replay.accepted,
            replay.duplicates,
            replay.source_head,
            replay.log_head
        ),
        (2, 3, 5, 5)
    );
    let all = audit
        .list_entries(pb::ListEntriesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(all.entries.len(), 5, "nothing was recorded twice");
}

#[tokio::test]
async fn a_gap_is_refused_with_failed_precondition_naming_the_expected_sequence() {
    let node = TestNode::start(vec![Role::Audit]).await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    let mut audit = appender(&node).await;
    audit
        .append(append(SOURCE, "", &records[..2]))
        .await
        .expect("first two");

    let err = audit
        .append(append(SOURCE, "", &records[3..]))
        .await
        .expect_err("a gap");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains("expected sequence 3"),
        "{}",
        err.message()
    );
    assert_eq!(
        treaty_proto::status::metadata(&err, "expectedSequence").as_deref(),
        Some("3")
    );
    let head = audit
        .append(append(SOURCE, "", &[]))
        .await
        .expect("handshake")
        .into_inner();
    assert_eq!(
        (head.source_head, head.log_head),
        (2, 2),
        "nothing of the refused batch was written"
    );
}

#[tokio::test]
async fn an_entry_that_does_not_link_to_its_predecessor_is_refused() {
    let node = TestNode::start(vec![Role::Audit]).await;
    let mine = journal(SOURCE, &BALTIC_STEPS).await;
    let other = journal(SOURCE, &BALTIC_STEPS[1..]).await;
    let mut audit = appender(&node).await;
    audit
        .append(append(SOURCE, "", &mine[..1]))
        .await
        .expect("first");

    // `other[0]` is a genuine sequence-1 entry of another journal; rebuild it as
    // sequence 2 with a hash that matches its content but a foreign predecessor.
    let mut forged = other[0].clone();
    forged.sequence = 2;
    forged.prev_hash = [7; 32];
    forged.hash = forged.compute_hash();
    let err = audit
        .append(append(SOURCE, "", &[forged]))
        .await
        .expect_err("a broken chain");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains("expected sequence 2"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn an_entry_altered_in_transit_is_refused_as_data_loss() {
    let node = TestNode::start(vec![Role::Audit]).await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    let mut request = append(SOURCE, "", &records[..1]);
    request.entries[0].actor = "someone else".into();
    let err = appender(&node)
        .await
        .append(request)
        .await
        .expect_err("altered");
    assert_eq!(err.code(), Code::DataLoss);
    assert!(
        err.message().contains("does not match its hash"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn bad_input_gets_field_violations_and_changes_nothing() {
    let node = TestNode::start(vec![Role::Audit]).await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    let mut request = append("Registry!", "", &records[..2]);
    request.entries[0].state = "XX".into();
    request.entries[1].hash = vec![1, 2, 3];
    let err = appender(&node)
        .await
        .append(request)
        .await
        .expect_err("bad input");
    assert_eq!(err.code(), Code::InvalidArgument);
    let details = tonic_types::StatusExt::get_details_bad_request(&err).expect("field violations");
    let fields: Vec<_> = details
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(
        fields,
        vec!["source", "entries[0].state", "entries[1].hash"]
    );

    let err = node
        .audit()
        .get_history(pb::GetHistoryRequest {
            state: "ZZ".into(),
            ..Default::default()
        })
        .await
        .expect_err("unknown state");
    assert_eq!(err.code(), Code::InvalidArgument);
    let log = node
        .audit()
        .list_entries(pb::ListEntriesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert!(log.entries.is_empty());
}

#[tokio::test]
async fn list_entries_filters_and_pages_through_the_log() {
    let node = TestNode::start(vec![Role::Audit]).await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    let mut audit = appender(&node).await;
    audit
        .append(append(SOURCE, "", &records))
        .await
        .expect("append");

    let mut token = String::new();
    let mut seen = Vec::new();
    loop {
        let page = audit
            .list_entries(pb::ListEntriesRequest {
                treaty: "apmbc".into(),
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .expect("page")
            .into_inner();
        assert!(page.entries.len() <= 2);
        seen.extend(page.entries.iter().map(|e| e.sequence));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, vec![1, 2, 4, 5]);

    let by_case = audit
        .list_entries(pb::ListEntriesRequest {
            case_id: "apmbc-LT-1".into(),
            ..Default::default()
        })
        .await
        .expect("by case")
        .into_inner();
    assert_eq!(
        by_case
            .entries
            .iter()
            .map(|e| e.sequence)
            .collect::<Vec<_>>(),
        vec![1, 4]
    );

    let by_source = audit
        .list_entries(pb::ListEntriesRequest {
            source: "registry".into(),
            ..Default::default()
        })
        .await
        .expect("by source")
        .into_inner();
    assert!(by_source.entries.is_empty());

    let bad = audit
        .list_entries(pb::ListEntriesRequest {
            page_token: "garbage".into(),
            ..Default::default()
        })
        .await
        .expect_err("a bad token");
    assert_eq!(bad.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn tail_replays_the_log_and_then_streams_new_entries_live() {
    let node = TestNode::start(vec![Role::Audit]).await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    let mut audit = appender(&node).await;
    audit
        .append(append(SOURCE, "", &records[..2]))
        .await
        .expect("first two");

    let mut tail = audit
        .tail(pb::TailRequest { after_sequence: 1 })
        .await
        .expect("tail")
        .into_inner();
    let next = tail.message().await.expect("stream").expect("an entry");
    assert_eq!(next.entry.map(|e| e.sequence), Some(2));

    audit
        .append(append(SOURCE, "", &records[2..]))
        .await
        .expect("the rest");
    for expected in 3..=5 {
        let live = tail.message().await.expect("stream").expect("a live entry");
        assert_eq!(live.entry.map(|e| e.sequence), Some(expected));
    }
}

#[tokio::test]
async fn verify_is_clean_on_an_intact_log_and_names_the_first_altered_entry() {
    let node = TestNode::start(vec![Role::Audit]).await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    appender(&node)
        .await
        .append(append(SOURCE, "", &records))
        .await
        .expect("append");
    let clean = node
        .audit()
        .verify(pb::VerifyRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(clean.ok, "{clean:?}");
    assert_eq!((clean.checked, clean.head_sequence), (5, 5));
    assert_eq!(clean.sources.len(), 1);
    assert_eq!(clean.sources[0].head_sequence, 5);

    // Alter one byte of entry 3 behind the service's back, then look again.
    let stopped = node.stop().await;
    {
        let db = sled::open(stopped_dir(&stopped).join("audit")).expect("open the audit db");
        let log = db
            .open_tree(treaty_ledger::JOURNAL_TREE)
            .expect("the log tree");
        let value = log
            .get(3_u64.to_be_bytes())
            .expect("read")
            .expect("entry 3");
        // One byte of what the source recorded (its payload), the stored hash left as it was.
        let mut record = treaty_ledger::Record::decode(&value).expect("entry 3 decodes");
        record.payload[0] ^= 0x01;
        log.insert(3_u64.to_be_bytes(), record.encode())
            .expect("tamper");
        db.flush().expect("flush");
    }
    let node = stopped.restart().await;
    let report = node
        .audit()
        .verify(pb::VerifyRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(!report.ok);
    let problem = report.problem.expect("a problem in the global log");
    assert_eq!(
        (problem.sequence, problem.kind()),
        (3, pb::ProblemKind::Altered)
    );
    let source_problem = report.sources[0]
        .problem
        .clone()
        .expect("a problem in the source chain");
    assert_eq!(source_problem.sequence, 3);
}

fn stopped_dir(stopped: &treaty_testkit::StoppedNode) -> std::path::PathBuf {
    stopped.data_dir().to_path_buf()
}

#[tokio::test]
async fn an_append_reusing_a_request_id_for_other_entries_is_refused_and_drops_nothing() {
    let node = TestNode::start(vec![Role::Audit]).await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    let mut audit = appender(&node).await;
    audit
        .append(append(SOURCE, "batch", &records[..2]))
        .await
        .expect("the first batch");
    // Today the second batch under the same key was answered with the first batch's result,
    // and its entries were silently dropped.
    let err = audit
        .append(append(SOURCE, "batch", &records[2..]))
        .await
        .expect_err("the key belongs to the first batch");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        treaty_testkit::reason(&err).as_deref(),
        Some("REQUEST_ID_REUSED")
    );
    assert_eq!(treaty_testkit::violated_fields(&err), ["request_id"]);
    let sent = audit
        .append(append(SOURCE, "next", &records[2..]))
        .await
        .expect("the entries under their own key")
        .into_inner();
    assert_eq!(
        (sent.accepted, sent.source_head),
        (3, 5),
        "nothing was dropped"
    );
}

#[tokio::test]
async fn a_thousand_wrong_entries_make_one_small_error() {
    let node = TestNode::start(vec![Role::Audit]).await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    let mut request = append(SOURCE, "", &records[..1]);
    let entry = request.entries[0].clone();
    request.entries = (1..=1000)
        .map(|sequence| pb::SourceEntry {
            sequence,
            kind: "not a kind!".repeat(100),
            state: "xx".into(),
            ..entry.clone()
        })
        .collect();
    let err = appender(&node)
        .await
        .append(request)
        .await
        .expect_err("every entry is wrong");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().len() < 2_000, "{} bytes", err.message().len());
    assert!(err.message().contains("more"), "{}", err.message());
    assert!(
        err.details().len() < 16 * 1024,
        "{} bytes of details",
        err.details().len()
    );
}
