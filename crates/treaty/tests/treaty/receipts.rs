//! Signed receipts checked offline: an export whose log holds a recipient's registered key
//! and its receipt of a notice verifies with the receipt counted; a receipt the log holds but
//! that is not signed by the key registered before it — what a notification service that
//! forged an acknowledgement would have written — is caught by `treaty log verify`, naming
//! the entry.

use std::path::Path;

use treaty_auth::ServiceName;
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_testkit::{TreatyProcess, dev_credentials};
use treaty_transparency::receipt::{Receipt, RecipientKey};

use super::export::{checkpoint_of_at_least, treaty};

fn record(
    source: &str,
    sequence: u64,
    prev_hash: [u8; 32],
    kind: &str,
    payload: serde_json::Value,
) -> treaty_ledger::Record {
    let mut r = treaty_ledger::Record {
        sequence,
        prev_hash,
        hash: [0; 32],
        source: source.into(),
        kind: kind.into(),
        subject: treaty_ledger::Subject::of(Some("LT"), Some("apmbc"), Some("apmbc-LT-1")),
        actor: source.into(),
        occurred_on: Some(jiff::civil::date(2025, 6, 27)),
        recorded_at: jiff::Timestamp::from_second(1_751_000_000 + sequence as i64).unwrap(),
        sources: Vec::new(),
        payload: payload.to_string().into_bytes(),
        origin: None,
        links: Vec::new(),
    };
    r.hash = r.compute_hash();
    r
}

/// Appends `records` of `source` as that service and waits for a checkpoint over them; the
/// checkpoint.
async fn append(
    served: &TreatyProcess,
    data: &Path,
    source: ServiceName,
    records: &[treaty_ledger::Record],
    size: u64,
) -> pb::GetCheckpointResponse {
    let identity = dev_credentials(data).identity(source);
    let mut audit = AuditServiceClient::new(served.tls_channel(&identity).await);
    audit
        .append(pb::AppendRequest {
            request_id: format!("{}-{}", records[0].source, records[0].sequence),
            source: records[0].source.clone(),
            entries: records
                .iter()
                .map(treaty_audit::wire::source_entry)
                .collect(),
        })
        .await
        .unwrap();
    checkpoint_of_at_least(&mut audit, size).await
}

/// A log holding Lithuania's deposit, France's registered key and France's receipt of the
/// deposit notice signed by `signer`; exported and verified: the exit code and output.
async fn verified_with_receipt_by(
    signer: &RecipientKey,
    registered: &RecipientKey,
) -> (Option<i32>, String, String) {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap().to_owned();
    let served = TreatyProcess::spawn(
        env!("CARGO_BIN_EXE_treaty"),
        [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &dir,
            "audit",
        ],
        [("TREATY_CHECKPOINT_INTERVAL_MS", "20")],
    );
    served.serving().await;
    let deposit = record(
        "approvals",
        1,
        treaty_ledger::GENESIS,
        "approvals.instrument_deposited",
        serde_json::json!({"format": 1, "case_id": "apmbc-LT-1"}),
    );
    // The deposit is leaf 0; its commitment leaf 1; the checkpoint of 2 is what the notice's
    // proof would name.
    let checkpoint = append(&served, data.path(), ServiceName::Approvals, &[deposit], 2).await;
    let receipt = signer.sign(&Receipt {
        recipient: "states/FR".into(),
        notice_id: "apmbc-LT-1-deposit".into(),
        leaf_index: 0,
        tree_size: checkpoint.tree_size,
        root: checkpoint.root_hash.clone().try_into().unwrap(),
    });
    let key = record(
        "notification",
        1,
        treaty_ledger::GENESIS,
        "notification.recipient_key_registered",
        serde_json::json!({"format": 1, "recipient": "states/FR", "verifier_key": registered.verifier_key(), "registered_at": "2025-06-27T10:00:00Z"}),
    );
    let acknowledged = record(
        "notification",
        2,
        key.hash,
        "notification.acknowledged",
        serde_json::json!({"format": 1, "notice_id": "apmbc-LT-1-deposit", "recipient": "states/FR", "cursor": 1, "acknowledged_at": "2025-06-27T11:00:00Z", "receipt": receipt}),
    );
    append(
        &served,
        data.path(),
        ServiceName::Notification,
        &[key, acknowledged],
        5,
    )
    .await;
    let export = data.path().join("export");
    let out = treaty(
        data.path(),
        &[
            "log",
            "export",
            "--endpoint",
            &served.url(),
            "--out",
            export.to_str().unwrap(),
        ],
    );
    assert_eq!(out.0, Some(0), "{out:?}");
    treaty(data.path(), &["log", "verify", export.to_str().unwrap()])
}

#[tokio::test]
async fn a_receipt_signed_by_the_recipients_registered_key_verifies_offline() {
    let (france, _) = RecipientKey::generate("states/FR").unwrap();
    let (code, out, err) = verified_with_receipt_by(&france, &france).await;
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("; 1 signed receipt checked"), "{out}");
}

#[tokio::test]
async fn a_receipt_in_the_log_not_signed_by_the_key_registered_before_it_is_caught_offline() {
    let (france, _) = RecipientKey::generate("states/FR").unwrap();
    let (forger, _) = RecipientKey::generate("states/FR").unwrap();
    let (code, out, err) = verified_with_receipt_by(&forger, &france).await;
    assert_eq!(code, Some(1), "a forged receipt verified: {out}");
    assert!(err.contains("does NOT verify"), "{err}");
    assert!(
        err.contains("states/FR's receipt of apmbc-LT-1-deposit: the receipt is not signed by states/FR's registered key"),
        "{err}"
    );
    assert!(
        err.contains("entry 3 (log entry 4)"),
        "names the entry: {err}"
    );
}
