//! The steps of a withdrawal case, as they are recorded.

use jiff::civil::Date;

use crate::clause::ConflictPeriod;
use crate::procedure::Threshold;

/// One thing that happened in a withdrawal case.
///
/// Domestic steps may be undated (`on: None`) when the sources give no date, as for the
/// signatures of the Presidents of Lithuania and Finland in 2025; they are kept in the order they
/// were recorded and are not checked against the dates of their neighbours. The deposit, the
/// deferral, the entry into effect and the revocation always have a date.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    /// Someone recommended withdrawal: a joint statement of ministers, or a decree submitting the
    /// withdrawal to parliament.
    Recommended {
        /// The day of the recommendation.
        on: Option<Date>,
    },
    /// The government decided to pursue withdrawal (there may be several decisions).
    GovernmentDecided {
        /// The day of the decision.
        on: Option<Date>,
    },
    /// A chamber of parliament voted.
    ChamberVoted(ChamberVote),
    /// The head of state signed, proclaimed or decreed the withdrawal.
    HeadOfStateAssented {
        /// The day of the assent.
        on: Option<Date>,
    },
    /// The depositary received the instrument of withdrawal; this is the notice.
    InstrumentDeposited {
        /// The day the depositary received it.
        received_on: Date,
        /// The full explanation of the reasons for withdrawing (Art. 20(2)).
        reasons: String,
    },
    /// The notice period expired while the state was engaged in an armed conflict.
    Deferred {
        /// The day the notice period expired.
        on: Date,
        /// The conflict going on that day.
        conflict: ConflictPeriod,
    },
    /// The withdrawal took effect: the state is no longer a party.
    TookEffect {
        /// The day it took effect.
        on: Date,
        /// The armed-conflict periods recorded for the state when this step is recorded; the
        /// effective day is computed from them and must equal `on`.
        conflicts: Vec<ConflictPeriod>,
    },
    /// The state revoked its withdrawal, or abandoned it before notice.
    Revoked {
        /// The day of the revocation.
        on: Date,
    },
}

impl Step {
    /// Returns the step's date, if it has one.
    pub fn on(&self) -> Option<Date> {
        match self {
            Step::Recommended { on }
            | Step::GovernmentDecided { on }
            | Step::HeadOfStateAssented { on } => *on,
            Step::ChamberVoted(vote) => vote.on,
            Step::InstrumentDeposited { received_on, .. } => Some(*received_on),
            Step::Deferred { on, .. } | Step::TookEffect { on, .. } | Step::Revoked { on } => {
                Some(*on)
            }
        }
    }

    /// Returns what kind of step this is, in words, such as `"chamber vote"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Recommended { .. } => "recommendation",
            Step::GovernmentDecided { .. } => "government decision",
            Step::ChamberVoted(_) => "chamber vote",
            Step::HeadOfStateAssented { .. } => "head-of-state assent",
            Step::InstrumentDeposited { .. } => "deposit of the instrument of withdrawal",
            Step::Deferred { .. } => "deferral",
            Step::TookEffect { .. } => "entry into effect",
            Step::Revoked { .. } => "revocation",
        }
    }
}

/// A vote of one chamber of parliament on the withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChamberVote {
    /// The chamber, as named in the state's approval procedure.
    pub chamber: String,
    /// The day of the vote.
    pub on: Option<Date>,
    pub tally: Tally,
    /// Whether this is the chamber's final vote; an earlier reading is recorded but decides
    /// nothing.
    pub final_reading: bool,
}

/// The result of a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tally {
    /// The counted votes; whether the vote passed follows from the chamber's threshold.
    Counted {
        /// Votes in favour.
        yes: u32,
        /// Votes against.
        no: u32,
        /// Abstentions, when the sources give them.
        abstain: Option<u32>,
    },
    /// Only the outcome is known, as for the Polish Senate in 2025.
    Reported {
        /// Whether the chamber approved.
        passed: bool,
    },
}

impl Tally {
    /// Tells whether a vote with this tally meets `threshold`: counted votes are weighed
    /// against it, a reported outcome is taken as reported.
    pub fn passes(&self, threshold: Threshold) -> bool {
        match *self {
            Tally::Counted { yes, no, .. } => threshold.is_met_by(yes, no),
            Tally::Reported { passed } => passed,
        }
    }
}
