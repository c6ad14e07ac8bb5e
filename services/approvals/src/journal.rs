//! The approvals journal — also its outbox: one kind per state change, as one enum, and the
//! payload each carries (JSON with its `format` first, see `treaty_ledger::stored::payload`).
//! The relay reads these entries back ([`Kind::parse`], [`read_case_event`]).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use treaty_ledger::stored::{Unreadable, payload, read_payload};
use treaty_ledger::{NewRecord, Subject};

use crate::stored::{FORMAT, StoredEvent, StoredOpening, StoredStatement, StoredStep};

/// What an approvals journal entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A joint statement was issued (its cases are opened by entries of their own).
    JointStatementIssued,
    /// A case was opened (with its recommendation, if it has one).
    WithdrawalOpened,
    RecommendationRecorded,
    GovernmentDecisionRecorded,
    /// A chamber's vote (a failed final vote rejects the case).
    ChamberVoteRecorded,
    HeadOfStateAssentRecorded,
    InstrumentDeposited,
    WithdrawalDeferred,
    WithdrawalTookEffect,
    WithdrawalRevoked,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 10] = [
        Kind::JointStatementIssued,
        Kind::WithdrawalOpened,
        Kind::RecommendationRecorded,
        Kind::GovernmentDecisionRecorded,
        Kind::ChamberVoteRecorded,
        Kind::HeadOfStateAssentRecorded,
        Kind::InstrumentDeposited,
        Kind::WithdrawalDeferred,
        Kind::WithdrawalTookEffect,
        Kind::WithdrawalRevoked,
    ];

    /// The kind as the journal and the audit log name it, e.g. `approvals.instrument_deposited`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::JointStatementIssued => "approvals.joint_statement_issued",
            Kind::WithdrawalOpened => "approvals.withdrawal_opened",
            Kind::RecommendationRecorded => "approvals.recommendation_recorded",
            Kind::GovernmentDecisionRecorded => "approvals.government_decision_recorded",
            Kind::ChamberVoteRecorded => "approvals.chamber_vote_recorded",
            Kind::HeadOfStateAssentRecorded => "approvals.head_of_state_assent_recorded",
            Kind::InstrumentDeposited => "approvals.instrument_deposited",
            Kind::WithdrawalDeferred => "approvals.withdrawal_deferred",
            Kind::WithdrawalTookEffect => "approvals.withdrawal_took_effect",
            Kind::WithdrawalRevoked => "approvals.withdrawal_revoked",
        }
    }

    /// The kind named `name`, if it is one of this journal's.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The kind of an entry recording `event` on an open case.
    pub fn of(event: &StoredEvent) -> Kind {
        match event {
            StoredEvent::Recommended { .. } => Kind::RecommendationRecorded,
            StoredEvent::GovernmentDecided { .. } => Kind::GovernmentDecisionRecorded,
            StoredEvent::ChamberVoted { .. } => Kind::ChamberVoteRecorded,
            StoredEvent::HeadOfStateAssented { .. } => Kind::HeadOfStateAssentRecorded,
            StoredEvent::InstrumentDeposited { .. } => Kind::InstrumentDeposited,
            StoredEvent::Deferred { .. } => Kind::WithdrawalDeferred,
            StoredEvent::TookEffect { .. } => Kind::WithdrawalTookEffect,
            StoredEvent::Revoked { .. } => Kind::WithdrawalRevoked,
        }
    }
}

/// The payload of a case's entry: the step and what the case looked like after it, enough
/// for the outbox relay to tell the registry and publish the notice without reading the case
/// again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseEvent {
    pub case_id: String,
    pub treaty: String,
    pub state: String,
    /// The status after the step (the domain's stable name).
    pub status: String,
    /// The step; unset for a case opened without a recommendation.
    pub step: Option<StoredStep>,
    /// For the entry that opens the case: who opened it, when and why.
    pub opened: Option<StoredOpening>,
    pub joint_statement: Option<String>,
    /// The date parliament's approval was completed, if known.
    pub approved_on: Option<Date>,
    /// Once deposited: the receipt, the statement of reasons and the notice period's expiry.
    pub received_on: Option<Date>,
    pub reasons: Option<String>,
    pub expires_on: Option<Date>,
    /// The day the withdrawal takes or took effect, as far as known.
    pub effective_on: Option<Date>,
}

/// The entry of `kind` for a case event, recorded by `actor` on `occurred_on`.
pub(crate) fn case_entry(
    kind: Kind,
    event: &CaseEvent,
    actor: &str,
    occurred_on: Option<Date>,
    sources: Vec<String>,
) -> NewRecord {
    let subject = Subject::of(
        Some(&event.state),
        Some(&event.treaty),
        Some(&event.case_id),
    );
    NewRecord::new(kind.as_str(), subject, actor)
        .on(occurred_on)
        .sources(sources)
        .payload(payload(FORMAT, event))
}

/// The entry recording a joint statement.
pub(crate) fn statement_entry(
    statement: &StoredStatement,
    actor: &str,
    sources: Vec<String>,
) -> NewRecord {
    let subject = Subject::of(None, Some(&statement.treaty), None);
    NewRecord::new(Kind::JointStatementIssued.as_str(), subject, actor)
        .on(Some(statement.issued_on))
        .sources(sources)
        .payload(payload(FORMAT, statement))
}

/// Reads a case entry's payload back.
pub fn read_case_event(bytes: &[u8]) -> Result<CaseEvent, Unreadable> {
    read_payload(FORMAT, "case event", bytes)
}
