//! Requests made once: `commit_once` and `replay` (AIP-155).

use std::sync::Arc;

use crate::common::{STATE, open, record};
use treaty_ledger::{Abort, CommitError, Fingerprint, Ledger, Once, RequestKey};

fn once(principal: &str, id: &str, request: &str) -> Once {
    Once {
        key: RequestKey::new(principal, "Op", id),
        fingerprint: Fingerprint::of(request.as_bytes()),
    }
}

/// Appends one entry carrying `payload` and answers with its sequence, once per `key`.
async fn append_once(
    ledger: &Ledger,
    key: &Once,
    payload: &str,
) -> Result<Vec<u8>, CommitError<&'static str>> {
    let payload = payload.to_owned();
    ledger
        .commit_once(Some(key), move |txn| {
            txn.tree(STATE).insert(payload.as_bytes(), &b"x"[..])?;
            let seq = txn.append(record(payload.as_bytes()));
            Ok(seq.to_be_bytes().to_vec())
        })
        .await
}

#[tokio::test]
async fn a_retry_gets_the_first_answer_and_records_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let key = once("", "r1", "append a");
    let first = append_once(&ledger, &key, "a").await.unwrap();
    let again = append_once(&ledger, &key, "a").await.unwrap();
    assert_eq!(first, again);
    assert_eq!(ledger.head().0, 1, "the retry appended nothing");
    assert_eq!(
        ledger.replay::<Vec<u8>, ()>(&key).await.unwrap(),
        Some(first)
    );
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_key_reused_for_a_different_request_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    append_once(&ledger, &once("", "r1", "append a"), "a")
        .await
        .unwrap();
    let other = once("", "r1", "append b");
    match append_once(&ledger, &other, "b").await {
        Err(CommitError::KeyReused(reused)) => {
            assert_eq!(reused.request_id, "r1");
            assert_eq!(reused.operation, "Op");
            assert!(reused.to_string().contains("new request_id"), "{reused}");
        }
        other => panic!("expected KeyReused, got {other:?}"),
    }
    assert!(matches!(
        ledger.replay::<Vec<u8>, ()>(&other).await,
        Err(CommitError::KeyReused(_))
    ));
    assert_eq!(
        ledger.head().0,
        1,
        "nothing of the second request was written"
    );
    assert_eq!(ledger.tree(STATE).get("b").unwrap(), None);
    ledger.shutdown().await;
}

#[tokio::test]
async fn keys_are_scoped_to_their_principal() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    append_once(&ledger, &once("lt", "r1", "append a"), "a")
        .await
        .unwrap();
    append_once(&ledger, &once("lv", "r1", "append b"), "b")
        .await
        .unwrap();
    assert_eq!(
        ledger.head().0,
        2,
        "the same id of two principals is two requests"
    );
    assert_eq!(
        ledger
            .replay::<Vec<u8>, ()>(&once("ee", "r1", "append a"))
            .await
            .unwrap(),
        None,
        "another principal cannot read the answer"
    );
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_rejected_request_remembers_nothing_and_may_be_retried() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let key = once("", "r1", "append a");
    let refused = ledger
        .commit_once(Some(&key), |_txn| {
            Err::<Vec<u8>, _>(Abort::Rejected("not yet"))
        })
        .await;
    assert!(matches!(refused, Err(CommitError::Rejected("not yet"))));
    assert_eq!(ledger.replay::<Vec<u8>, ()>(&key).await.unwrap(), None);
    append_once(&ledger, &key, "a").await.unwrap();
    assert_eq!(ledger.head().0, 1);
    ledger.shutdown().await;
}

#[tokio::test]
async fn overlapping_copies_of_one_request_make_one_change_and_get_one_answer() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let key = Arc::new(once("", "r1", "append a"));
    let copies: Vec<_> = (0..16)
        .map(|_| {
            let (ledger, key) = (ledger.clone(), key.clone());
            tokio::spawn(async move { append_once(&ledger, &key, "a").await.unwrap() })
        })
        .collect();
    let mut answers = Vec::new();
    for copy in copies {
        answers.push(copy.await.unwrap());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    assert_eq!(ledger.head().0, 1, "sixteen copies, one entry");
    ledger.shutdown().await;
}

#[tokio::test]
async fn without_a_key_every_commit_is_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    for payload in ["a", "b"] {
        let payload = payload.to_owned();
        ledger
            .commit_once(None, move |txn| {
                Ok::<_, Abort<()>>(
                    txn.append(record(payload.as_bytes()))
                        .to_be_bytes()
                        .to_vec(),
                )
            })
            .await
            .unwrap();
    }
    assert_eq!(ledger.head().0, 2);
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_remembered_answer_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let key = once("", "r1", "append a");
    let first = {
        let ledger = open(dir.path());
        let first = append_once(&ledger, &key, "a").await.unwrap();
        ledger.shutdown().await;
        first
    };
    let ledger = open(dir.path());
    assert_eq!(append_once(&ledger, &key, "a").await.unwrap(), first);
    assert_eq!(ledger.head().0, 1);
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_replay_alone_costs_no_flush() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let key = once("", "r1", "append a");
    append_once(&ledger, &key, "a").await.unwrap();
    let before = ledger.stats().batches;
    for _ in 0..3 {
        assert!(ledger.replay::<Vec<u8>, ()>(&key).await.unwrap().is_some());
    }
    assert_eq!(
        ledger.stats().batches,
        before,
        "reading a remembered answer flushes nothing"
    );
    ledger.shutdown().await;
}
