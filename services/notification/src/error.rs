//! What can go wrong in the notification service, and the one mapping to gRPC statuses.

use tonic::{Code, Status};
use treaty_ledger::{KeyReused, LedgerError};
use treaty_proto::Violations;
use treaty_runtime::PeerError;

use crate::SERVICE;

/// A notification service failure, named for what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// The request is malformed; nothing was changed.
    #[error("invalid request: {0}")]
    InvalidArgument(#[from] Violations),
    /// The request's `request_id` was used before for a different request.
    #[error(transparent)]
    KeyReused(#[from] KeyReused),
    /// The approvals service says the case is not approved: no notice may leave the system
    /// for it (DESIGN invariant 1).
    #[error("case {case} is not approved (status {status})")]
    NotApproved {
        case: String,
        /// Where the case stands, as the approvals service names it.
        status: String,
    },
    /// The approvals service has the case, but for another state or treaty.
    #[error("case {case} is for {found}, not {expected}")]
    CaseMismatch {
        case: String,
        /// The state and treaty the notice names.
        expected: String,
        /// The state and treaty of the case.
        found: String,
    },
    /// The approvals service does not know the case.
    #[error("the approvals service has no case {case}")]
    CaseNotFound { case: String },
    /// The registry does not know the treaty.
    #[error("the registry has no treaty {treaty}")]
    TreatyNotFound { treaty: String },
    #[error("no notice {notice_id}")]
    NoticeNotFound { notice_id: String },
    /// The notice exists but was not sent to this recipient.
    #[error("notice {notice_id} is not in the inbox of {recipient}")]
    NotInInbox {
        notice_id: String,
        recipient: String,
    },
    /// The notice is in the recipient's inbox but was never delivered to it.
    #[error("notice {notice_id} was not delivered to {recipient} yet")]
    NotDelivered {
        notice_id: String,
        recipient: String,
    },
    /// A receipt was given, but no key is registered for the recipient.
    #[error("no receipt key is registered for {recipient}")]
    NoReceiptKey { recipient: String },
    /// A receipt was given for a notice that carries no proof to name.
    #[error("notice {notice_id} carries no proof a receipt can name")]
    NoProofToReceipt { notice_id: String },
    /// The receipt does not verify, or says something else than what was received.
    #[error("the receipt is refused: {reason}")]
    BadReceipt { reason: String },
    /// The notice id was already published with different content.
    #[error("notice {notice_id} was already published with different content")]
    NoticeIdTaken { notice_id: String },
    /// A call to the registry or the approvals service failed.
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// The service is stopping; a live `Subscribe` stream ends with this.
    #[error("the notification service is shutting down")]
    ShuttingDown {
        /// The last cursor streamed, to subscribe again after.
        after_cursor: u64,
    },
    /// A stored record is not what this service wrote.
    #[error("the notification store is damaged: {0}")]
    Corrupt(String),
    /// The storage engine failed.
    #[error("storage failure: {0}")]
    Storage(#[from] LedgerError),
}

impl From<NotificationError> for Status {
    fn from(err: NotificationError) -> Status {
        match err {
            NotificationError::InvalidArgument(v) => SERVICE.invalid(v),
            NotificationError::KeyReused(k) => treaty_runtime::key_reused_status(&SERVICE, &k),
            NotificationError::NotApproved { case, status } => SERVICE.error(
                Code::FailedPrecondition,
                "CASE_NOT_APPROVED",
                format!(
                    "parliament has not approved case {case} (it is {status}); no notice of withdrawal may leave the system before the case is approved"
                ),
                [("caseId", case), ("status", status)],
            ),
            NotificationError::CaseMismatch {
                case,
                expected,
                found,
            } => SERVICE.error(
                Code::FailedPrecondition,
                "CASE_MISMATCH",
                format!(
                    "case {case} is the withdrawal of {found}, not of {expected}; give the state and treaty of the case"
                ),
                [("caseId", case), ("caseSubject", found)],
            ),
            NotificationError::CaseNotFound { case } => SERVICE.error(
                Code::NotFound,
                "CASE_NOT_FOUND",
                format!(
                    "the approvals service has no case {case}; open and approve the case before publishing its notice"
                ),
                [("caseId", case)],
            ),
            NotificationError::TreatyNotFound { treaty } => SERVICE.error(
                Code::NotFound,
                "TREATY_NOT_FOUND",
                format!("the registry has no treaty {treaty}; create it in the registry first"),
                [("treaty", treaty)],
            ),
            NotificationError::NoticeNotFound { notice_id } => SERVICE.error(
                Code::NotFound,
                "NOTICE_NOT_FOUND",
                format!("no notice {notice_id} was published; check the id with ListNotices"),
                [("noticeId", notice_id)],
            ),
            NotificationError::NotInInbox {
                notice_id,
                recipient,
            } => SERVICE.error(
                Code::NotFound,
                "NOTICE_NOT_IN_INBOX",
                format!(
                    "notice {notice_id} is not in the inbox of {recipient}; acknowledge only notices sent to you (GetNotice lists the recipients)"
                ),
                [("noticeId", notice_id), ("recipient", recipient)],
            ),
            NotificationError::NotDelivered {
                notice_id,
                recipient,
            } => SERVICE.error(
                Code::FailedPrecondition,
                "NOTICE_NOT_DELIVERED",
                format!(
                    "notice {notice_id} has not been delivered to {recipient}: a recipient acknowledges a notice after its inbox stream (Subscribe, with the recipient's inbox permission) delivered it"
                ),
                [("noticeId", notice_id), ("recipient", recipient)],
            ),
            NotificationError::NoReceiptKey { recipient } => SERVICE.error(
                Code::FailedPrecondition,
                "NO_RECEIPT_KEY",
                format!(
                    "no receipt key is registered for {recipient}: register its public key first (RegisterRecipientKey), then sign receipts with it"
                ),
                [("recipient", recipient)],
            ),
            NotificationError::NoProofToReceipt { notice_id } => SERVICE.error(
                Code::FailedPrecondition,
                "NOTICE_WITHOUT_PROOF",
                format!(
                    "notice {notice_id} carries no proof that its step is in the log, so a receipt has no leaf or checkpoint to name; acknowledge it without a receipt"
                ),
                [("noticeId", notice_id)],
            ),
            NotificationError::BadReceipt { reason } => {
                let mut v = Violations::new();
                v.add("receipt", reason);
                SERVICE.invalid(v)
            }
            NotificationError::NoticeIdTaken { notice_id } => SERVICE.error(
                Code::AlreadyExists,
                "NOTICE_ID_TAKEN",
                format!(
                    "notice {notice_id} was already published with different content; a published notice never changes, so publish the new one under a new notice id"
                ),
                [("noticeId", notice_id)],
            ),
            NotificationError::Peer(e) => e.into_status(&SERVICE),
            NotificationError::ShuttingDown { after_cursor } => SERVICE.error(
                Code::Unavailable,
                "SHUTTING_DOWN",
                format!(
                    "the notification service is shutting down; subscribe again with after_cursor {after_cursor}"
                ),
                [("afterCursor", after_cursor.to_string())],
            ),
            NotificationError::Corrupt(detail) => {
                treaty_runtime::damaged_status(&SERVICE, &detail)
            }
            NotificationError::Storage(e) => treaty_runtime::storage_status(&SERVICE, &e),
        }
    }
}
