//! The registry's storage: one ledger (the journal, its outbox to the audit service) plus the
//! registry's own tables (`crate::stored`), changed and journalled in the same transaction.
//!
//! | table | key | record |
//! | --- | --- | --- |
//! | `treaties` | treaty id | `StoredTreaty` |
//! | `procedures` | state code | `StoredProcedure` |
//! | `memberships` | `treaty \0 state` | `StoredMembership` |
//! | `conflicts` | state code | `StoredConflicts` |
//!
//! Every mutation is one [`treaty_runtime::commit_once`]: it reads what it needs, asks the
//! domain whether the change is allowed, writes the new state, appends exactly one journal
//! entry per state change, and answers — once per request id, the answer given only once
//! durable. `treaties.rs`, `members.rs`, `notices.rs` and `conflicts.rs` hold the commits.

mod conflicts;
mod members;
mod notices;
mod treaties;

use treaty_domain::{ConflictPeriod, StateCode, TreatyId};
use treaty_ledger::{Abort, Ledger, LedgerConfig, LedgerError, Txn};

use crate::error::RegistryError;
use crate::stored::{CONFLICTS, StoredConflicts, StoredTreaty, TREATIES, TREES};

/// The registry's storage.
#[derive(Clone, Debug)]
pub struct RegistryStore {
    ledger: Ledger,
}

type Step<T> = Result<T, Abort<RegistryError>>;

fn refuse<T>(e: RegistryError) -> Step<T> {
    Err(Abort::Rejected(e))
}

/// Reads a treaty inside a commit, or refuses with NOT_FOUND.
fn txn_treaty(txn: &Txn<'_>, id: &TreatyId) -> Step<StoredTreaty> {
    TREATIES.read(txn, id.as_str().as_bytes())?.map_or_else(
        || {
            refuse(RegistryError::TreatyNotFound {
                treaty: id.to_string(),
            })
        },
        Ok,
    )
}

/// A state's conflicts inside a commit.
fn txn_conflicts(txn: &Txn<'_>, state: StateCode) -> Step<StoredConflicts> {
    Ok(CONFLICTS
        .read(txn, state.as_str().as_bytes())?
        .unwrap_or_default())
}

impl RegistryStore {
    /// Opens (or creates) the store; `config.trees` is replaced by the registry's trees.
    pub fn open(config: LedgerConfig) -> Result<Self, LedgerError> {
        Ok(Self {
            ledger: Ledger::open(config.with_trees(&TREES))?,
        })
    }

    /// The registry's journal.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Reads a treaty, or NOT_FOUND.
    pub fn treaty(&self, id: &TreatyId) -> Result<StoredTreaty, RegistryError> {
        TREATIES
            .get(&self.ledger, id.as_str().as_bytes())?
            .ok_or_else(|| RegistryError::TreatyNotFound {
                treaty: id.to_string(),
            })
    }

    /// A state's armed conflicts as stored.
    pub fn conflicts(&self, state: StateCode) -> Result<StoredConflicts, RegistryError> {
        Ok(CONFLICTS
            .get(&self.ledger, state.as_str().as_bytes())?
            .unwrap_or_default())
    }

    /// A state's armed conflicts as domain periods.
    fn conflict_periods(&self, state: StateCode) -> Result<Vec<ConflictPeriod>, RegistryError> {
        Ok(self.conflicts(state)?.periods(state.as_str()))
    }
}
