//! The stored steps of a case, and the journal kinds that record them.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use treaty_domain::{ChamberVote, Step, Tally};

use super::{Day, Instant, StoredConflict, day};

/// One recorded step of a case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredStep {
    /// What happened.
    pub event: StoredEvent,
    /// When the system stored it.
    pub recorded_at: Instant,
    /// Who recorded it.
    pub actor: String,
    /// A description.
    pub detail: String,
    /// Where the fact comes from.
    pub sources: Vec<String>,
}

/// A chamber's tally, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredTally {
    /// Counted votes; abstentions may be unknown.
    Counted {
        /// Ayes.
        yes: u32,
        /// Noes.
        no: u32,
        /// Abstentions, when known.
        abstain: Option<u32>,
    },
    /// Only the outcome is known.
    Reported {
        /// Whether it passed.
        passed: bool,
    },
}

/// What a step records.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredEvent {
    /// A recommendation to withdraw.
    Recommended {
        /// Its date, if known.
        on: Option<Day>,
    },
    /// A government decision.
    GovernmentDecided {
        /// Its date, if known.
        on: Option<Day>,
    },
    /// A chamber's vote.
    ChamberVoted {
        /// The chamber.
        chamber: String,
        /// Its date, if known.
        on: Option<Day>,
        /// The result.
        tally: StoredTally,
        /// Whether it was the final reading.
        final_reading: bool,
        /// Whether it met the chamber's threshold (computed when recorded).
        passed: bool,
    },
    /// The head of state's assent.
    HeadOfStateAssented {
        /// Its date, if known.
        on: Option<Day>,
    },
    /// The depositary received the instrument of withdrawal.
    InstrumentDeposited {
        /// The day of receipt.
        received_on: Day,
        /// The statement of reasons.
        reasons: String,
        /// The armed conflicts the registry held for the state at the deposit.
        conflicts: Vec<StoredConflict>,
    },
    /// The effect was deferred by an armed conflict.
    Deferred {
        /// The expiry of the notice period.
        on: Day,
        /// The conflict going on that day.
        conflict: StoredConflict,
    },
    /// The withdrawal took effect.
    TookEffect {
        /// The day it took effect.
        on: Day,
        /// The conflicts recorded when the step was recorded.
        conflicts: Vec<StoredConflict>,
    },
    /// The withdrawal was revoked.
    Revoked {
        /// The day of the revocation.
        on: Day,
    },
}

impl StoredEvent {
    /// The domain step.
    pub fn to_domain(&self) -> Step {
        match self {
            StoredEvent::Recommended { on } => Step::Recommended { on: day(*on) },
            StoredEvent::GovernmentDecided { on } => Step::GovernmentDecided { on: day(*on) },
            StoredEvent::ChamberVoted {
                chamber,
                on,
                tally,
                final_reading,
                ..
            } => Step::ChamberVoted(ChamberVote {
                chamber: chamber.clone(),
                on: day(*on),
                tally: match *tally {
                    StoredTally::Counted { yes, no, abstain } => Tally::Counted {
                        yes,
                        no,
                        abstain: abstain.unwrap_or(0),
                    },
                    StoredTally::Reported { passed } => Tally::Reported { passed },
                },
                final_reading: *final_reading,
            }),
            StoredEvent::HeadOfStateAssented { on } => Step::HeadOfStateAssented { on: day(*on) },
            StoredEvent::InstrumentDeposited {
                received_on,
                reasons,
                ..
            } => Step::InstrumentDeposited {
                received_on: received_on.0,
                reasons: reasons.clone(),
            },
            StoredEvent::Deferred { on, conflict } => Step::Deferred {
                on: on.0,
                conflict: conflict.to_domain(),
            },
            StoredEvent::TookEffect { on, conflicts } => Step::TookEffect {
                on: on.0,
                conflicts: conflicts.iter().map(StoredConflict::to_domain).collect(),
            },
            StoredEvent::Revoked { on } => Step::Revoked { on: on.0 },
        }
    }

    /// The step's date, if it has one.
    pub fn on(&self) -> Option<Date> {
        self.to_domain().on()
    }

    /// The journal kind of an entry recording this step on an open case.
    pub fn journal_kind(&self) -> &'static str {
        match self {
            StoredEvent::Recommended { .. } => kinds::RECOMMENDATION_RECORDED,
            StoredEvent::GovernmentDecided { .. } => kinds::GOVERNMENT_DECISION_RECORDED,
            StoredEvent::ChamberVoted { .. } => kinds::CHAMBER_VOTE_RECORDED,
            StoredEvent::HeadOfStateAssented { .. } => kinds::HEAD_OF_STATE_ASSENT_RECORDED,
            StoredEvent::InstrumentDeposited { .. } => kinds::INSTRUMENT_DEPOSITED,
            StoredEvent::Deferred { .. } => kinds::WITHDRAWAL_DEFERRED,
            StoredEvent::TookEffect { .. } => kinds::WITHDRAWAL_TOOK_EFFECT,
            StoredEvent::Revoked { .. } => kinds::WITHDRAWAL_REVOKED,
        }
    }
}

/// The journal kinds the approvals service writes (`approvals.<event>`).
pub mod kinds {
    /// A joint statement was issued (its cases are opened by entries of their own).
    pub const JOINT_STATEMENT_ISSUED: &str = "approvals.joint_statement_issued";
    /// A case was opened (with its recommendation, if it has one).
    pub const WITHDRAWAL_OPENED: &str = "approvals.withdrawal_opened";
    /// A recommendation was recorded on a case opened without one.
    pub const RECOMMENDATION_RECORDED: &str = "approvals.recommendation_recorded";
    /// A government decision was recorded.
    pub const GOVERNMENT_DECISION_RECORDED: &str = "approvals.government_decision_recorded";
    /// A chamber's vote was recorded (a failed final vote rejects the case).
    pub const CHAMBER_VOTE_RECORDED: &str = "approvals.chamber_vote_recorded";
    /// The head of state's assent was recorded.
    pub const HEAD_OF_STATE_ASSENT_RECORDED: &str = "approvals.head_of_state_assent_recorded";
    /// The depositary received the instrument of withdrawal.
    pub const INSTRUMENT_DEPOSITED: &str = "approvals.instrument_deposited";
    /// The effect was deferred by an armed conflict.
    pub const WITHDRAWAL_DEFERRED: &str = "approvals.withdrawal_deferred";
    /// The withdrawal took effect.
    pub const WITHDRAWAL_TOOK_EFFECT: &str = "approvals.withdrawal_took_effect";
    /// The withdrawal was revoked.
    pub const WITHDRAWAL_REVOKED: &str = "approvals.withdrawal_revoked";
}

impl fmt::Display for StoredEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_domain().kind())
    }
}
