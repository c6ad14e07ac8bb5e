//! The real `treaty` binary: it prints one `listening on` line once ready,
//! serves health and the API, survives a SIGKILL without losing what it
//! acknowledged, and on SIGTERM drains and exits 0.

use std::path::Path;
use std::process::Command;

use treaty_auth::ServiceName;
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_testkit::{TreatyProcess, dev_credentials};

fn serve(data_dir: &Path, extra: &[&str]) -> TreatyProcess {
    let dir = data_dir.to_str().expect("a UTF-8 path");
    let args = ["serve", "--listen", "127.0.0.1:0", "--data-dir", dir];
    TreatyProcess::spawn(
        env!("CARGO_BIN_EXE_treaty"),
        args.iter().chain(extra),
        [("TREATY_DURABILITY", "fsync")],
    )
}

fn entry(sequence: u64, prev_hash: [u8; 32]) -> treaty_ledger::Record {
    let mut r = treaty_ledger::Record {
        sequence,
        prev_hash,
        hash: [0; 32],
        source: "registry".into(),
        kind: "registry.consent_recorded".into(),
        subject: treaty_ledger::Subject { state: Some("TO".into()), treaty: Some("apmbc".into()), case: None },
        actor: "depositary".into(),
        occurred_on: Some(jiff::civil::date(2025, 6, 25)),
        recorded_at: jiff::Timestamp::from_second(1_750_000_000).expect("an instant"),
        sources: vec!["https://icblcmc.org/our-impact/tonga-becomes-the-166th-state-party-to-the-mine-ban-treaty".into()],
        payload: b"{}".to_vec(),
        origin: None,
        links: Vec::new(),
    };
    r.hash = r.compute_hash();
    r
}

#[tokio::test]
async fn the_binary_keeps_what_it_acknowledged_through_sigkill_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let served = serve(dir.path(), &["audit"]);
    served.serving().await;
    // Only the registry appends the registry's journal: the shipper's certificate, here
    // the one the process's development PKI made.
    let registry = dev_credentials(dir.path()).identity(ServiceName::Registry);
    let mut audit = AuditServiceClient::new(served.tls_channel(&registry).await);
    let first = entry(1, treaty_ledger::GENESIS);
    let second = entry(2, first.hash);
    let request = |r: &treaty_ledger::Record| pb::AppendRequest {
        request_id: format!("e2e-{}", r.sequence),
        source: "registry".into(),
        entries: vec![treaty_audit::wire::source_entry(r)],
    };
    audit.append(request(&first)).await.expect("append 1");

    served.kill();

    let served = serve(dir.path(), &["audit"]);
    let mut audit = AuditServiceClient::new(served.tls_channel(&registry).await);
    let answer = audit
        .append(request(&second))
        .await
        .expect("append 2 after the crash")
        .into_inner();
    assert_eq!(
        (answer.source_head, answer.log_head),
        (2, 2),
        "entry 1 survived the SIGKILL"
    );
    let history = audit
        .get_history(pb::GetHistoryRequest {
            state: "TO".into(),
            ..Default::default()
        })
        .await
        .expect("history");
    assert_eq!(history.into_inner().entries.len(), 2);

    let status = served.terminate().await;
    assert_eq!(status.code(), Some(0), "SIGTERM drains and exits 0");
}

#[test]
fn an_unknown_service_name_is_refused_with_the_accepted_names() {
    let out = Command::new(env!("CARGO_BIN_EXE_treaty"))
        .args(["serve", "ledger"])
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown service \"ledger\"") && err.contains("audit"),
        "{err}"
    );
}

#[test]
fn serving_off_loopback_without_a_certificate_is_refused_before_listening_and_names_the_settings() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = Command::new(env!("CARGO_BIN_EXE_treaty"))
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .env("TREATY_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for setting in ["TREATY_TLS_CERT", "TREATY_TLS_KEY", "--tls-cert"] {
        assert!(err.contains(setting), "{setting}: {err}");
    }
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening on"),
        "it never listened"
    );
}

#[test]
fn a_service_called_by_its_peers_off_loopback_without_a_client_ca_is_refused_before_listening() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pki = dir.path().join("pki");
    let made = Command::new(env!("CARGO_BIN_EXE_treaty"))
        .args(["pki", "create", "--dir"])
        .arg(&pki)
        .output()
        .expect("the binary runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_treaty"))
        .args(["serve", "audit", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--tls-cert")
        .arg(pki.join("audit.crt"))
        .arg("--tls-key")
        .arg(pki.join("audit.key"))
        .env("TREATY_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TREATY_TLS_CLIENT_CA"), "{err}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening on"),
        "it never listened"
    );
}

#[tokio::test]
async fn treaty_history_verify_says_complete_as_of_a_checkpoint_and_fails_under_another_key() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dir_text = dir.path().to_str().expect("a UTF-8 path");
    let served = TreatyProcess::spawn(
        env!("CARGO_BIN_EXE_treaty"),
        [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            dir_text,
            "audit",
        ],
        [("TREATY_CHECKPOINT_INTERVAL_MS", "20")],
    );
    served.serving().await;
    let registry = dev_credentials(dir.path()).identity(ServiceName::Registry);
    let mut audit = AuditServiceClient::new(served.tls_channel(&registry).await);
    let first = entry(1, treaty_ledger::GENESIS);
    let second = entry(2, first.hash);
    audit
        .append(pb::AppendRequest {
            request_id: "cli-verify".into(),
            source: "registry".into(),
            entries: [&first, &second]
                .map(treaty_audit::wire::source_entry)
                .to_vec(),
        })
        .await
        .expect("append");
    treaty_testkit::eventually("a checkpoint over both entries", async || {
        let c = audit
            .get_checkpoint(pb::GetCheckpointRequest::default())
            .await
            .ok()?
            .into_inner();
        (c.tree_size >= 3).then_some(())
    })
    .await;
    let history = |data_dir: &str, extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_treaty"))
            .args(["history", "TO", "--verify", "--endpoint", &served.url()])
            .args(extra)
            .env("TREATY_DATA_DIR", data_dir)
            .env_remove("TREATY_LOG_KEY")
            .output()
            .expect("run treaty history");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };

    // With the development key `treaty serve` made in the data directory.
    let (code, out, err) = history(dir_text, &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("2 steps recorded for Tonga (TO)"), "{out}");
    assert!(
        out.contains("complete as of checkpoint 3 of localhost/treaty-audit (root "),
        "{out}"
    );

    // With the verifier key in a file, as an operator publishes it; and in JSON.
    let text = std::fs::read_to_string(treaty_node::log::dev_key_path(dir.path())).unwrap();
    let vkey = treaty_transparency::LogKey::from_private(&text).unwrap();
    let vkey_file = dir.path().join("log.vkey");
    std::fs::write(&vkey_file, vkey.verifier_key()).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let elsewhere = elsewhere.path().to_str().unwrap();
    let (code, out, err) = history(
        elsewhere,
        &["--log-key", vkey_file.to_str().unwrap(), "--json"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json["complete_as_of"]["size"], 3);
    assert_eq!(json["entries"].as_array().unwrap().len(), 2);

    // Under another log's key the same answer proves nothing.
    let (other, _) = treaty_transparency::LogKey::generate("localhost/treaty-audit").unwrap();
    let (code, out, err) = history(elsewhere, &["--log-key", other.verifier_key()]);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        err.contains("the history of TO is NOT proved complete: the checkpoint does not verify"),
        "{err}"
    );

    // With no key at all, it says where to get one.
    let (code, _, err) = history(elsewhere, &[]);
    assert_ne!(code, Some(0));
    assert!(
        err.contains("--verify needs the log's verifier key: pass --log-key"),
        "{err}"
    );

    served.terminate().await;
}
