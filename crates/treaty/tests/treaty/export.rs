//! `treaty log export` and `treaty log verify`, with the real binary: a log exported from a
//! running `treaty serve` as C2SP tlog-tiles verifies offline against the log's key alone,
//! and each kind of tampering with the files — a byte of a leaf, of a hash tile, of the
//! checkpoint, two entries swapped, a tile removed, an earlier checkpoint of another tree —
//! is caught, naming the file and entry where.

use std::path::{Path, PathBuf};
use std::process::Command;

use treaty_auth::ServiceName;
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_testkit::{TreatyProcess, dev_credentials, eventually};
use treaty_transparency::LogKey;

/// The registry's journal entry `sequence` about `state`, chained to `prev_hash`.
pub(crate) fn record(sequence: u64, prev_hash: [u8; 32], state: &str) -> treaty_ledger::Record {
    let mut r = treaty_ledger::Record {
        sequence,
        prev_hash,
        hash: [0; 32],
        source: "registry".into(),
        kind: "registry.consent_recorded".into(),
        subject: treaty_ledger::Subject {
            state: Some(state.into()),
            treaty: Some("apmbc".into()),
            case: None,
        },
        actor: "depositary".into(),
        occurred_on: Some(jiff::civil::date(2025, 6, 25)),
        recorded_at: jiff::Timestamp::from_second(1_750_000_000 + sequence as i64).unwrap(),
        sources: vec!["https://treaties.un.org/".into()],
        payload: format!(r#"{{"step":{sequence}}}"#).into_bytes(),
        origin: None,
        links: Vec::new(),
    };
    r.hash = r.compute_hash();
    r
}

/// A served audit log with two batches of the registry's journal, each under its own
/// checkpoint, exported to a directory. Returns the server (still running), its data
/// directory, and the export.
struct Exported {
    _served: TreatyProcess,
    data: tempfile::TempDir,
    export: PathBuf,
}

async fn exported() -> Exported {
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
    let registry = dev_credentials(data.path()).identity(ServiceName::Registry);
    let mut audit = AuditServiceClient::new(served.tls_channel(&registry).await);
    let mut records = Vec::new();
    let mut prev = treaty_ledger::GENESIS;
    for (n, state) in ["TO", "LT", "TO", "LV", "TO", "EE", "LT"]
        .iter()
        .enumerate()
    {
        let r = record(n as u64 + 1, prev, state);
        prev = r.hash;
        records.push(r);
    }
    for (batch, range) in [(0, 0..4), (1, 4..7)] {
        audit
            .append(pb::AppendRequest {
                request_id: format!("export-{batch}"),
                source: "registry".into(),
                entries: records[range.clone()]
                    .iter()
                    .map(treaty_audit::wire::source_entry)
                    .collect(),
            })
            .await
            .unwrap();
        // Each batch is followed by its commitment entry and signed over.
        let want = range.end as u64 + batch + 1;
        checkpoint_of_at_least(&mut audit, want).await;
    }
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
    assert!(out.1.contains("exported the log's 9 entries"), "{}", out.1);
    Exported {
        _served: served,
        data,
        export,
    }
}

/// The log's latest checkpoint, once it signs a tree of at least `size` leaves.
pub(crate) async fn checkpoint_of_at_least(
    audit: &mut AuditServiceClient<tonic::transport::Channel>,
    size: u64,
) -> pb::GetCheckpointResponse {
    eventually(&format!("a checkpoint of at least {size}"), async || {
        let c = audit
            .get_checkpoint(pb::GetCheckpointRequest::default())
            .await
            .ok()?
            .into_inner();
        (c.tree_size >= size).then_some(c)
    })
    .await
}

/// Runs `treaty ARGS` with the data directory `data` (where the development log key is).
pub(crate) fn treaty(data: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_treaty"))
        .args(args)
        .env("TREATY_DATA_DIR", data)
        .env_remove("TREATY_LOG_KEY")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// A copy of the export, changed by `tamper`, verified: the error line.
fn tampered(e: &Exported, name: &str, tamper: impl FnOnce(&Path)) -> String {
    let copy = e.data.path().join(name);
    copy_dir(&e.export, &copy);
    tamper(&copy);
    let (code, out, err) = treaty(e.data.path(), &["log", "verify", copy.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{name}: the tampered export verified: {out}");
    assert!(err.contains("does NOT verify"), "{err}");
    err
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn edit(path: &Path, change: impl FnOnce(&mut Vec<u8>)) {
    let mut data = std::fs::read(path).unwrap();
    change(&mut data);
    std::fs::write(path, data).unwrap();
}

/// The byte ranges of a bundle's entries.
fn entry_ranges(bundle: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bundle.len() {
        let len = usize::from(u16::from_be_bytes([bundle[at], bundle[at + 1]]));
        out.push(at + 2..at + 2 + len);
        at += 2 + len;
    }
    out
}

const BUNDLE: &str = "tile/entries/000.p/9";
const TILE: &str = "tile/0/000.p/9";

#[tokio::test]
async fn an_export_verifies_offline_and_every_kind_of_tampering_is_caught_naming_where() {
    let e = exported().await;
    for file in [
        "checkpoint",
        BUNDLE,
        TILE,
        "treaty/checkpoints/5",
        "treaty/checkpoints/9",
    ] {
        assert!(e.export.join(file).is_file(), "the export holds {file}");
    }
    let (code, out, err) = treaty(
        e.data.path(),
        &["log", "verify", e.export.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("verified offline: 9 entries"), "{out}");
    assert!(
        out.contains(
            "2 commitments, 2 earlier checkpoints consistent, source journals: registry 7"
        ),
        "{out}"
    );
    assert!(
        out.contains("checkpoint 9 of localhost/treaty-audit"),
        "{out}"
    );

    // A byte of a leaf: entry 2's payload.
    let err = tampered(&e, "leaf", |d| {
        edit(&d.join(BUNDLE), |b| {
            let r = entry_ranges(b)[2].clone();
            b[r.end - 3] ^= 0x01;
        })
    });
    assert!(
        err.contains(&format!("{BUNDLE} entry 2 (log entry 3): ")),
        "{err}"
    );

    // A byte of a hash tile.
    let err = tampered(&e, "tile", |d| {
        edit(&d.join(TILE), |b| b[32 * 4 + 7] ^= 0x80)
    });
    assert!(
        err.contains(&format!(
            "{TILE}: hash 4 is not the hash the exported entries give"
        )),
        "{err}"
    );

    // A byte of the checkpoint: its tree size.
    let err = tampered(&e, "checkpoint", |d| {
        edit(&d.join("checkpoint"), |b| {
            let at = b.iter().position(|&c| c == b'\n').unwrap() + 1;
            b[at] = b'8';
        })
    });
    assert!(err.contains(": checkpoint: "), "{err}");

    // Two entries swapped.
    let err = tampered(&e, "reordered", |d| {
        edit(&d.join(BUNDLE), |b| {
            let r = entry_ranges(b);
            let (third, fourth) = (
                b[r[3].start - 2..r[3].end].to_vec(),
                b[r[4].start - 2..r[4].end].to_vec(),
            );
            let mut swapped = b[..r[3].start - 2].to_vec();
            swapped.extend(&fourth);
            swapped.extend(&third);
            swapped.extend(&b[r[4].end..]);
            *b = swapped;
        })
    });
    assert!(
        err.contains(&format!(
            "{BUNDLE} entry 3 (log entry 4): holds log entry 5 where log entry 4 belongs"
        )),
        "{err}"
    );

    // A tile removed.
    let err = tampered(&e, "removed", |d| {
        std::fs::remove_file(d.join(TILE)).unwrap()
    });
    assert!(err.contains(&format!("{TILE}: missing")), "{err}");

    // An earlier checkpoint, validly signed with the log's own key, of another tree: the log
    // did not grow from it.
    let key = std::fs::read_to_string(treaty_node::log::dev_key_path(e.data.path())).unwrap();
    let key = LogKey::from_private(&key).unwrap();
    let err = tampered(&e, "forked", |d| {
        std::fs::write(d.join("treaty/checkpoints/5"), key.sign(5, &[7; 32])).unwrap()
    });
    assert!(
        err.contains(
            "treaty/checkpoints/5: its root is not the root of the first 5 entries of the export"
        ),
        "{err}"
    );

    // Another log's key proves nothing.
    let (other, _) = LogKey::generate("localhost/treaty-audit").unwrap();
    let (code, _, err) = treaty(
        e.data.path(),
        &[
            "log",
            "verify",
            e.export.to_str().unwrap(),
            "--log-key",
            other.verifier_key(),
        ],
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("checkpoint: "), "{err}");
}
