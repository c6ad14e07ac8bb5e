//! Forty `Tail` streams whose clients stop reading, over a log of large entries, against the
//! real binary (issue 10, item 7): the process stays under a memory bound that follows from
//! its settings, cuts every such stream off with RESOURCE_EXHAUSTED, serves a client that
//! reads meanwhile, and gives the memory back once those clients have gone.
//!
//! What a stalled stream costs the server does not grow with the log but with the bytes it
//! holds for its client, so the log here is short but its entries are near the largest an
//! `Append` accepts. Before the streams were bounded, each stalled stream held up to 512
//! entries (a 256-entry channel and a 256-entry read): about 30 MiB of such entries, 1.2 GiB
//! for forty.

use std::path::Path;

use treaty_audit::AuditStore;
use treaty_ledger::{LedgerConfig, Record, Subject};
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_runtime::StreamLimits;
use treaty_testkit::{Stall, StalledStream, TreatyProcess, eventually};

const STREAMS: usize = 40;
const ENTRIES: u64 = 1000;
/// Each entry's payload: near `treaty_audit::request::MAX_PAYLOAD_BYTES` (64 KiB).
const PAYLOAD: usize = 60 * 1024;
const MIB: f64 = 1024.0 * 1024.0;
/// What the server's HTTP/2 layer may hold per stream besides our buffer: hyper's 400 KiB send
/// buffer, one chunk in hyper and one in tonic's encoder (32 KiB and an entry each), the
/// 64 KiB the producer reads ahead, and the connection's own buffers; doubled, since a chunk's
/// allocation can be twice what it carries.
const TRANSPORT_PER_STREAM: f64 = 2.0 * (400.0 + 2.0 * (32.0 + 62.0) + 64.0 + 62.0 + 64.0) / 1024.0;
/// How far above the baseline the process may stay once every stalled client has gone: the
/// allocator's caches (jemalloc gives back what was freed within seconds).
const LEFT_AFTER: f64 = 8.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_stalled_tails_are_cut_off_within_a_memory_bound_that_is_given_back() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fill(dir.path(), ENTRIES).await;
    let server = TreatyProcess::spawn_logged(
        env!("CARGO_BIN_EXE_treaty"),
        [
            "serve",
            "audit",
            "--no-bundle",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            dir.path().to_str().expect("a UTF-8 path"),
        ],
        // The default buffer; a stall timeout of 1 s, so the test need not wait 30 s.
        [("TREATY_STREAM_STALL_MS", "1000")],
    );
    let channel = server.serving().await;
    let pid = server.id();

    // Baseline: after one whole read of the log, so sled's cache is as warm as it gets.
    read_log(AuditServiceClient::new(channel.clone())).await;
    let baseline = rss_mib(pid, "VmRSS");

    let tail = |after_sequence| tonic::Request::new(pb::TailRequest { after_sequence });
    let method = "/treaty.audit.v1.AuditService/Tail";
    let mut stalled = Vec::new();
    for _ in 0..STREAMS {
        stalled.push(StalledStream::open(server.addr(), method, tail(0), Stall::Socket).await);
    }
    let budget = StreamLimits::DEFAULT_BUFFER_BYTES as f64 / MIB;
    let bound = baseline + STREAMS as f64 * (budget + TRANSPORT_PER_STREAM);
    // Checked all along: the peak is the process's high-water mark.
    let within_bound = || {
        let peak = rss_mib(pid, "VmHWM");
        assert!(
            peak <= bound,
            "the peak {peak:.0} MiB passed the bound {bound:.0} MiB (baseline {baseline:.0} MiB)"
        );
        peak
    };
    // A client that reads gets the whole log meanwhile, never cut off.
    read_log(AuditServiceClient::new(channel.clone())).await;
    within_bound();
    eventually("every stalled stream cut off", async || {
        within_bound();
        (server.logged("cut it off") >= STREAMS).then_some(())
    })
    .await;
    assert_eq!(
        server.logged("cut it off"),
        STREAMS,
        "only the stalled ones"
    );
    let (stalled_rss, peak) = (rss_mib(pid, "VmRSS"), within_bound());
    let report = format!(
        "baseline {baseline:.0} MiB, peak {peak:.0} MiB, with {STREAMS} stalled {stalled_rss:.0} MiB, bound {bound:.0} MiB"
    );

    for stream in stalled {
        let (entries, status) = stream.resume::<pb::TailResponse>().await;
        assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
        assert_eq!(
            treaty_testkit::reason(&status).as_deref(),
            Some("STREAM_STALLED")
        );
        let got: Vec<u64> = entries
            .iter()
            .map(|e| e.entry.as_ref().expect("an entry").sequence)
            .collect();
        let expected: Vec<u64> = (1..=got.len() as u64).collect();
        assert_eq!(got, expected, "what it got before the cut-off, in order");
        assert!(got.len() < ENTRIES as usize, "it was cut off, not finished");
    }
    let waiting = format!("at most {LEFT_AFTER} MiB over the baseline again ({report})");
    let after = eventually(&waiting, async || {
        let rss = rss_mib(pid, "VmRSS");
        (rss <= baseline + LEFT_AFTER).then_some(rss)
    })
    .await;
    eprintln!("{report}, after they went away {after:.0} MiB");
}

/// Reads the log from the start to its last entry, checking the order, and drops the stream.
async fn read_log(mut audit: AuditServiceClient<tonic::transport::Channel>) {
    let mut stream = audit
        .tail(pb::TailRequest { after_sequence: 0 })
        .await
        .expect("a Tail stream")
        .into_inner();
    for sequence in 1..=ENTRIES {
        let entry = stream
            .message()
            .await
            .expect("an entry, not an error")
            .expect("an entry, not the end");
        assert_eq!(entry.entry.expect("an entry").sequence, sequence);
    }
}

/// Appends `n` genuine, hash-chained entries of source `bench` with [`PAYLOAD`]-byte payloads.
async fn fill(dir: &Path, n: u64) {
    let mut config = LedgerConfig::new(dir.join("audit"), "audit");
    config.durability = treaty_ledger::Durability::Flush;
    let store = AuditStore::open(config).expect("the audit store");
    let mut prev = treaty_ledger::GENESIS;
    let mut batch = Vec::new();
    for sequence in 1..=n {
        let mut record = Record {
            sequence,
            prev_hash: prev,
            hash: [0; 32],
            source: "bench".into(),
            kind: "bench.step_recorded".into(),
            subject: Subject {
                state: Some("LT".into()),
                treaty: Some("apmbc".into()),
                case: None,
            },
            actor: "treaty-test".into(),
            occurred_on: Some(jiff::civil::date(2025, 6, 27)),
            recorded_at: jiff::Timestamp::constant(1_750_000_000, 0),
            sources: vec!["a test of stalled streams".into()],
            payload: format!("{{\"n\":{sequence},\"pad\":\"{}\"}}", "x".repeat(PAYLOAD))
                .into_bytes(),
            origin: None,
            links: Vec::new(),
        };
        record.hash = record.compute_hash();
        prev = record.hash;
        batch.push(record);
        if batch.len() == 100 || sequence == n {
            let append = treaty_audit::request::Append {
                request_id: None,
                source: "bench".into(),
                records: std::mem::take(&mut batch),
            };
            store.append(None, append).await.expect("an append");
        }
    }
    store.ledger().shutdown().await;
}

/// A `/proc/<pid>/status` memory figure (`VmRSS`, `VmHWM`) in MiB.
fn rss_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the status");
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"));
    kib / 1024.0
}
