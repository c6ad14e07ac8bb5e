//! The tree's leaves and proofs, over durable leaves only.

use treaty_ledger::{Hash, LedgerError};

use super::AuditStore;
use crate::error::AuditError;

/// An inclusion proof and what it is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    pub leaf_hash: Hash,
    pub hashes: Vec<Hash>,
    pub root: Hash,
}

/// A consistency proof and both roots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsistencyProof {
    pub hashes: Vec<Hash>,
    pub first_root: Hash,
    pub second_root: Hash,
}

fn beyond(e: LedgerError) -> AuditError {
    match e {
        LedgerError::BeyondTree { asked, size } => AuditError::BeyondTree { asked, size },
        other => AuditError::Storage(other),
    }
}

impl AuditStore {
    /// Up to `count` leaves from index `start` (each the stored bytes of the entry at
    /// sequence `index + 1`), and the durable tree size.
    pub fn leaves(&self, start: u64, count: usize) -> Result<(Vec<Vec<u8>>, u64), AuditError> {
        let (size, _) = self.ledger.head();
        let first = start.saturating_add(1);
        let last = start.saturating_add(count as u64).min(size);
        let leaves = self
            .ledger
            .range(first, last)
            .map(|r| r.map(|r| r.encode()))
            .collect::<Result<_, _>>()?;
        Ok((leaves, size))
    }

    /// The proof that leaf `index` is in the tree of `size`.
    pub fn inclusion(&self, index: u64, size: u64) -> Result<InclusionProof, AuditError> {
        let l = &self.ledger;
        Ok(InclusionProof {
            hashes: l.inclusion_proof(index, size).map_err(beyond)?,
            leaf_hash: l.leaf_hash(index).map_err(beyond)?,
            root: l.tree_root(size).map_err(beyond)?,
        })
    }

    /// The proof that the tree of `first` is a prefix of the tree of `second`.
    pub fn consistency(&self, first: u64, second: u64) -> Result<ConsistencyProof, AuditError> {
        let l = &self.ledger;
        Ok(ConsistencyProof {
            hashes: l.consistency_proof(first, second).map_err(beyond)?,
            first_root: l.tree_root(first).map_err(beyond)?,
            second_root: l.tree_root(second).map_err(beyond)?,
        })
    }
}
