//! The approvals store: the journal (a [`Ledger`]) plus, in the same sled database and the
//! same transactions, the cases, the index of open cases, the case ordinals, the joint
//! statements, the index of cases awaiting effect, and the outbox relay's cursor (the trees
//! of `crate::stored`).
//!
//! Every mutation is one [`treaty_runtime::commit_once`]: it reads the case, replays it
//! through the domain rules, applies the new step (so the domain decides), writes the case and
//! its indexes, appends exactly one journal entry per state change, and answers — once per
//! request id, the answer given only once durable. `open.rs` opens cases, `step.rs` records a
//! step.

mod open;
mod step;

pub use open::{NewCase, NewStatement};
pub use step::NewStep;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use treaty_domain::{CaseId, ConflictPeriod, StateCode, TreatyId, Withdrawal};
use treaty_ledger::{Abort, Ledger, LedgerConfig, LedgerError};
use treaty_proto::approvals as pb;

use crate::error::ApprovalsError;
use crate::request::ListWithdrawals;
use crate::stored::{CASES, OPEN_CASES, PENDING, RELAY, StoredCase, TREES, pair_key};
use crate::wire;

const CURSOR_KEY: &[u8] = b"cursor";

type Step<T> = Result<T, Abort<ApprovalsError>>;

fn refuse<T>(e: ApprovalsError) -> Step<T> {
    Err(Abort::Rejected(e))
}

/// The armed conflicts last seen in the registry, by state (not stored: refreshed by the
/// scheduler and by each deposit).
type ConflictMemo = Arc<RwLock<HashMap<StateCode, Vec<ConflictPeriod>>>>;

fn latest(memo: &ConflictMemo, state: &str) -> Option<Vec<ConflictPeriod>> {
    let state = StateCode::parse(state).ok()?;
    memo.read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&state)
        .cloned()
}

/// The wire form of a case, its expected effect computed with the latest conflicts seen.
fn to_wire(memo: &ConflictMemo, case: &StoredCase, w: &Withdrawal) -> pb::Withdrawal {
    wire::case(case, w, latest(memo, &case.state).as_deref())
}

fn rebuild(case: &StoredCase) -> Result<Withdrawal, ApprovalsError> {
    case.rebuild()
        .map_err(|e| ApprovalsError::Corrupt(format!("case {} cannot be replayed: {e}", case.id)))
}

fn storage(e: sled::Error) -> ApprovalsError {
    ApprovalsError::Storage(LedgerError::from(e))
}

/// The approvals service's storage.
#[derive(Clone, Debug)]
pub struct ApprovalsStore {
    ledger: Ledger,
    conflicts: ConflictMemo,
}

impl ApprovalsStore {
    /// Opens (or creates) the store; `config.trees` is replaced by the service's trees.
    pub fn open(config: LedgerConfig) -> Result<Self, LedgerError> {
        Ok(Self {
            ledger: Ledger::open(config.with_trees(&TREES))?,
            conflicts: ConflictMemo::default(),
        })
    }

    /// The service's journal.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Notes the armed conflicts the registry now records for `state`.
    pub fn note_conflicts(&self, state: StateCode, conflicts: Vec<ConflictPeriod>) {
        self.conflicts
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(state, conflicts);
    }

    /// The wire form of a case, its expected effect computed with the latest armed conflicts
    /// seen for its state.
    pub fn to_wire(&self, case: &StoredCase, w: &Withdrawal) -> pb::Withdrawal {
        to_wire(&self.conflicts, case, w)
    }

    /// The stored case `id` and its domain form, or NOT_FOUND.
    pub fn load(&self, id: &CaseId) -> Result<(StoredCase, Withdrawal), ApprovalsError> {
        let case = CASES
            .get(&self.ledger, id.to_string().as_bytes())?
            .ok_or_else(|| ApprovalsError::CaseNotFound {
                case_id: id.to_string(),
            })?;
        let domain = rebuild(&case)?;
        Ok((case, domain))
    }

    /// The id of the state's open case for the treaty, if it has one.
    pub fn open_case_of(
        &self,
        treaty: &TreatyId,
        state: StateCode,
    ) -> Result<Option<String>, ApprovalsError> {
        let v = self
            .ledger
            .tree(OPEN_CASES)
            .get(pair_key(&[treaty.as_str(), state.as_str()]))
            .map_err(storage)?;
        Ok(v.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// One page of the cases a listing asks for, in id order, and whether more may follow.
    pub fn list(
        &self,
        q: &ListWithdrawals,
    ) -> Result<(Vec<(StoredCase, Withdrawal)>, bool), ApprovalsError> {
        let filter = &q.filter;
        let prefix = filter
            .treaty
            .as_ref()
            .map(|t| format!("{t}-").into_bytes())
            .unwrap_or_default();
        let after = q.page.after.as_ref().map(|id| id.to_string().into_bytes());
        let start = after.clone().unwrap_or_default();
        let mut out = Vec::new();
        for item in CASES.scan(&self.ledger, &prefix, &start) {
            let (key, case) = item?;
            if after.as_deref() == Some(key.as_ref()) {
                continue;
            }
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
            if out.len() == q.page.size {
                return Ok((out, true));
            }
            out.push((case, domain));
        }
        Ok((out, false))
    }

    /// The cases awaiting their effect (notified or deferred).
    pub fn pending(&self) -> Result<Vec<CaseId>, ApprovalsError> {
        self.ledger
            .tree(PENDING)
            .iter()
            .keys()
            .map(|k| {
                let k = k.map_err(storage)?;
                let id = String::from_utf8_lossy(&k);
                CaseId::parse(&id).map_err(|e| {
                    ApprovalsError::Corrupt(format!("the pending index names {id:?}: {e}"))
                })
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
