//! Conversions between the approvals API's messages and the stored and domain types, with
//! the validation that makes bad input a precise INVALID_ARGUMENT (one field violation per
//! wrong field, nothing changed).

use jiff::civil::Date;
use treaty_domain::{CaseId, StateCode, TreatyId, Withdrawal, WithdrawalStatus};
use treaty_proto::approvals as pb;
use treaty_proto::google::r#type::Date as WireDate;
use treaty_proto::wire::{self, Violations};

use crate::model::{
    Day, Instant, StoredCase, StoredConflict, StoredEvent, StoredStep, StoredTally,
};

/// The longest `request_id` accepted.
pub const MAX_REQUEST_ID: usize = 256;
/// The longest description or statement text accepted, in bytes.
pub const MAX_TEXT: usize = 8 * 1024;
/// The longest statement of reasons accepted, in bytes.
pub const MAX_REASONS: usize = 64 * 1024;
/// The most sources one step may carry.
pub const MAX_SOURCES: usize = 64;
/// The longest source accepted, in bytes.
pub const MAX_SOURCE: usize = 2048;
/// The most states one joint statement may name.
pub const MAX_STATES: usize = 200;

/// The idempotency key of a request: `<RpcName>/<request_id>`, or `None` for an empty id.
pub fn request_key(v: &mut Violations, rpc: &str, request_id: &str) -> Option<Vec<u8>> {
    if request_id.is_empty() {
        return None;
    }
    if request_id.len() > MAX_REQUEST_ID || request_id.chars().any(char::is_control) {
        v.add(
            "request_id",
            format!("at most {MAX_REQUEST_ID} printable characters, e.g. a UUID"),
        );
        return None;
    }
    Some(format!("{rpc}/{request_id}").into_bytes())
}

/// Reads a required treaty id.
pub fn treaty(v: &mut Violations, field: &str, value: &str) -> Option<TreatyId> {
    if value.trim().is_empty() {
        v.add(field, "required: the treaty id, e.g. apmbc");
        return None;
    }
    TreatyId::parse(value.trim())
        .map_err(|e| v.add(field, e.to_string()))
        .ok()
}

/// Reads a required state code (case and surrounding spaces do not matter).
pub fn state(v: &mut Violations, field: &str, value: &str) -> Option<StateCode> {
    if value.trim().is_empty() {
        v.add(field, "required: an ISO 3166-1 alpha-2 code, e.g. LT");
        return None;
    }
    StateCode::parse(value)
        .map_err(|e| v.add(field, e.to_string()))
        .ok()
}

/// Reads a required case id.
pub fn case_id(v: &mut Violations, field: &str, value: &str) -> Option<CaseId> {
    if value.trim().is_empty() {
        v.add(field, "required: the case id, e.g. apmbc-LT-1");
        return None;
    }
    CaseId::parse(value.trim())
        .map_err(|e| v.add(field, e.to_string()))
        .ok()
}

/// Checks an optional text's length and returns it trimmed.
pub fn text(v: &mut Violations, field: &str, value: &str, max: usize) -> String {
    if value.len() > max {
        v.add(field, format!("at most {max} bytes"));
    }
    value.trim().to_owned()
}

/// Checks a list of sources: at most [`MAX_SOURCES`], each non-blank and not too long.
pub fn sources(v: &mut Violations, field: &str, values: &[String]) -> Vec<String> {
    if values.len() > MAX_SOURCES {
        v.add(field, format!("at most {MAX_SOURCES} sources"));
    }
    for (i, s) in values.iter().enumerate() {
        if s.trim().is_empty() {
            v.add(
                format!("{field}[{i}]"),
                "must not be blank: a URL or a citation",
            );
        } else if s.len() > MAX_SOURCE {
            v.add(
                format!("{field}[{i}]"),
                format!("at most {MAX_SOURCE} bytes"),
            );
        }
    }
    values.iter().map(|s| s.trim().to_owned()).collect()
}

/// Reads the date of a step that may be undated: the date, or `None` when `undated` is set
/// and the date left unset.
pub fn step_date(
    v: &mut Violations,
    field: &str,
    date: Option<&WireDate>,
    undated: bool,
) -> Option<Date> {
    match (date, undated) {
        (Some(_), true) => {
            v.add(
                field,
                "leave the date unset when `undated` is set, or clear `undated`",
            );
            None
        }
        (None, true) => None,
        (None, false) => {
            v.add(
                field,
                "required: give the civil date as {year, month, day}, or set `undated` when the sources do not give it",
            );
            None
        }
        (Some(d), false) => v.optional_date(field, Some(d)),
    }
}

/// Reads a chamber vote: the chamber, the tally (counts, or the reported result when the
/// counts are unknown) and whether it was the final reading.
pub fn vote(
    v: &mut Violations,
    vote: Option<&pb::ChamberVote>,
) -> Option<(String, StoredTally, bool)> {
    let Some(vote) = vote else {
        v.add(
            "vote",
            "required: the chamber, the counts or the reported result, and final_reading",
        );
        return None;
    };
    let chamber = v
        .required_str("vote.chamber", &vote.chamber)
        .map(str::to_owned);
    if vote.chamber.len() > 200 {
        v.add("vote.chamber", "at most 200 bytes");
    }
    let reported = pb::VoteResult::try_from(vote.reported_result);
    let counted = vote.yes.is_some() || vote.no.is_some() || vote.abstain.is_some();
    let tally = match (vote.yes, vote.no, reported) {
        (_, _, Err(_)) => {
            v.add(
                "vote.reported_result",
                "unknown value; use PASSED or FAILED",
            );
            None
        }
        (Some(yes), Some(no), Ok(pb::VoteResult::Unspecified)) => Some(StoredTally::Counted {
            yes,
            no,
            abstain: vote.abstain,
        }),
        (_, _, Ok(result)) if counted => {
            if result != pb::VoteResult::Unspecified {
                v.add(
                    "vote.reported_result",
                    "give either the counts or the reported result, not both",
                );
            }
            if vote.yes.is_none() {
                v.add("vote.yes", "required with the other counts: the votes for");
            }
            if vote.no.is_none() {
                v.add(
                    "vote.no",
                    "required with the other counts: the votes against",
                );
            }
            None
        }
        (_, _, Ok(pb::VoteResult::Passed)) => Some(StoredTally::Reported { passed: true }),
        (_, _, Ok(pb::VoteResult::Failed)) => Some(StoredTally::Reported { passed: false }),
        (_, _, Ok(pb::VoteResult::Unspecified)) => {
            v.add(
                "vote.yes",
                "give the counts (yes and no, abstain if known), or set reported_result when the sources give only the outcome",
            );
            None
        }
    };
    Some((chamber?, tally?, vote.final_reading))
}

/// Reads a status filter: `None` for UNSPECIFIED, else the domain statuses it covers
/// (RECOMMENDED covers cases opened without a recommendation too).
pub fn status_filter(v: &mut Violations, value: i32) -> Option<Vec<WithdrawalStatus>> {
    use WithdrawalStatus as S;
    let Ok(status) = pb::WithdrawalStatus::try_from(value) else {
        v.add("status", "unknown status value");
        return None;
    };
    let statuses = match status {
        pb::WithdrawalStatus::Unspecified => return None,
        pb::WithdrawalStatus::Recommended => vec![S::Open, S::Recommended],
        pb::WithdrawalStatus::GovernmentDecided => vec![S::GovernmentDecided],
        pb::WithdrawalStatus::InParliament => vec![S::InParliament],
        pb::WithdrawalStatus::AwaitingAssent => vec![S::AwaitingAssent],
        pb::WithdrawalStatus::Approved => vec![S::Approved],
        pb::WithdrawalStatus::Rejected => vec![S::Rejected],
        pb::WithdrawalStatus::Notified => vec![S::Notified],
        pb::WithdrawalStatus::Deferred => vec![S::Deferred],
        pb::WithdrawalStatus::Effective => vec![S::Effective],
        pb::WithdrawalStatus::Revoked => vec![S::Revoked],
    };
    Some(statuses)
}

/// The wire status of a domain status (an opened case without a recommendation reads as
/// RECOMMENDED).
pub fn status_to_wire(status: WithdrawalStatus) -> pb::WithdrawalStatus {
    use WithdrawalStatus as S;
    match status {
        S::Open | S::Recommended => pb::WithdrawalStatus::Recommended,
        S::GovernmentDecided => pb::WithdrawalStatus::GovernmentDecided,
        S::InParliament => pb::WithdrawalStatus::InParliament,
        S::AwaitingAssent => pb::WithdrawalStatus::AwaitingAssent,
        S::Approved => pb::WithdrawalStatus::Approved,
        S::Rejected => pb::WithdrawalStatus::Rejected,
        S::Notified => pb::WithdrawalStatus::Notified,
        S::Deferred => pb::WithdrawalStatus::Deferred,
        S::Effective => pb::WithdrawalStatus::Effective,
        S::Revoked => pb::WithdrawalStatus::Revoked,
    }
}

/// The id of the notice published for a case's deposit.
pub fn deposit_notice_id(case_id: &str) -> String {
    format!("{case_id}-deposit")
}

/// The day the withdrawal takes or took effect, as far as known: the day it took effect;
/// for a case awaiting its effect, the day the clause gives with the `latest` armed
/// conflicts seen for the state (else those the registry held at the deposit, or the
/// deferring conflict), unset while a conflict defers it without a recorded end.
pub fn effective_on(
    case: &StoredCase,
    w: &Withdrawal,
    latest: Option<&[StoredConflict]>,
) -> Option<Date> {
    if let Some(on) = w.effective_on() {
        return Some(on);
    }
    let conflicts = match (w.status(), latest) {
        (WithdrawalStatus::Notified | WithdrawalStatus::Deferred, Some(latest)) => {
            latest.iter().map(StoredConflict::to_domain).collect()
        }
        (WithdrawalStatus::Notified, None) => case.conflicts_at_deposit().unwrap_or_default(),
        (WithdrawalStatus::Deferred, None) => w.deferred_by().cloned().into_iter().collect(),
        _ => return None,
    };
    w.expected_effect(&conflicts)?.effective_on()
}

/// The conflict that deferred the case, if a deferral was recorded.
fn deferred_by(case: &StoredCase) -> Option<&StoredConflict> {
    case.steps.iter().rev().find_map(|s| match &s.event {
        StoredEvent::Deferred { conflict, .. } => Some(conflict),
        _ => None,
    })
}

fn step_kind(event: &StoredEvent) -> pb::StepKind {
    match event {
        StoredEvent::Recommended { .. } => pb::StepKind::Recommended,
        StoredEvent::GovernmentDecided { .. } => pb::StepKind::GovernmentDecision,
        StoredEvent::ChamberVoted { .. } => pb::StepKind::ChamberVote,
        StoredEvent::HeadOfStateAssented { .. } => pb::StepKind::HeadOfStateAssent,
        StoredEvent::InstrumentDeposited { .. } => pb::StepKind::InstrumentDeposited,
        StoredEvent::Deferred { .. } => pb::StepKind::Deferred,
        StoredEvent::TookEffect { .. } => pb::StepKind::TookEffect,
        StoredEvent::Revoked { .. } => pb::StepKind::Revoked,
    }
}

fn step_to_wire(number: usize, step: &StoredStep) -> pb::Step {
    let vote = match &step.event {
        StoredEvent::ChamberVoted {
            chamber,
            tally,
            final_reading,
            passed,
            ..
        } => {
            let (yes, no, abstain, reported) = match *tally {
                StoredTally::Counted { yes, no, abstain } => {
                    (Some(yes), Some(no), abstain, pb::VoteResult::Unspecified)
                }
                StoredTally::Reported { passed: true } => {
                    (None, None, None, pb::VoteResult::Passed)
                }
                StoredTally::Reported { passed: false } => {
                    (None, None, None, pb::VoteResult::Failed)
                }
            };
            Some(pb::ChamberVote {
                chamber: chamber.clone(),
                yes,
                no,
                abstain,
                reported_result: reported.into(),
                final_reading: *final_reading,
                passed: *passed,
            })
        }
        _ => None,
    };
    pb::Step {
        number: u32::try_from(number).unwrap_or(u32::MAX),
        kind: step_kind(&step.event).into(),
        occurred_on: wire::opt_date_to_wire(step.event.on()),
        recorded_at: Some(wire::timestamp_to_wire(step.recorded_at.0)),
        actor: step.actor.clone(),
        detail: step.detail.clone(),
        sources: step.sources.clone(),
        vote,
    }
}

/// The wire form of a case, with every step; `latest` are the armed conflicts last seen
/// for the state (see [`effective_on`]).
pub fn case_to_wire(
    case: &StoredCase,
    w: &Withdrawal,
    latest: Option<&[StoredConflict]>,
) -> pb::Withdrawal {
    let notice = w.notice();
    pb::Withdrawal {
        name: format!("withdrawals/{}", case.id),
        case_id: case.id.clone(),
        treaty: case.treaty.clone(),
        state: case.state.clone(),
        status: status_to_wire(w.status()).into(),
        joint_statement: case
            .joint_statement
            .as_ref()
            .map(|id| format!("jointStatements/{id}"))
            .unwrap_or_default(),
        received_on: wire::opt_date_to_wire(notice.map(|n| n.received_on)),
        reasons: notice.map(|n| n.reasons.clone()).unwrap_or_default(),
        effective_on: wire::opt_date_to_wire(effective_on(case, w, latest)),
        notice_id: notice
            .map(|_| deposit_notice_id(&case.id))
            .unwrap_or_default(),
        steps: case
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| step_to_wire(i + 1, s))
            .collect(),
        approved: w.is_approved(),
        approved_on: wire::opt_date_to_wire(w.parliament_approved_on()),
        expires_on: wire::opt_date_to_wire(notice.map(|n| n.expiry)),
        revoked_on: wire::opt_date_to_wire(w.revoked().map(|(on, _)| on)),
        deferred_by: deferred_by(case)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
    }
}

/// A new step recorded now by `actor`.
pub fn new_step(
    event: StoredEvent,
    recorded_at: jiff::Timestamp,
    actor: String,
    detail: String,
    sources: Vec<String>,
) -> StoredStep {
    StoredStep {
        event,
        recorded_at: Instant(recorded_at),
        actor,
        detail,
        sources,
    }
}

/// The stored form of an optional date.
pub fn day(date: Option<Date>) -> Option<Day> {
    date.map(Day)
}
