//! Armed-conflict periods per state.

use jiff::civil::Date;
use treaty_domain::{ConflictPeriod, StateCode};
use treaty_ledger::Abort;
use treaty_proto::registry as pb;
use treaty_proto::wire::Violations;

use super::{CONFLICTS, Change, Entry, RegistryStore, journal, txn_conflicts, txn_put};
use crate::error::RegistryError;
use crate::events;
use crate::stored::{StoredConflict, conflict_name};
use crate::wire;

/// A validated `EndArmedConflict`.
#[derive(Clone, Debug)]
pub struct ConflictEnd {
    /// The state.
    pub state: StateCode,
    /// The conflict's id.
    pub id: u32,
    /// The last day of the conflict.
    pub ended_on: Date,
    /// Sources.
    pub sources: Vec<String>,
}

impl RegistryStore {
    /// Records a conflict under the state's next id ("1", "2", ...).
    pub async fn record_conflict(
        &self,
        change: &Change,
        state: StateCode,
        conflict: StoredConflict,
    ) -> Result<pb::RecordArmedConflictResponse, RegistryError> {
        self.mutate("RecordArmedConflict", change, move |txn, actor| {
            let code = state.as_str();
            let mut all = txn_conflicts(txn, state)?;
            let id = u32::try_from(all.conflicts.len() + 1).map_err(|_| {
                Abort::Rejected(RegistryError::Corrupt("too many conflicts".into()))
            })?;
            let conflict = StoredConflict {
                id,
                ..conflict.clone()
            };
            all.conflicts.push(conflict.clone());
            txn_put(txn, CONFLICTS, code.as_bytes(), &all)?;
            journal(
                txn,
                actor,
                Entry {
                    kind: events::ARMED_CONFLICT_RECORDED,
                    state: Some(code),
                    treaty: None,
                    case: None,
                    occurred_on: Some(conflict.began_on),
                    sources: &conflict.sources,
                    payload: events::payload(&events::ArmedConflictChanged {
                        state: code,
                        conflict: &conflict,
                    }),
                },
            );
            Ok(pb::RecordArmedConflictResponse {
                conflict: Some(wire::conflict(code, &conflict)),
            })
        })
        .await
    }

    /// Records the end of a conflict: not before it began, and only once.
    pub async fn end_conflict(
        &self,
        change: &Change,
        end: ConflictEnd,
    ) -> Result<pb::EndArmedConflictResponse, RegistryError> {
        self.mutate("EndArmedConflict", change, move |txn, actor| {
            let code = end.state.as_str();
            let mut all = txn_conflicts(txn, end.state)?;
            let index = usize::try_from(end.id - 1).unwrap_or(usize::MAX);
            let Some(conflict) = all.conflicts.get_mut(index) else {
                return Err(Abort::Rejected(RegistryError::ConflictNotFound {
                    state: code.to_owned(),
                    conflict_id: end.id.to_string(),
                }));
            };
            if let Some(ended_on) = conflict.ended_on {
                return Err(Abort::Rejected(RegistryError::ConflictAlreadyEnded {
                    state: code.to_owned(),
                    conflict_id: end.id,
                    ended_on,
                }));
            }
            let name = conflict_name(code, end.id);
            ConflictPeriod::new(name, conflict.began_on, Some(end.ended_on)).map_err(|e| {
                Abort::Rejected(RegistryError::InvalidArgument(Violations::one(
                    "ended_on",
                    e.to_string(),
                )))
            })?;
            conflict.ended_on = Some(end.ended_on);
            conflict.end_sources = end.sources.clone();
            let conflict = conflict.clone();
            txn_put(txn, CONFLICTS, code.as_bytes(), &all)?;
            journal(
                txn,
                actor,
                Entry {
                    kind: events::ARMED_CONFLICT_ENDED,
                    state: Some(code),
                    treaty: None,
                    case: None,
                    occurred_on: Some(end.ended_on),
                    sources: &end.sources,
                    payload: events::payload(&events::ArmedConflictChanged {
                        state: code,
                        conflict: &conflict,
                    }),
                },
            );
            Ok(pb::EndArmedConflictResponse {
                conflict: Some(wire::conflict(code, &conflict)),
            })
        })
        .await
    }
}
