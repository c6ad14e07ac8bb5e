//! A state's history with a small and a large log, `Verify` against raw
//! SHA-256 over the same bytes, and a cold start's time and memory with the
//! large log, measured on a real `treaty serve audit` child process.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use treaty_audit::AuditStore;
use treaty_ledger::{LedgerConfig, Record, Subject};
use treaty_proto::audit::{self as au, audit_service_client::AuditServiceClient};

use super::{BenchError, Figure, Scale, fig, progress, run_async, target};

/// Entries of the one state whose history is queried, in either log.
const LT_ENTRIES: u64 = 20;
const OTHERS: [&str; 16] = [
    "FR", "DE", "NO", "SE", "DK", "NL", "BE", "AT", "IT", "ES", "PT", "IE", "CZ", "SK", "HU", "SI",
];

/// Fills an audit log with `n` genuine, hash-chained entries of a source
/// `bench`, of which exactly [`LT_ENTRIES`] concern Lithuania, and returns the
/// journal's stored bytes (read through the same handle: sled releases its file lock
/// from a background thread a moment after the last handle goes, so opening the
/// directory again at once can find it still held).
async fn fill(dir: &Path, n: u64) -> Result<Vec<Vec<u8>>, BenchError> {
    let mut config = LedgerConfig::new(dir.join("audit"), "audit");
    config.durability = treaty_ledger::Durability::Flush;
    let store = AuditStore::open(config)?;
    let every = (n / LT_ENTRIES).max(1);
    let mut prev = treaty_ledger::GENESIS;
    let mut batch = Vec::with_capacity(1000);
    let recorded_at = jiff::Timestamp::constant(1_750_000_000, 0);
    for seq in 1..=n {
        let state = if seq % every == 0 {
            "LT"
        } else {
            OTHERS[(seq % OTHERS.len() as u64) as usize]
        };
        let mut r = Record {
            sequence: seq,
            prev_hash: prev,
            hash: [0; 32],
            source: "bench".into(),
            kind: "bench.step_recorded".into(),
            subject: Subject {
                state: Some(state.into()),
                treaty: Some("apmbc".into()),
                case: None,
            },
            actor: "treaty-bench".into(),
            occurred_on: Some(jiff::civil::date(2025, 6, 27)),
            recorded_at,
            sources: vec!["treaty bench".into()],
            payload: format!("{{\"n\":{seq}}}").into_bytes(),
            origin: None,
            links: Vec::new(),
        };
        r.hash = r.compute_hash();
        prev = r.hash;
        batch.push(r);
        if batch.len() == 1000 || seq == n {
            store
                .append(
                    None,
                    treaty_audit::request::Append {
                        request_id: None,
                        source: "bench".into(),
                        records: std::mem::take(&mut batch),
                    },
                )
                .await?;
        }
    }
    let values = store
        .ledger()
        .db()
        .open_tree(treaty_ledger::JOURNAL_TREE)?
        .iter()
        .values()
        .map(|v| v.map(|v| v.to_vec()))
        .collect::<Result<_, _>>()?;
    store.ledger().shutdown().await;
    Ok(values)
}

struct Child {
    child: std::process::Child,
    url: String,
    cold_start: Duration,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve_audit(treaty: &Path, dir: &Path) -> Result<Child, BenchError> {
    let started = Instant::now();
    let mut child = Command::new(treaty)
        .args([
            "serve",
            "audit",
            "--no-bundle",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir)
        .env("TREATY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or("no listening line")?
        .to_owned();
    let url = format!("http://{addr}");
    let channel = treaty_runtime::connect(&url, &treaty_runtime::ClientConfig::default()).await?;
    treaty_runtime::wait_until_serving(&channel, Duration::from_secs(60)).await?;
    Ok(Child {
        child,
        url,
        cold_start: started.elapsed(),
    })
}

async fn channel_to(url: &str) -> Result<tonic::transport::Channel, BenchError> {
    Ok(treaty_runtime::connect(url, &treaty_runtime::ClientConfig::default()).await?)
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Measured {
    p50: f64,
    p99: f64,
    proved_p50: f64,
    proved_p99: f64,
    export_s: f64,
    offline_entries_per_s: f64,
    cold_start_ms: f64,
    rss_mb: f64,
    rss_after_verify_mb: f64,
    verify_entries_per_s: f64,
    chain_entries_per_s: f64,
    sha_entries_per_s: f64,
}

async fn measure_log(treaty: &Path, n: u64, scale: Scale) -> Result<Measured, BenchError> {
    let dir = tempfile::tempdir()?;
    // The raw SHA-256 baseline runs over the same stored bytes.
    let values = fill(dir.path(), n).await?;
    let t = Instant::now();
    let mut sink = 0_u8;
    for v in &values {
        sink ^= Sha256::digest(v)[0];
    }
    let sha = values.len() as f64 / t.elapsed().as_secs_f64().max(1e-9);
    std::hint::black_box(sink);
    drop(values);

    let child = serve_audit(treaty, dir.path()).await?;
    let channel =
        treaty_runtime::connect(&child.url, &treaty_runtime::ClientConfig::default()).await?;
    let client = AuditServiceClient::new(channel);
    let s = run_async(1, scale.warmup, scale.window, move |_| {
        let mut c = client.clone();
        async move {
            let h = c
                .get_history(au::GetHistoryRequest {
                    state: "LT".into(),
                    page_size: 100,
                    ..Default::default()
                })
                .await
                .map_err(|e| e.to_string())?;
            if h.into_inner().entries.len() as u64 == LT_ENTRIES {
                Ok(())
            } else {
                Err("wrong history".into())
            }
        }
    })
    .await;
    if s.errors > 0 || s.count == 0 {
        return Err("GetHistory answered wrongly during the benchmark".into());
    }
    // The same history with its completeness proof, once the log has signed a checkpoint
    // over the filled entries; one answer is checked against the log's key first.
    let log_key = treaty_transparency::LogKey::from_private(&std::fs::read_to_string(
        treaty_node::log::dev_key_path(dir.path()),
    )?)
    .map_err(|e| e.to_string())?
    .verifier_key()
    .to_owned();
    let mut c = AuditServiceClient::new(channel_to(&child.url).await?);
    let deadline = Instant::now() + Duration::from_secs(120);
    let size = loop {
        let size = c
            .get_checkpoint(au::GetCheckpointRequest::default())
            .await
            .map_or(0, |r| r.into_inner().tree_size);
        if size > n {
            break size;
        }
        if Instant::now() > deadline {
            return Err(format!("no checkpoint over the {n} entries after 120 s").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let proved = c
        .get_history(au::GetHistoryRequest {
            state: "LT".into(),
            page_size: 100,
            with_proof: true,
            ..Default::default()
        })
        .await?
        .into_inner();
    let proof = treaty_audit::wire::read_history_proof(&[proved.proof.ok_or("no proof")?])?;
    let complete = treaty_transparency::history::verify(&proof, &log_key, &[], 0)
        .map_err(|e| format!("the benchmark history's proof does not verify: {e}"))?;
    if complete.records.len() as u64 != LT_ENTRIES {
        return Err("the proved history is not the whole history".into());
    }
    let s_proved = run_async(1, scale.warmup, scale.window, move |_| {
        let mut c = c.clone();
        async move {
            let h = c
                .get_history(au::GetHistoryRequest {
                    state: "LT".into(),
                    page_size: 100,
                    with_proof: true,
                    ..Default::default()
                })
                .await
                .map_err(|e| e.to_string())?
                .into_inner();
            if h.entries.len() as u64 == LT_ENTRIES && h.proof.is_some() {
                Ok(())
            } else {
                Err("wrong proved history".into())
            }
        }
    })
    .await;
    if s_proved.errors > 0 || s_proved.count == 0 {
        return Err("GetHistory with its proof answered wrongly during the benchmark".into());
    }
    // Resident memory in service: started, history queries answered.
    let rss = rss_mb(child.child.id());
    let mut audit = AuditServiceClient::new(
        treaty_runtime::connect(
            &child.url,
            &treaty_runtime::ClientConfig {
                request_timeout: Duration::from_secs(600),
                ..Default::default()
            },
        )
        .await?,
    );
    let t = Instant::now();
    let report = audit.verify(au::VerifyRequest {}).await?.into_inner();
    let verify = report.checked as f64 / t.elapsed().as_secs_f64().max(1e-9);
    // The log adds its own commitment entries to the `n` filled ones.
    let bench_head = report
        .sources
        .iter()
        .find(|s| s.source == "bench")
        .map(|s| s.head_sequence);
    if !report.ok || report.checked != report.head_sequence || bench_head != Some(n) {
        return Err(format!("Verify of the benchmark log failed: {report:?}").into());
    }
    let rss_after_verify = rss_mb(child.child.id());
    // Anyone's check: the log exported as tiles, then verified offline by the real binary.
    let export = dir.path().join("export");
    let t = Instant::now();
    let out = Command::new(treaty)
        .args(["log", "export", "--endpoint", &child.url, "--out"])
        .arg(&export)
        .output()?;
    let export_s = t.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(format!(
            "treaty log export failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let t = Instant::now();
    let out = Command::new(treaty)
        .args(["log", "verify", "--json", "--log-key", &log_key])
        .arg(&export)
        .output()?;
    let offline_s = t.elapsed().as_secs_f64().max(1e-9);
    let verified = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !verified.contains("\"size\"") {
        return Err(format!(
            "treaty log verify failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let exported = verified
        .split("\"size\":")
        .nth(1)
        .and_then(|r| r.trim_start().split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    if exported < size {
        return Err(format!("the export verified {exported} entries of the {size} signed").into());
    }
    let offline = exported as f64 / offline_s;
    std::fs::remove_dir_all(&export)?;
    let cold_start_ms = child.cold_start.as_secs_f64() * 1e3;
    drop(child);
    // The global chain alone, as the ledger verifies it (one hash per entry).
    let store = AuditStore::open(LedgerConfig::new(dir.path().join("audit"), "audit"))?;
    let t = Instant::now();
    let chain = store.ledger().verify()?;
    let chain_rate = chain.checked as f64 / t.elapsed().as_secs_f64().max(1e-9);
    store.ledger().shutdown().await;
    if chain.problem.is_some() || chain.checked != chain.head.0 || chain.checked < n {
        return Err("the benchmark log's chain does not verify".into());
    }
    Ok(Measured {
        p50: s.percentile_ms(50),
        p99: s.percentile_ms(99),
        proved_p50: s_proved.percentile_ms(50),
        proved_p99: s_proved.percentile_ms(99),
        export_s,
        offline_entries_per_s: offline,
        cold_start_ms,
        rss_mb: rss,
        rss_after_verify_mb: rss_after_verify,
        verify_entries_per_s: verify,
        chain_entries_per_s: chain_rate,
        sha_entries_per_s: sha,
    })
}

/// Every log-size figure.
pub(super) async fn measure(
    treaty: &Path,
    scale: Scale,
    quiet: bool,
) -> Result<Vec<Figure>, BenchError> {
    progress(
        quiet,
        &format!(
            "a state's history, Verify and a cold start with a {}-entry log",
            scale.small_log
        ),
    );
    let small = measure_log(treaty, scale.small_log, scale).await?;
    progress(
        quiet,
        &format!(
            "the same with a {}-entry log (filling it takes a while)",
            scale.big_log
        ),
    );
    let big = measure_log(treaty, scale.big_log, scale).await?;
    let k = |n: u64| {
        if n >= 1_000_000 {
            format!("{}M", n / 1_000_000)
        } else {
            format!("{}k", n / 1000)
        }
    };
    let (b, s) = (k(scale.big_log), k(scale.small_log));
    Ok(vec![
        fig(
            format!("GetHistory p50, {b}-entry log"),
            big.p50,
            "ms",
            format!("{s}-entry log"),
            small.p50,
        ),
        target(
            fig(
                format!("GetHistory p99, {b}-entry log"),
                big.p99,
                "ms",
                format!("{s}-entry log"),
                small.p99,
            ),
            "≤ 2× the small log",
            big.p99 <= 2.0 * small.p99,
        ),
        target(
            fig(
                format!("verify the global chain, {b}-entry log"),
                big.chain_entries_per_s,
                "entries/s",
                "raw SHA-256 over the same bytes",
                big.sha_entries_per_s,
            ),
            "≥ 50% of raw SHA-256",
            big.chain_entries_per_s >= 0.5 * big.sha_entries_per_s,
        ),
        fig(
            format!("GetHistory with its completeness proof p50, {b}-entry log"),
            big.proved_p50,
            "ms",
            format!("{s}-entry log"),
            small.proved_p50,
        ),
        target(
            fig(
                format!("GetHistory with its completeness proof p99, {b}-entry log"),
                big.proved_p99,
                "ms",
                format!("{s}-entry log"),
                small.proved_p99,
            ),
            "≤ 2× the small log",
            big.proved_p99 <= 2.0 * small.proved_p99,
        ),
        target(
            fig(
                format!(
                    "offline verification of an export (treaty log verify: every leaf rehashed, tree and tiles rebuilt, every chain, link and commitment), {b}-entry log"
                ),
                big.offline_entries_per_s,
                "entries/s",
                "raw SHA-256 over the same bytes",
                big.sha_entries_per_s,
            ),
            "≥ 50% of raw SHA-256",
            big.offline_entries_per_s >= 0.5 * big.sha_entries_per_s,
        ),
        fig(
            format!("export as tlog-tiles (treaty log export over GetEntries), {b}-entry log"),
            big.export_s,
            "s",
            format!("{s}-entry log"),
            small.export_s,
        ),
        fig(
            format!(
                "Verify RPC (global chain + every source chain, 2 hashes/entry), {b}-entry log"
            ),
            big.verify_entries_per_s,
            "entries/s",
            "raw SHA-256 over the same bytes",
            big.sha_entries_per_s,
        ),
        target(
            fig(
                format!("resident memory, {b}-entry log"),
                big.rss_mb,
                "MB",
                format!("{s}-entry log"),
                small.rss_mb,
            ),
            "≤ 200 MB",
            big.rss_mb <= 200.0,
        ),
        target(
            fig(
                format!("resident memory after a full Verify, {b}-entry log"),
                big.rss_after_verify_mb,
                "MB",
                format!("{s}-entry log"),
                small.rss_after_verify_mb,
            ),
            "≤ 200 MB",
            big.rss_after_verify_mb <= 200.0,
        ),
        target(
            fig(
                format!("cold start, {b}-entry log"),
                big.cold_start_ms,
                "ms",
                format!("{s}-entry log"),
                small.cold_start_ms,
            ),
            "≤ 1 s",
            big.cold_start_ms <= 1000.0,
        ),
    ])
}
