//! `verify` on good and tampered journals (tampering goes through sled directly).

use crate::common::{append_blocking, open};
use treaty_ledger::{JOURNAL_TREE, Ledger, ProblemKind, Record};

fn ledger_with(n: u64) -> (tempfile::TempDir, Ledger, sled::Tree) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    for i in 1..=n {
        append_blocking(&ledger, "k", &format!("payload number {i}"));
    }
    let journal = ledger.db().open_tree(JOURNAL_TREE).unwrap();
    (dir, ledger, journal)
}

fn stored(journal: &sled::Tree, seq: u64) -> Vec<u8> {
    journal.get(seq.to_be_bytes()).unwrap().unwrap().to_vec()
}

fn put(journal: &sled::Tree, seq: u64, value: &[u8]) {
    journal.insert(seq.to_be_bytes(), value).unwrap();
}

fn problem(ledger: &Ledger) -> (u64, ProblemKind) {
    let p = ledger
        .verify()
        .unwrap()
        .problem
        .expect("a problem is reported");
    (p.sequence, p.kind)
}

#[test]
fn verify_is_clean_on_a_good_log() {
    let (_dir, ledger, _) = ledger_with(10);
    let report = ledger.verify().unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.checked, 10);
    assert_eq!(report.head, ledger.head());
}

#[test]
fn verify_is_clean_on_an_empty_log() {
    let dir = tempfile::tempdir().unwrap();
    let report = open(dir.path()).verify().unwrap();
    assert!(report.is_clean());
    assert_eq!(report.checked, 0);
}

#[test]
fn verify_reports_the_first_altered_entry_for_any_altered_byte() {
    let (_dir, ledger, journal) = ledger_with(10);
    let later = stored(&journal, 8);
    let mut tampered_later = later.clone();
    *tampered_later.last_mut().unwrap() ^= 1;
    put(&journal, 8, &tampered_later);

    let original = stored(&journal, 4);
    for at in 0..original.len() {
        let mut tampered = original.clone();
        tampered[at] ^= 0x20;
        put(&journal, 4, &tampered);
        let report = ledger.verify().unwrap();
        let p = report
            .problem
            .unwrap_or_else(|| panic!("byte {at} altered unnoticed"));
        let kind = if at == 0 {
            ProblemKind::Undecodable
        } else {
            ProblemKind::Altered
        };
        assert_eq!((p.sequence, p.kind), (4, kind), "byte {at}: {}", p.detail);
        assert_eq!(report.checked, 3);
    }
    put(&journal, 4, &original);
    assert_eq!(problem(&ledger), (8, ProblemKind::Altered));
    put(&journal, 8, &later);
    assert!(ledger.verify().unwrap().is_clean());
}

#[test]
fn verify_reports_a_removed_entry_as_missing() {
    let (dir, ledger, journal) = ledger_with(10);
    journal.remove(5u64.to_be_bytes()).unwrap();
    assert_eq!(problem(&ledger), (5, ProblemKind::Missing));
    drop((ledger, journal));
    // Also after a restart, when the head comes from the journal itself.
    let ledger = open(dir.path());
    assert_eq!(problem(&ledger), (5, ProblemKind::Missing));
}

#[test]
fn verify_reports_a_removed_last_entry_as_missing() {
    let (_dir, ledger, journal) = ledger_with(10);
    journal.remove(10u64.to_be_bytes()).unwrap();
    assert_eq!(problem(&ledger), (10, ProblemKind::Missing));
}

#[test]
fn verify_reports_swapped_entries_as_reordered() {
    let (_dir, ledger, journal) = ledger_with(10);
    let (three, six) = (stored(&journal, 3), stored(&journal, 6));
    put(&journal, 3, &six);
    put(&journal, 6, &three);
    let p = ledger.verify().unwrap().problem.unwrap();
    assert_eq!(
        (p.sequence, p.kind),
        (3, ProblemKind::Reordered),
        "{}",
        p.detail
    );
}

#[test]
fn verify_reports_an_entry_rehashed_with_a_broken_link_as_altered() {
    let (_dir, ledger, journal) = ledger_with(10);
    let mut six = Record::decode(&stored(&journal, 6)).unwrap();
    six.prev_hash = [9; 32];
    six.hash = six.compute_hash();
    put(&journal, 6, &six.encode());
    let p = ledger.verify().unwrap().problem.unwrap();
    assert_eq!((p.sequence, p.kind), (6, ProblemKind::Altered));
    assert!(p.detail.contains("prev_hash"), "{}", p.detail);
}

#[test]
fn verify_reports_the_successor_of_a_rewritten_and_rehashed_entry() {
    let (_dir, ledger, journal) = ledger_with(10);
    let mut six = Record::decode(&stored(&journal, 6)).unwrap();
    six.payload = b"a different story".to_vec();
    six.hash = six.compute_hash();
    put(&journal, 6, &six.encode());
    // Entry 6 is self-consistent; its successor no longer links to it.
    assert_eq!(problem(&ledger), (7, ProblemKind::Altered));
}

#[test]
fn verify_reports_a_truncated_value_as_undecodable() {
    let (_dir, ledger, journal) = ledger_with(4);
    put(&journal, 2, &stored(&journal, 2)[..40]);
    assert_eq!(problem(&ledger), (2, ProblemKind::Undecodable));
    assert!(ledger.get(2).is_err());
}
