//! What can go wrong in the audit service, and the one mapping to gRPC statuses.

use tonic::{Code, Status};
use treaty_ledger::{KeyReused, LedgerError};
use treaty_proto::Violations;

use crate::SERVICE;

/// An audit service failure, named for what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The request is malformed; nothing was changed.
    #[error("invalid request: {0}")]
    InvalidArgument(#[from] Violations),
    /// The request's `request_id` was used before for a different request.
    #[error(transparent)]
    KeyReused(#[from] KeyReused),
    /// An entry's content does not match the hash its source gave it.
    #[error("entry {sequence} from {source_name} does not match its hash")]
    HashMismatch { source_name: String, sequence: u64 },
    /// The batch does not start where the log expects this source to continue.
    #[error("expected sequence {expected} from {source_name}, got {got}")]
    Gap {
        source_name: String,
        expected: u64,
        got: u64,
    },
    /// The entry `expected` does not link to the hash of the source's last entry in the log.
    #[error("entry {expected} from {source_name} does not link to entry {} already in the log", expected - 1)]
    BrokenChain { source_name: String, expected: u64 },
    /// An entry replays a sequence already in the log with different content: the source's
    /// journal forked.
    #[error("entry {sequence} from {source_name} is already in the log with a different hash")]
    ConflictingReplay { source_name: String, sequence: u64 },
    /// The verification task ended before it could report (it panicked or was cancelled).
    #[error("verification stopped: {0}")]
    VerificationInterrupted(String),
    /// A stored index or head is not what the log wrote.
    #[error("the audit log is damaged: {0}")]
    Corrupt(String),
    /// The log has signed no checkpoint yet (it is empty, or its first one is due).
    #[error("the log has signed no checkpoint yet")]
    NoCheckpoint,
    /// The log signed no checkpoint of this size.
    #[error("the log signed no checkpoint of size {size}")]
    NoCheckpointOfSize { size: u64, latest: u64 },
    /// A proved history's later page names a checkpoint no longer held for proofs.
    #[error("the checkpoint of {size} is no longer held for history proofs")]
    ProofGone { size: u64, latest: u64 },
    /// A source's journal entry the log does not hold (yet: its shipper sends it soon after
    /// the source recorded it).
    #[error("the log holds no entry {sequence} from {source_name}")]
    SourceEntryNotLogged { source_name: String, sequence: u64 },
    /// A tree size or leaf beyond the durable tree.
    #[error("{asked} is beyond the tree of {size} leaves")]
    BeyondTree { asked: u64, size: u64 },
    /// A cosignature that does not verify, or not by a witness of this log.
    #[error("the cosignature is refused: {reason}")]
    Cosignature {
        reason: String,
        unknown_witness: bool,
    },
    /// The storage engine failed.
    #[error("storage failure: {0}")]
    Storage(#[from] LedgerError),
}

impl From<AuditError> for Status {
    fn from(err: AuditError) -> Status {
        match err {
            AuditError::InvalidArgument(v) => SERVICE.invalid(v),
            AuditError::KeyReused(k) => treaty_runtime::key_reused_status(&SERVICE, &k),
            AuditError::HashMismatch {
                source_name,
                sequence,
            } => SERVICE.error(
                Code::DataLoss,
                "ENTRY_HASH_MISMATCH",
                format!(
                    "entry {sequence} from {source_name} does not match its hash; resend it unaltered, under the source name of the journal it came from"
                ),
                [("source", source_name), ("sequence", sequence.to_string())],
            ),
            AuditError::Gap {
                source_name,
                expected,
                got,
            } => SERVICE.error(
                Code::FailedPrecondition,
                "SOURCE_SEQUENCE_GAP",
                format!(
                    "expected sequence {expected} from {source_name} next, got {got}; send entries from {expected} on"
                ),
                [
                    ("source", source_name),
                    ("expectedSequence", expected.to_string()),
                    ("sequence", got.to_string()),
                ],
            ),
            AuditError::BrokenChain {
                source_name,
                expected,
            } => SERVICE.error(
                Code::FailedPrecondition,
                "SOURCE_CHAIN_BROKEN",
                format!(
                    "entry {expected} from {source_name} does not link to entry {} in the log; expected sequence {expected} with the previous hash the log holds",
                    expected - 1
                ),
                [
                    ("source", source_name),
                    ("expectedSequence", expected.to_string()),
                ],
            ),
            AuditError::ConflictingReplay {
                source_name,
                sequence,
            } => SERVICE.error(
                Code::DataLoss,
                "SOURCE_CHAIN_FORKED",
                format!(
                    "entry {sequence} from {source_name} is already in the log with a different hash; the source's journal has forked"
                ),
                [("source", source_name), ("sequence", sequence.to_string())],
            ),
            AuditError::VerificationInterrupted(detail) => {
                tracing::error!(%detail, "verification stopped");
                SERVICE.error(
                    Code::Internal,
                    "VERIFICATION_INTERRUPTED",
                    "the verification stopped before it finished; retry, and report it if it persists"
                        .to_owned(),
                    [("service", SERVICE.name.to_owned())],
                )
            }
            AuditError::Corrupt(detail) => {
                treaty_runtime::damaged_status(&SERVICE, &detail)
            }
            AuditError::SourceEntryNotLogged {
                source_name,
                sequence,
            } => SERVICE.error(
                Code::NotFound,
                "SOURCE_ENTRY_NOT_LOGGED",
                format!(
                    "the log holds no entry {sequence} from {source_name}: a source's entries reach the log shortly after it records them; ask again, or check the source's shipper"
                ),
                [
                    ("source", source_name.clone()),
                    ("sequence", sequence.to_string()),
                ],
            ),
            AuditError::NoCheckpoint => SERVICE.error(
                Code::NotFound,
                "NO_CHECKPOINT",
                "the log has signed no checkpoint yet: it is empty, or its first checkpoint follows its first entry within about a second".to_owned(),
                [("service", SERVICE.name.to_owned())],
            ),
            AuditError::NoCheckpointOfSize { size, latest } => SERVICE.error(
                Code::NotFound,
                "NO_CHECKPOINT_OF_SIZE",
                format!(
                    "the log signed no checkpoint of size {size}; ask for 0 (the latest, size {latest}) or a size it signed"
                ),
                [
                    ("treeSize", size.to_string()),
                    ("latestTreeSize", latest.to_string()),
                ],
            ),
            AuditError::ProofGone { size, latest } => SERVICE.error(
                Code::FailedPrecondition,
                "PROOF_CHECKPOINT_GONE",
                format!(
                    "this page is pinned to the checkpoint of {size}, which is no longer held for history proofs (the log has signed newer ones, the latest of {latest}); ask again from the first page, without a page token"
                ),
                [
                    ("treeSize", size.to_string()),
                    ("latestTreeSize", latest.to_string()),
                ],
            ),
            AuditError::BeyondTree { asked, size } => SERVICE.error(
                Code::FailedPrecondition,
                "BEYOND_TREE",
                format!("{asked} is beyond the tree, which has {size} leaves; ask for at most {size}"),
                [
                    ("asked", asked.to_string()),
                    ("treeSize", size.to_string()),
                ],
            ),
            AuditError::Cosignature {
                reason,
                unknown_witness: true,
            } => SERVICE.error(
                Code::PermissionDenied,
                "UNKNOWN_WITNESS",
                format!("{reason}; the log keeps cosignatures of its configured witnesses only (TREATY_AUDIT_WITNESSES)"),
                [("field", "cosignature".to_owned())],
            ),
            AuditError::Cosignature {
                reason,
                unknown_witness: false,
            } => {
                let mut v = Violations::new();
                v.add("cosignature", reason);
                SERVICE.invalid(v)
            }
            AuditError::Storage(LedgerError::BeyondTree { asked, size }) => {
                AuditError::BeyondTree { asked, size }.into()
            }
            AuditError::Storage(e) => treaty_runtime::storage_status(&SERVICE, &e),
        }
    }
}
