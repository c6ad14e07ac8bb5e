//! Armed-conflict periods per state.

use treaty_domain::ConflictPeriod;
use treaty_ledger::{Once, Subject};
use treaty_proto::Violations;
use treaty_proto::registry as pb;
use treaty_runtime::Caller;

use super::{RegistryStore, refuse, txn_conflicts};
use crate::error::RegistryError;
use crate::journal::{self, Entry, Kind};
use crate::request::{EndConflict, RecordConflict};
use crate::stored::{CONFLICTS, StoredConflict, conflict_name};
use crate::wire;

impl RegistryStore {
    /// Records a conflict under the state's next id ("1", "2", ...).
    pub async fn record_conflict(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: RecordConflict,
    ) -> Result<pb::RecordArmedConflictResponse, RegistryError> {
        let caller = caller.clone();
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let code = cmd.state.as_str();
            let mut all = txn_conflicts(txn, cmd.state)?;
            let id = u32::try_from(all.conflicts.len() + 1)
                .or_else(|_| refuse(RegistryError::Corrupt("too many conflicts".into())))?;
            let conflict = StoredConflict {
                id,
                description: cmd.description.clone(),
                began_on: cmd.began_on,
                ended_on: None,
                sources: cmd.sources.clone(),
                end_sources: Vec::new(),
            };
            all.conflicts.push(conflict.clone());
            CONFLICTS.write(txn, code.as_bytes(), &all)?;
            journal::append(
                txn,
                &caller,
                Entry {
                    kind: Kind::ArmedConflictRecorded.as_str(),
                    subject: Subject::of(Some(code), None, None),
                    occurred_on: Some(conflict.began_on),
                    sources: &conflict.sources,
                    event: &journal::ArmedConflictChanged {
                        state: code,
                        conflict: &conflict,
                    },
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
        caller: &Caller,
        once: Option<&Once>,
        cmd: EndConflict,
    ) -> Result<pb::EndArmedConflictResponse, RegistryError> {
        let caller = caller.clone();
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let code = cmd.state.as_str();
            let mut all = txn_conflicts(txn, cmd.state)?;
            let index = usize::try_from(cmd.id - 1).unwrap_or(usize::MAX);
            let Some(conflict) = all.conflicts.get_mut(index) else {
                return refuse(RegistryError::ConflictNotFound {
                    state: code.to_owned(),
                    conflict_id: cmd.id.to_string(),
                });
            };
            if let Some(ended_on) = conflict.ended_on {
                return refuse(RegistryError::ConflictAlreadyEnded {
                    state: code.to_owned(),
                    conflict_id: cmd.id,
                    ended_on,
                });
            }
            let name = conflict_name(code, cmd.id);
            if let Err(e) = ConflictPeriod::new(name, conflict.began_on, Some(cmd.ended_on)) {
                return refuse(Violations::one("ended_on", e.to_string()).into());
            }
            conflict.ended_on = Some(cmd.ended_on);
            conflict.end_sources = cmd.sources.clone();
            let conflict = conflict.clone();
            CONFLICTS.write(txn, code.as_bytes(), &all)?;
            journal::append(
                txn,
                &caller,
                Entry {
                    kind: Kind::ArmedConflictEnded.as_str(),
                    subject: Subject::of(Some(code), None, None),
                    occurred_on: Some(cmd.ended_on),
                    sources: &cmd.sources,
                    event: &journal::ArmedConflictChanged {
                        state: code,
                        conflict: &conflict,
                    },
                },
            );
            Ok(pb::EndArmedConflictResponse {
                conflict: Some(wire::conflict(code, &conflict)),
            })
        })
        .await
    }
}
