//! The stored steps of a case, built from the domain's steps and the domain's verdicts.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use treaty_domain::{ChamberVote, ConflictPeriod, Step, Tally, Withdrawal};

use super::StoredConflict;

/// One recorded step of a case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredStep {
    pub event: StoredEvent,
    pub recorded_at: Timestamp,
    pub actor: String,
    pub detail: String,
    pub sources: Vec<String>,
}

/// A chamber's tally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredTally {
    /// Counted votes; abstentions may be unknown.
    Counted {
        yes: u32,
        no: u32,
        abstain: Option<u32>,
    },
    /// Only the outcome is known.
    Reported { passed: bool },
}

/// What a step records.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredEvent {
    Recommended {
        on: Option<Date>,
    },
    GovernmentDecided {
        on: Option<Date>,
    },
    ChamberVoted {
        chamber: String,
        on: Option<Date>,
        tally: StoredTally,
        final_reading: bool,
        /// Whether it met the chamber's threshold, as the domain decided when it was recorded.
        passed: bool,
    },
    HeadOfStateAssented {
        on: Option<Date>,
    },
    InstrumentDeposited {
        received_on: Date,
        reasons: String,
        /// The armed conflicts the registry held for the state at the deposit.
        conflicts: Vec<StoredConflict>,
    },
    Deferred {
        /// The expiry of the notice period.
        on: Date,
        /// The conflict going on that day.
        conflict: StoredConflict,
    },
    TookEffect {
        on: Date,
        /// The conflicts recorded when the step was recorded.
        conflicts: Vec<StoredConflict>,
    },
    Revoked {
        on: Date,
    },
}

impl StoredEvent {
    /// The stored form of `step` recorded on the case `before` (which accepted it), with the
    /// armed conflicts `known` to the registry now (kept with a deposit).
    pub fn from_domain(step: &Step, before: &Withdrawal, known: &[ConflictPeriod]) -> StoredEvent {
        let conflicts = |c: &[ConflictPeriod]| c.iter().map(StoredConflict::from_domain).collect();
        match step {
            Step::Recommended { on } => StoredEvent::Recommended { on: *on },
            Step::GovernmentDecided { on } => StoredEvent::GovernmentDecided { on: *on },
            Step::ChamberVoted(vote) => StoredEvent::ChamberVoted {
                chamber: vote.chamber.clone(),
                on: vote.on,
                tally: match vote.tally {
                    Tally::Counted { yes, no, abstain } => {
                        StoredTally::Counted { yes, no, abstain }
                    }
                    Tally::Reported { passed } => StoredTally::Reported { passed },
                },
                final_reading: vote.final_reading,
                passed: before.vote_passes(vote).unwrap_or(false),
            },
            Step::HeadOfStateAssented { on } => StoredEvent::HeadOfStateAssented { on: *on },
            Step::InstrumentDeposited {
                received_on,
                reasons,
            } => StoredEvent::InstrumentDeposited {
                received_on: *received_on,
                reasons: reasons.clone(),
                conflicts: conflicts(known),
            },
            Step::Deferred { on, conflict } => StoredEvent::Deferred {
                on: *on,
                conflict: StoredConflict::from_domain(conflict),
            },
            Step::TookEffect { on, conflicts: c } => StoredEvent::TookEffect {
                on: *on,
                conflicts: conflicts(c),
            },
            Step::Revoked { on } => StoredEvent::Revoked { on: *on },
        }
    }

    /// The domain step.
    pub fn to_domain(&self) -> Step {
        match self {
            StoredEvent::Recommended { on } => Step::Recommended { on: *on },
            StoredEvent::GovernmentDecided { on } => Step::GovernmentDecided { on: *on },
            StoredEvent::ChamberVoted {
                chamber,
                on,
                tally,
                final_reading,
                ..
            } => Step::ChamberVoted(ChamberVote {
                chamber: chamber.clone(),
                on: *on,
                tally: match *tally {
                    StoredTally::Counted { yes, no, abstain } => {
                        Tally::Counted { yes, no, abstain }
                    }
                    StoredTally::Reported { passed } => Tally::Reported { passed },
                },
                final_reading: *final_reading,
            }),
            StoredEvent::HeadOfStateAssented { on } => Step::HeadOfStateAssented { on: *on },
            StoredEvent::InstrumentDeposited {
                received_on,
                reasons,
                ..
            } => Step::InstrumentDeposited {
                received_on: *received_on,
                reasons: reasons.clone(),
            },
            StoredEvent::Deferred { on, conflict } => Step::Deferred {
                on: *on,
                conflict: conflict.to_domain(),
            },
            StoredEvent::TookEffect { on, conflicts } => Step::TookEffect {
                on: *on,
                conflicts: conflicts.iter().map(StoredConflict::to_domain).collect(),
            },
            StoredEvent::Revoked { on } => Step::Revoked { on: *on },
        }
    }

    /// The step's date, if it has one.
    pub fn on(&self) -> Option<Date> {
        self.to_domain().on()
    }
}
