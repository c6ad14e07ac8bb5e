//! Recording one step on a case, in one commit.

use jiff::Timestamp;
use treaty_domain::{CaseId, ConflictPeriod, Step};
use treaty_ledger::Once;
use treaty_proto::approvals as pb;

use super::open::case_event;
use super::{ApprovalsStore, rebuild, refuse, to_wire};
use crate::error::ApprovalsError;
use crate::journal::{self, Kind};
use crate::stored::{CASES, OPEN_CASES, PENDING, StoredEvent, StoredStep, pair_key};

/// A step to record: the domain step, who records it, when and why, and the armed conflicts
/// the registry holds for the state now (kept with a deposit).
#[derive(Clone, Debug)]
pub struct NewStep {
    pub step: Step,
    pub recorded_at: Timestamp,
    pub actor: String,
    pub detail: String,
    pub sources: Vec<String>,
    pub known_conflicts: Vec<ConflictPeriod>,
}

impl ApprovalsStore {
    /// Records `new` on case `case` in one commit: the domain applies it to the case replayed
    /// from its stored steps (refused with `Refused`, naming `field` for bad values), the
    /// stored step is built from the domain's verdict, the case and its indexes are written,
    /// one journal entry is appended, and `answer(case)` is the answer.
    pub async fn record_step<M, F>(
        &self,
        once: Option<&Once>,
        case: CaseId,
        new: NewStep,
        field: &'static str,
        answer: F,
    ) -> Result<M, ApprovalsError>
    where
        M: prost::Message + Default + Send + 'static,
        F: Fn(pb::Withdrawal) -> M + Send + Sync + 'static,
    {
        let memo = self.conflicts.clone();
        let id = case.to_string();
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let Some(mut case) = CASES.read(txn, id.as_bytes())? else {
                return refuse(ApprovalsError::CaseNotFound {
                    case_id: id.clone(),
                });
            };
            let before = rebuild(&case).or_else(refuse)?;
            let after = before.apply(&new.step).or_else(|error| {
                refuse(ApprovalsError::Refused {
                    case_id: id.clone(),
                    field,
                    error,
                })
            })?;
            let step = StoredStep {
                event: StoredEvent::from_domain(&new.step, &before, &new.known_conflicts),
                recorded_at: new.recorded_at,
                actor: new.actor.clone(),
                detail: new.detail.clone(),
                sources: new.sources.clone(),
            };
            case.steps.push(step.clone());
            let status = after.status();
            if status.is_final() {
                let open_key = pair_key(&[&case.treaty, &case.state]);
                if txn.tree(OPEN_CASES).get(&open_key)?.as_deref() == Some(case.id.as_bytes()) {
                    txn.tree(OPEN_CASES).remove(open_key)?;
                }
            }
            if status.awaits_effect() {
                txn.tree(PENDING).insert(case.id.as_bytes(), &[])?;
            } else {
                txn.tree(PENDING).remove(case.id.as_bytes())?;
            }
            CASES.write(txn, case.id.as_bytes(), &case)?;
            let event = case_event(&case, &after, Some(&step), false, &memo);
            txn.append(journal::case_entry(
                Kind::of(&step.event),
                &event,
                &step.actor,
                step.event.on(),
                step.sources.clone(),
            ));
            Ok(answer(to_wire(&memo, &case, &after)))
        })
        .await
    }
}
