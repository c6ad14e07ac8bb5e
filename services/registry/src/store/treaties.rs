//! Treaties and states' approval procedures.

use treaty_domain::StateCode;
use treaty_ledger::Abort;
use treaty_proto::registry as pb;

use super::{
    Change, Entry, PROCEDURES, RegistryStore, TREATIES, journal, storage, txn_get, txn_put,
};
use crate::error::RegistryError;
use crate::events;
use crate::stored::{self, StoredProcedure, StoredTreaty};
use crate::validate::Page;
use crate::wire;

impl RegistryStore {
    /// Registers a treaty; ALREADY_EXISTS when its id is taken.
    pub async fn create_treaty(
        &self,
        change: &Change,
        treaty: StoredTreaty,
    ) -> Result<pb::CreateTreatyResponse, RegistryError> {
        self.mutate("CreateTreaty", change, move |txn, actor| {
            let id = treaty.id.as_str();
            if txn.tree(TREATIES).get(id.as_bytes())?.is_some() {
                return Err(Abort::Rejected(RegistryError::TreatyExists {
                    treaty: id.to_owned(),
                }));
            }
            txn_put(txn, TREATIES, id.as_bytes(), &treaty)?;
            journal(
                txn,
                actor,
                Entry {
                    kind: events::TREATY_CREATED,
                    state: None,
                    treaty: Some(id),
                    case: None,
                    occurred_on: None,
                    sources: &treaty.sources,
                    payload: events::payload(&events::TreatyCreated { treaty: &treaty }),
                },
            );
            Ok(pb::CreateTreatyResponse {
                treaty: Some(wire::treaty(&treaty)),
            })
        })
        .await
    }

    /// A page of treaties by id, and whether more follow.
    pub fn list_treaties(&self, page: &Page) -> Result<(Vec<StoredTreaty>, bool), RegistryError> {
        let tree = self.ledger.tree(TREATIES);
        let items = match &page.after {
            None => tree.range::<&[u8], _>(..),
            Some(after) => {
                let mut start = after.as_bytes().to_vec();
                start.push(0);
                tree.range(start..)
            }
        };
        let mut out = Vec::new();
        for item in items {
            let (_, v) = item.map_err(storage)?;
            if out.len() == page.size {
                return Ok((out, true));
            }
            out.push(stored::decode(TREATIES, &v)?);
        }
        Ok((out, false))
    }

    /// A state's recorded approval procedure, if any.
    pub fn procedure(&self, state: StateCode) -> Result<Option<StoredProcedure>, RegistryError> {
        self.get(PROCEDURES, state.as_str().as_bytes())
    }

    /// Sets a state's approval procedure.
    pub async fn set_procedure(
        &self,
        change: &Change,
        state: StateCode,
        procedure: StoredProcedure,
    ) -> Result<pb::SetApprovalProcedureResponse, RegistryError> {
        self.mutate("SetApprovalProcedure", change, move |txn, actor| {
            let code = state.as_str();
            let before: Option<StoredProcedure> = txn_get(txn, PROCEDURES, code.as_bytes())?;
            txn_put(txn, PROCEDURES, code.as_bytes(), &procedure)?;
            journal(
                txn,
                actor,
                Entry {
                    kind: events::APPROVAL_PROCEDURE_SET,
                    state: Some(code),
                    treaty: None,
                    case: None,
                    occurred_on: None,
                    sources: &procedure.sources,
                    payload: events::payload(&events::ApprovalProcedureSet {
                        state: code,
                        procedure: &procedure,
                        replaced: before.is_some(),
                    }),
                },
            );
            Ok(pb::SetApprovalProcedureResponse {
                state: Some(wire::state(state, Some(&procedure))),
            })
        })
        .await
    }
}
