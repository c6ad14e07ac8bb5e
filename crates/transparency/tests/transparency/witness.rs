//! What a witness cosigns and what it refuses: trees built leaf by leaf with `tlog_tiles`, one
//! log key, and a second history under the same key (a fork).

use tlog_tiles::{HashReader, prove_tree, stored_hashes, tree_hash};
use treaty_transparency::checkpoint::open;
use treaty_transparency::witness::{Refusal, Verdict, check};
use treaty_transparency::{Checkpoint, LogKey};

const ORIGIN: &str = "treaty.example/audit";

struct Tree(Vec<tlog_tiles::Hash>, u64);

impl HashReader for Tree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

impl Tree {
    fn of(leaves: impl IntoIterator<Item = Vec<u8>>) -> Tree {
        let mut tree = Tree(Vec::new(), 0);
        for data in leaves {
            let hashes = stored_hashes(tree.1, &data, &tree).unwrap();
            tree.0.extend(hashes);
            tree.1 += 1;
        }
        tree
    }

    fn checkpoint(&self, key: &LogKey, size: u64) -> Checkpoint {
        let root = tree_hash(size, self).unwrap().0;
        open(&key.sign(size, &root), key.verifier_key(), &[]).unwrap()
    }

    fn proof(&self, from: u64, to: u64) -> Vec<[u8; 32]> {
        prove_tree(to, from, self)
            .unwrap()
            .into_iter()
            .map(|h| h.0)
            .collect()
    }
}

fn leaves(tag: &str, n: u64) -> impl Iterator<Item = Vec<u8>> + '_ {
    (0..n).map(move |i| format!("{tag} {i}").into_bytes())
}

const NONE: &[[u8; 32]] = &[];

#[test]
fn a_witness_trusts_the_first_checkpoint_then_cosigns_only_trees_that_extend_it() {
    let (key, _) = LogKey::generate(ORIGIN).unwrap();
    let tree = Tree::of(leaves("entry", 300));
    let first = tree.checkpoint(&key, 17);
    assert_eq!(check(None, &first, NONE), Ok(Verdict::First));
    assert_eq!(check(Some(&first), &first, NONE), Ok(Verdict::Same));
    for size in [18, 256, 257, 300] {
        let next = tree.checkpoint(&key, size);
        assert_eq!(
            check(Some(&first), &next, &tree.proof(17, size)),
            Ok(Verdict::Extends),
            "17 → {size}"
        );
    }
}

#[test]
fn a_fork_under_the_same_key_is_refused_whether_bigger_or_the_same_size() {
    let (key, _) = LogKey::generate(ORIGIN).unwrap();
    let honest = Tree::of(leaves("entry", 40));
    // The same first 20 entries, then another history: what a log shows one witness and not
    // another.
    let forked = Tree::of(leaves("entry", 20).chain(leaves("rewritten", 30)));
    let accepted = honest.checkpoint(&key, 30);
    let offered = forked.checkpoint(&key, 50);
    match check(Some(&accepted), &offered, &forked.proof(30, 50)) {
        Err(Refusal::Inconsistent {
            from: 30, to: 50, ..
        }) => {}
        other => panic!("a forked tree was {other:?}"),
    }
    // Its proof from the honest tree does not help it either.
    assert!(matches!(
        check(Some(&accepted), &offered, &honest.proof(30, 40)),
        Err(Refusal::Inconsistent { .. })
    ));
    assert_eq!(
        check(Some(&accepted), &forked.checkpoint(&key, 30), NONE),
        Err(Refusal::OtherRoot { size: 30 })
    );
    // A fork after the accepted size is no fork of what was witnessed.
    assert_eq!(
        check(
            Some(&forked.checkpoint(&key, 20)),
            &honest.checkpoint(&key, 40),
            &honest.proof(20, 40)
        ),
        Ok(Verdict::Extends)
    );
}

#[test]
fn a_smaller_tree_or_another_log_is_refused() {
    let (key, _) = LogKey::generate(ORIGIN).unwrap();
    let (other, _) = LogKey::generate("elsewhere.example/log").unwrap();
    let tree = Tree::of(leaves("entry", 10));
    let accepted = tree.checkpoint(&key, 10);
    assert_eq!(
        check(Some(&accepted), &tree.checkpoint(&key, 9), NONE),
        Err(Refusal::Smaller { had: 10, got: 9 })
    );
    assert!(matches!(
        check(Some(&accepted), &tree.checkpoint(&other, 10), NONE),
        Err(Refusal::OtherLog { .. })
    ));
    // An empty or made-up proof proves nothing.
    let bigger = Tree::of(leaves("entry", 12)).checkpoint(&key, 12);
    assert!(matches!(
        check(Some(&accepted), &bigger, NONE),
        Err(Refusal::Inconsistent { .. })
    ));
    assert!(matches!(
        check(Some(&accepted), &bigger, &[[0_u8; 32]; 3]),
        Err(Refusal::Inconsistent { .. })
    ));
}
