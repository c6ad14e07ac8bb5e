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
