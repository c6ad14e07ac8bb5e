//! The approvals service's stored types (format 1): its own serde structs, separate from the
//! wire (protobuf) and the domain types. A case is stored with the approval procedure and the
//! withdrawal clause it was opened under and the list of its steps; the domain
//! [`Withdrawal`] is rebuilt by replaying those steps through [`Withdrawal::apply`].
//!
//! `step.rs` holds the stored steps, `journal.rs` the payloads of journal entries.

mod journal;
mod step;

pub use journal::{CaseEvent, StoredStatement};
pub use step::{StoredEvent, StoredStep, StoredTally, kinds};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use treaty_domain::{
    ApprovalProcedure, CaseId, Chamber, ConflictPeriod, RunsFrom, Threshold, Withdrawal,
    WithdrawalClause,
};

/// The version of the stored formats below.
pub const FORMAT: u8 = 1;

/// A civil date stored as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub Date);

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map(Day).map_err(serde::de::Error::custom)
    }
}

/// An instant stored as RFC 3339 text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant(pub Timestamp);

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map(Instant).map_err(serde::de::Error::custom)
    }
}

/// The civil date of an optional stored date.
pub fn day(date: Option<Day>) -> Option<Date> {
    date.map(|d| d.0)
}

/// A withdrawal case as stored in the `cases` tree.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredCase {
    /// The stored format, [`FORMAT`].
    pub format: u8,
    /// The case id, e.g. `apmbc-LT-1`.
    pub id: String,
    /// The treaty id.
    pub treaty: String,
    /// The state's ISO 3166-1 alpha-2 code.
    pub state: String,
    /// The state's approval procedure when the case was opened.
    pub procedure: StoredProcedure,
    /// The treaty's withdrawal clause when the case was opened.
    pub clause: StoredClause,
    /// The id of the joint statement that opened the case, if one did.
    pub joint_statement: Option<String>,
    /// Who opened the case, when and why.
    pub opened: StoredOpening,
    /// Every step, in the order recorded.
    pub steps: Vec<StoredStep>,
}

/// The opening of a case (its first step, if any, is recorded separately).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredOpening {
    /// When the system stored it.
    pub recorded_at: Instant,
    /// Who opened the case.
    pub actor: String,
    /// A description.
    pub detail: String,
    /// Where it comes from.
    pub sources: Vec<String>,
}

impl StoredCase {
    /// The domain case: opened under the stored procedure and clause, every stored step
    /// applied in order.
    pub fn rebuild(&self) -> Result<Withdrawal, String> {
        let id = CaseId::parse(&self.id).map_err(|e| e.to_string())?;
        let mut case = Withdrawal::open(id, self.procedure.to_domain(), self.clause.to_domain())
            .map_err(|e| e.to_string())?;
        for (i, step) in self.steps.iter().enumerate() {
            case = case
                .apply(&step.event.to_domain())
                .map_err(|e| format!("step {} no longer applies: {e}", i + 1))?;
        }
        Ok(case)
    }

    /// The conflicts recorded at the deposit of the instrument, if it was deposited.
    pub fn conflicts_at_deposit(&self) -> Option<Vec<ConflictPeriod>> {
        self.steps.iter().find_map(|step| match &step.event {
            StoredEvent::InstrumentDeposited { conflicts, .. } => {
                Some(conflicts.iter().map(StoredConflict::to_domain).collect())
            }
            _ => None,
        })
    }
}

/// A state's domestic approval procedure, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProcedure {
    /// The chambers, in voting order.
    pub chambers: Vec<StoredChamber>,
    /// Whether the head of state must assent.
    pub head_of_state_assent: bool,
}

/// A chamber and its threshold, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChamber {
    /// The chamber's name.
    pub name: String,
    /// What its final vote must reach.
    pub threshold: StoredThreshold,
}

/// A chamber's threshold, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredThreshold {
    /// More ayes than noes.
    SimpleMajority,
    /// At least `yes` ayes of `of_seats` seats.
    AtLeast {
        /// The ayes needed.
        yes: u32,
        /// The seats.
        of_seats: u32,
    },
    /// More than half of `of_seats` seats.
    AbsoluteMajority {
        /// The seats.
        of_seats: u32,
    },
}

impl StoredProcedure {
    /// The domain procedure (checked when a case is opened with it).
    pub fn to_domain(&self) -> ApprovalProcedure {
        ApprovalProcedure {
            chambers: self
                .chambers
                .iter()
                .map(|c| Chamber {
                    name: c.name.clone(),
                    threshold: match c.threshold {
                        StoredThreshold::SimpleMajority => Threshold::SimpleMajority,
                        StoredThreshold::AtLeast { yes, of_seats } => {
                            Threshold::AtLeast { yes, of_seats }
                        }
                        StoredThreshold::AbsoluteMajority { of_seats } => {
                            Threshold::AbsoluteMajority { of_seats }
                        }
                    },
                })
                .collect(),
            head_of_state_assent: self.head_of_state_assent,
        }
    }
}

/// A treaty's withdrawal clause, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredClause {
    /// The notice period in months.
    pub notice_months: u8,
    /// What the period runs from.
    pub runs_from: StoredRunsFrom,
    /// Whether an armed conflict on the expiry date defers the effect.
    pub armed_conflict_defers: bool,
}

/// What the notice period runs from, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredRunsFrom {
    /// The depositary's receipt of the instrument.
    DepositaryReceipt,
    /// Parliament's approval.
    ParliamentaryApproval,
}

impl StoredClause {
    /// The domain clause.
    pub fn to_domain(self) -> WithdrawalClause {
        WithdrawalClause {
            notice_months: self.notice_months,
            runs_from: match self.runs_from {
                StoredRunsFrom::DepositaryReceipt => RunsFrom::DepositaryReceipt,
                StoredRunsFrom::ParliamentaryApproval => RunsFrom::ParliamentaryApproval,
            },
            armed_conflict_defers: self.armed_conflict_defers,
        }
    }
}

/// An armed-conflict period as the registry recorded it, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredConflict {
    /// The registry's conflict id.
    pub name: String,
    /// The first day.
    pub began: Day,
    /// The last day, once recorded.
    pub ended: Option<Day>,
}

impl StoredConflict {
    /// The domain conflict period.
    pub fn to_domain(&self) -> ConflictPeriod {
        ConflictPeriod {
            name: self.name.clone(),
            began: self.began.0,
            ended: day(self.ended),
        }
    }

    /// The stored form of a domain conflict period.
    pub fn from_domain(conflict: &ConflictPeriod) -> StoredConflict {
        StoredConflict {
            name: conflict.name.clone(),
            began: Day(conflict.began),
            ended: conflict.ended.map(Day),
        }
    }
}
