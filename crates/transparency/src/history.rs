//! A history's completeness, checked by a client that trusts only the log's key.
//!
//! A history proof (what `GetHistory` returns with `with_proof`) holds a signed checkpoint,
//! the commitment entry that is its last leaf (with its inclusion proof), the history's head
//! in that commitment (or, for a history with no entries, the two heads on either side of
//! where it would be, which proves it absent from the sorted commitment), and every entry's
//! leaf bytes with its inclusion proof. [`verify`] checks each part and then walks the
//! entries' links: an entry left out in the middle breaks the chain of counts and
//! back-pointers, one withheld at the end leaves the chain short of the committed head.

use treaty_ledger::Record;

use crate::checkpoint::{self, Checkpoint, CheckpointError};
use crate::commitment::{self, Committed, Head};
use crate::proof::{self, ProofError};

/// A head of the commitment tree with its inclusion proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvedHead {
    /// The head.
    pub head: Head,
    /// Its index among the commitment's heads (sorted by key).
    pub index: u64,
    /// Its inclusion proof in the commitment tree.
    pub proof: Vec<Vec<u8>>,
}

/// One entry of a history: its leaf bytes and their inclusion proof in the checkpoint's tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvedEntry {
    /// The leaf: the entry's stored bytes.
    pub leaf: Vec<u8>,
    /// Its inclusion proof.
    pub proof: Vec<Vec<u8>>,
}

/// Everything a client needs to check one history against a checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryProof {
    /// The history's key (`state/LT`, `state/LT/treaty/apmbc`, …).
    pub key: String,
    /// The signed checkpoint (a signed note, possibly with cosignatures).
    pub checkpoint: Vec<u8>,
    /// The commitment entry's leaf bytes: the checkpoint's last leaf.
    pub commitment: Vec<u8>,
    /// Its inclusion proof in the checkpoint's tree.
    pub commitment_proof: Vec<Vec<u8>>,
    /// The history's committed head; `None` when the commitment has no such history.
    pub head: Option<ProvedHead>,
    /// For an absent history: the committed heads on either side of where it would be.
    pub neighbours: Vec<ProvedHead>,
    /// The history's entries, oldest first, every page of it.
    pub entries: Vec<ProvedEntry>,
}

/// What a verified history proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complete {
    /// The checkpoint it is complete as of.
    pub checkpoint: Checkpoint,
    /// The entries, decoded from their proved leaves, oldest first.
    pub records: Vec<Record>,
}

/// Why a history is not proved complete; each names exactly what is wrong or missing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The checkpoint does not verify under the log's key (or lacks cosignatures).
    #[error("the checkpoint does not verify: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The commitment entry is not the checkpoint's last leaf, or not a commitment.
    #[error("the commitment entry is not proved: {0}")]
    Commitment(String),
    /// The head (or the absence) of the history is not proved by the commitment.
    #[error("the head of {key} is not proved: {reason}")]
    Head { key: String, reason: String },
    /// An entry is not proved to be in the tree, or is not part of this history.
    #[error("entry {position} of the answer is not proved: {reason}")]
    Entry { position: usize, reason: String },
    /// Entries of the history are missing between two that were given.
    #[error(
        "{} of {key} {} missing: the answer goes from entry {before_count} (log entry {before}) to entry {after_count} (log entry {after})",
        count_words(after_count - before_count - 1), if after_count - before_count - 1 == 1 { "is" } else { "are" }
    )]
    Missing {
        key: String,
        before_count: u64,
        before: u64,
        after_count: u64,
        after: u64,
    },
    /// The newest entries of the history were withheld.
    #[error(
        "the newest {} of {key} {} withheld: the checkpoint of {size} commits to {committed} entries, the last at log entry {last}, but the answer ends with entry {given}{}",
        count_words(committed - given), if committed - given == 1 { "is" } else { "are" },
        given_at.map_or(String::new(), |at| format!(" (log entry {at})"))
    )]
    Withheld {
        key: String,
        size: u64,
        committed: u64,
        last: u64,
        given: u64,
        given_at: Option<u64>,
    },
    /// The entries do not chain (out of order, repeated, or with a link the log never made).
    #[error("the entries of {key} do not chain: {reason}")]
    Broken { key: String, reason: String },
}

fn count_words(n: u64) -> String {
    if n == 1 {
        "1 entry".to_owned()
    } else {
        format!("{n} entries")
    }
}

/// Checks `proof` against the log's verifier key, requiring `needed` of `witnesses` to have
/// cosigned its checkpoint. `Ok` means: the checkpoint is the log's, its commitment commits to
/// this history's head, every entry is in the tree, and no entry of the history up to that
/// checkpoint is missing.
pub fn verify(
    proof: &HistoryProof,
    log_key: &str,
    witnesses: &[String],
    needed: usize,
) -> Result<Complete, HistoryError> {
    let checkpoint = checkpoint::open_witnessed(&proof.checkpoint, log_key, witnesses, needed)?;
    let committed = commitment_of(proof, &checkpoint)?;
    let head = head_of(proof, &committed)?;
    let key = proof.key.as_str();
    let mut records = Vec::with_capacity(proof.entries.len());
    // (count, sequence) of the last entry walked.
    let mut at = (0_u64, 0_u64);
    for (position, e) in proof.entries.iter().enumerate() {
        let entry = |reason: String| HistoryError::Entry { position, reason };
        let record = Record::decode(&e.leaf)
            .map_err(|err| entry(format!("its leaf is not a log entry: {err}")))?;
        let sequence = record.sequence;
        if sequence == 0 || sequence >= checkpoint.size {
            return Err(entry(format!(
                "log entry {sequence} is not before the commitment that ends the checkpoint of {}",
                checkpoint.size
            )));
        }
        proof::verify_inclusion(
            sequence - 1,
            checkpoint.size,
            &proof::leaf_hash(&e.leaf),
            &e.proof,
            &checkpoint.root,
        )
        .map_err(|err| entry(format!("log entry {sequence}: {err}")))?;
        let Some(link) = record.links.iter().find(|l| l.key == key) else {
            return Err(entry(format!(
                "log entry {sequence} is not in history {key}"
            )));
        };
        let broken = |reason: String| HistoryError::Broken {
            key: key.to_owned(),
            reason,
        };
        if link.count <= at.0 || sequence <= at.1 {
            return Err(broken(format!(
                "log entry {sequence} (entry {} of the history) comes after log entry {} (entry {})",
                link.count, at.1, at.0
            )));
        }
        if link.count > at.0 + 1 {
            return Err(HistoryError::Missing {
                key: key.to_owned(),
                before_count: at.0,
                before: at.1,
                after_count: link.count,
                after: sequence,
            });
        }
        if link.prev != at.1 {
            return Err(broken(format!(
                "log entry {sequence} says the entry before it is log entry {}, but the answer has log entry {}",
                link.prev, at.1
            )));
        }
        at = (link.count, sequence);
        records.push(record);
    }
    let (committed_count, last) = head.map_or((0, 0), |h| (h.count, h.last));
    if at.0 < committed_count {
        return Err(HistoryError::Withheld {
            key: key.to_owned(),
            size: checkpoint.size,
            committed: committed_count,
            last,
            given: at.0,
            given_at: (at.1 != 0).then_some(at.1),
        });
    }
    if at != (committed_count, last) {
        return Err(HistoryError::Broken {
            key: key.to_owned(),
            reason: format!(
                "the answer ends with entry {} at log entry {}, but the checkpoint of {} commits to {committed_count} entries, the last at log entry {last}",
                at.0, at.1, checkpoint.size
            ),
        });
    }
    Ok(Complete {
        checkpoint,
        records,
    })
}

/// The commitment entry, proved to be the checkpoint's last leaf.
fn commitment_of(proof: &HistoryProof, checkpoint: &Checkpoint) -> Result<Committed, HistoryError> {
    let refuse = HistoryError::Commitment;
    if checkpoint.size == 0 {
        return Err(refuse("the checkpoint is of the empty tree".into()));
    }
    proof::verify_inclusion(
        checkpoint.size - 1,
        checkpoint.size,
        &proof::leaf_hash(&proof.commitment),
        &proof.commitment_proof,
        &checkpoint.root,
    )
    .map_err(|e| refuse(e.to_string()))?;
    let record = Record::decode(&proof.commitment)
        .map_err(|e| refuse(format!("its leaf is not a log entry: {e}")))?;
    match commitment::committed(&record) {
        None => Err(refuse(format!(
            "the checkpoint's last leaf is a {} entry, not a commitment",
            record.kind
        ))),
        Some(Err(e)) => Err(refuse(e)),
        Some(Ok(c)) => Ok(c),
    }
}

/// The history's committed head, or `None` when the commitment proves it has no entries.
fn head_of<'p>(
    proof: &'p HistoryProof,
    committed: &Committed,
) -> Result<Option<&'p Head>, HistoryError> {
    let key = proof.key.as_str();
    let refuse = |reason: String| HistoryError::Head {
        key: key.to_owned(),
        reason,
    };
    let check = |h: &ProvedHead| {
        commitment::verify_head(
            &h.head,
            h.index,
            committed.subjects,
            &h.proof,
            &committed.root,
        )
        .map_err(|e: ProofError| refuse(format!("the head of {}: {e}", h.head.key)))
    };
    if let Some(h) = &proof.head {
        if h.head.key != key {
            return Err(refuse(format!("the head given is that of {}", h.head.key)));
        }
        check(h)?;
        return Ok(Some(&h.head));
    }
    // Absent: the neighbours are adjacent and bracket the key, or the one neighbour is at the
    // end it must be at, or the commitment is empty.
    for h in &proof.neighbours {
        check(h)?;
    }
    let absent = match proof.neighbours.as_slice() {
        [] => committed.subjects == 0,
        [after] if after.index == 0 => key < after.head.key.as_str(),
        [before] if before.index + 1 == committed.subjects => before.head.key.as_str() < key,
        [before, after] => {
            before.index + 1 == after.index
                && before.head.key.as_str() < key
                && key < after.head.key.as_str()
        }
        _ => false,
    };
    if absent {
        Ok(None)
    } else {
        Err(refuse(format!(
            "the commitment of {} histories is not shown to lack it",
            committed.subjects
        )))
    }
}
