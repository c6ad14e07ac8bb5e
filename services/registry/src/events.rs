//! The registry's journal entries: one kind per state change, and the JSON payload
//! each carries (the registry's own event structs).

use jiff::civil::Date;
use serde::Serialize;

use crate::stored::{StoredConflict, StoredProcedure, StoredSuspension, StoredTreaty};

/// A treaty was registered.
pub const TREATY_CREATED: &str = "registry.treaty_created";
/// A state's approval procedure was set.
pub const APPROVAL_PROCEDURE_SET: &str = "registry.approval_procedure_set";
/// A signature or a consent to be bound was recorded.
pub const CONSENT_RECORDED: &str = "registry.consent_recorded";
/// A notice of withdrawal was recorded.
pub const WITHDRAWAL_NOTICE_RECORDED: &str = "registry.withdrawal_notice_recorded";
/// A notice of withdrawal was revoked.
pub const REVOCATION_RECORDED: &str = "registry.revocation_recorded";
/// A suspension was claimed.
pub const SUSPENSION_CLAIM_RECORDED: &str = "registry.suspension_claim_recorded";
/// An armed conflict was recorded.
pub const ARMED_CONFLICT_RECORDED: &str = "registry.armed_conflict_recorded";
/// An armed conflict's end was recorded.
pub const ARMED_CONFLICT_ENDED: &str = "registry.armed_conflict_ended";

/// Payload of [`TREATY_CREATED`].
#[derive(Debug, Serialize)]
pub struct TreatyCreated<'a> {
    /// The treaty as stored.
    pub treaty: &'a StoredTreaty,
}

/// Payload of [`APPROVAL_PROCEDURE_SET`].
#[derive(Debug, Serialize)]
pub struct ApprovalProcedureSet<'a> {
    /// The state.
    pub state: &'a str,
    /// The new procedure.
    pub procedure: &'a StoredProcedure,
    /// Whether it replaced a recorded procedure.
    pub replaced: bool,
}

/// Payload of [`CONSENT_RECORDED`].
#[derive(Debug, Serialize)]
pub struct ConsentRecorded<'a> {
    /// The treaty.
    pub treaty: &'a str,
    /// The state.
    pub state: &'a str,
    /// `SIGNATURE`, `RATIFICATION`, ...
    pub kind: &'static str,
    /// The day of signature or deposit.
    pub on: Date,
    /// For a consent: the day the treaty enters into force for the state.
    pub in_force_on: Option<Date>,
    /// For a consent: its period's number, from 1.
    pub period: Option<usize>,
}

/// Payload of [`WITHDRAWAL_NOTICE_RECORDED`].
#[derive(Debug, Serialize)]
pub struct WithdrawalNoticeRecorded<'a> {
    /// The treaty.
    pub treaty: &'a str,
    /// The state.
    pub state: &'a str,
    /// The case.
    pub case_id: &'a str,
    /// The depositary's receipt.
    pub received_on: Date,
    /// Parliament's approval, if given.
    pub approved_on: Option<Date>,
    /// The statement of reasons.
    pub reasons: &'a str,
    /// The expiry of the notice period.
    pub expires_on: Date,
    /// The day it takes effect, when known.
    pub effective_on: Option<Date>,
}

/// Payload of [`REVOCATION_RECORDED`].
#[derive(Debug, Serialize)]
pub struct RevocationRecorded<'a> {
    /// The treaty.
    pub treaty: &'a str,
    /// The state.
    pub state: &'a str,
    /// The case.
    pub case_id: &'a str,
    /// The day of the revocation.
    pub revoked_on: Date,
}

/// Payload of [`SUSPENSION_CLAIM_RECORDED`].
#[derive(Debug, Serialize)]
pub struct SuspensionClaimRecorded<'a> {
    /// The treaty.
    pub treaty: &'a str,
    /// The state.
    pub state: &'a str,
    /// The claim.
    pub claim: &'a StoredSuspension,
}

/// Payload of [`ARMED_CONFLICT_RECORDED`] and [`ARMED_CONFLICT_ENDED`].
#[derive(Debug, Serialize)]
pub struct ArmedConflictChanged<'a> {
    /// The state.
    pub state: &'a str,
    /// The conflict as now recorded.
    pub conflict: &'a StoredConflict,
}

/// The JSON payload of an event.
pub fn payload<T: Serialize>(event: &T) -> Vec<u8> {
    // The event structs hold only strings, dates and numbers.
    serde_json::to_vec(event).expect("events always serialize")
}
