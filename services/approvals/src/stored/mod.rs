//! The approvals service's stored records: its own serde structs, separate from the wire
//! (protobuf) and the domain types, each table's records in `[FORMAT][JSON]`
//! (`treaty_ledger::stored::Table`). A case is stored with the approval procedure and the
//! withdrawal clause it was opened under and the list of its steps; the domain
//! [`Withdrawal`] is rebuilt by replaying those steps through [`Withdrawal::apply`].
//!
//! `step.rs` holds the stored steps, `rules.rs` the procedure, clause and conflicts.

mod rules;
mod step;

pub use rules::{
    StoredChamber, StoredClause, StoredConflict, StoredProcedure, StoredRunsFrom, StoredThreshold,
};
pub use step::{StoredEvent, StoredStep, StoredTally};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use treaty_domain::{CaseId, ConflictPeriod, Withdrawal};
use treaty_ledger::stored::Table;

/// The format version of every record the approvals service stores and of its journal
/// payloads.
pub const FORMAT: u8 = 1;

/// Case id → the case.
pub const CASES: Table<StoredCase> = Table::new("cases", "withdrawal case", FORMAT);
/// Statement id → the joint statement.
pub const STATEMENTS: Table<StoredStatement> = Table::new("statements", "joint statement", FORMAT);
/// `treaty \0 state` → the id of the state's open case for the treaty (one at most).
pub const OPEN_CASES: &str = "open_cases";
/// `c \0 treaty \0 state` → the last case ordinal (u32 BE); `s \0 treaty \0 date` → the last
/// statement ordinal of that day.
pub const ORDINALS: &str = "ordinals";
/// Case id → empty: the cases awaiting their effect (the scheduler's work list).
pub const PENDING: &str = "pending";
/// `cursor` → the last journal sequence whose effects the relay performed (u64 BE).
pub const RELAY: &str = "relay";

/// Every tree the approvals store keeps beside its journal.
pub const TREES: [&str; 6] = [
    CASES.name,
    OPEN_CASES,
    ORDINALS,
    STATEMENTS.name,
    PENDING,
    RELAY,
];

/// `parts` joined by `\0`, the key of the two-part indexes.
pub fn pair_key(parts: &[&str]) -> Vec<u8> {
    parts.join("\0").into_bytes()
}

/// A withdrawal case (table `cases`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredCase {
    pub id: String,
    pub treaty: String,
    pub state: String,
    /// The state's approval procedure when the case was opened.
    pub procedure: StoredProcedure,
    /// The treaty's withdrawal clause when the case was opened.
    pub clause: StoredClause,
    /// The id of the joint statement that opened the case, if one did.
    pub joint_statement: Option<String>,
    pub opened: StoredOpening,
    /// Every step, in the order recorded.
    pub steps: Vec<StoredStep>,
}

/// Who opened a case, when and why (its first step, if any, is recorded separately).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredOpening {
    pub recorded_at: Timestamp,
    pub actor: String,
    pub detail: String,
    pub sources: Vec<String>,
}

/// A joint statement (table `statements`), also the payload of its journal entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredStatement {
    pub id: String,
    pub treaty: String,
    /// The states, in the request's order.
    pub states: Vec<String>,
    pub issued_on: Date,
    pub text: String,
    /// The cases it opened, in the order of `states`.
    pub cases: Vec<String>,
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

    /// The armed conflicts the registry held for the state at the deposit (none before it).
    pub fn conflicts_at_deposit(&self) -> Vec<ConflictPeriod> {
        self.steps
            .iter()
            .find_map(|step| match &step.event {
                StoredEvent::InstrumentDeposited { conflicts, .. } => {
                    Some(conflicts.iter().map(StoredConflict::to_domain).collect())
                }
                _ => None,
            })
            .unwrap_or_default()
    }
}
