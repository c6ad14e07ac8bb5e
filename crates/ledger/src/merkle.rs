//! The journal as an RFC 6962 / RFC 9162 Merkle tree, for a ledger opened with
//! [`LedgerConfig::merkle`](crate::LedgerConfig::merkle).
//!
//! Leaf `n` (from 0) is the record at sequence `n + 1`, and the leaf's data is the record's
//! stored value, exactly as [`Record::encode`](crate::Record::encode) writes it (format byte,
//! hash, canonical body). The tree's hashes are stored in the layout of Go's `sumdb/tlog`
//! (via the `tlog_tiles` crate): with leaf `n` come its leaf hash and the hash of every
//! subtree it completes, under the dense index `stored_hash_index(level, k)` (big-endian
//! `u64` keys in [`MERKLE_TREE`]), just under two hashes per leaf on average. They are written
//! by [`Txn::append`](crate::Txn::append) in the transaction that writes the record, so a
//! crash never leaves a leaf without its hashes or the other way round, and the hashes the
//! proofs read are those of durable leaves only.

use std::cell::RefCell;

use sled::Tree;
use sled::transaction::{TransactionalTree, UnabortableTransactionError};
use tlog_tiles::{HashReader, stored_hash_count, stored_hash_index, stored_hashes};

use crate::error::LedgerError;
use crate::record::Hash;

/// The sled tree that holds the Merkle tree's stored hashes.
pub const MERKLE_TREE: &str = "treaty-ledger/merkle";

/// The key of stored hash `index`.
fn key(index: u64) -> [u8; 8] {
    index.to_be_bytes()
}

fn to_hash(value: &[u8]) -> Option<tlog_tiles::Hash> {
    Some(tlog_tiles::Hash(value.try_into().ok()?))
}

/// Stored hashes read inside a commit (seeing the leaves appended before, in the same batch).
struct TxnHashes<'a> {
    view: &'a TransactionalTree,
    failure: RefCell<Option<UnabortableTransactionError>>,
}

impl HashReader for TxnHashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        let mut out = Vec::with_capacity(indexes.len());
        for &i in indexes {
            match self.view.get(key(i)) {
                Ok(Some(v)) => out.push(to_hash(&v).ok_or(tlog_tiles::Error::MalformedHash)?),
                Ok(None) => return Err(tlog_tiles::Error::IndexesNotInTree),
                Err(e) => {
                    self.failure.borrow_mut().get_or_insert(e);
                    return Err(tlog_tiles::Error::IndexesNotInTree);
                }
            }
        }
        Ok(out)
    }
}

/// What went wrong adding a leaf inside a commit.
pub(crate) enum LeafFailure {
    /// sled failed.
    Storage(UnabortableTransactionError),
    /// A hash the new leaf needs is missing or malformed.
    Tree(String),
}

/// Writes the hashes that come with leaf `n`, whose data is `data`.
pub(crate) fn append_leaf(
    view: &TransactionalTree,
    n: u64,
    data: &[u8],
) -> Result<(), LeafFailure> {
    let reader = TxnHashes {
        view,
        failure: RefCell::new(None),
    };
    let hashes = match stored_hashes(n, data, &reader) {
        Ok(hashes) => hashes,
        Err(e) => {
            return Err(match reader.failure.into_inner() {
                Some(e) => LeafFailure::Storage(e),
                None => LeafFailure::Tree(format!(
                    "the Merkle tree cannot take leaf {n}: {e}; its earlier hashes are missing"
                )),
            });
        }
    };
    let first = stored_hash_index(0, n);
    for (i, h) in (first..).zip(hashes) {
        view.insert(&key(i)[..], &h.0[..])
            .map_err(LeafFailure::Storage)?;
    }
    Ok(())
}

/// The root of the tree of `size` leaves as a commit sees it.
pub(crate) fn txn_root(view: &TransactionalTree, size: u64) -> Result<Hash, LeafFailure> {
    let reader = TxnHashes {
        view,
        failure: RefCell::new(None),
    };
    match tlog_tiles::tree_hash(size, &reader) {
        Ok(h) => Ok(h.0),
        Err(e) => Err(match reader.failure.into_inner() {
            Some(e) => LeafFailure::Storage(e),
            None => LeafFailure::Tree(format!("the root of size {size}: {e}")),
        }),
    }
}

/// Stored hashes read outside a commit.
pub(crate) struct TreeHashes<'a>(pub(crate) &'a Tree);

impl HashReader for TreeHashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| match self.0.get(key(i)) {
                Ok(Some(v)) => to_hash(&v).ok_or(tlog_tiles::Error::MalformedHash),
                _ => Err(tlog_tiles::Error::IndexesNotInTree),
            })
            .collect()
    }
}

impl TreeHashes<'_> {
    /// The stored hash at `(level, n)`.
    pub(crate) fn at(&self, level: u8, n: u64) -> Result<Option<Hash>, LedgerError> {
        Ok(self
            .0
            .get(key(stored_hash_index(level, n)))?
            .and_then(|v| to_hash(&v))
            .map(|h| h.0))
    }

    /// How many leaves have their hashes stored (the hashes of a leaf are written together).
    pub(crate) fn leaves(&self) -> Result<u64, LedgerError> {
        let Some((last, _)) = self.0.last()? else {
            return Ok(0);
        };
        let stored = u64::from_be_bytes(
            last.as_ref()
                .try_into()
                .map_err(|_| LedgerError::Tree("a Merkle tree key is not 8 bytes".into()))?,
        ) + 1;
        // stored_hash_count(n) < 2n + 1, so n is at least stored / 2 - 1.
        let mut n = (stored / 2).saturating_sub(1);
        while stored_hash_count(n) < stored {
            n += 1;
        }
        if stored_hash_count(n) != stored {
            return Err(LedgerError::Tree(format!(
                "the Merkle tree holds {stored} hashes, which is no whole number of leaves"
            )));
        }
        Ok(n)
    }
}

/// Checks the hashes stored with leaf `n` (data `data`): the leaf hash against the data, and
/// each completed subtree's hash against its two children's stored hashes. `None` when
/// sound, else what is wrong.
pub(crate) fn check_leaf(
    tree: &TreeHashes<'_>,
    n: u64,
    data: &[u8],
) -> Result<Option<String>, LedgerError> {
    let leaf = tlog_tiles::record_hash(data).0;
    match tree.at(0, n)? {
        None => return Ok(Some(format!("leaf {n} has no stored hash"))),
        Some(h) if h != leaf => {
            return Ok(Some(format!(
                "leaf {n}'s stored hash does not match its bytes"
            )));
        }
        Some(_) => {}
    }
    let m = (n + 1).trailing_zeros();
    for level in 1..=m {
        let level = u8::try_from(level).expect("at most 64 levels");
        let k = n >> level;
        let (Some(left), Some(right), Some(stored)) = (
            tree.at(level - 1, 2 * k)?,
            tree.at(level - 1, 2 * k + 1)?,
            tree.at(level, k)?,
        ) else {
            return Ok(Some(format!(
                "a hash of the subtree completed by leaf {n} is missing"
            )));
        };
        let node = tlog_tiles::node_hash(tlog_tiles::Hash(left), tlog_tiles::Hash(right)).0;
        if node != stored {
            return Ok(Some(format!(
                "the stored hash of the subtree completed by leaf {n} at level {level} does not match its children"
            )));
        }
    }
    Ok(None)
}

/// The leaves `journal` holds beyond those whose hashes `tree` stores, hashed in: a ledger
/// that gained [`LedgerConfig::merkle`](crate::LedgerConfig::merkle) after records were
/// written (or one restored from before it) gets its tree at open.
pub(crate) fn backfill(journal: &Tree, tree: &Tree, head: u64) -> Result<u64, LedgerError> {
    let have = TreeHashes(tree).leaves()?;
    if have > head {
        return Err(LedgerError::Tree(format!(
            "the Merkle tree has {have} leaves but the journal only {head} entries"
        )));
    }
    let mut added = 0;
    let mut batch = Vec::new();
    for item in journal.range(crate::codec::key(have + 1)..=crate::codec::key(head)) {
        let (_, value) = item?;
        batch.push(value);
        if batch.len() == 10_000 {
            added += fill(tree, have + added, &std::mem::take(&mut batch))?;
        }
    }
    added += fill(tree, have + added, &batch)?;
    Ok(added)
}

fn fill(tree: &Tree, from: u64, values: &[sled::IVec]) -> Result<u64, LedgerError> {
    if values.is_empty() {
        return Ok(0);
    }
    let outcome: Result<(), sled::transaction::TransactionError<String>> =
        tree.transaction(|view| {
            for (n, value) in (from..).zip(values) {
                match append_leaf(view, n, value) {
                    Ok(()) => {}
                    Err(LeafFailure::Storage(e)) => return Err(e.into()),
                    Err(LeafFailure::Tree(detail)) => {
                        return Err(sled::transaction::ConflictableTransactionError::Abort(
                            detail,
                        ));
                    }
                }
            }
            Ok(())
        });
    match outcome {
        Ok(()) => Ok(values.len() as u64),
        Err(sled::transaction::TransactionError::Abort(detail)) => Err(LedgerError::Tree(detail)),
        Err(sled::transaction::TransactionError::Storage(e)) => Err(e.into()),
    }
}
