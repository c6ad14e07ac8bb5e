//! The crash test: SIGKILL a process that is appending, many times, and prove that every
//! acknowledged append survives, the journal is contiguous and verifies, and the caller's
//! state matches its journal.
//!
//! The child is this same test binary, re-executed to run only
//! `crash_child_appends_until_killed`, which does nothing unless `CHILD_DIR` is set.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use treaty_ledger::{Abort, Durability, Ledger, LedgerConfig, NewRecord};

const CHILD_TEST: &str = "crash_child_appends_until_killed";
const CHILD_DIR: &str = "TREATY_LEDGER_CRASH_DIR";
const CHILD_DURABILITY: &str = "TREATY_LEDGER_CRASH_DURABILITY";
const STATE: &str = "state";
const TASKS: u64 = 8;
const ROUNDS: u64 = 20;

fn config(dir: &Path, durability: Durability) -> LedgerConfig {
    LedgerConfig {
        durability,
        trees: vec![STATE.to_owned()],
        ..LedgerConfig::new(dir, "crash")
    }
}

fn task_key(task: u64) -> String {
    format!("task/{task}")
}

fn as_u64(v: &[u8]) -> u64 {
    u64::from_be_bytes(v.try_into().expect("8-byte counter"))
}

/// The child: several tasks append concurrently until the process is killed. Each commit
/// increments the task's counter in the state tree and appends `"{task}:{n}"`; after the
/// commit is acknowledged the child prints `ACK {sequence} {task}:{n}`.
#[test]
fn crash_child_appends_until_killed() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let durability: Durability = std::env::var(CHILD_DURABILITY)
        .expect("durability is set")
        .parse()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let ledger = Ledger::open(config(Path::new(&dir), durability)).unwrap();
        let stdout = Arc::new(std::sync::Mutex::new(std::io::stdout()));
        // A safety net if the parent disappears: the child never outlives a minute.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut tasks = Vec::new();
        for task in 0..TASKS {
            let ledger = ledger.clone();
            let stdout = stdout.clone();
            tasks.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    let (seq, n) = ledger
                        .commit(move |txn| -> Result<(u64, u64), Abort<()>> {
                            let state = txn.tree(STATE);
                            let n = state.get(task_key(task))?.map_or(0, |v| as_u64(&v)) + 1;
                            state.insert(task_key(task).as_bytes(), &n.to_be_bytes()[..])?;
                            let seq = txn.append(NewRecord {
                                kind: "crash.Counted".into(),
                                actor: format!("task {task}"),
                                payload: format!("{task}:{n}").into_bytes(),
                                ..NewRecord::default()
                            });
                            Ok((seq, n))
                        })
                        .await
                        .expect("the commit succeeds");
                    let mut out = stdout.lock().unwrap();
                    writeln!(out, "ACK {seq} {task}:{n}").unwrap();
                    out.flush().unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// A small deterministic generator, seeded per run (the seed is printed on failure).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn parse_ack(line: &str) -> Option<(u64, String)> {
    let rest = line.strip_prefix("ACK ")?.strip_suffix('\n')?;
    let (seq, payload) = rest.split_once(' ')?;
    Some((seq.parse().ok()?, payload.to_owned()))
}

#[test]
fn every_acknowledged_append_survives_sigkill_of_the_writing_process() {
    if std::env::var_os(CHILD_DIR).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = XorShift(seed);
    let mut acknowledged: BTreeMap<u64, String> = BTreeMap::new();
    let exe = std::env::current_exe().unwrap();

    for round in 0..ROUNDS {
        let durability = if round % 2 == 0 {
            Durability::Flush
        } else {
            Durability::Fsync
        };
        // Sometimes kill while the child is still opening (recovering) the ledger.
        let kill_after = match rng.next() % 8 {
            0 => 0,
            _ => 1 + rng.next() % 400,
        };
        let context = format!("seed {seed}, round {round}, {durability}, kill after {kill_after}");

        let mut child = Command::new(&exe)
            .args([
                CHILD_TEST,
                "--exact",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_DURABILITY, durability.as_str())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut seen = 0;
        let mut line = String::new();
        while seen < kill_after {
            line.clear();
            let n = out.read_line(&mut line).unwrap();
            assert!(n > 0, "the child exited before being killed ({context})");
            if let Some((seq, payload)) = parse_ack(&line) {
                acknowledged.insert(seq, payload);
                seen += 1;
            }
        }
        kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the child was killed ({context})");
        // Whatever the child printed before it died was acknowledged too.
        for line in out.lines() {
            let line = line.unwrap() + "\n";
            if let Some((seq, payload)) = parse_ack(&line) {
                acknowledged.insert(seq, payload);
            }
        }

        let ledger = Ledger::open(config(dir.path(), Durability::Flush)).unwrap();
        let report = ledger.verify().unwrap();
        assert!(report.is_clean(), "{report:?} ({context})");
        let head = ledger.head().0;
        assert_eq!(report.checked, head);
        if let Some((&last, _)) = acknowledged.last_key_value() {
            assert!(
                head >= last,
                "head {head} < acknowledged {last} ({context})"
            );
        }
        for (&seq, payload) in &acknowledged {
            let record = ledger
                .get(seq)
                .unwrap()
                .unwrap_or_else(|| panic!("acknowledged entry {seq} is gone ({context})"));
            assert_eq!(
                record.payload,
                payload.as_bytes(),
                "entry {seq} ({context})"
            );
        }
        // The state tree and the journal agree: each task's counter is exactly the number
        // of its journal entries, numbered 1..=counter in order.
        let mut per_task: BTreeMap<u64, u64> = BTreeMap::new();
        let mut expected_seq = 1;
        for record in ledger.range(1, head) {
            let record = record.unwrap();
            assert_eq!(record.sequence, expected_seq, "contiguous ({context})");
            expected_seq += 1;
            let text = String::from_utf8(record.payload).unwrap();
            let (task, n) = text.split_once(':').unwrap();
            let count = per_task.entry(task.parse().unwrap()).or_default();
            *count += 1;
            assert_eq!(n.parse::<u64>().unwrap(), *count, "task {task} ({context})");
        }
        assert_eq!(expected_seq - 1, head);
        for task in 0..TASKS {
            let counter = ledger
                .tree(STATE)
                .get(task_key(task))
                .unwrap()
                .map_or(0, |v| as_u64(&v));
            let journaled = per_task.get(&task).copied().unwrap_or(0);
            assert_eq!(
                counter, journaled,
                "task {task}: state vs journal ({context})"
            );
        }
        eprintln!(
            "{context}: head {head}, {} acknowledged so far",
            acknowledged.len()
        );
        drop(ledger);
    }
    assert!(
        acknowledged.len() as u64 >= ROUNDS,
        "too few acknowledgements to prove anything: {}",
        acknowledged.len()
    );
}
