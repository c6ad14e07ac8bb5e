//! What can go wrong in the audit service, and the one mapping to gRPC statuses.

use tonic::{Code, Status};
use treaty_ledger::LedgerError;
use treaty_proto::wire::{Violations, status_with_info};

/// An audit service failure, named for what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The request is malformed; nothing was changed.
    #[error("invalid request: {0}")]
    InvalidArgument(Violations),
    /// An entry's content does not match the hash its source gave it.
    #[error("entry {sequence} from {source_name} does not match its hash")]
    HashMismatch {
        /// The source service.
        source_name: String,
        /// The source sequence of the entry.
        sequence: u64,
    },
    /// The batch does not start where the log expects this source to continue.
    #[error("expected sequence {expected} from {source_name}, got {got}")]
    Gap {
        /// The source service.
        source_name: String,
        /// The sequence the log expects next.
        expected: u64,
        /// The sequence that arrived.
        got: u64,
    },
    /// The entry's predecessor hash is not the hash of the source's last entry in the log.
    #[error("entry {expected} from {source_name} does not link to entry {} already in the log", expected - 1)]
    BrokenChain {
        /// The source service.
        source_name: String,
        /// The sequence the log expects next (the entry that failed to link).
        expected: u64,
    },
    /// An entry replays a sequence already in the log with different content: the
    /// source's journal forked.
    #[error("entry {sequence} from {source_name} is already in the log with a different hash")]
    ConflictingReplay {
        /// The source service.
        source_name: String,
        /// The source sequence.
        sequence: u64,
    },
    /// A stored index or record is not what the log wrote.
    #[error("the audit log is damaged: {0}")]
    Corrupt(String),
    /// The storage engine failed.
    #[error("storage failure")]
    Storage(#[from] LedgerError),
}

impl From<AuditError> for Status {
    fn from(err: AuditError) -> Status {
        let meta = |source: &str, expected: u64| {
            vec![
                ("source".to_owned(), source.to_owned()),
                ("expected_sequence".to_owned(), expected.to_string()),
            ]
        };
        match err {
            AuditError::InvalidArgument(v) => v.into_status(),
            AuditError::HashMismatch {
                source_name,
                sequence,
            } => status_with_info(
                Code::DataLoss,
                format!(
                    "entry {sequence} from {source_name} does not match its hash; resend it unaltered, under the source name of the journal it came from"
                ),
                "ENTRY_HASH_MISMATCH",
                vec![
                    ("source".to_owned(), source_name),
                    ("sequence".to_owned(), sequence.to_string()),
                ],
            ),
            AuditError::Gap {
                ref source_name,
                expected,
                got,
            } => status_with_info(
                Code::FailedPrecondition,
                format!(
                    "expected sequence {expected} from {source_name} next, got {got}; send entries from {expected} on"
                ),
                "SOURCE_SEQUENCE_GAP",
                meta(source_name, expected),
            ),
            AuditError::BrokenChain {
                ref source_name,
                expected,
            } => status_with_info(
                Code::FailedPrecondition,
                format!(
                    "entry {expected} from {source_name} does not link to entry {} in the log; expected sequence {expected} with the previous hash the log holds",
                    expected - 1
                ),
                "SOURCE_CHAIN_BROKEN",
                meta(source_name, expected),
            ),
            AuditError::ConflictingReplay {
                source_name,
                sequence,
            } => status_with_info(
                Code::DataLoss,
                format!(
                    "entry {sequence} from {source_name} is already in the log with a different hash; the source's journal has forked"
                ),
                "SOURCE_CHAIN_FORKED",
                vec![
                    ("source".to_owned(), source_name),
                    ("sequence".to_owned(), sequence.to_string()),
                ],
            ),
            AuditError::Corrupt(detail) => {
                tracing::error!(%detail, "audit log damaged");
                Status::data_loss("the audit log is damaged; run Verify and restore from a replica")
            }
            AuditError::Storage(e) => {
                tracing::error!(error = %e, "audit storage failure");
                Status::unavailable("the audit log's storage failed; retry later")
            }
        }
    }
}
