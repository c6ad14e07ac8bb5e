//! `treaty witness run`, with the real binary against real logs: it follows a log, cosigns
//! each checkpoint that extends the one it accepted and the log serves its cosignature; shown
//! a fork — another log under the same key, with another history — it refuses, writes both
//! signed checkpoints as evidence, keeps what it had accepted, and stops.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use treaty_auth::ServiceName;
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_testkit::{TreatyProcess, dev_credentials, eventually};
use treaty_transparency::checkpoint::{open, open_witnessed};

use super::export::{checkpoint_of_at_least, record, treaty};

/// An audit service on loopback signing with the log key `log_key` (a file), keeping the
/// cosignatures of the witness whose verifier key is in `witness`.
async fn log(
    data: &Path,
    log_key: &Path,
    witness: &Path,
) -> (TreatyProcess, AuditServiceClient<tonic::transport::Channel>) {
    let served = TreatyProcess::spawn(
        env!("CARGO_BIN_EXE_treaty"),
        [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
            "audit",
        ],
        [
            ("TREATY_CHECKPOINT_INTERVAL_MS", "20"),
            ("TREATY_AUDIT_LOG_KEY", log_key.to_str().unwrap()),
            ("TREATY_AUDIT_WITNESSES", witness.to_str().unwrap()),
        ],
    );
    served.serving().await;
    let registry = dev_credentials(data).identity(ServiceName::Registry);
    let audit = AuditServiceClient::new(served.tls_channel(&registry).await);
    (served, audit)
}

/// The registry's journal: one entry about each of `states`, chained from sequence 1.
fn journal(states: &[&str]) -> Vec<pb::SourceEntry> {
    let mut prev = treaty_ledger::GENESIS;
    let mut entries = Vec::new();
    for (n, state) in states.iter().enumerate() {
        let r = record(n as u64 + 1, prev, state);
        prev = r.hash;
        entries.push(treaty_audit::wire::source_entry(&r));
    }
    entries
}

/// Appends `entries` of the registry's journal and waits for a checkpoint over them (each
/// batch is followed by its commitment entry); its size.
async fn append(
    audit: &mut AuditServiceClient<tonic::transport::Channel>,
    entries: &[pb::SourceEntry],
) -> u64 {
    let last = entries.last().unwrap().sequence;
    audit
        .append(pb::AppendRequest {
            request_id: format!("up-to-{last}"),
            source: "registry".into(),
            entries: entries.to_vec(),
        })
        .await
        .unwrap();
    checkpoint_of_at_least(audit, last + 1).await.tree_size
}

/// A witness process, killed (by its pid) when dropped.
struct Following(Child);

impl Drop for Following {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn keys(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let log_key = dir.join("log.key");
    let witness_key = dir.join("witness.key");
    let out = treaty(
        dir,
        &[
            "log",
            "keygen",
            "--origin",
            "treaty.test/audit",
            "--out",
            log_key.to_str().unwrap(),
        ],
    );
    assert_eq!(out.0, Some(0), "{out:?}");
    let out = treaty(
        dir,
        &[
            "witness",
            "keygen",
            "--name",
            "witness.lt",
            "--out",
            witness_key.to_str().unwrap(),
        ],
    );
    assert_eq!(out.0, Some(0), "{out:?}");
    let witness_vkey = witness_key.with_extension("vkey");
    (log_key, witness_key, witness_vkey)
}

#[tokio::test]
async fn a_witness_follows_the_log_and_cosigns_every_checkpoint_that_extends_what_it_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (log_key, witness_key, witness_vkey) = keys(dir.path());
    let log_vkey = std::fs::read_to_string(log_key.with_extension("vkey")).unwrap();
    let vkey = std::fs::read_to_string(&witness_vkey)
        .unwrap()
        .trim()
        .to_owned();
    let data = dir.path().join("log");
    let (served, mut audit) = log(&data, &log_key, &witness_vkey).await;
    let entries = journal(&["TO", "LT", "LV", "EE", "EE"]);
    let first = append(&mut audit, &entries[..3]).await;
    let state = dir.path().join("witness-state");
    let _witness = Following(
        Command::new(env!("CARGO_BIN_EXE_treaty"))
            .args([
                "witness",
                "run",
                "--endpoint",
                &served.url(),
                "--key",
                witness_key.to_str().unwrap(),
            ])
            .args([
                "--state",
                state.to_str().unwrap(),
                "--log-key",
                log_vkey.trim(),
                "--every",
                "100ms",
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let cosigned = async |audit: &mut AuditServiceClient<tonic::transport::Channel>, size: u64| {
        eventually(
            &format!("the witness's cosignature of {size} leaves"),
            async || {
                let c = audit
                    .get_checkpoint(pb::GetCheckpointRequest::default())
                    .await
                    .ok()?
                    .into_inner();
                (c.tree_size >= size && c.cosigned_by.iter().any(|w| w == "witness.lt"))
                    .then_some(c)
            },
        )
        .await
    };
    let c = cosigned(&mut audit, first).await;
    // The cosignature verifies under the witness's key: a client can require it.
    let opened = open_witnessed(
        c.checkpoint.as_bytes(),
        log_vkey.trim(),
        std::slice::from_ref(&vkey),
        1,
    )
    .unwrap();
    assert_eq!(opened.cosigned_by[0].0, "witness.lt");
    // The log grows: the witness checks the consistency proof and cosigns the bigger tree.
    let bigger = append(&mut audit, &entries[3..]).await;
    let c = cosigned(&mut audit, bigger).await;
    assert!(c.tree_size > first);
    // What it accepted is on disk, as the log signed it.
    let accepted = std::fs::read(state.join("accepted.checkpoint")).unwrap();
    assert!(open(&accepted, log_vkey.trim(), &[]).unwrap().size >= bigger);
    // And a history checked against the log's key can demand the witness's word.
    let out = treaty(
        &data,
        &[
            "history",
            "EE",
            "--endpoint",
            &served.url(),
            "--verify",
            "--log-key",
            log_vkey.trim(),
            "--witness",
            &vkey,
            "--need-witnesses",
            "1",
        ],
    );
    assert_eq!(out.0, Some(0), "{out:?}");
    assert!(out.1.contains("complete as of checkpoint"), "{}", out.1);
}

#[tokio::test]
async fn a_witness_shown_a_fork_under_the_same_key_refuses_and_keeps_both_checkpoints_as_evidence()
{
    let dir = tempfile::tempdir().unwrap();
    let (log_key, witness_key, witness_vkey) = keys(dir.path());
    let log_vkey = std::fs::read_to_string(log_key.with_extension("vkey"))
        .unwrap()
        .trim()
        .to_owned();
    let state = dir.path().join("witness-state");
    let witness = |url: &str| {
        treaty(
            dir.path(),
            &[
                "witness",
                "run",
                "--once",
                "--endpoint",
                url,
                "--key",
                witness_key.to_str().unwrap(),
                "--state",
                state.to_str().unwrap(),
                "--log-key",
                &log_vkey,
            ],
        )
    };
    // The honest log: the witness accepts and cosigns it.
    let (honest, mut audit) = log(&dir.path().join("honest"), &log_key, &witness_vkey).await;
    let size = append(&mut audit, &journal(&["TO", "LT", "LV"])).await;
    let out = witness(&honest.url());
    assert_eq!(out.0, Some(0), "{out:?}");
    assert!(
        out.1
            .contains(&format!("cosigned treaty.test/audit at {size} leaves")),
        "{}",
        out.1
    );
    let honest_note = std::fs::read(state.join("accepted.checkpoint")).unwrap();
    honest.terminate().await;

    // The same key over another history — what an operator who rewrote its disk, or shows
    // one party one log and another party another, would serve.
    let (forked, mut audit) = log(&dir.path().join("forked"), &log_key, &witness_vkey).await;
    let forked_size = append(&mut audit, &journal(&["TO", "PL", "LV", "EE", "FI"])).await;
    assert!(forked_size > size);
    let out = witness(&forked.url());
    assert_eq!(out.0, Some(1), "the witness cosigned a fork: {out:?}");
    assert!(out.2.contains("refused to cosign"), "{}", out.2);
    assert!(out.2.contains("a fork"), "{}", out.2);
    // What it had accepted is what it still holds.
    assert_eq!(
        std::fs::read(state.join("accepted.checkpoint")).unwrap(),
        honest_note
    );
    // The evidence: two checkpoints, both signed by the log's key, that cannot both be true.
    let evidence: Vec<_> = std::fs::read_dir(state.join("evidence"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    let accepted = open(
        &std::fs::read(evidence[0].join("accepted.checkpoint")).unwrap(),
        &log_vkey,
        &[],
    )
    .unwrap();
    let offered = open(
        &std::fs::read(evidence[0].join("offered.checkpoint")).unwrap(),
        &log_vkey,
        &[],
    )
    .unwrap();
    assert_eq!((accepted.size, offered.size), (size, forked_size));
    let proof = std::fs::read_to_string(evidence[0].join("consistency.proof")).unwrap();
    let hashes: Vec<Vec<u8>> = proof
        .lines()
        .map(|l| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, l).unwrap())
        .collect();
    assert!(
        treaty_transparency::verify_consistency(
            size,
            forked_size,
            &hashes,
            &accepted.root,
            &offered.root
        )
        .is_err()
    );
    assert!(
        std::fs::read_to_string(evidence[0].join("refusal.txt"))
            .unwrap()
            .contains("a fork")
    );
    // The forked log got no cosignature.
    let c = audit
        .get_checkpoint(pb::GetCheckpointRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(c.cosigned_by.is_empty(), "{:?}", c.cosigned_by);
    // And it keeps refusing: the witness never comes round to the fork.
    let out = witness(&forked.url());
    assert_eq!(out.0, Some(1), "{out:?}");
}
