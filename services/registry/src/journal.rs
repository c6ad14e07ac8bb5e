//! The registry's journal: one kind per state change, as one enum, and the payload each
//! carries (JSON with its `format` first, see `treaty_ledger::stored::payload`).

use jiff::civil::Date;
use serde::Serialize;
use treaty_ledger::Txn;
pub(crate) use treaty_ledger::stored::Entry;
use treaty_runtime::Caller;

use crate::stored::{FORMAT, StoredConflict, StoredProcedure, StoredSuspension, StoredTreaty};

/// What a registry journal entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    TreatyCreated,
    ApprovalProcedureSet,
    ConsentRecorded,
    WithdrawalNoticeRecorded,
    RevocationRecorded,
    SuspensionClaimRecorded,
    ArmedConflictRecorded,
    ArmedConflictEnded,
}

impl Kind {
    /// The kind as the journal and the audit log name it, e.g. `registry.consent_recorded`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TreatyCreated => "registry.treaty_created",
            Kind::ApprovalProcedureSet => "registry.approval_procedure_set",
            Kind::ConsentRecorded => "registry.consent_recorded",
            Kind::WithdrawalNoticeRecorded => "registry.withdrawal_notice_recorded",
            Kind::RevocationRecorded => "registry.revocation_recorded",
            Kind::SuspensionClaimRecorded => "registry.suspension_claim_recorded",
            Kind::ArmedConflictRecorded => "registry.armed_conflict_recorded",
            Kind::ArmedConflictEnded => "registry.armed_conflict_ended",
        }
    }
}

/// Appends `entry`, recorded by `caller`, in `txn`.
pub(crate) fn append<E: Serialize>(txn: &mut Txn<'_>, caller: &Caller, entry: Entry<'_, E>) {
    txn.append(entry.record(&caller.actor, FORMAT));
}

#[derive(Debug, Serialize)]
pub struct TreatyCreated<'a> {
    pub treaty: &'a StoredTreaty,
}

#[derive(Debug, Serialize)]
pub struct ApprovalProcedureSet<'a> {
    pub state: &'a str,
    pub procedure: &'a StoredProcedure,
    /// Whether it replaced a recorded procedure.
    pub replaced: bool,
}

#[derive(Debug, Serialize)]
pub struct ConsentRecorded<'a> {
    pub treaty: &'a str,
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

#[derive(Debug, Serialize)]
pub struct WithdrawalNoticeRecorded<'a> {
    pub treaty: &'a str,
    pub state: &'a str,
    pub case_id: &'a str,
    pub received_on: Date,
    pub approved_on: Option<Date>,
    pub reasons: &'a str,
    /// The expiry of the notice period.
    pub expires_on: Date,
    /// The day it takes effect, when known.
    pub effective_on: Option<Date>,
}

#[derive(Debug, Serialize)]
pub struct RevocationRecorded<'a> {
    pub treaty: &'a str,
    pub state: &'a str,
    pub case_id: &'a str,
    pub revoked_on: Date,
}

#[derive(Debug, Serialize)]
pub struct SuspensionClaimRecorded<'a> {
    pub treaty: &'a str,
    pub state: &'a str,
    pub claim: &'a StoredSuspension,
}

/// The payload of [`Kind::ArmedConflictRecorded`] and [`Kind::ArmedConflictEnded`]: the
/// conflict as now recorded.
#[derive(Debug, Serialize)]
pub struct ArmedConflictChanged<'a> {
    pub state: &'a str,
    pub conflict: &'a StoredConflict,
}
