//! What can go wrong in the notification service, and the one mapping to gRPC statuses.

use tonic::{Code, Status};
use treaty_ledger::LedgerError;
use treaty_proto::wire::{Violations, status_with_info};

/// A notification service failure, named for what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// The request is malformed; nothing was changed.
    #[error("invalid request: {0}")]
    InvalidArgument(Violations),
    /// The approvals service says the case is not approved: no notice may leave
    /// the system for it (DESIGN invariant 1).
    #[error("case {case_id} is not approved (status {status})")]
    NotApproved {
        /// The case.
        case_id: String,
        /// Where the case stands, as the approvals service names it.
        status: String,
    },
    /// The approvals service has the case, but for another state or treaty.
    #[error("case {case_id} is for {found}, not {expected}")]
    CaseMismatch {
        /// The case.
        case_id: String,
        /// The state and treaty the notice names.
        expected: String,
        /// The state and treaty of the case.
        found: String,
    },
    /// The approvals service does not know the case.
    #[error("the approvals service has no case {case_id}")]
    CaseNotFound {
        /// The case.
        case_id: String,
    },
    /// The registry does not know the treaty.
    #[error("the registry has no treaty {treaty}")]
    TreatyNotFound {
        /// The treaty id.
        treaty: String,
    },
    /// No notice has this id.
    #[error("no notice {notice_id}")]
    NoticeNotFound {
        /// The notice id.
        notice_id: String,
    },
    /// The notice exists but was not sent to this recipient.
    #[error("notice {notice_id} is not in the inbox of {recipient}")]
    NotInInbox {
        /// The notice id.
        notice_id: String,
        /// The recipient.
        recipient: String,
    },
    /// The notice id was already published with different content.
    #[error("notice {notice_id} was already published with different content")]
    NoticeConflict {
        /// The notice id.
        notice_id: String,
    },
    /// A peer could not be reached (after retries).
    #[error("the {peer} service is unavailable: {detail}")]
    PeerUnavailable {
        /// The peer.
        peer: &'static str,
        /// What the last attempt said.
        detail: String,
    },
    /// A peer answered with an error this service cannot act on.
    #[error("the {peer} service answered {code:?}: {detail}")]
    PeerFailed {
        /// The peer.
        peer: &'static str,
        /// Its status code.
        code: Code,
        /// Its message.
        detail: String,
    },
    /// A stored record is not what this service wrote.
    #[error("the notification store is damaged: {0}")]
    Corrupt(String),
    /// The storage engine failed.
    #[error("storage failure")]
    Storage(#[from] LedgerError),
}

impl From<sled::Error> for NotificationError {
    fn from(e: sled::Error) -> Self {
        NotificationError::Storage(LedgerError::from(e))
    }
}

impl From<Violations> for NotificationError {
    fn from(v: Violations) -> Self {
        NotificationError::InvalidArgument(v)
    }
}

fn meta(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl From<NotificationError> for Status {
    fn from(err: NotificationError) -> Status {
        match err {
            NotificationError::InvalidArgument(v) => v.into_status(),
            NotificationError::NotApproved { case_id, status } => status_with_info(
                Code::FailedPrecondition,
                format!(
                    "parliament has not approved case {case_id} (it is {status}); no notice of withdrawal may leave the system before the case is approved"
                ),
                "CASE_NOT_APPROVED",
                meta(&[("case_id", &case_id), ("status", &status)]),
            ),
            NotificationError::CaseMismatch {
                case_id,
                expected,
                found,
            } => status_with_info(
                Code::FailedPrecondition,
                format!(
                    "case {case_id} is the withdrawal of {found}, not of {expected}; give the state and treaty of the case"
                ),
                "CASE_MISMATCH",
                meta(&[("case_id", &case_id), ("case_subject", &found)]),
            ),
            NotificationError::CaseNotFound { case_id } => status_with_info(
                Code::NotFound,
                format!(
                    "the approvals service has no case {case_id}; open and approve the case before publishing its notice"
                ),
                "CASE_NOT_FOUND",
                meta(&[("case_id", &case_id)]),
            ),
            NotificationError::TreatyNotFound { treaty } => status_with_info(
                Code::NotFound,
                format!("the registry has no treaty {treaty}; create it in the registry first"),
                "TREATY_NOT_FOUND",
                meta(&[("treaty", &treaty)]),
            ),
            NotificationError::NoticeNotFound { notice_id } => status_with_info(
                Code::NotFound,
                format!("no notice {notice_id} was published; check the id with ListNotices"),
                "NOTICE_NOT_FOUND",
                meta(&[("notice_id", &notice_id)]),
            ),
            NotificationError::NotInInbox {
                notice_id,
                recipient,
            } => status_with_info(
                Code::NotFound,
                format!(
                    "notice {notice_id} is not in the inbox of {recipient}; acknowledge only notices sent to you (GetNotice lists the recipients)"
                ),
                "NOTICE_NOT_IN_INBOX",
                meta(&[("notice_id", &notice_id), ("recipient", &recipient)]),
            ),
            NotificationError::NoticeConflict { notice_id } => status_with_info(
                Code::AlreadyExists,
                format!(
                    "notice {notice_id} was already published with different content; a published notice never changes, so publish the new one under a new notice id"
                ),
                "NOTICE_ID_TAKEN",
                meta(&[("notice_id", &notice_id)]),
            ),
            NotificationError::PeerUnavailable { peer, detail } => {
                tracing::warn!(peer, %detail, "peer unavailable");
                status_with_info(
                    Code::Unavailable,
                    format!(
                        "the {peer} service is unavailable; nothing was published, retry with the same request_id"
                    ),
                    "PEER_UNAVAILABLE",
                    meta(&[("peer", peer)]),
                )
            }
            NotificationError::PeerFailed { peer, code, detail } => {
                tracing::error!(peer, ?code, %detail, "peer failed");
                status_with_info(
                    Code::Internal,
                    format!(
                        "the {peer} service could not answer ({code:?}); nothing was published, report this to the operators"
                    ),
                    "PEER_FAILED",
                    meta(&[("peer", peer), ("peer_code", &format!("{code:?}"))]),
                )
            }
            NotificationError::Corrupt(detail) => {
                tracing::error!(%detail, "notification store damaged");
                Status::data_loss("the notification store is damaged; restore it from a backup")
            }
            NotificationError::Storage(e) => {
                tracing::error!(error = %e, "notification storage failure");
                Status::unavailable("the notification service's storage failed; retry later")
            }
        }
    }
}
