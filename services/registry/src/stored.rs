//! The registry's stored record types: its own serde structs, versioned, separate from
//! the protobuf messages and the domain types. Domain values are rebuilt from them
//! when a rule has to be applied.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use treaty_domain::{
    ApprovalProcedure, CaseId, Chamber, ConflictPeriod, ConsentKind, EntryIntoForceRule,
    MembershipFacts, NoticeFacts, PeriodFacts, RunsFrom, Threshold, TreatyRules, WithdrawalClause,
};
use treaty_ledger::stored::Table;

use crate::error::RegistryError;

/// The format version of every record the registry stores and of its journal payloads.
pub const FORMAT: u8 = 1;

/// Treaties by id.
pub const TREATIES: Table<StoredTreaty> = Table::new("treaties", "treaty", FORMAT);
/// Approval procedures by state code.
pub const PROCEDURES: Table<StoredProcedure> =
    Table::new("procedures", "approval procedure", FORMAT);
/// Memberships by `treaty \0 state`.
pub const MEMBERSHIPS: Table<StoredMembership> = Table::new("memberships", "membership", FORMAT);
/// Armed conflicts by state code.
pub const CONFLICTS: Table<StoredConflicts> = Table::new("conflicts", "armed conflicts", FORMAT);

/// Every tree the registry keeps beside its journal.
pub const TREES: [&str; 4] = [
    TREATIES.name,
    PROCEDURES.name,
    MEMBERSHIPS.name,
    CONFLICTS.name,
];

/// The key of a membership: `treaty \0 state`.
pub fn membership_key(treaty: &str, state: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(treaty.len() + 3);
    k.extend_from_slice(treaty.as_bytes());
    k.push(0);
    k.extend_from_slice(state.as_bytes());
    k
}

/// What a withdrawal period runs from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredRunsFrom {
    /// The depositary's receipt of the instrument.
    DepositaryReceipt,
    /// Parliament's approval.
    ParliamentaryApproval,
}

/// A treaty's withdrawal clause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredClause {
    pub notice_months: u8,
    /// What the period runs from.
    pub runs_from: StoredRunsFrom,
    /// Whether an armed conflict on the expiry date defers the effect.
    pub armed_conflict_defers: bool,
    /// Where the clause is.
    pub article: String,
}

/// A treaty (tree `treaties`, key: treaty id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTreaty {
    /// The treaty id, e.g. `apmbc`.
    pub id: String,
    pub title: String,
    pub short_title: String,
    pub depositary: String,
    /// The day the treaty entered into force.
    pub in_force_on: Date,
    /// Months after a late deposit until entry into force (first day of that month).
    pub entry_into_force_months: u8,
    /// The withdrawal clause.
    pub clause: StoredClause,
    pub sources: Vec<String>,
}

impl StoredTreaty {
    /// The domain rules of this treaty.
    pub fn rules(&self) -> TreatyRules {
        TreatyRules {
            entry_into_force: EntryIntoForceRule {
                treaty_in_force_on: self.in_force_on,
                months_after_deposit: self.entry_into_force_months,
            },
            withdrawal: WithdrawalClause {
                notice_months: self.clause.notice_months,
                runs_from: match self.clause.runs_from {
                    StoredRunsFrom::DepositaryReceipt => RunsFrom::DepositaryReceipt,
                    StoredRunsFrom::ParliamentaryApproval => RunsFrom::ParliamentaryApproval,
                },
                armed_conflict_defers: self.clause.armed_conflict_defers,
            },
        }
    }
}

impl StoredClause {
    /// The stored form of a domain clause and the article it is in.
    pub fn from_domain(clause: WithdrawalClause, article: String) -> StoredClause {
        StoredClause {
            notice_months: clause.notice_months,
            runs_from: match clause.runs_from {
                RunsFrom::DepositaryReceipt => StoredRunsFrom::DepositaryReceipt,
                RunsFrom::ParliamentaryApproval => StoredRunsFrom::ParliamentaryApproval,
            },
            armed_conflict_defers: clause.armed_conflict_defers,
            article,
        }
    }
}

/// A chamber's threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredThreshold {
    /// More ayes than noes.
    SimpleMajority,
    /// At least `yes` of `of_seats`.
    AtLeast {
        /// Ayes needed.
        yes: u32,
        of_seats: u32,
    },
    /// More than half of `of_seats`.
    AbsoluteMajority { of_seats: u32 },
}

/// A chamber whose approval is required.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChamber {
    pub name: String,
    pub threshold: StoredThreshold,
}

/// A state's approval procedure (tree `procedures`, key: state code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProcedure {
    /// The chambers, in voting order.
    pub chambers: Vec<StoredChamber>,
    /// Whether the head of state must assent.
    pub head_of_state_assent: bool,
    pub sources: Vec<String>,
}

impl StoredProcedure {
    /// The domain procedure (not re-checked).
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

    /// The stored form of a checked domain procedure and its sources.
    pub fn from_domain(procedure: &ApprovalProcedure, sources: Vec<String>) -> StoredProcedure {
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
            sources,
        }
    }

    /// The procedure of a state that recorded none: the domain's default.
    pub fn default_procedure() -> StoredProcedure {
        StoredProcedure::from_domain(&ApprovalProcedure::default(), Vec::new())
    }
}

/// A kind of consent (never a signature: that is `signed_on`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredConsent {
    /// Ratification.
    Ratification,
    /// Acceptance.
    Acceptance,
    /// Approval.
    Approval,
    /// Accession.
    Accession,
    /// Succession.
    Succession,
}

impl StoredConsent {
    /// The stored kind of a binding consent; `None` for a signature.
    pub fn from_domain(kind: ConsentKind) -> Option<StoredConsent> {
        match kind {
            ConsentKind::Signature => None,
            ConsentKind::Ratification => Some(StoredConsent::Ratification),
            ConsentKind::Acceptance => Some(StoredConsent::Acceptance),
            ConsentKind::Approval => Some(StoredConsent::Approval),
            ConsentKind::Accession => Some(StoredConsent::Accession),
            ConsentKind::Succession => Some(StoredConsent::Succession),
        }
    }

    /// The domain kind.
    pub fn to_domain(self) -> ConsentKind {
        match self {
            StoredConsent::Ratification => ConsentKind::Ratification,
            StoredConsent::Acceptance => ConsentKind::Acceptance,
            StoredConsent::Approval => ConsentKind::Approval,
            StoredConsent::Accession => ConsentKind::Accession,
            StoredConsent::Succession => ConsentKind::Succession,
        }
    }
}

/// A notice of withdrawal and its revocation, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredNotice {
    /// The withdrawal case, e.g. `apmbc-LT-1`.
    pub case: String,
    pub received_on: Date,
    /// Parliament's approval, if given.
    pub approved_on: Option<Date>,
    pub reasons: String,
    /// Sources of the notice.
    pub sources: Vec<String>,
    /// The revocation, if any.
    pub revoked_on: Option<Date>,
    pub revocation_sources: Vec<String>,
}

/// One membership period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPeriod {
    /// How the state consented.
    pub consent: StoredConsent,
    /// The deposit of consent.
    pub deposited_on: Date,
    /// Sources of the consent.
    pub sources: Vec<String>,
    /// Notices given during the period, in order of receipt.
    pub notices: Vec<StoredNotice>,
}

/// A claimed suspension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSuspension {
    /// The day it was claimed.
    pub claimed_on: Date,
    /// What was claimed, and the objections.
    pub detail: String,
    pub sources: Vec<String>,
}

/// Everything recorded about one state and one treaty (tree `memberships`, key:
/// `treaty \0 state`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMembership {
    /// The signature, if any.
    pub signed_on: Option<Date>,
    pub signature_sources: Vec<String>,
    /// Membership periods, oldest first.
    pub periods: Vec<StoredPeriod>,
    /// Claimed suspensions, in order of recording.
    pub suspensions: Vec<StoredSuspension>,
}

impl StoredMembership {
    /// The domain facts the standing is computed from.
    pub fn facts(&self) -> Result<MembershipFacts, RegistryError> {
        let periods = self
            .periods
            .iter()
            .map(|p| {
                let notices = p
                    .notices
                    .iter()
                    .map(|n| {
                        Ok(NoticeFacts {
                            case: CaseId::parse(&n.case).map_err(|e| {
                                RegistryError::Corrupt(format!("a stored case id is invalid: {e}"))
                            })?,
                            received_on: n.received_on,
                            approved_on: n.approved_on,
                            revoked_on: n.revoked_on,
                        })
                    })
                    .collect::<Result<_, RegistryError>>()?;
                Ok(PeriodFacts {
                    consent: p.consent.to_domain(),
                    deposited_on: p.deposited_on,
                    notices,
                })
            })
            .collect::<Result<_, RegistryError>>()?;
        Ok(MembershipFacts {
            signed_on: self.signed_on,
            periods,
        })
    }
}

/// One armed-conflict period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredConflict {
    /// Its id within the state, from 1.
    pub id: u32,
    pub description: String,
    pub began_on: Date,
    /// The last day, once recorded.
    pub ended_on: Option<Date>,
    /// Sources of the beginning.
    pub sources: Vec<String>,
    pub end_sources: Vec<String>,
}

/// A state's armed conflicts (tree `conflicts`, key: state code), in order of recording.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredConflicts {
    /// The conflicts; `conflicts[i].id == i + 1`.
    pub conflicts: Vec<StoredConflict>,
}

/// The resource name of a state's conflict, also its name in the domain.
pub fn conflict_name(state: &str, id: u32) -> String {
    format!("states/{state}/conflicts/{id}")
}

impl StoredConflicts {
    /// The domain conflict periods, named by their resource names.
    pub fn periods(&self, state: &str) -> Vec<ConflictPeriod> {
        self.conflicts
            .iter()
            .map(|c| ConflictPeriod {
                name: conflict_name(state, c.id),
                began: c.began_on,
                ended: c.ended_on,
            })
            .collect()
    }
}
