//! Each request, validated into a command: every wrong field becomes one field violation,
//! and a request with any violation changes nothing.

use jiff::civil::Date;
use treaty_domain::{StateCode, TreatyId};
use treaty_proto::approvals as pb;
use treaty_proto::wire::{self, Violations};

use crate::convert::{self, MAX_REASONS, MAX_STATES, MAX_TEXT};
use crate::model::{Day, StoredEvent};
use crate::store::Filter;

/// The most cases one `ListWithdrawals` page holds.
pub const MAX_PAGE: usize = 1000;
/// The page size when none is asked for.
pub const DEFAULT_PAGE: usize = 100;

const TOKEN_PREFIX: &str = "after:";

/// A validated `OpenWithdrawal`.
#[derive(Clone, Debug)]
pub struct Open {
    /// The idempotency key.
    pub key: Option<Vec<u8>>,
    /// The treaty.
    pub treaty: TreatyId,
    /// The state.
    pub state: StateCode,
    /// The date of the recommendation; `None` for a case opened without one.
    pub on: Option<Date>,
    /// A description.
    pub detail: String,
    /// Where it comes from.
    pub sources: Vec<String>,
}

/// A validated `IssueJointStatement`.
#[derive(Clone, Debug)]
pub struct Statement {
    /// The idempotency key.
    pub key: Option<Vec<u8>>,
    /// The treaty.
    pub treaty: TreatyId,
    /// The states, in the request's order, each once.
    pub states: Vec<StateCode>,
    /// The date of the statement.
    pub issued_on: Date,
    /// What it says.
    pub text: String,
    /// Where it comes from.
    pub sources: Vec<String>,
}

/// A validated request that records one step on a case.
#[derive(Clone, Debug)]
pub struct RecordStep {
    /// The idempotency key.
    pub key: Option<Vec<u8>>,
    /// The case.
    pub case_id: String,
    /// The step.
    pub event: StoredEvent,
    /// The request field the step's date came from.
    pub field: &'static str,
    /// A description.
    pub detail: String,
    /// Where it comes from.
    pub sources: Vec<String>,
}

/// A validated `DepositInstrument`.
#[derive(Clone, Debug)]
pub struct Deposit {
    /// The idempotency key.
    pub key: Option<Vec<u8>>,
    /// The case.
    pub case_id: String,
    /// The day the depositary received the instrument.
    pub received_on: Date,
    /// The statement of reasons.
    pub reasons: String,
    /// Where it comes from.
    pub sources: Vec<String>,
}

/// A validated `ListWithdrawals`.
#[derive(Clone, Debug)]
pub struct List {
    /// Which cases.
    pub filter: Filter,
    /// Start after this case id.
    pub after: Option<String>,
    /// At most this many.
    pub limit: usize,
}

/// Validates an `OpenWithdrawal`.
pub fn open(req: &pb::OpenWithdrawalRequest) -> Result<Open, Violations> {
    let mut v = Violations::new();
    let key = convert::request_key(&mut v, "OpenWithdrawal", &req.request_id);
    let treaty = convert::treaty(&mut v, "treaty", &req.treaty);
    let state = convert::state(&mut v, "state", &req.state);
    let on = match (req.recommended_on.as_ref(), req.without_recommendation) {
        (Some(_), true) => {
            v.add(
                "recommended_on",
                "leave the date unset when `without_recommendation` is set, or clear `without_recommendation`",
            );
            None
        }
        (None, true) => None,
        (None, false) => {
            v.add(
                "recommended_on",
                "required: the date of the recommendation as {year, month, day}, or set `without_recommendation` to open the case without one",
            );
            None
        }
        (Some(d), false) => v.optional_date("recommended_on", Some(d)),
    };
    let detail = convert::text(&mut v, "detail", &req.detail, MAX_TEXT);
    let sources = convert::sources(&mut v, "sources", &req.sources);
    match (treaty, state) {
        (Some(treaty), Some(state)) if v.is_empty() => Ok(Open {
            key,
            treaty,
            state,
            on,
            detail,
            sources,
        }),
        _ => Err(v),
    }
}

/// Validates an `IssueJointStatement`.
pub fn statement(req: &pb::IssueJointStatementRequest) -> Result<Statement, Violations> {
    let mut v = Violations::new();
    let key = convert::request_key(&mut v, "IssueJointStatement", &req.request_id);
    let treaty = convert::treaty(&mut v, "treaty", &req.treaty);
    if req.states.is_empty() {
        v.add("states", "required: at least one ISO 3166-1 alpha-2 code");
    } else if req.states.len() > MAX_STATES {
        v.add("states", format!("at most {MAX_STATES} states"));
    }
    let mut states: Vec<StateCode> = Vec::with_capacity(req.states.len());
    for (i, s) in req.states.iter().enumerate() {
        let field = format!("states[{i}]");
        if let Some(code) = convert::state(&mut v, &field, s) {
            if states.contains(&code) {
                v.add(
                    field,
                    format!("{code} is listed twice; list each state once"),
                );
            } else {
                states.push(code);
            }
        }
    }
    let issued_on = v.required_date("issued_on", req.issued_on.as_ref());
    let text = convert::text(&mut v, "text", &req.text, MAX_TEXT);
    let sources = convert::sources(&mut v, "sources", &req.sources);
    match (treaty, issued_on) {
        (Some(treaty), Some(issued_on)) if v.is_empty() => Ok(Statement {
            key,
            treaty,
            states,
            issued_on,
            text,
            sources,
        }),
        _ => Err(v),
    }
}

fn finish_step(
    mut v: Violations,
    key: Option<Vec<u8>>,
    case_id: Option<String>,
    event: Option<StoredEvent>,
    field: &'static str,
    detail: String,
    sources: Vec<String>,
) -> Result<RecordStep, Violations> {
    match (case_id, event) {
        (Some(case_id), Some(event)) if v.is_empty() => Ok(RecordStep {
            key,
            case_id,
            event,
            field,
            detail,
            sources,
        }),
        (None, _) | (_, None) if v.is_empty() => {
            v.add(field, "invalid");
            Err(v)
        }
        _ => Err(v),
    }
}

fn case_id(v: &mut Violations, value: &str) -> Option<String> {
    convert::case_id(v, "case_id", value).map(|id| id.to_string())
}

/// Validates a `RecordRecommendation` (an unset date records an undated recommendation).
pub fn recommendation(req: &pb::RecordRecommendationRequest) -> Result<RecordStep, Violations> {
    let mut v = Violations::new();
    let key = convert::request_key(&mut v, "RecordRecommendation", &req.request_id);
    let id = case_id(&mut v, &req.case_id);
    let before = v.iter().count();
    let on = v.optional_date("recommended_on", req.recommended_on.as_ref());
    let event = (v.iter().count() == before).then(|| StoredEvent::Recommended { on: on.map(Day) });
    let detail = convert::text(&mut v, "detail", &req.detail, MAX_TEXT);
    let sources = convert::sources(&mut v, "sources", &req.sources);
    finish_step(v, key, id, event, "recommended_on", detail, sources)
}

/// Validates a `RecordGovernmentDecision`.
pub fn government_decision(
    req: &pb::RecordGovernmentDecisionRequest,
) -> Result<RecordStep, Violations> {
    let mut v = Violations::new();
    let key = convert::request_key(&mut v, "RecordGovernmentDecision", &req.request_id);
    let id = case_id(&mut v, &req.case_id);
    let before = v.iter().count();
    let on = convert::step_date(&mut v, "decided_on", req.decided_on.as_ref(), req.undated);
    let event =
        (v.iter().count() == before).then(|| StoredEvent::GovernmentDecided { on: on.map(Day) });
    let detail = convert::text(&mut v, "detail", &req.detail, MAX_TEXT);
    let sources = convert::sources(&mut v, "sources", &req.sources);
    finish_step(v, key, id, event, "decided_on", detail, sources)
}

/// Validates a `RecordChamberVote`.
pub fn chamber_vote(req: &pb::RecordChamberVoteRequest) -> Result<RecordStep, Violations> {
    let mut v = Violations::new();
    let key = convert::request_key(&mut v, "RecordChamberVote", &req.request_id);
    let id = case_id(&mut v, &req.case_id);
    let before = v.iter().count();
    let on = convert::step_date(&mut v, "voted_on", req.voted_on.as_ref(), req.undated);
    let vote = convert::vote(&mut v, req.vote.as_ref());
    let event = match vote {
        Some((chamber, tally, final_reading)) if v.iter().count() == before => {
            Some(StoredEvent::ChamberVoted {
                chamber,
                on: on.map(Day),
                tally,
                final_reading,
                passed: false,
            })
        }
        _ => None,
    };
    let detail = convert::text(&mut v, "detail", &req.detail, MAX_TEXT);
    let sources = convert::sources(&mut v, "sources", &req.sources);
    finish_step(v, key, id, event, "voted_on", detail, sources)
}

/// Validates a `RecordHeadOfStateAssent`.
pub fn assent(req: &pb::RecordHeadOfStateAssentRequest) -> Result<RecordStep, Violations> {
    let mut v = Violations::new();
    let key = convert::request_key(&mut v, "RecordHeadOfStateAssent", &req.request_id);
    let id = case_id(&mut v, &req.case_id);
    let before = v.iter().count();
    let on = convert::step_date(&mut v, "assented_on", req.assented_on.as_ref(), req.undated);
    let event =
        (v.iter().count() == before).then(|| StoredEvent::HeadOfStateAssented { on: on.map(Day) });
    let detail = convert::text(&mut v, "detail", &req.detail, MAX_TEXT);
    let sources = convert::sources(&mut v, "sources", &req.sources);
    finish_step(v, key, id, event, "assented_on", detail, sources)
}

/// Validates a `RevokeWithdrawal`.
pub fn revoke(req: &pb::RevokeWithdrawalRequest) -> Result<RecordStep, Violations> {
    let mut v = Violations::new();
    let key = convert::request_key(&mut v, "RevokeWithdrawal", &req.request_id);
    let id = case_id(&mut v, &req.case_id);
    let on = v.required_date("revoked_on", req.revoked_on.as_ref());
    let event = on.map(|on| StoredEvent::Revoked { on: Day(on) });
    let detail = convert::text(&mut v, "detail", &req.detail, MAX_TEXT);
    let sources = convert::sources(&mut v, "sources", &req.sources);
    finish_step(v, key, id, event, "revoked_on", detail, sources)
}

/// Validates a `DepositInstrument`.
pub fn deposit(req: &pb::DepositInstrumentRequest) -> Result<Deposit, Violations> {
    let mut v = Violations::new();
    let key = convert::request_key(&mut v, "DepositInstrument", &req.request_id);
    let id = case_id(&mut v, &req.case_id);
    let received_on = v.required_date("received_on", req.received_on.as_ref());
    let reasons = match v.required_str("reasons", &req.reasons) {
        Some(r) => convert::text(&mut v, "reasons", r, MAX_REASONS),
        None => String::new(),
    };
    let sources = convert::sources(&mut v, "sources", &req.sources);
    match (id, received_on) {
        (Some(case_id), Some(received_on)) if v.is_empty() => Ok(Deposit {
            key,
            case_id,
            received_on,
            reasons,
            sources,
        }),
        _ => Err(v),
    }
}

/// Validates a `GetWithdrawal`, returning the case id.
pub fn get(req: &pb::GetWithdrawalRequest) -> Result<String, Violations> {
    let mut v = Violations::new();
    let id = case_id(&mut v, &req.case_id);
    match id {
        Some(id) if v.is_empty() => Ok(id),
        _ => Err(v),
    }
}

/// Validates a `ListWithdrawals`.
pub fn list(req: &pb::ListWithdrawalsRequest) -> Result<List, Violations> {
    let mut v = Violations::new();
    let treaty = (!req.treaty.is_empty())
        .then(|| convert::treaty(&mut v, "treaty", &req.treaty))
        .flatten();
    let state = (!req.state.is_empty())
        .then(|| convert::state(&mut v, "state", &req.state))
        .flatten();
    let statuses = convert::status_filter(&mut v, req.status);
    let limit = wire::page_size(req.page_size, DEFAULT_PAGE, MAX_PAGE).unwrap_or_else(|e| {
        for violation in e.iter() {
            v.add(violation.field.clone(), violation.description.clone());
        }
        DEFAULT_PAGE
    });
    let after = match req.page_token.as_str() {
        "" => None,
        token => match token
            .strip_prefix(TOKEN_PREFIX)
            .filter(|id| treaty_domain::CaseId::parse(id).is_ok())
        {
            Some(id) => Some(id.to_owned()),
            None => {
                v.add(
                    "page_token",
                    "not a token this service issued; pass the next_page_token of the previous page",
                );
                None
            }
        },
    };
    v.into_result(List {
        filter: Filter {
            treaty,
            state,
            statuses,
        },
        after,
        limit,
    })
}

/// The page token that continues after `case_id`.
pub fn next_page_token(case_id: &str) -> String {
    format!("{TOKEN_PREFIX}{case_id}")
}
