//! The tree's leaves and proofs, over durable leaves only, and the proof of a history.

use treaty_ledger::{Hash, LedgerError, Record};
use treaty_transparency::history::{HistoryProof, ProvedEntry, ProvedHead};

use super::{AuditStore, Signed};
use crate::error::AuditError;
use crate::request::LeafRef;
use crate::stored::{BY_SOURCE, index_key, read_head};

/// An inclusion proof and what it is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// The leaf's bytes.
    pub leaf: Vec<u8>,
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
        let hashes = l.inclusion_proof(index, size).map_err(beyond)?;
        let leaf = l
            .get(index + 1)?
            .ok_or(AuditError::BeyondTree { asked: index, size })?
            .encode();
        Ok(InclusionProof {
            leaf,
            hashes,
            leaf_hash: l.leaf_hash(index).map_err(beyond)?,
            root: l.tree_root(size).map_err(beyond)?,
        })
    }

    /// The index of the leaf `leaf` names: given, or the one the log made of a source's entry.
    pub fn leaf_index(&self, leaf: &LeafRef) -> Result<u64, AuditError> {
        let (source, sequence) = match leaf {
            LeafRef::Index(index) => return Ok(*index),
            LeafRef::Source { source, sequence } => (source, *sequence),
        };
        let not_logged = || AuditError::SourceEntryNotLogged {
            source_name: source.clone(),
            sequence,
        };
        let indexed = self
            .ledger
            .tree(BY_SOURCE)
            .get(index_key(&[source], sequence))
            .map_err(LedgerError::from)?
            .ok_or_else(not_logged)?;
        let (global, _) = read_head(&indexed).ok_or_else(|| {
            AuditError::Corrupt(format!("the by_source index of {source} {sequence}"))
        })?;
        Ok(global - 1)
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

impl AuditStore {
    /// The proof of one page of the history `key` (its `records`, all before the checkpoint's
    /// commitment) against the checkpoint `signed`: the commitment entry, the history's head
    /// or its absence in the commitment, and each entry's inclusion. The checkpoint's note is
    /// left for the caller to fill in with its cosignatures.
    pub fn history_proof(
        &self,
        signed: &Signed,
        key: &str,
        records: &[Record],
    ) -> Result<HistoryProof, AuditError> {
        let size = signed.size;
        let commitment = self.ledger.get(size)?.ok_or_else(|| {
            AuditError::Corrupt(format!("the commitment entry {size} is missing"))
        })?;
        let committed = signed.commitment();
        let head = |key: &str, index: u64, proof: Vec<Hash>| -> Result<ProvedHead, AuditError> {
            let head = signed.heads.get(key).ok_or_else(|| {
                AuditError::Corrupt(format!("the commitment of {size} has no head of {key}"))
            })?;
            Ok(ProvedHead {
                head,
                index,
                proof: proof.iter().map(|h| h.to_vec()).collect(),
            })
        };
        let (head, neighbours) = match committed.prove(key) {
            Some((index, proof)) => (Some(head(key, index, proof)?), Vec::new()),
            None => (
                None,
                committed
                    .prove_absent(key)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, index, proof)| head(&k, index, proof))
                    .collect::<Result<_, _>>()?,
            ),
        };
        let entries = records
            .iter()
            .map(|r| {
                let proof = self
                    .ledger
                    .inclusion_proof(r.sequence - 1, size)
                    .map_err(beyond)?;
                Ok(ProvedEntry {
                    leaf: r.encode(),
                    proof: hashes(proof),
                })
            })
            .collect::<Result<_, AuditError>>()?;
        Ok(HistoryProof {
            key: key.to_owned(),
            checkpoint: signed.note.clone(),
            commitment: commitment.encode(),
            commitment_proof: hashes(
                self.ledger
                    .inclusion_proof(size - 1, size)
                    .map_err(beyond)?,
            ),
            head,
            neighbours,
            entries,
        })
    }
}

fn hashes(proof: Vec<Hash>) -> Vec<Vec<u8>> {
    proof.iter().map(|h| h.to_vec()).collect()
}
