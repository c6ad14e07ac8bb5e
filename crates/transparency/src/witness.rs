//! What a witness decides before it cosigns (C2SP tlog-witness): a checkpoint is cosigned only
//! when it extends the last one the witness accepted from that log — same origin, no smaller,
//! the same root at the same size, and a consistency proof from the old tree to the new one.
//! Anything else is a fork or a rollback, and the two signed checkpoints are the evidence.

use crate::checkpoint::Checkpoint;
use crate::proof::verify_consistency;

/// Why a witness refuses a checkpoint: each is a log showing two incompatible histories (or
/// going back on what it signed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The checkpoint names another log.
    #[error("the checkpoint is of log {got:?}, the witness follows {had:?}")]
    OtherLog { had: String, got: String },
    /// The log's tree is smaller than one it signed before: a rollback.
    #[error(
        "the log signed a tree of {got} leaves after one of {had}: it went back on what it signed"
    )]
    Smaller { had: u64, got: u64 },
    /// Two different roots for one size: a fork.
    #[error("the log signed two different trees of {size} leaves: a fork")]
    OtherRoot { size: u64 },
    /// The consistency proof does not show the old tree to be a prefix of the new one.
    #[error(
        "the tree of {to} leaves does not extend the tree of {from} leaves the witness accepted ({why}): a fork"
    )]
    Inconsistent { from: u64, to: u64, why: String },
}

/// What a witness does with a checkpoint it may cosign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The first checkpoint the witness sees of this log (trusted on first use).
    First,
    /// The very tree the witness accepted last.
    Same,
    /// A bigger tree, proved to extend the one accepted last.
    Extends,
}

/// Whether `next` (its log signature already checked) may be cosigned, given the checkpoint
/// the witness accepted last (`None`: none yet) and a consistency proof from `last.size` to
/// `next.size` (ignored when there is no `last` or the sizes are equal).
pub fn check(
    last: Option<&Checkpoint>,
    next: &Checkpoint,
    proof: &[impl AsRef<[u8]>],
) -> Result<Verdict, Refusal> {
    let Some(last) = last else {
        return Ok(Verdict::First);
    };
    if last.origin != next.origin {
        return Err(Refusal::OtherLog {
            had: last.origin.clone(),
            got: next.origin.clone(),
        });
    }
    if next.size < last.size {
        return Err(Refusal::Smaller {
            had: last.size,
            got: next.size,
        });
    }
    if next.size == last.size {
        return if next.root == last.root {
            Ok(Verdict::Same)
        } else {
            Err(Refusal::OtherRoot { size: next.size })
        };
    }
    verify_consistency(last.size, next.size, proof, &last.root, &next.root)
        .map(|()| Verdict::Extends)
        .map_err(|e| Refusal::Inconsistent {
            from: last.size,
            to: next.size,
            why: e.to_string(),
        })
}
