//! Reopening, reading, configuration and origins through the public API.

use crate::common::{append_blocking, open, record};
use treaty_ledger::{Abort, GENESIS, Ledger, LedgerConfig, LedgerError, NewRecord, Origin};

#[test]
fn appends_are_contiguous_from_one_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    assert_eq!(ledger.head(), (0, GENESIS));
    for i in 1..=5 {
        assert_eq!(append_blocking(&ledger, "k", &format!("p{i}")), i);
    }
    let head = ledger.head();
    drop(ledger);

    let ledger = open(dir.path());
    assert_eq!(ledger.head(), head, "reopen finds the same head");
    assert_eq!(append_blocking(&ledger, "k", "p6"), 6);
    let six = ledger.get(6).unwrap().unwrap();
    assert_eq!(six.prev_hash, head.1, "the chain continues across reopen");
    let sequences: Vec<u64> = ledger.range(1, 100).map(|r| r.unwrap().sequence).collect();
    assert_eq!(sequences, vec![1, 2, 3, 4, 5, 6]);
    assert!(ledger.verify().unwrap().is_clean());
}

#[test]
fn get_range_and_read_after_return_durable_records_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    for i in 1..=10 {
        append_blocking(&ledger, "k", &format!("p{i}"));
    }
    let r3 = ledger.get(3).unwrap().unwrap();
    assert_eq!((r3.sequence, r3.payload.as_slice()), (3, &b"p3"[..]));
    assert_eq!(r3.source, "registry");
    assert_eq!(r3.recorded_at, "2025-06-27T09:30:00Z".parse().unwrap());
    assert_eq!(r3.prev_hash, ledger.get(2).unwrap().unwrap().hash);
    assert_eq!(ledger.get(0).unwrap(), None);
    assert_eq!(ledger.get(11).unwrap(), None);

    let payloads = |records: Vec<treaty_ledger::Record>| -> Vec<String> {
        records
            .into_iter()
            .map(|r| String::from_utf8(r.payload).unwrap())
            .collect()
    };
    let range: Vec<_> = ledger.range(4, 6).collect::<Result<_, _>>().unwrap();
    assert_eq!(payloads(range), ["p4", "p5", "p6"]);
    let clamped: Vec<_> = ledger.range(0, u64::MAX).collect::<Result<_, _>>().unwrap();
    assert_eq!(clamped.len(), 10);
    assert_eq!(ledger.range(7, 3).count(), 0);
    let last = ledger.range(1, 10).next_back().unwrap().unwrap();
    assert_eq!(last.sequence, 10);

    assert_eq!(payloads(ledger.read_after(0, 2).unwrap()), ["p1", "p2"]);
    assert_eq!(payloads(ledger.read_after(8, 100).unwrap()), ["p9", "p10"]);
    assert!(ledger.read_after(10, 100).unwrap().is_empty());
    assert!(ledger.read_after(3, 0).unwrap().is_empty());
    assert!(ledger.read_after(u64::MAX, 5).unwrap().is_empty());
}

#[test]
fn a_journal_refuses_to_open_for_another_source() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let other = LedgerConfig::new(dir.path(), "approvals");
    assert!(matches!(
        Ledger::open(other),
        Err(LedgerError::SourceMismatch { .. })
    ));
}

#[test]
fn bad_configurations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let reserved = LedgerConfig {
        trees: vec![treaty_ledger::JOURNAL_TREE.to_owned()],
        ..LedgerConfig::new(dir.path(), "registry")
    };
    assert!(matches!(
        Ledger::open(reserved),
        Err(LedgerError::InvalidConfig(_))
    ));
    let twice = LedgerConfig {
        trees: vec!["a".into(), "a".into()],
        ..LedgerConfig::new(dir.path(), "registry")
    };
    assert!(matches!(
        Ledger::open(twice),
        Err(LedgerError::InvalidConfig(_))
    ));
    assert!(matches!(
        Ledger::open(LedgerConfig::new(dir.path(), "")),
        Err(LedgerError::InvalidConfig(_))
    ));
    assert_eq!(
        "fsync".parse::<treaty_ledger::Durability>().unwrap(),
        treaty_ledger::Durability::Fsync
    );
    assert_eq!(
        "Flush".parse::<treaty_ledger::Durability>().unwrap(),
        treaty_ledger::Durability::Flush
    );
    assert!("sometimes".parse::<treaty_ledger::Durability>().is_err());
}

#[test]
#[should_panic(expected = "unknown tree \"nope\"")]
fn an_unknown_tree_name_panics_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let _ = ledger.tree("nope");
}

#[test]
fn fsync_durability_commits_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let config = LedgerConfig {
        durability: treaty_ledger::Durability::Fsync,
        ..crate::common::config(dir.path())
    };
    let ledger = Ledger::open(config.clone()).unwrap();
    append_blocking(&ledger, "k", "small");
    // A value too big for a log segment goes to sled's blobs directory.
    let big = vec![7u8; 2 * 1024 * 1024];
    let big_clone = big.clone();
    let seq = ledger
        .commit_blocking(move |txn| -> Result<u64, Abort<()>> {
            Ok(txn.append(record(&big_clone)))
        })
        .unwrap();
    let blobs = std::fs::read_dir(dir.path().join("blobs")).unwrap().count();
    assert!(blobs > 0, "the big record went to a blob file");
    drop(ledger);
    let ledger = Ledger::open(config).unwrap();
    assert_eq!(ledger.get(seq).unwrap().unwrap().payload, big);
    assert!(ledger.verify().unwrap().is_clean());
}

#[test]
fn an_origin_sets_the_records_source() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(LedgerConfig {
        source: "audit".into(),
        ..crate::common::config(dir.path())
    })
    .unwrap();
    let origin = Origin {
        source: "approvals".into(),
        sequence: 41,
        prev_hash: [1; 32],
        hash: [2; 32],
        recorded_at: "2025-03-18T12:00:00Z".parse().unwrap(),
    };
    let new = NewRecord {
        origin: Some(origin.clone()),
        ..record(b"copied")
    };
    let seq = ledger
        .commit_blocking(move |txn| -> Result<u64, Abort<()>> { Ok(txn.append(new.clone())) })
        .unwrap();
    let stored = ledger.get(seq).unwrap().unwrap();
    assert_eq!(stored.source, "approvals");
    assert_eq!(stored.origin, Some(origin));
}

#[test]
fn the_ledger_and_its_readers_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Ledger>();
    send_sync::<treaty_ledger::Records>();
    send_sync::<treaty_ledger::Record>();
    send_sync::<LedgerError>();
}
