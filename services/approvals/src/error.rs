//! What can go wrong in the approvals service, and the one mapping to gRPC statuses.

use jiff::civil::Date;
use tonic::{Code, Status};
use treaty_domain::{DomainError, PendingApproval, TransitionError};
use treaty_ledger::LedgerError;
use treaty_proto::wire::{Violations, status_with_info};

/// An approvals service failure, named for what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalsError {
    /// The request is malformed; nothing was changed.
    #[error("invalid request: {0}")]
    InvalidArgument(Violations),
    /// No case has this id.
    #[error("no withdrawal case {case_id}")]
    CaseNotFound {
        /// The id asked for.
        case_id: String,
    },
    /// The registry knows no such treaty.
    #[error("no treaty {treaty} in the registry")]
    TreatyNotFound {
        /// The treaty asked for.
        treaty: String,
    },
    /// The registry knows no such state.
    #[error("no state {state} in the registry")]
    StateNotFound {
        /// The state asked for.
        state: String,
    },
    /// The registry holds no usable withdrawal clause for the treaty.
    #[error("the treaty {treaty} has no usable withdrawal clause: {detail}")]
    NoWithdrawalClause {
        /// The treaty.
        treaty: String,
        /// What is missing.
        detail: String,
    },
    /// The state already has an open case for the treaty.
    #[error("{state} already has the open withdrawal case {case_id} for {treaty}")]
    CaseAlreadyOpen {
        /// The treaty.
        treaty: String,
        /// The state.
        state: String,
        /// The open case.
        case_id: String,
    },
    /// The state is not bound by the treaty on the date of the step.
    #[error("{state} is not bound by {treaty} on {on} (registry status {status})")]
    NotBound {
        /// The state.
        state: String,
        /// The treaty.
        treaty: String,
        /// The date asked about.
        on: Date,
        /// The registry's membership status on that date.
        status: String,
    },
    /// The withdrawal rules refuse the step.
    #[error("case {case_id}: {error}")]
    Refused {
        /// The case.
        case_id: String,
        /// The request field a bad value belongs to, for the rules that are about input.
        field: &'static str,
        /// What the rules say.
        error: TransitionError,
    },
    /// The approval procedure the registry holds for the state is unusable.
    #[error("the approval procedure of {state} is invalid: {error}")]
    InvalidProcedure {
        /// The state.
        state: String,
        /// What is wrong with it.
        error: DomainError,
    },
    /// A peer service cannot be reached (or did not answer in time).
    #[error("the {peer} is unavailable: {detail}")]
    PeerUnavailable {
        /// The peer.
        peer: &'static str,
        /// What happened.
        detail: String,
    },
    /// A peer service refused a call or answered something unusable.
    #[error("the {peer} failed ({code:?}): {detail}")]
    PeerFailed {
        /// The peer.
        peer: &'static str,
        /// The code it answered with.
        code: Code,
        /// What it said.
        detail: String,
    },
    /// A stored case or answer is not what this service wrote.
    #[error("the approvals store is damaged: {0}")]
    Corrupt(String),
    /// The storage engine failed.
    #[error("storage failure")]
    Storage(#[from] LedgerError),
}

impl ApprovalsError {
    /// The error for a failed call to `peer`: UNAVAILABLE for a peer down or late, else
    /// `PeerFailed` with the peer's answer.
    pub fn from_peer(peer: &'static str, status: &Status) -> ApprovalsError {
        match status.code() {
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
                ApprovalsError::PeerUnavailable {
                    peer,
                    detail: status.message().to_owned(),
                }
            }
            code => ApprovalsError::PeerFailed {
                peer,
                code,
                detail: status.message().to_owned(),
            },
        }
    }
}

fn meta(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl From<ApprovalsError> for Status {
    fn from(err: ApprovalsError) -> Status {
        match err {
            ApprovalsError::InvalidArgument(v) => v.into_status(),
            ApprovalsError::CaseNotFound { case_id } => Status::not_found(format!(
                "there is no withdrawal case {case_id}; list the cases with ListWithdrawals"
            )),
            ApprovalsError::TreatyNotFound { treaty } => Status::not_found(format!(
                "the registry has no treaty {treaty}; register it with CreateTreaty first"
            )),
            ApprovalsError::StateNotFound { state } => Status::not_found(format!(
                "the registry has no state {state}; use an ISO 3166-1 alpha-2 code"
            )),
            ApprovalsError::NoWithdrawalClause { treaty, detail } => status_with_info(
                Code::FailedPrecondition,
                format!(
                    "the registry holds no usable withdrawal clause for {treaty} ({detail}); record the clause with the treaty first"
                ),
                "NO_WITHDRAWAL_CLAUSE",
                meta(&[("treaty", &treaty)]),
            ),
            ApprovalsError::CaseAlreadyOpen {
                treaty,
                state,
                case_id,
            } => status_with_info(
                Code::AlreadyExists,
                format!(
                    "{state} already has the open withdrawal case {case_id} for {treaty}; record the steps on that case, or revoke it first"
                ),
                "CASE_ALREADY_OPEN",
                meta(&[
                    ("case_id", &case_id),
                    ("treaty", &treaty),
                    ("state", &state),
                ]),
            ),
            ApprovalsError::NotBound {
                state,
                treaty,
                on,
                status,
            } => status_with_info(
                Code::FailedPrecondition,
                format!(
                    "{state} is not bound by {treaty} on {on} (the registry says {status}); only a state bound by a treaty can withdraw from it: record its consent in the registry, or check the date"
                ),
                "STATE_NOT_BOUND",
                meta(&[
                    ("state", &state),
                    ("treaty", &treaty),
                    ("on", &on.to_string()),
                    ("membership_status", &status),
                ]),
            ),
            ApprovalsError::Refused {
                case_id,
                field,
                error,
            } => refused(&case_id, field, error),
            ApprovalsError::InvalidProcedure { state, error } => status_with_info(
                Code::FailedPrecondition,
                format!(
                    "the approval procedure the registry holds for {state} is invalid ({error}); correct it with SetApprovalProcedure"
                ),
                "INVALID_APPROVAL_PROCEDURE",
                meta(&[("state", &state)]),
            ),
            ApprovalsError::PeerUnavailable { peer, detail } => {
                tracing::warn!(peer, %detail, "peer unavailable");
                Status::unavailable(format!("the {peer} is unavailable; retry later"))
            }
            ApprovalsError::PeerFailed { peer, code, detail } => {
                tracing::error!(peer, ?code, %detail, "peer call failed");
                Status::internal(format!(
                    "the {peer} could not answer ({code:?}: {detail}); retry later or report it"
                ))
            }
            ApprovalsError::Corrupt(detail) => {
                tracing::error!(%detail, "approvals store damaged");
                Status::data_loss("the approvals store is damaged; restore it from a backup")
            }
            ApprovalsError::Storage(e) => {
                tracing::error!(error = %e, "approvals storage failure");
                Status::unavailable("the approvals service's storage failed; retry later")
            }
        }
    }
}

/// The status for a step the withdrawal rules refuse: INVALID_ARGUMENT with a field
/// violation for the rules about input, FAILED_PRECONDITION with a reason for steps out of
/// order.
fn refused(case_id: &str, field: &'static str, error: TransitionError) -> Status {
    let invalid =
        |field: &str, e: &TransitionError| Violations::one(field, e.to_string()).into_status();
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
    status_with_info(
        Code::FailedPrecondition,
        message,
        reason,
        meta(&[("case_id", case_id)]),
    )
}
