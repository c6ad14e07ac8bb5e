//! The rules a case was opened under, as stored: the state's approval procedure, the
//! treaty's withdrawal clause, and the armed conflicts the registry held.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use treaty_domain::{
    ApprovalProcedure, Chamber, ConflictPeriod, RunsFrom, Threshold, WithdrawalClause,
};

/// A state's domestic approval procedure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProcedure {
    /// The chambers, in voting order.
    pub chambers: Vec<StoredChamber>,
    pub head_of_state_assent: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChamber {
    pub name: String,
    /// What its final vote must reach.
    pub threshold: StoredThreshold,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredThreshold {
    SimpleMajority,
    AtLeast { yes: u32, of_seats: u32 },
    AbsoluteMajority { of_seats: u32 },
}

impl StoredProcedure {
    /// The stored form of a domain procedure.
    pub fn from_domain(procedure: &ApprovalProcedure) -> StoredProcedure {
        StoredProcedure {
            chambers: procedure
                .chambers
                .iter()
                .map(|c| StoredChamber {
                    name: c.name.clone(),
                    threshold: match c.threshold {
                        Threshold::SimpleMajority => StoredThreshold::SimpleMajority,
                        Threshold::AtLeast { yes, of_seats } => {
                            StoredThreshold::AtLeast { yes, of_seats }
                        }
                        Threshold::AbsoluteMajority { of_seats } => {
                            StoredThreshold::AbsoluteMajority { of_seats }
                        }
                    },
                })
                .collect(),
            head_of_state_assent: procedure.head_of_state_assent,
        }
    }

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

/// A treaty's withdrawal clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredClause {
    pub notice_months: u8,
    pub runs_from: StoredRunsFrom,
    pub armed_conflict_defers: bool,
}

/// What the notice period runs from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredRunsFrom {
    DepositaryReceipt,
    ParliamentaryApproval,
}

impl StoredClause {
    /// The stored form of a domain clause.
    pub fn from_domain(clause: WithdrawalClause) -> StoredClause {
        StoredClause {
            notice_months: clause.notice_months,
            runs_from: match clause.runs_from {
                RunsFrom::DepositaryReceipt => StoredRunsFrom::DepositaryReceipt,
                RunsFrom::ParliamentaryApproval => StoredRunsFrom::ParliamentaryApproval,
            },
            armed_conflict_defers: clause.armed_conflict_defers,
        }
    }

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

/// An armed-conflict period as the registry recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredConflict {
    /// The registry's name of the conflict (`states/UA/conflicts/1`).
    pub name: String,
    pub began: Date,
    /// The last day, once recorded.
    pub ended: Option<Date>,
}

impl StoredConflict {
    /// The domain conflict period.
    pub fn to_domain(&self) -> ConflictPeriod {
        ConflictPeriod {
            name: self.name.clone(),
            began: self.began,
            ended: self.ended,
        }
    }

    /// The stored form of a domain conflict period.
    pub fn from_domain(conflict: &ConflictPeriod) -> StoredConflict {
        StoredConflict {
            name: conflict.name.clone(),
            began: conflict.began,
            ended: conflict.ended,
        }
    }
}
