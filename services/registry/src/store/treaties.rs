//! Treaties and states' approval procedures.

use treaty_domain::{StateCode, TreatyId};
use treaty_ledger::{Once, Subject};
use treaty_proto::registry as pb;
use treaty_runtime::Caller;

use super::{RegistryStore, refuse};
use crate::error::RegistryError;
use crate::journal::{self, Entry, Kind};
use crate::request::{CreateTreaty, Paged, SetProcedure};
use crate::stored::{PROCEDURES, StoredClause, StoredProcedure, StoredTreaty, TREATIES};
use crate::wire;

impl RegistryStore {
    /// Registers a treaty; ALREADY_EXISTS when its id is taken.
    pub async fn create_treaty(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: CreateTreaty,
    ) -> Result<pb::CreateTreatyResponse, RegistryError> {
        let caller = caller.clone();
        let treaty = StoredTreaty {
            id: cmd.id.to_string(),
            title: cmd.title,
            short_title: cmd.short_title,
            depositary: cmd.depositary,
            in_force_on: cmd.in_force_on,
            entry_into_force_months: cmd.rules.entry_into_force.months_after_deposit,
            clause: StoredClause::from_domain(cmd.rules.withdrawal, cmd.article),
            sources: cmd.sources,
        };
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let key = treaty.id.as_bytes();
            if TREATIES.read::<RegistryError>(txn, key)?.is_some() {
                return refuse(RegistryError::TreatyExists {
                    treaty: treaty.id.clone(),
                });
            }
            TREATIES.write(txn, key, &treaty)?;
            journal::append(
                txn,
                &caller,
                Entry {
                    kind: Kind::TreatyCreated.as_str(),
                    subject: Subject::of(None, Some(&treaty.id), None),
                    occurred_on: None,
                    sources: &treaty.sources,
                    event: &journal::TreatyCreated { treaty: &treaty },
                },
            );
            Ok(pb::CreateTreatyResponse {
                treaty: Some(wire::treaty(&treaty)),
            })
        })
        .await
    }

    /// A page of treaties by id, and whether more follow.
    pub fn list_treaties(
        &self,
        page: &Paged<TreatyId>,
    ) -> Result<(Vec<StoredTreaty>, bool), RegistryError> {
        let mut start = page
            .after
            .as_ref()
            .map_or_else(Vec::new, |id| id.as_str().as_bytes().to_vec());
        if page.after.is_some() {
            start.push(0);
        }
        let mut out = Vec::new();
        for item in TREATIES.scan(&self.ledger, &[], &start) {
            let (_, treaty) = item?;
            if out.len() == page.size {
                return Ok((out, true));
            }
            out.push(treaty);
        }
        Ok((out, false))
    }

    /// A state's recorded approval procedure, if any.
    pub fn procedure(&self, state: StateCode) -> Result<Option<StoredProcedure>, RegistryError> {
        Ok(PROCEDURES.get(&self.ledger, state.as_str().as_bytes())?)
    }

    /// Sets a state's approval procedure.
    pub async fn set_procedure(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: SetProcedure,
    ) -> Result<pb::SetApprovalProcedureResponse, RegistryError> {
        let caller = caller.clone();
        let state = cmd.state;
        let procedure = StoredProcedure::from_domain(&cmd.procedure, cmd.sources);
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let code = state.as_str();
            let before = PROCEDURES.read::<RegistryError>(txn, code.as_bytes())?;
            PROCEDURES.write(txn, code.as_bytes(), &procedure)?;
            journal::append(
                txn,
                &caller,
                Entry {
                    kind: Kind::ApprovalProcedureSet.as_str(),
                    subject: Subject::of(Some(code), None, None),
                    occurred_on: None,
                    sources: &procedure.sources,
                    event: &journal::ApprovalProcedureSet {
                        state: code,
                        procedure: &procedure,
                        replaced: before.is_some(),
                    },
                },
            );
            Ok(pb::SetApprovalProcedureResponse {
                state: Some(wire::state(state, Some(&procedure))),
            })
        })
        .await
    }
}
