//! The journal as a Merkle tree, checked against a second, independent implementation: the
//! recursive definitions of RFC 6962 §2.1 (MTH, PATH, PROOF) written out below from the RFC's
//! text, with nothing shared with `tlog_tiles` but SHA-256.

use sha2::{Digest, Sha256};
use treaty_ledger::{Abort, Hash, Ledger, LedgerError, Link, MERKLE_TREE, NewRecord};

use crate::common::{config, record};

fn leaf(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0]);
    h.update(data);
    h.finalize().into()
}

fn node(l: &Hash, r: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]).
fn mth(d: &[Vec<u8>]) -> Hash {
    match d.len() {
        0 => Sha256::digest(b"").into(),
        1 => leaf(&d[0]),
        n => {
            let k = split(n);
            node(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

/// PATH(m, D[n]).
fn path(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
    if d.len() <= 1 {
        return Vec::new();
    }
    let k = split(d.len());
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b).
fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { Vec::new() } else { vec![mth(d)] };
    }
    let k = split(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn merkle_ledger(dir: &std::path::Path) -> Ledger {
    Ledger::open(config(dir).with_merkle()).expect("ledger opens")
}

/// Appends `n` records and returns the stored values, the tree's leaves.
fn fill(ledger: &Ledger, n: usize) -> Vec<Vec<u8>> {
    for i in 0..n {
        ledger
            .commit_blocking(move |txn| -> Result<u64, Abort<()>> {
                Ok(txn.append(record(format!("entry {i}").as_bytes())))
            })
            .unwrap();
    }
    ledger
        .range(1, u64::MAX)
        .map(|r| r.unwrap().encode())
        .collect()
}

#[test]
fn roots_and_proofs_agree_with_the_rfc_6962_definitions_at_every_size() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = merkle_ledger(dir.path());
    let leaves = fill(&ledger, 37);
    for size in 1..=leaves.len() {
        let d = &leaves[..size];
        let n = size as u64;
        assert_eq!(ledger.tree_root(n).unwrap(), mth(d), "root of size {size}");
        for m in 0..size {
            assert_eq!(
                ledger.inclusion_proof(m as u64, n).unwrap(),
                path(m, d),
                "inclusion of leaf {m} in size {size}"
            );
            assert_eq!(ledger.leaf_hash(m as u64).unwrap(), leaf(&d[m]));
        }
        for first in 1..=size {
            assert_eq!(
                ledger.consistency_proof(first as u64, n).unwrap(),
                if first == size {
                    Vec::new()
                } else {
                    subproof(first, d, true)
                },
                "consistency from {first} to {size}"
            );
        }
    }
    assert_eq!(ledger.tree_root(0).unwrap(), mth(&[]));
    assert_eq!(ledger.verify_tree().unwrap(), None);
}

#[test]
fn proofs_the_ledger_serves_verify_with_the_client_side_checks() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = merkle_ledger(dir.path());
    let leaves = fill(&ledger, 21);
    let size = leaves.len() as u64;
    let root = ledger.tree_root(size).unwrap();
    for (m, data) in leaves.iter().enumerate() {
        let proof = ledger.inclusion_proof(m as u64, size).unwrap();
        assert_eq!(implied_root(m as u64, size, &leaf(data), &proof), root);
    }
}

/// Runs an inclusion proof the RFC 9162 §2.1.3.2 way, to the root it implies.
fn implied_root(index: u64, size: u64, leaf: &Hash, proof: &[Hash]) -> Hash {
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if f % 2 == 1 || f == s {
            r = node(p, &r);
            while f % 2 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    assert_eq!(s, 0, "the proof has the right length");
    r
}

#[test]
fn the_tree_stores_about_two_hashes_per_leaf_in_the_entry_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = merkle_ledger(dir.path());
    // One commit of many appends: every leaf's hashes come with it, in order.
    ledger
        .commit_blocking(|txn| -> Result<(), Abort<()>> {
            for i in 0..1000 {
                txn.append(record(format!("bulk {i}").as_bytes()));
            }
            Ok(())
        })
        .unwrap();
    let stored = ledger.db().open_tree(MERKLE_TREE).unwrap().len();
    assert_eq!(stored, 1994, "stored_hash_count(1000)");
    assert!((stored as f64 / 1000.0) < 2.0);
    assert_eq!(ledger.verify_tree().unwrap(), None);
}

#[test]
fn a_rejected_commit_leaves_no_hashes_behind() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = merkle_ledger(dir.path());
    fill(&ledger, 3);
    let refused = ledger.commit_blocking(|txn| -> Result<(), Abort<&str>> {
        txn.append(record(b"refused"));
        Err(Abort::Rejected("no"))
    });
    assert!(refused.is_err());
    let leaves = fill(&ledger, 2);
    assert_eq!(leaves.len(), 5);
    assert_eq!(ledger.tree_root(5).unwrap(), mth(&leaves));
    assert_eq!(ledger.verify_tree().unwrap(), None);
}

#[test]
fn a_size_beyond_the_durable_tree_is_refused_naming_the_size() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = merkle_ledger(dir.path());
    fill(&ledger, 4);
    assert!(matches!(
        ledger.tree_root(5),
        Err(LedgerError::BeyondTree { asked: 5, size: 4 })
    ));
    assert!(matches!(
        ledger.inclusion_proof(4, 4),
        Err(LedgerError::BeyondTree { asked: 5, size: 4 })
    ));
    assert!(matches!(
        ledger.consistency_proof(0, 4),
        Err(LedgerError::BeyondTree { asked: 0, .. })
    ));
    assert!(matches!(
        ledger.consistency_proof(2, 9),
        Err(LedgerError::BeyondTree { asked: 9, size: 4 })
    ));
}

#[test]
fn a_journal_without_a_tree_gets_one_when_reopened_with_merkle() {
    let dir = tempfile::tempdir().unwrap();
    let plain = Ledger::open(config(dir.path())).unwrap();
    let leaves = fill(&plain, 11);
    assert!(matches!(plain.tree_root(1), Err(LedgerError::NoTree)));
    drop(plain);
    let ledger = merkle_ledger(dir.path());
    assert_eq!(ledger.tree_root(11).unwrap(), mth(&leaves));
    assert_eq!(ledger.verify_tree().unwrap(), None);
}

#[test]
fn an_altered_stored_hash_or_leaf_is_found_by_verify_tree() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = merkle_ledger(dir.path());
    fill(&ledger, 8);
    let tree = ledger.db().open_tree(MERKLE_TREE).unwrap();
    // The hash of the subtree over leaves 4..8 (level 2, index 1) is written with leaf 7.
    let at = tlog_index(2, 1);
    let original = tree.get(at.to_be_bytes()).unwrap().unwrap();
    tree.insert(at.to_be_bytes(), &[0_u8; 32][..]).unwrap();
    let problem = ledger.verify_tree().unwrap().expect("found");
    assert_eq!(problem.0, 7, "{problem:?}");
    tree.insert(at.to_be_bytes(), original).unwrap();
    assert_eq!(ledger.verify_tree().unwrap(), None);

    let journal = ledger.db().open_tree(treaty_ledger::JOURNAL_TREE).unwrap();
    let mut value = journal.get(3_u64.to_be_bytes()).unwrap().unwrap().to_vec();
    let last = value.len() - 1;
    value[last] ^= 1;
    journal.insert(3_u64.to_be_bytes(), value).unwrap();
    let problem = ledger.verify_tree().unwrap().expect("found");
    assert_eq!(problem.0, 2, "leaf 2 is record 3: {problem:?}");
}

/// `stored_hash_index(level, n)` of Go's sumdb/tlog, written out here.
fn tlog_index(level: u32, n: u64) -> u64 {
    let mut n = n;
    for _ in 0..level {
        n = 2 * n + 1;
    }
    let mut i = 0;
    while n > 0 {
        i += n;
        n >>= 1;
    }
    i + u64::from(level)
}

#[test]
fn links_make_a_format_2_record_that_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = merkle_ledger(dir.path());
    let links = vec![
        Link {
            key: "state/LT".into(),
            count: 3,
            prev: 7,
        },
        Link {
            key: "treaty/apmbc".into(),
            count: 1,
            prev: 0,
        },
    ];
    let l = links.clone();
    ledger
        .commit_blocking(move |txn| -> Result<u64, Abort<()>> {
            Ok(txn.append(NewRecord {
                links: l.clone(),
                ..record(b"linked")
            }))
        })
        .unwrap();
    let stored = ledger.get(1).unwrap().unwrap();
    assert_eq!(stored.links, links);
    let bytes = stored.encode();
    assert_eq!(bytes[0], 2, "a record with links is format 2");
    assert_eq!(treaty_ledger::Record::decode(&bytes).unwrap(), stored);
    assert_eq!(stored.hash, stored.compute_hash());
    // A plain record stays format 1.
    let plain = crate::common::append_blocking(&ledger, "k", "plain");
    assert_eq!(ledger.get(plain).unwrap().unwrap().encode()[0], 1);
    assert!(ledger.verify().unwrap().is_clean());
}

#[test]
fn a_commit_sees_the_root_over_its_own_appends_and_reads_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = merkle_ledger(dir.path());
    fill(&ledger, 5);
    let (root, seen) = ledger
        .commit_blocking(|txn| -> Result<(Hash, String), Abort<()>> {
            let sequence = txn.append(record(b"sixth"));
            let own = txn.record(sequence)?.expect("its own append");
            Ok((
                txn.tree_root()?.expect("a tree"),
                String::from_utf8(own.payload).unwrap(),
            ))
        })
        .unwrap();
    assert_eq!(seen, "sixth");
    assert_eq!(root, ledger.tree_root(6).unwrap());
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = Ledger::open(config(plain_dir.path())).unwrap();
    let none = plain
        .commit_blocking(|txn| -> Result<Option<Hash>, Abort<()>> { Ok(txn.tree_root()?) })
        .unwrap();
    assert_eq!(none, None);
}
