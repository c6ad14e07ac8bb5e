//! The crash tests: SIGKILL a process that is writing, many times, and prove that
//!
//! 1. every acknowledged append survives, the journal is contiguous and verifies, and the
//!    caller's state matches its journal;
//! 2. every request acknowledged through `commit_once` or `replay` survives, also when two
//!    copies of the same request race (as a client's retry after a timeout does) and the
//!    process dies the instant the first answer arrives.
//!
//! This is a test binary without the libtest harness (`harness = false`): run normally it is
//! the parent, and it re-executes itself with `TREATY_LEDGER_CRASH_DIR` set as the writer it
//! kills. It prints libtest's summary line when every scenario passed.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use treaty_ledger::{
    Abort, Durability, Fingerprint, Ledger, LedgerConfig, NewRecord, Once, RequestKey,
};

const CHILD_SCENARIO: &str = "TREATY_LEDGER_CRASH_SCENARIO";
const CHILD_DIR: &str = "TREATY_LEDGER_CRASH_DIR";
const CHILD_DURABILITY: &str = "TREATY_LEDGER_CRASH_DURABILITY";
const STATE: &str = "state";
const TASKS: u64 = 8;
const ROUNDS: u64 = 20;
const ONCE_ROUNDS: u64 = 100;

/// The journal is also a Merkle tree, so every kill also checks that leaf and tree hashes
/// are never left apart.
fn config(dir: &Path, durability: Durability) -> LedgerConfig {
    LedgerConfig {
        durability,
        trees: vec![STATE.to_owned()],
        ..LedgerConfig::new(dir, "crash").with_merkle()
    }
}

/// Opens the killed writer's database after the kill, before the ledger does (opening
/// would hash in leaves missing from the tree): every journal entry has its tree hashes, and
/// there are none without an entry. Then the ledger checks every stored hash.
fn open_after_kill(dir: &Path, context: &str) -> Ledger {
    {
        let db = sled::open(dir).unwrap();
        let entries = db.open_tree(treaty_ledger::JOURNAL_TREE).unwrap().len() as u64;
        let hashes = db.open_tree(treaty_ledger::MERKLE_TREE).unwrap().len() as u64;
        assert_eq!(
            hashes,
            tlog_tiles::stored_hash_count(entries),
            "{entries} entries and {hashes} tree hashes after the kill ({context})"
        );
    }
    let ledger = Ledger::open(config(dir, Durability::Flush)).unwrap();
    assert_eq!(ledger.verify_tree().unwrap(), None, "({context})");
    ledger
}

fn task_key(task: u64) -> String {
    format!("task/{task}")
}

fn as_u64(v: &[u8]) -> u64 {
    u64::from_be_bytes(v.try_into().expect("8-byte counter"))
}

fn main() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        let durability: Durability = std::env::var(CHILD_DURABILITY)
            .expect("durability is set")
            .parse()
            .unwrap();
        let scenario = std::env::var(CHILD_SCENARIO).expect("the scenario is set");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let ledger = Ledger::open(config(Path::new(&dir), durability)).unwrap();
        match scenario.as_str() {
            "appends" => runtime.block_on(child_appends(ledger)),
            "once" => runtime.block_on(child_once(ledger)),
            other => panic!("unknown scenario {other}"),
        }
        return;
    }
    every_acknowledged_append_survives_sigkill_of_the_writing_process();
    every_request_acknowledged_once_survives_sigkill_even_when_two_copies_race();
    println!("test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
}

/// The stdout lines a child prints, one `ACK …` per acknowledgement, flushed at once.
fn ack(stdout: &std::sync::Mutex<std::io::Stdout>, what: std::fmt::Arguments<'_>) {
    let mut out = stdout.lock().unwrap();
    writeln!(out, "ACK {what}").unwrap();
    out.flush().unwrap();
}

/// A safety net if the parent disappears: a child never outlives a minute.
fn child_deadline() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

/// The appending child: several tasks append concurrently until the process is killed. Each
/// commit increments the task's counter in the state tree and appends `"{task}:{n}"`; after
/// the commit is acknowledged the child prints `ACK {sequence} {task}:{n}`.
async fn child_appends(ledger: Ledger) {
    {
        let stdout = Arc::new(std::sync::Mutex::new(std::io::stdout()));
        let deadline = child_deadline();
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
                    ack(&stdout, format_args!("{seq} {task}:{n}"));
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }
}

/// The request of number `n` of task `task` (`task` names the child run too): its key and
/// fingerprint.
fn request(task: &str, n: u64) -> Once {
    Once {
        key: RequestKey::new(task, "Count", n.to_string()),
        fingerprint: Fingerprint::of(format!("{task}:{n}").as_bytes()),
    }
}

/// The child that makes requests once: several tasks each send request 1, 2, 3, … as two
/// copies at once — one committing, one a retry that keeps asking `replay` until an answer is
/// remembered, as an impatient client does — and print `ACK {task}:{n} {answer}` for the first
/// answer of either copy. A remembered answer given before its batch is durable would be
/// acknowledged by the retry copy just before the kill, and lost.
async fn child_once(ledger: Ledger) {
    let stdout = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let deadline = child_deadline();
    let mut tasks = Vec::new();
    let run = seed();
    for task in 0..TASKS {
        let (ledger, stdout) = (ledger.clone(), stdout.clone());
        let task = format!("{run}/{task}");
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < deadline {
                n += 1;
                let once = request(&task, n);
                let first = {
                    let (ledger, once, payload) =
                        (ledger.clone(), once.clone(), format!("{task}:{n}"));
                    tokio::spawn(async move {
                        ledger
                            .commit_once(Some(&once), move |txn| -> Result<Vec<u8>, Abort<()>> {
                                let seq = txn.append(NewRecord {
                                    kind: "crash.Requested".into(),
                                    payload: payload.clone().into_bytes(),
                                    ..NewRecord::default()
                                });
                                Ok(seq.to_be_bytes().to_vec())
                            })
                            .await
                            .expect("the commit succeeds")
                    })
                };
                let retry = {
                    let ledger = ledger.clone();
                    tokio::spawn(async move {
                        loop {
                            match ledger.replay::<Vec<u8>, ()>(&once).await.expect("replay") {
                                Some(answer) => break answer,
                                None => tokio::task::yield_now().await,
                            }
                        }
                    })
                };
                // The first answer of either copy is the acknowledgement; the other copy
                // goes on (and must get the same answer: the parent checks the journal).
                let answer = tokio::select! {
                    a = first => a.unwrap(),
                    b = retry => b.unwrap(),
                };
                ack(&stdout, format_args!("{task}:{n} {}", hex(&answer)));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs one child of `scenario` on `dir`, reads its acknowledgements until `kill_after` of
/// them, SIGKILLs it, and returns every acknowledgement it printed before it died.
fn run_child(
    exe: &Path,
    dir: &Path,
    scenario: &str,
    durability: Durability,
    kill_after: u64,
    context: &str,
) -> Vec<String> {
    let mut child = Command::new(exe)
        .env(CHILD_DIR, dir)
        .env(CHILD_DURABILITY, durability.as_str())
        .env(CHILD_SCENARIO, scenario)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut acks = Vec::new();
    let mut line = String::new();
    while (acks.len() as u64) < kill_after {
        line.clear();
        let n = out.read_line(&mut line).unwrap();
        if n == 0 {
            let _ = child.kill();
            panic!("the child exited before being killed ({context})");
        }
        if let Some(rest) = line.strip_prefix("ACK ") {
            acks.push(rest.trim_end().to_owned());
        }
    }
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed ({context})");
    // Whatever the child printed before it died was acknowledged too.
    for line in out.lines() {
        if let Some(rest) = line.unwrap().strip_prefix("ACK ") {
            acks.push(rest.trim_end().to_owned());
        }
    }
    acks
}

fn seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1
}

fn every_request_acknowledged_once_survives_sigkill_even_when_two_copies_race() {
    let dir = tempfile::tempdir().unwrap();
    let seed = seed();
    let mut rng = XorShift(seed);
    let exe = std::env::current_exe().unwrap();
    // task:n -> the answer (the entry's sequence) acknowledged for it.
    let mut acknowledged: BTreeMap<String, String> = BTreeMap::new();
    for round in 0..ONCE_ROUNDS {
        let durability = if round % 2 == 0 {
            Durability::Flush
        } else {
            Durability::Fsync
        };
        // Kill within the first answers: right after an answer is the moment that matters.
        let kill_after = 1 + rng.next() % 3;
        let context =
            format!("once: seed {seed}, round {round}, {durability}, kill after {kill_after}");
        for line in run_child(&exe, dir.path(), "once", durability, kill_after, &context) {
            let (request, answer) = line.split_once(' ').expect("ACK task:n answer");
            if let Some(earlier) = acknowledged.insert(request.to_owned(), answer.to_owned()) {
                assert_eq!(
                    earlier, answer,
                    "{request} answered twice differently ({context})"
                );
            }
        }
        let ledger = open_after_kill(dir.path(), &context);
        let report = ledger.verify().unwrap();
        assert!(report.is_clean(), "{report:?} ({context})");
        let mut journaled: BTreeMap<String, u64> = BTreeMap::new();
        for record in ledger.range(1, ledger.head().0) {
            let record = record.unwrap();
            let payload = String::from_utf8(record.payload).unwrap();
            assert!(
                journaled.insert(payload.clone(), record.sequence).is_none(),
                "{payload} was recorded twice ({context})"
            );
        }
        for (request, answer) in &acknowledged {
            let seq = journaled.get(request).unwrap_or_else(|| {
                panic!("acknowledged request {request} is gone after the kill ({context})")
            });
            assert_eq!(&hex(&seq.to_be_bytes()), answer, "{request} ({context})");
        }
        eprintln!(
            "{context}: {} entries, {} acknowledged so far",
            journaled.len(),
            acknowledged.len()
        );
    }
    assert!(
        acknowledged.len() as u64 >= ONCE_ROUNDS,
        "too few acknowledgements to prove anything: {}",
        acknowledged.len()
    );
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
    let (seq, payload) = line.split_once(' ')?;
    Some((seq.parse().ok()?, payload.to_owned()))
}

fn every_acknowledged_append_survives_sigkill_of_the_writing_process() {
    let dir = tempfile::tempdir().unwrap();
    let seed = seed();
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
        for line in run_child(
            &exe,
            dir.path(),
            "appends",
            durability,
            kill_after,
            &context,
        ) {
            if let Some((seq, payload)) = parse_ack(&line) {
                acknowledged.insert(seq, payload);
            }
        }

        let ledger = open_after_kill(dir.path(), &context);
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
