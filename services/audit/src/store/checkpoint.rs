//! Checkpoints: the commitment entry and the signed tree head, in one commit.
//!
//! The commit appends the commitment over every history's head as of the entry before it
//! (`treaty_transparency::commitment`), reads the tree root over everything up to and
//! including it, signs that checkpoint and stores it under its size, all in one transaction:
//! the checkpoint exists exactly when its tree does, and it is handed out only once durable.

use std::sync::{Arc, OnceLock};

use treaty_ledger::{LedgerError, NewRecord, Subject};
use treaty_transparency::LogKey;
use treaty_transparency::commitment::{self, COMMITMENT_KIND, Commitment, Heads};

use super::{AuditStore, refuse};
use crate::error::AuditError;
use crate::stored::{CHECKPOINTS, COSIGNATURES, SUBJECTS, cosignature_key, read_subject};

/// A checkpoint the log signed, and the heads its commitment entry commits to.
#[derive(Clone, Debug)]
pub struct Signed {
    /// The tree size (the commitment entry is its last leaf).
    pub size: u64,
    /// The signed note (the log's signature only).
    pub note: Vec<u8>,
    /// Every history's head as of the commitment, which commits to them.
    pub heads: Arc<Heads>,
    /// The commitment's tree over them, made when first needed.
    commitment: OnceLock<Commitment>,
}

impl Signed {
    /// The checkpoint of `size`, signed as `note`, whose commitment commits to `heads`.
    pub fn new(size: u64, note: Vec<u8>, heads: Arc<Heads>) -> Signed {
        Signed {
            size,
            note,
            heads,
            commitment: OnceLock::new(),
        }
    }

    /// The commitment's tree, to prove heads in.
    pub fn commitment(&self) -> &Commitment {
        self.commitment.get_or_init(|| self.heads.commit())
    }
}

impl AuditStore {
    /// Every history's head as the `subjects` tree holds it, as of the durable head. Read
    /// before anything is appended (at start), so the two agree.
    pub fn heads(&self) -> Result<Heads, AuditError> {
        let (durable, _) = self.ledger.head();
        let mut heads = Vec::new();
        for item in self.ledger.tree(SUBJECTS).iter() {
            let (k, v) = item.map_err(LedgerError::from)?;
            let key = String::from_utf8(k.to_vec())
                .map_err(|_| AuditError::Corrupt("a history key is not UTF-8".into()))?;
            let (count, last) = read_subject(&v).ok_or_else(|| {
                AuditError::Corrupt(format!("the head of history {key} is unreadable"))
            })?;
            if last > durable {
                return Err(AuditError::Corrupt(format!(
                    "history {key} ends at entry {last}, after the durable head {durable}"
                )));
            }
            heads.push((key, count, last));
        }
        Ok(Heads::from_parts(durable, heads))
    }

    /// Folds the durable entries after `heads.covers()` into `heads`.
    pub fn fold_durable(&self, heads: &mut Heads) -> Result<(), AuditError> {
        let (durable, _) = self.ledger.head();
        for record in self.ledger.range(heads.covers() + 1, durable) {
            let record = record?;
            heads
                .fold(record.sequence, &record.links)
                .map_err(AuditError::Corrupt)?;
        }
        Ok(())
    }

    /// Commits to every history's head and signs the checkpoint that ends with that
    /// commitment, if the tree grew since the last one. `heads` is as of some durable
    /// sequence; the commit folds in whatever was appended after it, up to the commitment.
    pub async fn checkpoint(
        &self,
        key: &LogKey,
        actor: &str,
        heads: &Heads,
    ) -> Result<Option<Signed>, AuditError> {
        let key = key.clone();
        let actor = actor.to_owned();
        let heads = Arc::new(heads.clone());
        self.ledger
            .commit(move |txn| {
                let (head, _) = txn.last_appended();
                if head == 0 {
                    return Ok(None);
                }
                let last = txn.record(head)?.ok_or_else(|| LedgerError::Corrupt {
                    sequence: head,
                    detail: "the head entry is missing".into(),
                });
                match last {
                    Ok(r) if commitment::committed(&r).is_some() => return Ok(None),
                    Ok(_) => {}
                    Err(e) => return refuse(e.into()),
                }
                let mut now = (*heads).clone();
                for sequence in heads.covers() + 1..=head {
                    let Some(r) = txn.record(sequence)? else {
                        return refuse(AuditError::Corrupt(format!("entry {sequence} is missing")));
                    };
                    if let Err(e) = now.fold(sequence, &r.links) {
                        return refuse(AuditError::Corrupt(e));
                    }
                }
                let commitment = now.commit();
                let size = txn.append(
                    NewRecord::new(COMMITMENT_KIND, Subject::default(), actor.clone())
                        .payload(commitment.payload()),
                );
                let Some(root) = txn.tree_root()? else {
                    return refuse(AuditError::Corrupt("the log keeps no Merkle tree".into()));
                };
                let note = key.sign(size, &root);
                txn.tree(CHECKPOINTS)
                    .insert(&size.to_be_bytes()[..], note.as_slice())?;
                if let Err(e) = now.fold(size, &[]) {
                    return refuse(AuditError::Corrupt(e));
                }
                Ok(Some(Signed {
                    size,
                    note,
                    heads: Arc::new(now),
                    commitment: OnceLock::from(commitment),
                }))
            })
            .await
            .map_err(treaty_ledger::CommitError::into_error)
    }

    /// The signed checkpoint of `size`, if the log signed one.
    pub fn checkpoint_at(&self, size: u64) -> Result<Option<Vec<u8>>, AuditError> {
        Ok(self
            .ledger
            .tree(CHECKPOINTS)
            .get(size.to_be_bytes())
            .map_err(LedgerError::from)?
            .map(|v| v.to_vec()))
    }

    /// The latest signed checkpoint and its size, if any (only durable ones are stored).
    pub fn latest_checkpoint(&self) -> Result<Option<(u64, Vec<u8>)>, AuditError> {
        let Some((k, v)) = self
            .ledger
            .tree(CHECKPOINTS)
            .last()
            .map_err(LedgerError::from)?
        else {
            return Ok(None);
        };
        let size = u64::from_be_bytes(
            k.as_ref()
                .try_into()
                .map_err(|_| AuditError::Corrupt("a checkpoint key is not 8 bytes".into()))?,
        );
        Ok(Some((size, v.to_vec())))
    }

    /// Keeps a witness's cosignature line of the checkpoint of `size` (replacing an earlier
    /// one by the same witness), durably.
    pub async fn add_cosignature(
        &self,
        size: u64,
        witness: &str,
        line: Vec<u8>,
    ) -> Result<(), AuditError> {
        let key = cosignature_key(size, witness);
        self.ledger
            .commit(move |txn| {
                txn.tree(COSIGNATURES)
                    .insert(key.as_slice(), line.as_slice())?;
                Ok(())
            })
            .await
            .map_err(treaty_ledger::CommitError::into_error)
    }

    /// Every cosignature line of the checkpoint of `size`, by witness name.
    pub fn cosignatures(&self, size: u64) -> Result<Vec<Vec<u8>>, AuditError> {
        let mut out = Vec::new();
        for item in self
            .ledger
            .tree(COSIGNATURES)
            .scan_prefix(size.to_be_bytes())
        {
            let (_, v) = item.map_err(LedgerError::from)?;
            out.push(v.to_vec());
        }
        Ok(out)
    }
}
