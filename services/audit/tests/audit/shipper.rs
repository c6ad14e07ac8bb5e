//! The journal shipper sends a source's journal to the audit service in order,
//! resumes after a restart of either side, and waits out an audit outage
//! without losing or duplicating anything.

use std::sync::Arc;

use treaty_audit::shipper;
use treaty_auth::ServiceName;
use treaty_ledger::{Abort, Ledger, LedgerConfig, ManualClock, NewRecord, Subject};
use treaty_node::Role;
use treaty_proto::audit as pb;
use treaty_runtime::Shutdown;
use treaty_testkit::TestNode;

const SOURCE: &str = "registry";

fn open_source(dir: &std::path::Path) -> Ledger {
    let mut config = LedgerConfig::new(dir.join(SOURCE), SOURCE);
    config.durability = treaty_ledger::Durability::Flush;
    config.clock = Arc::new(ManualClock::new(treaty_testkit::start_instant()));
    Ledger::open(config).expect("open the source journal")
}

async fn record_steps(ledger: &Ledger, from: u32, to: u32) -> u64 {
    let mut last = 0;
    for n in from..=to {
        last = ledger
            .commit(move |txn| {
                Ok::<_, Abort<()>>(txn.append(NewRecord {
                    kind: "registry.consent_recorded".into(),
                    subject: Subject {
                        state: Some("EE".into()),
                        treaty: Some("apmbc".into()),
                        case: None,
                    },
                    actor: "depositary".into(),
                    payload: format!("{{\"n\":{n}}}").into_bytes(),
                    ..NewRecord::default()
                }))
            })
            .await
            .expect("append");
    }
    last
}

async fn log_sequences(node: &TestNode) -> Vec<u64> {
    let mut audit = node.audit();
    let mut token = String::new();
    let mut seen = Vec::new();
    loop {
        let page = audit
            .list_entries(pb::ListEntriesRequest {
                source: SOURCE.into(),
                page_token: token,
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        seen.extend(page.entries.iter().map(|e| e.source_sequence));
        if page.next_page_token.is_empty() {
            return seen;
        }
        token = page.next_page_token;
    }
}

#[tokio::test]
async fn the_shipper_waits_out_an_audit_outage_and_resumes_after_its_own_restart_without_duplicates()
 {
    let source_dir = tempfile::tempdir().expect("a temporary directory");
    let node = TestNode::start(vec![Role::Audit]).await;
    let addr = node.addr();
    // The shipper speaks for the registry by the registry's certificate, as in a node.
    let channel = node.as_service(ServiceName::Registry).await;

    // Ship the first steps while the audit service is up.
    let ledger = open_source(source_dir.path());
    let stop_shipping = Shutdown::new();
    let handle = shipper::spawn(
        ledger.clone(),
        SOURCE.into(),
        channel.clone(),
        stop_shipping.clone(),
    );
    let head = record_steps(&ledger, 1, 40).await;
    assert!(handle.wait_for(head).await);

    // Audit goes down; the source keeps accepting steps.
    let stopped = node.stop().await;
    let head = record_steps(&ledger, 41, 70).await;
    assert_eq!(head, 70);
    assert!(
        handle.shipped() < 70,
        "nothing could be shipped while audit was down"
    );

    // Audit comes back at the same address; the shipper catches up by itself.
    let node = stopped.restart_at(addr).await;
    assert!(handle.wait_for(70).await);

    // The source restarts too: a new shipper resumes where the log stands.
    stop_shipping.trigger();
    // The old shipper holds the journal until it has ended; a restarted process would
    // not open it before then either.
    handle.into_task().await.expect("the shipper ends cleanly");
    ledger.shutdown().await;
    drop(ledger);
    let ledger = open_source(source_dir.path());
    let head = record_steps(&ledger, 71, 90).await;
    let handle = shipper::spawn(ledger.clone(), SOURCE.into(), channel, Shutdown::new());
    assert!(handle.wait_for(head).await);

    assert_eq!(
        log_sequences(&node).await,
        (1..=90).collect::<Vec<_>>(),
        "every step exactly once, in order"
    );
    let report = node
        .audit()
        .verify(pb::VerifyRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(report.ok, "{report:?}");
}
