//! The approvals store: the journal (a [`Ledger`]) plus, in the same sled database and the
//! same transactions, the cases, the index of open cases, the case ordinals, the joint
//! statements, the index of cases awaiting effect, and the outbox relay's cursor.
//!
//! Every mutation is one [`Ledger::commit`]: it reads the case, replays it through the
//! domain rules, applies the new step (so the domain decides), writes the case and its
//! indexes, appends exactly one journal entry per state change and remembers the answer
//! under the request id (see `commit.rs`).

mod commit;

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, PoisonError, RwLock};

use prost::Message;
use treaty_domain::{StateCode, TreatyId, Withdrawal, WithdrawalStatus};
use treaty_ledger::{Ledger, LedgerConfig, LedgerError};
use treaty_proto::approvals as pb;

use crate::convert;
use crate::error::ApprovalsError;
use crate::model::{
    StoredCase, StoredClause, StoredConflict, StoredOpening, StoredProcedure, StoredStep,
};

/// Case id → [`StoredCase`] (JSON).
pub(super) const CASES: &str = "cases";
/// `treaty \0 state` → the id of the state's open case for the treaty (one at most).
pub(super) const OPEN_CASES: &str = "open_cases";
/// `c \0 treaty \0 state` → the last case ordinal (u32 BE); `s \0 treaty \0 date` → the
/// last statement ordinal of that day.
pub(super) const ORDINALS: &str = "ordinals";
/// Statement id → [`StoredStatement`] (JSON).
pub(super) const STATEMENTS: &str = "statements";
/// Case id → empty: the cases that are notified or deferred (the scheduler's work list).
pub(super) const PENDING: &str = "pending";
/// `cursor` → the last journal sequence whose effects the relay performed (u64 BE).
const RELAY: &str = "relay";

/// Every tree the approvals store keeps beside its journal (first answers by request id,
/// `<RpcName>/<request_id>` → the prost-encoded response, live in the ledger's own tree).
pub const TREES: [&str; 6] = [CASES, OPEN_CASES, ORDINALS, STATEMENTS, PENDING, RELAY];

const CURSOR_KEY: &[u8] = b"cursor";

/// A case to open: the state, the procedure and clause taken from the registry, and the
/// recommendation that opens it, if there is one.
#[derive(Clone, Debug)]
pub struct NewCase {
    /// The treaty.
    pub treaty: TreatyId,
    /// The state.
    pub state: StateCode,
    /// The state's procedure, from the registry.
    pub procedure: StoredProcedure,
    /// The treaty's clause, from the registry.
    pub clause: StoredClause,
    /// Who opens the case, when and why.
    pub opening: StoredOpening,
    /// The recommendation, unless the case is opened without one.
    pub step: Option<StoredStep>,
}

/// A joint statement to record with the cases it opens.
#[derive(Clone, Debug)]
pub struct NewStatement {
    /// The treaty.
    pub treaty: TreatyId,
    /// The date of the statement.
    pub issued_on: jiff::civil::Date,
    /// What it says.
    pub text: String,
    /// Who recorded it.
    pub actor: String,
    /// Where it comes from.
    pub sources: Vec<String>,
}

/// Which cases a listing wants; `None` matches everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only this treaty's cases.
    pub treaty: Option<TreatyId>,
    /// Only this state's cases.
    pub state: Option<StateCode>,
    /// Only cases whose status is one of these.
    pub statuses: Option<Vec<WithdrawalStatus>>,
}

/// The armed conflicts last seen in the registry, by state (not stored: refreshed by the
/// scheduler on every tick and by each deposit).
pub(super) type ConflictMemo = Arc<RwLock<HashMap<String, Vec<StoredConflict>>>>;

/// The approvals service's storage.
#[derive(Clone, Debug)]
pub struct ApprovalsStore {
    ledger: Ledger,
    conflicts: ConflictMemo,
}

pub(super) fn latest(memo: &ConflictMemo, state: &str) -> Option<Vec<StoredConflict>> {
    memo.read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(state)
        .cloned()
}

/// The wire form of a case, its expected effect computed with the latest conflicts seen.
pub(super) fn wire(memo: &ConflictMemo, case: &StoredCase, w: &Withdrawal) -> pb::Withdrawal {
    convert::case_to_wire(case, w, latest(memo, &case.state).as_deref())
}

pub(super) fn pair_key(parts: &[&str]) -> Vec<u8> {
    parts.join("\0").into_bytes()
}

pub(super) fn decode_case(bytes: &[u8]) -> Result<StoredCase, ApprovalsError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApprovalsError::Corrupt(format!("a stored case is unreadable: {e}")))
}

pub(super) fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("stored types serialize to JSON")
}

pub(super) fn rebuild(case: &StoredCase) -> Result<Withdrawal, ApprovalsError> {
    case.rebuild()
        .map_err(|e| ApprovalsError::Corrupt(format!("case {} cannot be replayed: {e}", case.id)))
}

pub(super) fn storage(e: sled::Error) -> ApprovalsError {
    ApprovalsError::Storage(LedgerError::from(e))
}

impl ApprovalsStore {
    /// Opens (or creates) the store; `config.trees` is replaced by the service's trees.
    pub fn open(mut config: LedgerConfig) -> Result<Self, LedgerError> {
        config.trees = TREES.iter().map(|t| (*t).to_owned()).collect();
        Ok(Self {
            ledger: Ledger::open(config)?,
            conflicts: ConflictMemo::default(),
        })
    }

    /// The service's journal.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The first answer given under `key`, if one was remembered.
    pub fn recall<M: Message + Default>(
        &self,
        key: Option<&[u8]>,
    ) -> Result<Option<M>, ApprovalsError> {
        let Some(key) = key else { return Ok(None) };
        match self.ledger.recall(key)? {
            None => Ok(None),
            Some(bytes) => M::decode(bytes.as_ref()).map(Some).map_err(|e| {
                ApprovalsError::Corrupt(format!("a remembered answer is unreadable: {e}"))
            }),
        }
    }

    /// Notes the armed conflicts the registry now records for `state`.
    pub fn note_conflicts(&self, state: &str, conflicts: Vec<StoredConflict>) {
        self.conflicts
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(state.to_owned(), conflicts);
    }

    /// The wire form of a case, its expected effect computed with the latest armed
    /// conflicts seen for its state.
    pub fn to_wire(&self, case: &StoredCase, w: &Withdrawal) -> pb::Withdrawal {
        wire(&self.conflicts, case, w)
    }

    /// The stored case `id`, if there is one.
    pub fn case(&self, id: &str) -> Result<Option<StoredCase>, ApprovalsError> {
        match self
            .ledger
            .tree(CASES)
            .get(id.as_bytes())
            .map_err(storage)?
        {
            None => Ok(None),
            Some(bytes) => decode_case(&bytes).map(Some),
        }
    }

    /// The stored case `id` and its domain form, or NOT_FOUND.
    pub fn load(&self, id: &str) -> Result<(StoredCase, Withdrawal), ApprovalsError> {
        let case = self.case(id)?.ok_or_else(|| ApprovalsError::CaseNotFound {
            case_id: id.to_owned(),
        })?;
        let domain = rebuild(&case)?;
        Ok((case, domain))
    }

    /// The id of the state's open case for the treaty, if it has one.
    pub fn open_case_of(
        &self,
        treaty: &str,
        state: &str,
    ) -> Result<Option<String>, ApprovalsError> {
        let v = self
            .ledger
            .tree(OPEN_CASES)
            .get(pair_key(&[treaty, state]))
            .map_err(storage)?;
        Ok(v.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Up to `limit` cases matching `filter` with an id after `after`, in id order, and
    /// whether more may follow.
    pub fn list(
        &self,
        filter: &Filter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<(StoredCase, Withdrawal)>, bool), ApprovalsError> {
        let prefix = filter
            .treaty
            .as_ref()
            .map(|t| format!("{t}-").into_bytes())
            .unwrap_or_default();
        let start = match after {
            Some(a) if a.as_bytes() >= prefix.as_slice() => Bound::Excluded(a.as_bytes().to_vec()),
            _ => Bound::Included(prefix.clone()),
        };
        let mut out = Vec::new();
        for item in self.ledger.tree(CASES).range((start, Bound::Unbounded)) {
            let (key, value) = item.map_err(storage)?;
            if !key.starts_with(&prefix) {
                break;
            }
            let case = decode_case(&value)?;
            if filter
                .treaty
                .as_ref()
                .is_some_and(|t| t.as_str() != case.treaty)
                || filter.state.is_some_and(|s| s.as_str() != case.state)
            {
                continue;
            }
            let domain = rebuild(&case)?;
            if let Some(statuses) = &filter.statuses
                && !statuses.contains(&domain.status())
            {
                continue;
            }
            if out.len() == limit {
                return Ok((out, true));
            }
            out.push((case, domain));
        }
        Ok((out, false))
    }

    /// The ids of the cases awaiting their effect (notified or deferred).
    pub fn pending(&self) -> Result<Vec<String>, ApprovalsError> {
        self.ledger
            .tree(PENDING)
            .iter()
            .keys()
            .map(|k| {
                k.map(|k| String::from_utf8_lossy(&k).into_owned())
                    .map_err(storage)
            })
            .collect()
    }

    /// The last journal sequence whose external effects the relay performed.
    pub fn relay_cursor(&self) -> Result<u64, ApprovalsError> {
        let v = self.ledger.tree(RELAY).get(CURSOR_KEY).map_err(storage)?;
        match v {
            None => Ok(0),
            Some(v) => v
                .as_ref()
                .try_into()
                .map(u64::from_be_bytes)
                .map_err(|_| ApprovalsError::Corrupt("the relay cursor is unreadable".into())),
        }
    }

    /// Moves the relay's cursor. Bookkeeping, not a state change: it is written directly,
    /// without a journal entry; if a crash loses it, the relay replays entries whose effects
    /// the peers deduplicate.
    pub fn set_relay_cursor(&self, sequence: u64) -> Result<(), ApprovalsError> {
        self.ledger
            .tree(RELAY)
            .insert(CURSOR_KEY, &sequence.to_be_bytes())
            .map_err(storage)?;
        Ok(())
    }
}
