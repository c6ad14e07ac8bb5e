//! The real `treaty` binary: it prints one `listening on` line once ready,
//! serves health and the API, survives a SIGKILL without losing what it
//! acknowledged, and on SIGTERM drains and exits 0.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_client::AuditServiceClient;

struct Served {
    child: Child,
    addr: SocketAddr,
}

fn serve(data_dir: &std::path::Path, extra: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_treaty"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("TREATY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("a line on stdout");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    Served {
        addr: addr.parse().expect("a socket address"),
        child,
    }
}

async fn client(addr: SocketAddr) -> AuditServiceClient<tonic::transport::Channel> {
    let channel = treaty_runtime::connect(
        &format!("http://{addr}"),
        &treaty_runtime::ClientConfig::default(),
    )
    .await
    .expect("a channel");
    treaty_runtime::wait_until_serving(&channel, Duration::from_secs(20))
        .await
        .expect("SERVING");
    AuditServiceClient::new(channel)
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
    };
    r.hash = r.compute_hash();
    r
}

#[tokio::test]
async fn the_binary_keeps_what_it_acknowledged_through_sigkill_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut served = serve(dir.path(), &["audit"]);
    let mut audit = client(served.addr).await;
    let first = entry(1, treaty_ledger::GENESIS);
    let second = entry(2, first.hash);
    let request = |r: &treaty_ledger::Record| pb::AppendRequest {
        request_id: format!("e2e-{}", r.sequence),
        source: "registry".into(),
        entries: vec![treaty_audit::convert::source_entry(r)],
    };
    audit.append(request(&first)).await.expect("append 1");

    served.child.kill().expect("SIGKILL");
    served.child.wait().expect("reaped");

    let mut served = serve(dir.path(), &["audit"]);
    let mut audit = client(served.addr).await;
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

    kill(
        Pid::from_raw(i32::try_from(served.child.id()).expect("a pid")),
        Signal::SIGTERM,
    )
    .expect("SIGTERM");
    // Wait off the runtime thread, so this client's connection can see the server's GOAWAY.
    let status = tokio::task::spawn_blocking(move || served.child.wait())
        .await
        .expect("joined")
        .expect("the server exits");
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
