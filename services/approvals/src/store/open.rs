//! Opening cases, alone or by a joint statement, all in one commit.

use std::sync::Arc;

use jiff::civil::Date;
use treaty_domain::{
    ApprovalProcedure, CaseId, StateCode, Step, TreatyId, Withdrawal, WithdrawalClause,
};
use treaty_ledger::{Once, Txn};

use super::{ApprovalsStore, ConflictMemo, Step as Outcome, latest, refuse, to_wire};
use crate::error::ApprovalsError;
use crate::journal::{self, CaseEvent, Kind};
use crate::stored::{
    CASES, OPEN_CASES, ORDINALS, STATEMENTS, StoredCase, StoredClause, StoredEvent, StoredOpening,
    StoredProcedure, StoredStatement, StoredStep, pair_key,
};
use treaty_proto::approvals as pb;

/// A case to open: the procedure and clause taken from the registry, who opens it, and the
/// recommendation that opens it, if there is one.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub treaty: TreatyId,
    pub state: StateCode,
    pub procedure: ApprovalProcedure,
    pub clause: WithdrawalClause,
    pub opening: StoredOpening,
    /// The recommendation's date; `None` for a case opened without one.
    pub recommended_on: Option<Date>,
}

/// A joint statement to record with the cases it opens.
#[derive(Clone, Debug)]
pub struct NewStatement {
    pub treaty: TreatyId,
    pub issued_on: Date,
    pub text: String,
    pub actor: String,
    pub sources: Vec<String>,
}

fn next_ordinal(txn: &Txn<'_>, key: &[u8]) -> Outcome<u32> {
    let last = match txn.tree(ORDINALS).get(key)? {
        None => 0,
        Some(v) => match <[u8; 4]>::try_from(v.as_ref()) {
            Ok(bytes) => u32::from_be_bytes(bytes),
            Err(_) => return refuse(ApprovalsError::Corrupt("an ordinal is unreadable".into())),
        },
    };
    let next = last + 1;
    txn.tree(ORDINALS).insert(key, &next.to_be_bytes())?;
    Ok(next)
}

/// The journal payload describing `case` as it stands (`after`) after `step`.
pub(super) fn case_event(
    case: &StoredCase,
    after: &Withdrawal,
    step: Option<&StoredStep>,
    opening: bool,
    memo: &ConflictMemo,
) -> CaseEvent {
    let notice = after.notice();
    CaseEvent {
        case_id: case.id.clone(),
        treaty: case.treaty.clone(),
        state: case.state.clone(),
        status: after.status().as_str().to_owned(),
        step: step.cloned(),
        opened: opening.then(|| case.opened.clone()),
        joint_statement: case.joint_statement.clone(),
        approved_on: after.parliament_approved_on(),
        received_on: notice.map(|n| n.received_on),
        reasons: notice.map(|n| n.reasons.clone()),
        expires_on: notice.map(|n| n.expiry),
        effective_on: after.expected_effective_on(
            latest(memo, &case.state).as_deref(),
            &case.conflicts_at_deposit(),
        ),
    }
}

impl ApprovalsStore {
    /// Opens `cases` (and records `statement`, if given) in one commit, all or nothing: one
    /// journal entry for the statement and one per case. Refused with `CaseAlreadyOpen` if any
    /// state already has an open case for the treaty. `answer` builds the response from the
    /// statement id and the opened cases.
    pub async fn open_cases<M, F>(
        &self,
        once: Option<&Once>,
        statement: Option<NewStatement>,
        cases: Vec<NewCase>,
        answer: F,
    ) -> Result<M, ApprovalsError>
    where
        M: prost::Message + Default + Send + 'static,
        F: Fn(Option<String>, Vec<pb::Withdrawal>) -> M + Send + Sync + 'static,
    {
        let cases = Arc::new(cases);
        let memo = self.conflicts.clone();
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            for new in cases.iter() {
                let open_key = pair_key(&[new.treaty.as_str(), new.state.as_str()]);
                if let Some(id) = txn.tree(OPEN_CASES).get(open_key)? {
                    return refuse(ApprovalsError::CaseAlreadyOpen {
                        treaty: new.treaty.to_string(),
                        state: new.state.to_string(),
                        case_id: String::from_utf8_lossy(&id).into_owned(),
                    });
                }
            }
            let statement_id = match &statement {
                None => None,
                Some(s) => {
                    let day = s.issued_on.to_string();
                    let n = next_ordinal(txn, &pair_key(&["s", s.treaty.as_str(), &day]))?;
                    Some(format!("{}-{day}-{n}", s.treaty))
                }
            };
            let mut opened = Vec::with_capacity(cases.len());
            for new in cases.iter() {
                let (treaty, state) = (new.treaty.as_str(), new.state.as_str());
                let n = next_ordinal(txn, &pair_key(&["c", treaty, state]))?;
                let id = match CaseId::new(new.treaty.clone(), new.state, n) {
                    Ok(id) => id,
                    Err(e) => {
                        return refuse(ApprovalsError::Corrupt(format!(
                            "a case id could not be made: {e}"
                        )));
                    }
                };
                let empty = match Withdrawal::open(id.clone(), new.procedure.clone(), new.clause) {
                    Ok(case) => case,
                    Err(error) => {
                        return refuse(ApprovalsError::InvalidProcedure {
                            state: state.to_owned(),
                            error,
                        });
                    }
                };
                let mut case = StoredCase {
                    id: id.to_string(),
                    treaty: treaty.to_owned(),
                    state: state.to_owned(),
                    procedure: StoredProcedure::from_domain(&new.procedure),
                    clause: StoredClause::from_domain(new.clause),
                    joint_statement: statement_id.clone(),
                    opened: new.opening.clone(),
                    steps: Vec::new(),
                };
                let after = match new.recommended_on {
                    None => empty,
                    Some(on) => {
                        let step = Step::Recommended { on: Some(on) };
                        let after = empty.apply(&step).or_else(|error| {
                            refuse(ApprovalsError::Refused {
                                case_id: case.id.clone(),
                                field: "recommended_on",
                                error,
                            })
                        })?;
                        case.steps.push(StoredStep {
                            event: StoredEvent::from_domain(&step, &empty, &[]),
                            recorded_at: new.opening.recorded_at,
                            actor: new.opening.actor.clone(),
                            detail: new.opening.detail.clone(),
                            sources: new.opening.sources.clone(),
                        });
                        after
                    }
                };
                CASES.write(txn, case.id.as_bytes(), &case)?;
                txn.tree(OPEN_CASES)
                    .insert(pair_key(&[treaty, state]), case.id.as_bytes())?;
                opened.push((case, after));
            }
            if let (Some(s), Some(id)) = (&statement, &statement_id) {
                let stored = StoredStatement {
                    id: id.clone(),
                    treaty: s.treaty.to_string(),
                    states: opened.iter().map(|(c, _)| c.state.clone()).collect(),
                    issued_on: s.issued_on,
                    text: s.text.clone(),
                    cases: opened.iter().map(|(c, _)| c.id.clone()).collect(),
                };
                STATEMENTS.write(txn, id.as_bytes(), &stored)?;
                txn.append(journal::statement_entry(
                    &stored,
                    &s.actor,
                    s.sources.clone(),
                ));
            }
            for (case, after) in &opened {
                let step = case.steps.last();
                let event = case_event(case, after, step, true, &memo);
                let (actor, on, sources) = match step {
                    Some(step) => (&step.actor, step.event.on(), &step.sources),
                    None => (&case.opened.actor, None, &case.opened.sources),
                };
                txn.append(journal::case_entry(
                    Kind::WithdrawalOpened,
                    &event,
                    actor,
                    on,
                    sources.clone(),
                ));
            }
            let wire = opened
                .iter()
                .map(|(case, after)| to_wire(&memo, case, after))
                .collect();
            Ok(answer(statement_id.clone(), wire))
        })
        .await
    }
}
