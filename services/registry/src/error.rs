//! What can go wrong in the registry, and the one mapping to gRPC statuses.

use jiff::civil::Date;
use tonic::{Code, Status};
use treaty_domain::MembershipError;
use treaty_ledger::LedgerError;
use treaty_proto::wire::{Violations, status_with_info};

/// A registry failure, named for what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The request is malformed; nothing was changed.
    #[error("invalid request: {0}")]
    InvalidArgument(Violations),
    /// No treaty has this id.
    #[error("no treaty {treaty} is registered")]
    TreatyNotFound {
        /// The id asked for.
        treaty: String,
    },
    /// A treaty with this id is already registered.
    #[error("the treaty {treaty} is already registered")]
    TreatyExists {
        /// The id.
        treaty: String,
    },
    /// The state has no conflict with this id.
    #[error("no armed conflict {conflict_id} is recorded for {state}")]
    ConflictNotFound {
        /// The state.
        state: String,
        /// The id asked for.
        conflict_id: String,
    },
    /// The conflict's end is already recorded.
    #[error("the armed conflict {conflict_id} of {state} already ended on {ended_on}")]
    ConflictAlreadyEnded {
        /// The state.
        state: String,
        /// The conflict.
        conflict_id: u32,
        /// The recorded end.
        ended_on: Date,
    },
    /// The same suspension claim is already recorded.
    #[error("this suspension claim of {claimed_on} is already recorded")]
    SuspensionAlreadyRecorded {
        /// The day of the claim.
        claimed_on: Date,
    },
    /// A membership rule refuses the fact; `field` is the request's date field it concerns.
    #[error("{error}")]
    Membership {
        /// The request field the refusal is about, for INVALID_ARGUMENT answers.
        field: &'static str,
        /// What the rule says.
        error: MembershipError,
    },
    /// A stored record is not what the registry wrote.
    #[error("the registry's storage is damaged: {0}")]
    Corrupt(String),
    /// The storage engine failed.
    #[error("storage failure")]
    Storage(#[from] LedgerError),
}

impl RegistryError {
    /// A membership refusal about the request field `field`.
    pub fn membership(field: &'static str) -> impl Fn(MembershipError) -> RegistryError {
        move |error| RegistryError::Membership { field, error }
    }
}

fn info(code: Code, message: String, reason: &str, meta: &[(&str, String)]) -> Status {
    let meta = meta
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    status_with_info(code, message, reason, meta)
}

fn membership_status(field: &'static str, error: MembershipError) -> Status {
    use MembershipError as M;
    let message = error.to_string();
    let precondition = |reason: &str, meta: &[(&str, String)]| {
        info(Code::FailedPrecondition, message.clone(), reason, meta)
    };
    match error {
        M::AlreadySigned { signed_on } => info(
            Code::AlreadyExists,
            message,
            "ALREADY_SIGNED",
            &[("signed_on", signed_on.to_string())],
        ),
        M::SignatureAfterConsent { consented_on, .. } => precondition(
            "SIGNATURE_AFTER_CONSENT",
            &[("consented_on", consented_on.to_string())],
        ),
        M::ConsentBeforeRecordedConsent { latest, .. } => {
            precondition("CONSENT_OUT_OF_ORDER", &[("latest", latest.to_string())])
        }
        M::AlreadyBound { status, .. } => {
            precondition("ALREADY_BOUND", &[("status", status.to_owned())])
        }
        M::NotBound { status, .. } => precondition("NOT_BOUND", &[("status", status.to_owned())]),
        M::NoticePending { case } => {
            precondition("NOTICE_PENDING", &[("case_id", case.to_string())])
        }
        M::AlreadyRevoked { case, revoked_on } => precondition(
            "ALREADY_REVOKED",
            &[
                ("case_id", case.to_string()),
                ("revoked_on", revoked_on.to_string()),
            ],
        ),
        M::RevocationAfterEffect { effective_on, .. } => precondition(
            "REVOCATION_AFTER_EFFECT",
            &[("effective_on", effective_on.to_string())],
        ),
        M::NoticeAlreadyRecorded { case, received_on } => info(
            Code::AlreadyExists,
            message,
            "NOTICE_ALREADY_RECORDED",
            &[
                ("case_id", case.to_string()),
                ("received_on", received_on.to_string()),
            ],
        ),
        M::NoSuchNotice { .. } => Status::not_found(format!(
            "{message}; record the notice with RecordWithdrawalNotice first"
        )),
        M::ApprovalDateUnknown | M::NoticeExpiresBeforeReceipt { .. } => {
            Violations::one("approved_on", message).into_status()
        }
        M::ConsentBeforeSignature { .. } | M::RevocationBeforeNotice { .. } | M::Invalid(_) => {
            Violations::one(field, message).into_status()
        }
    }
}

impl From<RegistryError> for Status {
    fn from(err: RegistryError) -> Status {
        match err {
            RegistryError::InvalidArgument(v) => v.into_status(),
            RegistryError::TreatyNotFound { treaty } => Status::not_found(format!(
                "no treaty {treaty:?} is registered; create it with CreateTreaty or list them with ListTreaties"
            )),
            RegistryError::TreatyExists { treaty } => info(
                Code::AlreadyExists,
                format!(
                    "the treaty {treaty:?} is already registered; read it with GetTreaty, or retry with the first request_id to get the first answer"
                ),
                "TREATY_EXISTS",
                &[("treaty", treaty)],
            ),
            RegistryError::ConflictNotFound { state, conflict_id } => Status::not_found(format!(
                "no armed conflict {conflict_id:?} is recorded for {state}; list them with ListArmedConflicts"
            )),
            RegistryError::ConflictAlreadyEnded {
                state,
                conflict_id,
                ended_on,
            } => info(
                Code::FailedPrecondition,
                format!(
                    "the armed conflict {conflict_id} of {state} already ended on {ended_on}; record a new conflict if fighting resumed"
                ),
                "CONFLICT_ALREADY_ENDED",
                &[("ended_on", ended_on.to_string())],
            ),
            RegistryError::SuspensionAlreadyRecorded { claimed_on } => info(
                Code::AlreadyExists,
                format!(
                    "this suspension claim of {claimed_on} is already recorded; read it with GetMembership"
                ),
                "SUSPENSION_ALREADY_RECORDED",
                &[("claimed_on", claimed_on.to_string())],
            ),
            RegistryError::Membership { field, error } => membership_status(field, error),
            RegistryError::Corrupt(detail) => {
                tracing::error!(%detail, "registry storage damaged");
                Status::data_loss(
                    "the registry's storage is damaged; restore it from a backup or the audit log",
                )
            }
            RegistryError::Storage(e) => {
                tracing::error!(error = %e, "registry storage failure");
                Status::unavailable("the registry's storage failed; retry later")
            }
        }
    }
}
