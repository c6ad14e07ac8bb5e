//! What can go wrong in the approvals service, and the one mapping to gRPC statuses.

use jiff::civil::Date;
use tonic::{Code, Status};
use treaty_domain::{DomainError, PendingApproval, TransitionError};
use treaty_ledger::{KeyReused, LedgerError};
use treaty_proto::Violations;
use treaty_runtime::PeerError;

use crate::SERVICE;

/// An approvals service failure, named for what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalsError {
    /// The request is malformed; nothing was changed.
    #[error("invalid request: {0}")]
    InvalidArgument(#[from] Violations),
    /// The request's `request_id` was used before for a different request.
    #[error(transparent)]
    KeyReused(#[from] KeyReused),
    /// No case has this id.
    #[error("no withdrawal case {case_id}")]
    CaseNotFound { case_id: String },
    /// The registry knows no such treaty.
    #[error("no treaty {treaty} in the registry")]
    TreatyNotFound { treaty: String },
    /// The registry knows no such state.
    #[error("no state {state} in the registry")]
    StateNotFound { state: String },
    /// The registry holds no usable withdrawal clause for the treaty.
    #[error("the treaty {treaty} has no usable withdrawal clause: {detail}")]
    NoWithdrawalClause { treaty: String, detail: String },
    /// The state already has an open case for the treaty.
    #[error("{state} already has the open withdrawal case {case_id} for {treaty}")]
    CaseAlreadyOpen {
        treaty: String,
        state: String,
        case_id: String,
    },
    /// The state is not bound by the treaty on the date of the step.
    #[error("{state} is not bound by {treaty} on {on} (registry status {status})")]
    NotBound {
        state: String,
        treaty: String,
        on: Date,
        status: String,
    },
    /// The withdrawal rules refuse the step.
    #[error("case {case_id}: {error}")]
    Refused {
        case_id: String,
        field: &'static str,
        error: TransitionError,
    },
    /// The approval procedure the registry holds for the state is unusable.
    #[error("the approval procedure of {state} is invalid: {error}")]
    InvalidProcedure { state: String, error: DomainError },
    /// A call to a peer service failed.
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// A stored case or answer is not what this service wrote.
    #[error("the approvals store is damaged: {0}")]
    Corrupt(String),
    /// The storage engine failed.
    #[error("storage failure: {0}")]
    Storage(#[from] LedgerError),
}

impl From<ApprovalsError> for Status {
    fn from(err: ApprovalsError) -> Status {
        match err {
            ApprovalsError::InvalidArgument(v) => SERVICE.invalid(v),
            ApprovalsError::KeyReused(k) => treaty_runtime::key_reused_status(&SERVICE, &k),
            ApprovalsError::CaseNotFound { case_id } => SERVICE.error(
                Code::NotFound,
                "CASE_NOT_FOUND",
                format!(
                    "there is no withdrawal case {case_id}; list the cases with ListWithdrawals"
                ),
                [("caseId", case_id)],
            ),
            ApprovalsError::TreatyNotFound { treaty } => SERVICE.error(
                Code::NotFound,
                "TREATY_NOT_FOUND",
                format!("the registry has no treaty {treaty}; register it with CreateTreaty first"),
                [("treaty", treaty)],
            ),
            ApprovalsError::StateNotFound { state } => SERVICE.error(
                Code::NotFound,
                "STATE_NOT_FOUND",
                format!("the registry has no state {state}; use an ISO 3166-1 alpha-2 code"),
                [("state", state)],
            ),
            ApprovalsError::NoWithdrawalClause { treaty, detail } => SERVICE.error(
                Code::FailedPrecondition,
                "NO_WITHDRAWAL_CLAUSE",
                format!(
                    "the registry holds no usable withdrawal clause for {treaty} ({detail}); record the clause with the treaty first"
                ),
                [("treaty", treaty)],
            ),
            ApprovalsError::CaseAlreadyOpen {
                treaty,
                state,
                case_id,
            } => SERVICE.error(
                Code::AlreadyExists,
                "CASE_ALREADY_OPEN",
                format!(
                    "{state} already has the open withdrawal case {case_id} for {treaty}; record the steps on that case, or revoke it first"
                ),
                [("caseId", case_id), ("treaty", treaty), ("state", state)],
            ),
            ApprovalsError::NotBound {
                state,
                treaty,
                on,
                status,
            } => SERVICE.error(
                Code::FailedPrecondition,
                "STATE_NOT_BOUND",
                format!(
                    "{state} is not bound by {treaty} on {on} (the registry says {status}); only a state bound by a treaty can withdraw from it: record its consent in the registry, or check the date"
                ),
                [
                    ("state", state),
                    ("treaty", treaty),
                    ("on", on.to_string()),
                    ("membershipStatus", status),
                ],
            ),
            ApprovalsError::Refused {
                case_id,
                field,
                error,
            } => refused(&case_id, field, error),
            ApprovalsError::InvalidProcedure { state, error } => SERVICE.error(
                Code::FailedPrecondition,
                "INVALID_APPROVAL_PROCEDURE",
                format!(
                    "the approval procedure the registry holds for {state} is invalid ({error}); correct it with SetApprovalProcedure"
                ),
                [("state", state)],
            ),
            ApprovalsError::Peer(e) => e.into_status(&SERVICE),
            ApprovalsError::Corrupt(detail) => {
                treaty_runtime::damaged_status(&SERVICE, &detail)
            }
            ApprovalsError::Storage(e) => treaty_runtime::storage_status(&SERVICE, &e),
        }
    }
}

/// The status for a step the withdrawal rules refuse: INVALID_ARGUMENT with a field
/// violation for the rules about input, FAILED_PRECONDITION with a reason for steps out of
/// order.
fn refused(case_id: &str, field: &'static str, error: TransitionError) -> Status {
    let invalid =
        |field: &str, e: &TransitionError| SERVICE.invalid(Violations::one(field, e.to_string()));
    let reason = match &error {
        TransitionError::UnknownChamber { .. } => return invalid("vote.chamber", &error),
        TransitionError::TallyExceedsSeats { .. } => return invalid("vote", &error),
        TransitionError::MissingReasons => return invalid("reasons", &error),
        TransitionError::Invalid(_) => return invalid(field, &error),
        TransitionError::CaseClosed { .. } => "CASE_CLOSED",
        TransitionError::DateWentBackwards { .. } => "DATE_WENT_BACKWARDS",
        TransitionError::AlreadyRecommended => "ALREADY_RECOMMENDED",
        TransitionError::ParliamentAlreadyVoting { .. } => "PARLIAMENT_ALREADY_VOTING",
        TransitionError::AlreadyDeposited { .. } => "ALREADY_DEPOSITED",
        TransitionError::ChamberOutOfOrder { .. } => "CHAMBER_OUT_OF_ORDER",
        TransitionError::AlreadyFinal { .. } => "CHAMBER_ALREADY_FINAL",
        TransitionError::AssentNotRequired => "ASSENT_NOT_REQUIRED",
        TransitionError::AssentBeforeParliament { .. } => "ASSENT_BEFORE_PARLIAMENT",
        TransitionError::AlreadyAssented => "ALREADY_ASSENTED",
        TransitionError::NotApproved { .. } => "NOT_APPROVED",
        TransitionError::ApprovalDateUnknown { .. } => "APPROVAL_DATE_UNKNOWN",
        TransitionError::NoticeExpiresBeforeReceipt { .. } => "NOTICE_EXPIRES_BEFORE_RECEIPT",
        TransitionError::NotDeposited { .. } => "NOT_DEPOSITED",
        TransitionError::AlreadyDeferred { .. } => "ALREADY_DEFERRED",
        TransitionError::ConflictDoesNotDefer => "CONFLICT_DOES_NOT_DEFER",
        TransitionError::NotTheExpiryDate { .. } => "NOT_THE_EXPIRY_DATE",
        TransitionError::ConflictNotOnExpiry { .. } => "CONFLICT_NOT_ON_EXPIRY",
        TransitionError::DeferralNotRecorded { .. } => "DEFERRAL_NOT_RECORDED",
        TransitionError::ConflictOngoing { .. } => "CONFLICT_ONGOING",
        TransitionError::NotTheEffectiveDate { .. } => "NOT_THE_EFFECTIVE_DATE",
        TransitionError::RevocationAfterEffect { .. } => "REVOCATION_AFTER_EFFECT",
    };
    let message = match &error {
        TransitionError::NotApproved {
            missing: missing @ PendingApproval::ChamberVote { .. },
        } => format!(
            "parliament has not approved the withdrawal of case {case_id}: {missing} is missing; record it before depositing the instrument of withdrawal"
        ),
        other => format!("case {case_id}: {other}"),
    };
    SERVICE.error(
        Code::FailedPrecondition,
        reason,
        message,
        [("caseId", case_id.to_owned())],
    )
}
