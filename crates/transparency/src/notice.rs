//! The proof a notice carries: the audit log's leaf of the approvals journal entry that
//! recorded the step the notice announces, and its inclusion proof (C2SP tlog-proof) in a
//! signed checkpoint. A recipient holding the log's key checks a notice with it alone — that
//! the step is in the log the whole world can see, and is the step the notice says — without
//! calling anyone back.

use treaty_ledger::Record;

use crate::checkpoint::{self, Checkpoint, CheckpointError};
use crate::proof::{ProofError, leaf_hash, read_tlog_proof, verify_inclusion};

/// The source whose journal records the steps notices announce.
pub const SOURCE: &str = "approvals";

/// What a notice says happened: its step's journal kind (`treaty_domain::NoticeKind::step`),
/// the case, the state and the treaty.
#[derive(Clone, Copy, Debug)]
pub struct Announced<'a> {
    pub step: &'a str,
    pub case: &'a str,
    pub state: &'a str,
    pub treaty: &'a str,
}

/// A notice's proof, as it travels with the notice.
#[derive(Clone, Copy, Debug)]
pub struct NoticeProof<'a> {
    /// The leaf's index in the audit log.
    pub leaf_index: u64,
    /// The leaf's bytes.
    pub leaf: &'a [u8],
    /// The inclusion proof as C2SP tlog-proof text, ending with the signed checkpoint.
    pub proof: &'a str,
}

/// Why a notice's proof does not hold.
#[derive(Debug, thiserror::Error)]
pub enum NoticeProofError {
    /// The proof is not a tlog-proof, or not of this leaf.
    #[error("the proof is malformed: {0}")]
    Malformed(String),
    /// The leaf is not in the checkpoint's tree.
    #[error("the leaf is not in the checkpoint's tree: {0}")]
    NotIncluded(ProofError),
    /// The checkpoint does not open under the log's key (and witnesses).
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The leaf records another step than the notice announces.
    #[error("the log's entry is not the step the notice announces: {0}")]
    OtherStep(String),
}

/// What a proof proved: the leaf's entry in the log, its source's journal entry, and the size
/// of the tree it is in.
#[derive(Debug)]
pub struct Proved {
    pub entry: Record,
    pub step: Record,
    pub tree_size: u64,
}

/// Checks `proof` without the log's key: the tlog-proof reads, is of `leaf_index`, includes
/// the leaf in the tree its checkpoint names, and the leaf is the approvals journal entry of
/// what `announced` says. What a service with no key checks before it keeps a proof; a
/// recipient uses [`verify`].
pub fn check_shape(
    proof: &NoticeProof<'_>,
    announced: &Announced<'_>,
) -> Result<(Proved, Vec<u8>), NoticeProofError> {
    let (index, hashes, note) =
        read_tlog_proof(proof.proof).map_err(|e| NoticeProofError::Malformed(e.to_string()))?;
    if index != proof.leaf_index {
        return Err(NoticeProofError::Malformed(format!(
            "it proves leaf {index}, the notice names leaf {}",
            proof.leaf_index
        )));
    }
    let (_, size, root) = checkpoint::unverified(&note)?;
    verify_inclusion(index, size, &leaf_hash(proof.leaf), &hashes, &root)
        .map_err(NoticeProofError::NotIncluded)?;
    let entry = Record::decode(proof.leaf)
        .map_err(|e| NoticeProofError::OtherStep(format!("the leaf is not a log entry: {e}")))?;
    if entry.sequence != index + 1 {
        return Err(NoticeProofError::OtherStep(format!(
            "leaf {index} holds log entry {}",
            entry.sequence
        )));
    }
    let step = entry
        .origin_record()
        .ok_or_else(|| NoticeProofError::OtherStep("it is the log's own entry".into()))?;
    let mut wrong = Vec::new();
    if step.source != SOURCE {
        wrong.push(format!("it comes from {}, not {SOURCE}", step.source));
    }
    if step.kind != announced.step {
        wrong.push(format!("it records {}, not {}", step.kind, announced.step));
    }
    for (what, got, want) in [
        ("case", &step.subject.case, announced.case),
        ("state", &step.subject.state, announced.state),
        ("treaty", &step.subject.treaty, announced.treaty),
    ] {
        if got.as_deref() != Some(want) {
            wrong.push(format!(
                "its {what} is {}, not {want}",
                got.as_deref().unwrap_or("none")
            ));
        }
    }
    if !wrong.is_empty() {
        return Err(NoticeProofError::OtherStep(wrong.join("; ")));
    }
    Ok((
        Proved {
            entry,
            step,
            tree_size: size,
        },
        note,
    ))
}

/// Checks `proof` against the log's key (and, if asked, `needed` of `witnesses`): everything
/// [`check_shape`] checks, and that the log signed the checkpoint.
pub fn verify(
    proof: &NoticeProof<'_>,
    announced: &Announced<'_>,
    log_key: &str,
    witnesses: &[String],
    needed: usize,
) -> Result<(Proved, Checkpoint), NoticeProofError> {
    let (proved, note) = check_shape(proof, announced)?;
    let checkpoint = checkpoint::open_witnessed(&note, log_key, witnesses, needed)?;
    Ok((proved, checkpoint))
}
