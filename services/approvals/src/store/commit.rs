//! The store's two commits: opening cases (with a joint statement) and recording a step.
//! Each reads what it needs inside the transaction, lets the domain decide, writes the
//! case and its indexes, appends exactly one journal entry per state change and remembers
//! the answer under the request id.

use std::sync::Arc;

use prost::Message;
use treaty_domain::{CaseId, Threshold, Withdrawal, WithdrawalStatus};
use treaty_ledger::{Abort, CommitError, NewRecord, Subject, Txn};
use treaty_proto::approvals as pb;

use super::{
    ApprovalsStore, CASES, ConflictMemo, NewCase, NewStatement, OPEN_CASES, ORDINALS, PENDING,
    STATEMENTS, decode_case, encode, latest, pair_key, rebuild, wire,
};
use crate::convert;
use crate::error::ApprovalsError;
use crate::model::{
    CaseEvent, Day, FORMAT, StoredCase, StoredEvent, StoredStatement, StoredStep, StoredTally,
    kinds,
};

type Rejected<T> = Result<T, Abort<ApprovalsError>>;

fn reject<T>(e: ApprovalsError) -> Rejected<T> {
    Err(Abort::Rejected(e))
}

fn recall<M: Message + Default>(txn: &Txn<'_>, key: Option<&[u8]>) -> Rejected<Option<M>> {
    let Some(key) = key else { return Ok(None) };
    match txn.recall(key)? {
        None => Ok(None),
        Some(bytes) => M::decode(bytes.as_ref()).map(Some).or_else(|e| {
            reject(ApprovalsError::Corrupt(format!(
                "a remembered answer is unreadable: {e}"
            )))
        }),
    }
}

fn remember<M: Message>(txn: &Txn<'_>, key: Option<&[u8]>, answer: &M) -> Rejected<()> {
    if let Some(key) = key {
        txn.remember(key, &answer.encode_to_vec())?;
    }
    Ok(())
}

fn next_ordinal(txn: &Txn<'_>, key: &[u8]) -> Rejected<u32> {
    let last = match txn.tree(ORDINALS).get(key)? {
        None => 0,
        Some(v) => u32::from_be_bytes(
            v.as_ref()
                .try_into()
                .or_else(|_| reject(ApprovalsError::Corrupt("an ordinal is unreadable".into())))?,
        ),
    };
    let next = last + 1;
    txn.tree(ORDINALS).insert(key, &next.to_be_bytes())?;
    Ok(next)
}

/// Fills in whether a chamber vote met the chamber's threshold.
fn settle_vote(event: &mut StoredEvent, case: &Withdrawal) {
    if let StoredEvent::ChamberVoted {
        chamber,
        tally,
        passed,
        ..
    } = event
    {
        let procedure = case.procedure();
        let threshold = procedure
            .position(chamber)
            .map_or(Threshold::SimpleMajority, |i| {
                procedure.chambers[i].threshold
            });
        *passed = match *tally {
            StoredTally::Counted { yes, no, .. } => threshold.is_met_by(yes, no),
            StoredTally::Reported { passed } => passed,
        };
    }
}

/// Whether a journal entry opens its case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    /// The case is opened (with its recommendation, if `step` is given).
    Opening,
    /// A step of an open case.
    Step,
}

/// The journal entry recording `step` of `case` (already applied, giving `after`), or its
/// opening.
fn case_record(
    case: &StoredCase,
    after: &Withdrawal,
    step: Option<&StoredStep>,
    entry: Entry,
    memo: &ConflictMemo,
) -> NewRecord {
    let notice = after.notice();
    let opening = (entry == Entry::Opening).then(|| case.opened.clone());
    let kind = match (entry, step) {
        (Entry::Opening, _) | (Entry::Step, None) => kinds::WITHDRAWAL_OPENED,
        (Entry::Step, Some(step)) => step.event.journal_kind(),
    };
    let (actor, occurred_on, sources) = match step {
        Some(step) => (&step.actor, step.event.on(), &step.sources),
        None => (&case.opened.actor, None, &case.opened.sources),
    };
    let event = CaseEvent {
        format: FORMAT,
        case_id: case.id.clone(),
        treaty: case.treaty.clone(),
        state: case.state.clone(),
        status: after.status().as_str().to_owned(),
        step: step.cloned(),
        opened: opening,
        joint_statement: case.joint_statement.clone(),
        approved_on: after.parliament_approved_on().map(Day),
        received_on: notice.map(|n| Day(n.received_on)),
        reasons: notice.map(|n| n.reasons.clone()),
        expires_on: notice.map(|n| Day(n.expiry)),
        effective_on: convert::effective_on(case, after, latest(memo, &case.state).as_deref())
            .map(Day),
    };
    NewRecord {
        kind: kind.to_owned(),
        subject: Subject {
            state: Some(case.state.clone()),
            treaty: Some(case.treaty.clone()),
            case: Some(case.id.clone()),
        },
        actor: actor.clone(),
        occurred_on,
        sources: sources.clone(),
        payload: encode(&event),
        origin: None,
    }
}

fn commit_error(e: CommitError<ApprovalsError>) -> ApprovalsError {
    match e {
        CommitError::Rejected(e) => e,
        CommitError::Storage(e) => ApprovalsError::Storage(e),
    }
}

impl ApprovalsStore {
    /// Opens `cases` (and records `statement`, if given) in one commit, all or nothing:
    /// one journal entry for the statement and one per case. Refused with
    /// `CaseAlreadyOpen` if any state already has an open case for the treaty.
    ///
    /// `answer` builds the response from the statement id and the opened cases; it is
    /// remembered under `key`, and a repeat of `key` returns it without changing anything.
    pub async fn open_cases<M, F>(
        &self,
        key: Option<Vec<u8>>,
        statement: Option<NewStatement>,
        cases: Vec<NewCase>,
        answer: F,
    ) -> Result<M, ApprovalsError>
    where
        M: Message + Default + Send + 'static,
        F: Fn(Option<String>, Vec<pb::Withdrawal>) -> M + Send + Sync + 'static,
    {
        let cases = Arc::new(cases);
        let memo = self.conflicts.clone();
        self.ledger
            .commit(move |txn| {
                if let Some(first) = recall::<M>(txn, key.as_deref())? {
                    return Ok(first);
                }
                for new in cases.iter() {
                    let open_key = pair_key(&[new.treaty.as_str(), new.state.as_str()]);
                    if let Some(id) = txn.tree(OPEN_CASES).get(open_key)? {
                        return reject(ApprovalsError::CaseAlreadyOpen {
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
                    let id = CaseId::new(new.treaty.clone(), new.state, n).or_else(|e| {
                        reject(ApprovalsError::Corrupt(format!(
                            "a case id could not be made: {e}"
                        )))
                    })?;
                    let case = StoredCase {
                        format: FORMAT,
                        id: id.to_string(),
                        treaty: treaty.to_owned(),
                        state: state.to_owned(),
                        procedure: new.procedure.clone(),
                        clause: new.clause,
                        joint_statement: statement_id.clone(),
                        opened: new.opening.clone(),
                        steps: Vec::new(),
                    };
                    let empty =
                        Withdrawal::open(id, case.procedure.to_domain(), case.clause.to_domain())
                            .or_else(|error| {
                            reject(ApprovalsError::InvalidProcedure {
                                state: state.to_owned(),
                                error,
                            })
                        })?;
                    let mut case = case;
                    let after = match &new.step {
                        None => empty,
                        Some(step) => {
                            let after = empty.apply(&step.event.to_domain()).or_else(|error| {
                                reject(ApprovalsError::Refused {
                                    case_id: case.id.clone(),
                                    field: "recommended_on",
                                    error,
                                })
                            })?;
                            case.steps.push(step.clone());
                            after
                        }
                    };
                    txn.tree(CASES).insert(case.id.as_bytes(), encode(&case))?;
                    txn.tree(OPEN_CASES)
                        .insert(pair_key(&[treaty, state]), case.id.as_bytes())?;
                    opened.push((case, after));
                }
                if let (Some(s), Some(id)) = (&statement, &statement_id) {
                    let stored = StoredStatement {
                        format: FORMAT,
                        id: id.clone(),
                        treaty: s.treaty.to_string(),
                        states: opened.iter().map(|(c, _)| c.state.clone()).collect(),
                        issued_on: Day(s.issued_on),
                        text: s.text.clone(),
                        cases: opened.iter().map(|(c, _)| c.id.clone()).collect(),
                    };
                    txn.tree(STATEMENTS)
                        .insert(id.as_bytes(), encode(&stored))?;
                    txn.append(NewRecord {
                        kind: kinds::JOINT_STATEMENT_ISSUED.to_owned(),
                        subject: Subject {
                            state: None,
                            treaty: Some(s.treaty.to_string()),
                            case: None,
                        },
                        actor: s.actor.clone(),
                        occurred_on: Some(s.issued_on),
                        sources: s.sources.clone(),
                        payload: encode(&stored),
                        origin: None,
                    });
                }
                for (case, after) in &opened {
                    txn.append(case_record(
                        case,
                        after,
                        case.steps.last(),
                        Entry::Opening,
                        &memo,
                    ));
                }
                let wire = opened
                    .iter()
                    .map(|(case, after)| wire(&memo, case, after))
                    .collect();
                let response = answer(statement_id.clone(), wire);
                remember(txn, key.as_deref(), &response)?;
                Ok(response)
            })
            .await
            .map_err(commit_error)
    }

    /// Records `step` on case `case_id` in one commit: the domain applies it to the case
    /// replayed from its stored steps (refused with `Refused`, naming `field` for bad
    /// values), the case and its indexes are written, one journal entry is appended, and
    /// `answer(case)` is remembered under `key`.
    pub async fn record_step<M, F>(
        &self,
        key: Option<Vec<u8>>,
        case_id: String,
        step: StoredStep,
        field: &'static str,
        answer: F,
    ) -> Result<M, ApprovalsError>
    where
        M: Message + Default + Send + 'static,
        F: Fn(pb::Withdrawal) -> M + Send + Sync + 'static,
    {
        let memo = self.conflicts.clone();
        self.ledger
            .commit(move |txn| {
                if let Some(first) = recall::<M>(txn, key.as_deref())? {
                    return Ok(first);
                }
                let Some(bytes) = txn.tree(CASES).get(case_id.as_bytes())? else {
                    return reject(ApprovalsError::CaseNotFound {
                        case_id: case_id.clone(),
                    });
                };
                let mut case = decode_case(&bytes).or_else(reject)?;
                let before = rebuild(&case).or_else(reject)?;
                let mut step = step.clone();
                settle_vote(&mut step.event, &before);
                let after = before.apply(&step.event.to_domain()).or_else(|error| {
                    reject(ApprovalsError::Refused {
                        case_id: case_id.clone(),
                        field,
                        error,
                    })
                })?;
                case.steps.push(step.clone());
                let status = after.status();
                if status.is_final() {
                    let open_key = pair_key(&[&case.treaty, &case.state]);
                    if txn.tree(OPEN_CASES).get(&open_key)?.as_deref() == Some(case.id.as_bytes()) {
                        txn.tree(OPEN_CASES).remove(open_key)?;
                    }
                }
                match status {
                    WithdrawalStatus::Notified | WithdrawalStatus::Deferred => {
                        txn.tree(PENDING).insert(case.id.as_bytes(), &[])?;
                    }
                    _ => {
                        txn.tree(PENDING).remove(case.id.as_bytes())?;
                    }
                }
                txn.tree(CASES).insert(case.id.as_bytes(), encode(&case))?;
                txn.append(case_record(&case, &after, Some(&step), Entry::Step, &memo));
                let response = answer(wire(&memo, &case, &after));
                remember(txn, key.as_deref(), &response)?;
                Ok(response)
            })
            .await
            .map_err(commit_error)
    }
}
