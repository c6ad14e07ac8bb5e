//! Commits: atomicity, rejection, group commit, the durable-head watch and shutdown.

use crate::common::{STATE, append_blocking, open, record};
use treaty_ledger::{Abort, CommitError, LedgerError};

#[test]
fn a_rejected_job_writes_nothing_neither_state_nor_journal() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    append_blocking(&ledger, "before", "1");
    let result = ledger.commit_blocking(|txn| -> Result<(), Abort<&'static str>> {
        txn.tree(STATE).insert("rejected", "x")?;
        txn.append(record(b"rejected"));
        txn.append(record(b"rejected too"));
        Err(Abort::Rejected("a business rule failed"))
    });
    assert!(matches!(
        result,
        Err(CommitError::Rejected("a business rule failed"))
    ));
    assert_eq!(ledger.tree(STATE).get("rejected").unwrap(), None);
    assert_eq!(ledger.head().0, 1);
    assert_eq!(ledger.get(2).unwrap(), None);
    assert_eq!(
        ledger
            .db()
            .open_tree(treaty_ledger::JOURNAL_TREE)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        append_blocking(&ledger, "after", "2"),
        2,
        "no sequence was used up"
    );
    assert_eq!(ledger.stats().rejected, 1);
    assert!(ledger.verify().unwrap().is_clean());
}

#[test]
fn the_journal_entry_and_the_callers_state_change_are_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    // Both land together.
    let seq = ledger
        .commit_blocking(|txn| -> Result<u64, Abort<()>> {
            txn.tree(STATE).insert("case/1", "OPEN")?;
            Ok(txn.append(record(b"opened")))
        })
        .unwrap();
    assert_eq!(ledger.tree(STATE).get("case/1").unwrap().unwrap(), "OPEN");
    assert_eq!(ledger.get(seq).unwrap().unwrap().payload, b"opened");

    // A failure after both writes leaves neither.
    let result = ledger.commit_blocking(|txn| -> Result<(), Abort<()>> {
        txn.tree(STATE).insert("case/1", "CLOSED")?;
        txn.append(record(b"closed"));
        Err(Abort::Rejected(()))
    });
    assert!(matches!(result, Err(CommitError::Rejected(()))));
    assert_eq!(ledger.tree(STATE).get("case/1").unwrap().unwrap(), "OPEN");
    assert_eq!(ledger.head().0, seq);

    // A panicking closure writes nothing either, and the ledger keeps working.
    let result = ledger.commit_blocking(|txn| -> Result<(), Abort<()>> {
        txn.tree(STATE).insert("case/1", "PANICKED")?;
        txn.append(record(b"panicked"));
        panic!("a bug in a commit closure");
    });
    assert!(matches!(
        result,
        Err(CommitError::Storage(LedgerError::CommitPanicked))
    ));
    assert_eq!(ledger.tree(STATE).get("case/1").unwrap().unwrap(), "OPEN");
    assert_eq!(append_blocking(&ledger, "case/2", "OPEN"), seq + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_get_distinct_contiguous_sequences_and_are_batched() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let tasks = 64;
    let per_task = 20;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let ledger = ledger.clone();
        handles.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for i in 0..per_task {
                let payload = format!("{t}/{i}");
                let value = payload.clone();
                let seq = ledger
                    .commit(move |txn| -> Result<u64, Abort<()>> {
                        // A read-modify-write: sees every earlier commit, even in its batch.
                        let n = txn
                            .tree(STATE)
                            .get("count")?
                            .map_or(0, |v| u64::from_be_bytes(v.as_ref().try_into().unwrap()));
                        txn.tree(STATE)
                            .insert("count", &(n + 1).to_be_bytes()[..])?;
                        let seq = txn.append(record(value.as_bytes()));
                        assert_eq!(seq, n + 1);
                        Ok(seq)
                    })
                    .await
                    .unwrap();
                got.push((seq, payload));
            }
            got
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let total = (tasks * per_task) as u64;
    all.sort();
    let sequences: Vec<u64> = all.iter().map(|(s, _)| *s).collect();
    assert_eq!(sequences, (1..=total).collect::<Vec<_>>());
    for (seq, payload) in &all {
        assert_eq!(
            ledger.get(*seq).unwrap().unwrap().payload,
            payload.as_bytes()
        );
    }
    let stats = ledger.stats();
    assert_eq!(stats.commits, total);
    assert_eq!(stats.appended, total);
    assert!(
        stats.batches < stats.commits / 2,
        "expected group commit, got {stats:?}"
    );
    assert!(ledger.verify().unwrap().is_clean());
    ledger.shutdown().await;
}

#[tokio::test]
async fn watch_publishes_the_durable_head() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let mut watch = ledger.watch();
    assert_eq!(*watch.borrow(), 0);
    let seq = ledger
        .commit(|txn| -> Result<u64, Abort<()>> { Ok(txn.append(record(b"a"))) })
        .await
        .unwrap();
    watch.changed().await.unwrap();
    assert_eq!(*watch.borrow_and_update(), seq);
    assert_eq!(ledger.head().0, seq);
}

#[tokio::test]
async fn shutdown_drains_queued_commits_and_refuses_later_ones() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let pending: Vec<_> = (0..50)
        .map(|i| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                ledger
                    .commit(move |txn| -> Result<u64, Abort<()>> {
                        Ok(txn.append(record(format!("{i}").as_bytes())))
                    })
                    .await
            })
        })
        .collect();
    tokio::task::yield_now().await;
    ledger.shutdown().await;
    let mut acknowledged = 0;
    for p in pending {
        match p.await.unwrap() {
            Ok(_) => acknowledged += 1,
            Err(CommitError::Storage(LedgerError::Closed)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ledger.head().0, acknowledged);
    let late = ledger
        .commit(|txn| -> Result<u64, Abort<()>> { Ok(txn.append(record(b"late"))) })
        .await;
    assert!(matches!(
        late,
        Err(CommitError::Storage(LedgerError::Closed))
    ));
    drop(ledger);
    let reopened = open(dir.path());
    assert_eq!(reopened.head().0, acknowledged);
    assert!(reopened.verify().unwrap().is_clean());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_and_panicking_commits_in_a_batch_change_nothing_and_leave_the_others_intact() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let handles: Vec<_> = (0..300u64)
        .map(|i| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let result = ledger
                    .commit(move |txn| -> Result<u64, Abort<String>> {
                        txn.tree(STATE)
                            .insert(format!("key/{i}").as_bytes(), &b"x"[..])?;
                        let seq = txn.append(record(format!("{i}").as_bytes()));
                        match i % 7 {
                            3 => Err(Abort::Rejected(format!("no {i}"))),
                            5 if i % 2 == 0 => panic!("closure {i} panics"),
                            _ => Ok(seq),
                        }
                    })
                    .await;
                (i, result)
            })
        })
        .collect();
    let mut accepted = Vec::new();
    for h in handles {
        let (i, result) = h.await.unwrap();
        match (i % 7, result) {
            (3, Err(CommitError::Rejected(reason))) => assert_eq!(reason, format!("no {i}")),
            (5, Err(CommitError::Storage(LedgerError::CommitPanicked))) if i % 2 == 0 => {}
            (_, Ok(seq)) => accepted.push((seq, i)),
            (_, other) => panic!("commit {i}: unexpected {other:?}"),
        }
    }
    accepted.sort();
    let sequences: Vec<u64> = accepted.iter().map(|(s, _)| *s).collect();
    assert_eq!(sequences, (1..=accepted.len() as u64).collect::<Vec<_>>());
    for (seq, i) in &accepted {
        assert_eq!(
            ledger.get(*seq).unwrap().unwrap().payload,
            format!("{i}").as_bytes()
        );
    }
    for i in 0..300u64 {
        let present = ledger
            .tree(STATE)
            .get(format!("key/{i}"))
            .unwrap()
            .is_some();
        assert_eq!(
            present,
            accepted.iter().any(|(_, j)| *j == i),
            "state of {i}"
        );
    }
    assert_eq!(ledger.head().0, accepted.len() as u64);
    let stats = ledger.stats();
    assert_eq!(stats.commits, accepted.len() as u64);
    assert_eq!(
        stats.rejected,
        (0..300).filter(|i| i % 7 == 3).count() as u64
    );
    assert!(ledger.verify().unwrap().is_clean());
}

/// Polls a future once, so that `Ledger::commit` queues its job, and returns it.
async fn queue<F: std::future::Future + Unpin>(mut fut: F) -> F {
    std::future::poll_fn(|cx| {
        let _ = std::pin::Pin::new(&mut fut).poll(cx);
        std::task::Poll::Ready(())
    })
    .await;
    fut
}

#[tokio::test]
async fn commits_queued_together_are_made_durable_in_one_batch_even_with_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    // Hold the writer inside a first commit while the others queue up behind it.
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let (started_tx, release_rx) = (
        std::sync::Mutex::new(started_tx),
        std::sync::Mutex::new(release_rx),
    );
    let blocker = ledger.clone();
    let first = std::thread::spawn(move || {
        blocker.commit_blocking(move |txn| -> Result<u64, Abort<()>> {
            let _ = started_tx.lock().unwrap().send(());
            let _ = release_rx.lock().unwrap().recv();
            Ok(txn.append(record(b"first")))
        })
    });
    started_rx.recv().unwrap();

    let mut queued = Vec::new();
    for i in 0..20u64 {
        let ledger = ledger.clone();
        let fut = Box::pin(async move {
            ledger
                .commit(move |txn| -> Result<u64, Abort<u64>> {
                    txn.tree(STATE)
                        .insert(format!("q/{i}").as_bytes(), &b"x"[..])?;
                    let seq = txn.append(record(format!("{i}").as_bytes()));
                    if i % 6 == 4 {
                        Err(Abort::Rejected(i))
                    } else {
                        Ok(seq)
                    }
                })
                .await
        });
        queued.push(queue(fut).await);
    }
    release_tx.send(()).unwrap();
    assert_eq!(first.join().unwrap().unwrap(), 1);

    let mut expected_seq = 2;
    for (i, fut) in (0..20u64).zip(queued) {
        match fut.await {
            Ok(seq) => {
                assert_ne!(i % 6, 4);
                assert_eq!(seq, expected_seq, "queue order is sequence order");
                expected_seq += 1;
            }
            Err(CommitError::Rejected(j)) => assert_eq!((j, i % 6), (i, 4)),
            Err(e) => panic!("{e:?}"),
        }
    }
    let stats = ledger.stats();
    assert_eq!((stats.commits, stats.rejected), (1 + 17, 3));
    assert_eq!(stats.batches, 2, "the 20 queued commits shared one flush");
    for i in 0..20u64 {
        let present = ledger.tree(STATE).get(format!("q/{i}")).unwrap().is_some();
        assert_eq!(present, i % 6 != 4);
    }
    assert!(ledger.verify().unwrap().is_clean());
}
