//! The registry's storage: one ledger (the journal, its outbox to the audit service)
//! plus the registry's own trees, changed and journalled in the same transaction.
//!
//! | tree | key | value |
//! | --- | --- | --- |
//! | `treaties` | treaty id | [`StoredTreaty`] |
//! | `procedures` | state code | [`StoredProcedure`](crate::stored::StoredProcedure) |
//! | `memberships` | `treaty \0 state` | [`StoredMembership`](crate::stored::StoredMembership) |
//! | `conflicts` | state code | [`StoredConflicts`] |
//!
//! Values are `[format][JSON]` (see [`crate::stored`]). Every mutation is one
//! [`Ledger::commit`]: it reads what it needs, asks the domain whether the change is
//! allowed, writes the new state, appends exactly one journal entry per state change,
//! and remembers its answer (protobuf-encoded) under `<Rpc>/<request_id>` with the
//! ledger's `recall`/`remember`, so a retry returns the first answer and records
//! nothing twice.

mod conflicts;
mod members;
mod notices;
mod treaties;

use jiff::civil::Date;
use serde::de::DeserializeOwned;
use treaty_domain::{ConflictPeriod, StateCode};
use treaty_ledger::{
    Abort, CommitError, Ledger, LedgerConfig, LedgerError, NewRecord, Subject, Txn,
};

use crate::error::RegistryError;
use crate::stored::{self, StoredConflicts, StoredTreaty};

pub use conflicts::ConflictEnd;
pub use members::{ConsentInput, MembersQuery};
pub use notices::{NoticeInput, RevocationInput};

/// Treaties by id.
pub const TREATIES: &str = "treaties";
/// Approval procedures by state code.
pub const PROCEDURES: &str = "procedures";
/// Memberships by `treaty \0 state`.
pub const MEMBERSHIPS: &str = "memberships";
/// Armed conflicts by state code.
pub const CONFLICTS: &str = "conflicts";
const TREES: [&str; 4] = [TREATIES, PROCEDURES, MEMBERSHIPS, CONFLICTS];

/// The registry's storage.
#[derive(Clone, Debug)]
pub struct RegistryStore {
    ledger: Ledger,
}

/// Who asks for a change, and under which idempotency key.
#[derive(Clone, Debug)]
pub struct Change {
    /// The principal, recorded on every journal entry.
    pub actor: String,
    /// The request's `request_id`; empty for none.
    pub request_id: String,
}

/// One journal entry, as the registry describes it.
pub(crate) struct Entry<'a> {
    pub(crate) kind: &'static str,
    pub(crate) state: Option<&'a str>,
    pub(crate) treaty: Option<&'a str>,
    pub(crate) case: Option<&'a str>,
    pub(crate) occurred_on: Option<Date>,
    pub(crate) sources: &'a [String],
    pub(crate) payload: Vec<u8>,
}

/// Appends one journal entry in `txn`.
pub(crate) fn journal(txn: &mut Txn<'_>, actor: &str, e: Entry<'_>) {
    txn.append(NewRecord {
        kind: e.kind.to_owned(),
        subject: Subject {
            state: e.state.map(str::to_owned),
            treaty: e.treaty.map(str::to_owned),
            case: e.case.map(str::to_owned),
        },
        actor: actor.to_owned(),
        occurred_on: e.occurred_on,
        sources: e.sources.to_vec(),
        payload: e.payload,
        origin: None,
    });
}

/// Reads and decodes a stored value inside a commit.
pub(crate) fn txn_get<T: DeserializeOwned>(
    txn: &Txn<'_>,
    tree: &str,
    key: &[u8],
) -> Result<Option<T>, Abort<RegistryError>> {
    match txn.tree(tree).get(key)? {
        None => Ok(None),
        Some(bytes) => stored::decode(tree, &bytes)
            .map(Some)
            .map_err(Abort::Rejected),
    }
}

/// Encodes and writes a stored value inside a commit.
pub(crate) fn txn_put<T: serde::Serialize>(
    txn: &Txn<'_>,
    tree: &str,
    key: &[u8],
    value: &T,
) -> Result<(), Abort<RegistryError>> {
    txn.tree(tree).insert(key, stored::encode(value))?;
    Ok(())
}

/// Reads a treaty inside a commit, or refuses with NOT_FOUND.
pub(crate) fn txn_treaty(txn: &Txn<'_>, id: &str) -> Result<StoredTreaty, Abort<RegistryError>> {
    txn_get(txn, TREATIES, id.as_bytes())?.ok_or_else(|| {
        Abort::Rejected(RegistryError::TreatyNotFound {
            treaty: id.to_owned(),
        })
    })
}

/// Reads a state's conflicts inside a commit.
pub(crate) fn txn_conflicts(
    txn: &Txn<'_>,
    state: StateCode,
) -> Result<StoredConflicts, Abort<RegistryError>> {
    Ok(txn_get(txn, CONFLICTS, state.as_str().as_bytes())?.unwrap_or_default())
}

/// The key of a membership: `treaty \0 state`.
pub(crate) fn membership_key(treaty: &str, state: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(treaty.len() + 3);
    k.extend_from_slice(treaty.as_bytes());
    k.push(0);
    k.extend_from_slice(state.as_bytes());
    k
}

fn storage(e: sled::Error) -> RegistryError {
    RegistryError::Storage(LedgerError::from(e))
}

impl RegistryStore {
    /// Opens (or creates) the store; `config.trees` is replaced by the registry's trees.
    pub fn open(mut config: LedgerConfig) -> Result<Self, LedgerError> {
        config.trees = TREES.iter().map(|t| (*t).to_owned()).collect();
        Ok(Self {
            ledger: Ledger::open(config)?,
        })
    }

    /// The registry's journal.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Reads and decodes a stored value outside a commit.
    fn get<T: DeserializeOwned>(&self, tree: &str, key: &[u8]) -> Result<Option<T>, RegistryError> {
        match self.ledger.tree(tree).get(key).map_err(storage)? {
            None => Ok(None),
            Some(bytes) => stored::decode(tree, &bytes).map(Some),
        }
    }

    /// Reads a treaty, or NOT_FOUND.
    pub fn treaty(&self, id: &str) -> Result<StoredTreaty, RegistryError> {
        self.get(TREATIES, id.as_bytes())?
            .ok_or_else(|| RegistryError::TreatyNotFound {
                treaty: id.to_owned(),
            })
    }

    /// A state's armed conflicts as stored.
    pub fn conflicts(&self, state: StateCode) -> Result<StoredConflicts, RegistryError> {
        Ok(self
            .get(CONFLICTS, state.as_str().as_bytes())?
            .unwrap_or_default())
    }

    /// A state's armed conflicts as domain periods.
    fn conflict_periods(&self, state: StateCode) -> Result<Vec<ConflictPeriod>, RegistryError> {
        Ok(self.conflicts(state)?.periods(state.as_str()))
    }

    /// Runs one mutation: returns the remembered first answer for a repeated
    /// `request_id`, else runs `f` in one commit and remembers its answer with it.
    async fn mutate<R, F>(
        &self,
        rpc: &'static str,
        change: &Change,
        f: F,
    ) -> Result<R, RegistryError>
    where
        R: prost::Message + Default + Send + 'static,
        F: Fn(&mut Txn<'_>, &str) -> Result<R, Abort<RegistryError>> + Send + 'static,
    {
        let key = (!change.request_id.is_empty())
            .then(|| format!("{rpc}/{}", change.request_id).into_bytes());
        if let Some(k) = &key
            && let Some(first) = self.ledger.recall(k)?
        {
            return decode_answer(&first);
        }
        let actor = change.actor.clone();
        let outcome = self
            .ledger
            .commit(move |txn| {
                if let Some(k) = &key
                    && let Some(first) = txn.recall(k)?
                {
                    return decode_answer(&first).map_err(Abort::Rejected);
                }
                let answer = f(txn, &actor)?;
                if let Some(k) = &key {
                    txn.remember(k, &answer.encode_to_vec())?;
                }
                Ok(answer)
            })
            .await;
        match outcome {
            Ok(answer) => Ok(answer),
            Err(CommitError::Rejected(e)) => Err(e),
            Err(CommitError::Storage(e)) => Err(RegistryError::Storage(e)),
        }
    }
}

fn decode_answer<R: prost::Message + Default>(bytes: &[u8]) -> Result<R, RegistryError> {
    R::decode(bytes)
        .map_err(|e| RegistryError::Corrupt(format!("a remembered answer is unreadable: {e}")))
}
