//! What can go wrong in the registry, and the one mapping to gRPC statuses.

use jiff::civil::Date;
use tonic::{Code, Status};
use treaty_domain::MembershipError;
use treaty_ledger::{KeyReused, LedgerError};
use treaty_proto::Violations;

use crate::SERVICE;

/// A registry failure, named for what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The request is malformed; nothing was changed.
    #[error("invalid request: {0}")]
    InvalidArgument(#[from] Violations),
    /// The request's `request_id` was used before for a different request.
    #[error(transparent)]
    KeyReused(#[from] KeyReused),
    /// No treaty has this id.
    #[error("no treaty {treaty} is registered")]
    TreatyNotFound { treaty: String },
    /// A treaty with this id is already registered.
    #[error("the treaty {treaty} is already registered")]
    TreatyExists { treaty: String },
    /// The state has no conflict with this id.
    #[error("no armed conflict {conflict_id} is recorded for {state}")]
    ConflictNotFound { state: String, conflict_id: String },
    /// The conflict's end is already recorded.
    #[error("the armed conflict {conflict_id} of {state} already ended on {ended_on}")]
    ConflictAlreadyEnded {
        state: String,
        conflict_id: u32,
        ended_on: Date,
    },
    /// The same suspension claim is already recorded.
    #[error("this suspension claim of {claimed_on} is already recorded")]
    SuspensionAlreadyRecorded { claimed_on: Date },
    /// A membership rule refuses the fact; `field` is the request's date field it concerns.
    #[error("{error}")]
    Membership {
        field: &'static str,
        error: MembershipError,
    },
    /// A stored record is not what the registry wrote.
    #[error("the registry's storage is damaged: {0}")]
    Corrupt(String),
    /// The storage engine failed.
    #[error("storage failure: {0}")]
    Storage(#[from] LedgerError),
}

impl RegistryError {
    /// A membership refusal about the request field `field`.
    pub fn membership(field: &'static str) -> impl Fn(MembershipError) -> RegistryError {
        move |error| RegistryError::Membership { field, error }
    }
}

fn membership_status(field: &'static str, error: MembershipError) -> Status {
    use MembershipError as M;
    let message = error.to_string();
    let precondition = |reason: &str, metadata: Vec<(&str, String)>| {
        SERVICE.error(Code::FailedPrecondition, reason, message.clone(), metadata)
    };
    match error {
        M::AlreadySigned { signed_on } => SERVICE.error(
            Code::AlreadyExists,
            "ALREADY_SIGNED",
            message,
            [("signedOn", signed_on.to_string())],
        ),
        M::SignatureAfterConsent { consented_on, .. } => precondition(
            "SIGNATURE_AFTER_CONSENT",
            vec![("consentedOn", consented_on.to_string())],
        ),
        M::ConsentBeforeRecordedConsent { latest, .. } => {
            precondition("CONSENT_OUT_OF_ORDER", vec![("latest", latest.to_string())])
        }
        M::AlreadyBound { status, .. } => {
            precondition("ALREADY_BOUND", vec![("status", status.to_owned())])
        }
        M::NotBound { status, .. } => {
            precondition("NOT_BOUND", vec![("status", status.to_owned())])
        }
        M::NoticePending { case } => {
            precondition("NOTICE_PENDING", vec![("caseId", case.to_string())])
        }
        M::AlreadyRevoked { case, revoked_on } => precondition(
            "ALREADY_REVOKED",
            vec![
                ("caseId", case.to_string()),
                ("revokedOn", revoked_on.to_string()),
            ],
        ),
        M::RevocationAfterEffect { effective_on, .. } => precondition(
            "REVOCATION_AFTER_EFFECT",
            vec![("effectiveOn", effective_on.to_string())],
        ),
        M::NoticeAlreadyRecorded { case, received_on } => SERVICE.error(
            Code::AlreadyExists,
            "NOTICE_ALREADY_RECORDED",
            message,
            [
                ("caseId", case.to_string()),
                ("receivedOn", received_on.to_string()),
            ],
        ),
        M::NoSuchNotice { case } => SERVICE.error(
            Code::NotFound,
            "NOTICE_NOT_FOUND",
            format!("{message}; record the notice with RecordWithdrawalNotice first"),
            [("caseId", case.to_string())],
        ),
        M::ApprovalDateUnknown | M::NoticeExpiresBeforeReceipt { .. } => {
            SERVICE.invalid(Violations::one("approved_on", message))
        }
        M::ConsentBeforeSignature { .. } | M::RevocationBeforeNotice { .. } | M::Invalid(_) => {
            SERVICE.invalid(Violations::one(field, message))
        }
    }
}

impl From<RegistryError> for Status {
    fn from(err: RegistryError) -> Status {
        match err {
            RegistryError::InvalidArgument(v) => SERVICE.invalid(v),
            RegistryError::KeyReused(k) => treaty_runtime::key_reused_status(&SERVICE, &k),
            RegistryError::TreatyNotFound { treaty } => SERVICE.error(
                Code::NotFound,
                "TREATY_NOT_FOUND",
                format!(
                    "no treaty {treaty:?} is registered; create it with CreateTreaty or list them with ListTreaties"
                ),
                [("treaty", treaty)],
            ),
            RegistryError::TreatyExists { treaty } => SERVICE.error(
                Code::AlreadyExists,
                "TREATY_EXISTS",
                format!(
                    "the treaty {treaty:?} is already registered; read it with GetTreaty, or retry with the first request_id to get the first answer"
                ),
                [("treaty", treaty)],
            ),
            RegistryError::ConflictNotFound { state, conflict_id } => SERVICE.error(
                Code::NotFound,
                "CONFLICT_NOT_FOUND",
                format!(
                    "no armed conflict {conflict_id:?} is recorded for {state}; list them with ListArmedConflicts"
                ),
                [("state", state), ("conflictId", conflict_id)],
            ),
            RegistryError::ConflictAlreadyEnded {
                state,
                conflict_id,
                ended_on,
            } => SERVICE.error(
                Code::FailedPrecondition,
                "CONFLICT_ALREADY_ENDED",
                format!(
                    "the armed conflict {conflict_id} of {state} already ended on {ended_on}; record a new conflict if fighting resumed"
                ),
                [("endedOn", ended_on.to_string())],
            ),
            RegistryError::SuspensionAlreadyRecorded { claimed_on } => SERVICE.error(
                Code::AlreadyExists,
                "SUSPENSION_ALREADY_RECORDED",
                format!(
                    "this suspension claim of {claimed_on} is already recorded; read it with GetMembership"
                ),
                [("claimedOn", claimed_on.to_string())],
            ),
            RegistryError::Membership { field, error } => membership_status(field, error),
            RegistryError::Corrupt(detail) => {
                treaty_runtime::damaged_status(&SERVICE, &detail)
            }
            RegistryError::Storage(e) => treaty_runtime::storage_status(&SERVICE, &e),
        }
    }
}
