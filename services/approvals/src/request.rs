//! Every request, validated into a command of domain values: each wrong field becomes one
//! field violation (the validators and limits of `treaty_proto::fields`), and a request with
//! any violation changes nothing. A step is read into the domain's [`Step`]; whether it is
//! allowed, and what it decides (a vote passed or not), is the domain's answer later.

use jiff::civil::Date;
use treaty_domain::{CaseId, ChamberVote, StateCode, Step, Tally, TreatyId, WithdrawalStatus};
use treaty_proto::Violations;
use treaty_proto::approvals as pb;
use treaty_proto::fields::{self, RequestId};
use treaty_proto::google::r#type::Date as WireDate;
use treaty_proto::page::{Listing, Paged};

/// The most states one joint statement may name.
pub const MAX_STATES: usize = 200;
/// The longest chamber name, in bytes.
const MAX_CHAMBER: usize = 200;

/// A validated `OpenWithdrawal`.
#[derive(Clone, Debug)]
pub struct OpenWithdrawal {
    pub request_id: Option<RequestId>,
    pub treaty: TreatyId,
    pub state: StateCode,
    /// The date of the recommendation; `None` for a case opened without one.
    pub recommended_on: Option<Date>,
    pub detail: String,
    pub sources: Vec<String>,
}

/// A validated `IssueJointStatement`.
#[derive(Clone, Debug)]
pub struct IssueJointStatement {
    pub request_id: Option<RequestId>,
    pub treaty: TreatyId,
    /// The states, in the request's order, each once.
    pub states: Vec<StateCode>,
    pub issued_on: Date,
    pub text: String,
    pub sources: Vec<String>,
}

/// A validated request that records one step on a case.
#[derive(Clone, Debug)]
pub struct RecordStep {
    pub request_id: Option<RequestId>,
    pub case: CaseId,
    pub step: Step,
    /// The request field the step's date came from, named when the rules refuse the date.
    pub field: &'static str,
    pub detail: String,
    pub sources: Vec<String>,
}

/// A validated `DepositInstrument`.
#[derive(Clone, Debug)]
pub struct DepositInstrument {
    pub request_id: Option<RequestId>,
    pub case: CaseId,
    pub received_on: Date,
    pub reasons: String,
    pub sources: Vec<String>,
}

impl DepositInstrument {
    /// The domain step this deposit records.
    pub fn step(&self) -> Step {
        Step::InstrumentDeposited {
            received_on: self.received_on,
            reasons: self.reasons.clone(),
        }
    }
}

/// Which cases a listing wants; `None` matches everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub treaty: Option<TreatyId>,
    pub state: Option<StateCode>,
    /// Only cases whose status is one of these.
    pub statuses: Option<Vec<WithdrawalStatus>>,
}

/// A validated `ListWithdrawals`.
#[derive(Clone, Debug)]
pub struct ListWithdrawals {
    pub filter: Filter,
    pub page: Paged<CaseId>,
}

/// Reads the date of a step that may be undated: the date, or `None` when `undated` is set and
/// the date left unset.
fn step_date(
    v: &mut Violations,
    field: &str,
    date: Option<&WireDate>,
    undated: bool,
) -> Option<Option<Date>> {
    match (date, undated) {
        (Some(_), true) => {
            v.add(
                field,
                "leave the date unset when `undated` is set, or clear `undated`",
            );
            None
        }
        (None, true) => Some(None),
        (None, false) => {
            v.add(
                field,
                "required: give the civil date as {year, month, day}, or set `undated` when the sources do not give it",
            );
            None
        }
        (Some(d), false) => fields::optional_date(v, field, Some(d)).map(Some),
    }
}

/// Reads a chamber vote: the chamber, the tally (counts, or the reported result when the
/// counts are unknown) and whether it was the final reading.
fn vote(
    v: &mut Violations,
    on: Option<Date>,
    vote: Option<&pb::ChamberVote>,
) -> Option<ChamberVote> {
    let Some(vote) = vote else {
        v.add(
            "vote",
            "required: the chamber, the counts or the reported result, and final_reading",
        );
        return None;
    };
    let chamber = fields::required_text(v, "vote.chamber", &vote.chamber);
    if chamber.len() > MAX_CHAMBER {
        v.add("vote.chamber", format!("at most {MAX_CHAMBER} bytes"));
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
        (Some(yes), Some(no), Ok(pb::VoteResult::Unspecified)) => Some(Tally::Counted {
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
        (_, _, Ok(pb::VoteResult::Passed)) => Some(Tally::Reported { passed: true }),
        (_, _, Ok(pb::VoteResult::Failed)) => Some(Tally::Reported { passed: false }),
        (_, _, Ok(pb::VoteResult::Unspecified)) => {
            v.add(
                "vote.yes",
                "give the counts (yes and no, abstain if known), or set reported_result when the sources give only the outcome",
            );
            None
        }
    };
    Some(ChamberVote {
        chamber,
        on,
        tally: tally?,
        final_reading: vote.final_reading,
    })
}

/// Validates an `OpenWithdrawal`.
pub fn open(req: &pb::OpenWithdrawalRequest) -> Result<OpenWithdrawal, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let treaty = fields::treaty(&mut v, "treaty", &req.treaty);
    let state = fields::state(&mut v, "state", &req.state);
    let recommended_on = match (req.recommended_on.as_ref(), req.without_recommendation) {
        (Some(_), true) => {
            v.add(
                "recommended_on",
                "leave the date unset when `without_recommendation` is set, or clear `without_recommendation`",
            );
            None
        }
        (None, true) => Some(None),
        (None, false) => {
            v.add(
                "recommended_on",
                "required: the date of the recommendation as {year, month, day}, or set `without_recommendation` to open the case without one",
            );
            None
        }
        (Some(d), false) => fields::optional_date(&mut v, "recommended_on", Some(d)).map(Some),
    };
    let detail = fields::text(&mut v, "detail", &req.detail);
    let sources = fields::sources(&mut v, "sources", &req.sources);
    let command = (|| {
        Some(OpenWithdrawal {
            request_id,
            treaty: treaty?,
            state: state?,
            recommended_on: recommended_on?,
            detail,
            sources,
        })
    })();
    v.finish(command)
}

/// Validates an `IssueJointStatement`.
pub fn statement(req: &pb::IssueJointStatementRequest) -> Result<IssueJointStatement, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let treaty = fields::treaty(&mut v, "treaty", &req.treaty);
    let mut states: Vec<StateCode> = Vec::new();
    if req.states.is_empty() {
        v.add("states", "required: at least one ISO 3166-1 alpha-2 code");
    } else if req.states.len() > MAX_STATES {
        v.add(
            "states",
            format!("at most {MAX_STATES} states, got {}", req.states.len()),
        );
    } else {
        for (i, s) in req.states.iter().enumerate() {
            let field = format!("states[{i}]");
            if let Some(code) = fields::state(&mut v, &field, s) {
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
    }
    let issued_on = fields::required_date(&mut v, "issued_on", req.issued_on.as_ref());
    let text = fields::long_text(&mut v, "text", &req.text);
    let sources = fields::sources(&mut v, "sources", &req.sources);
    let command = (|| {
        Some(IssueJointStatement {
            request_id,
            treaty: treaty?,
            states,
            issued_on: issued_on?,
            text,
            sources,
        })
    })();
    v.finish(command)
}

/// The parts every step request has: its request id, case, detail and sources.
struct StepParts {
    request_id: Option<RequestId>,
    case: Option<CaseId>,
    detail: String,
    sources: Vec<String>,
}

fn step_parts(
    v: &mut Violations,
    request_id: &str,
    case_id: &str,
    detail: &str,
    sources: &[String],
) -> StepParts {
    StepParts {
        request_id: fields::request_id(v, request_id),
        case: fields::case(v, "case_id", case_id),
        detail: fields::text(v, "detail", detail),
        sources: fields::sources(v, "sources", sources),
    }
}

fn record_step(
    v: Violations,
    parts: StepParts,
    step: Option<Step>,
    field: &'static str,
) -> Result<RecordStep, Violations> {
    let command = (|| {
        Some(RecordStep {
            request_id: parts.request_id,
            case: parts.case?,
            step: step?,
            field,
            detail: parts.detail,
            sources: parts.sources,
        })
    })();
    v.finish(command)
}

/// Validates a `RecordRecommendation` (an unset date records an undated recommendation).
pub fn recommendation(req: &pb::RecordRecommendationRequest) -> Result<RecordStep, Violations> {
    let mut v = Violations::new();
    let parts = step_parts(
        &mut v,
        &req.request_id,
        &req.case_id,
        &req.detail,
        &req.sources,
    );
    let before = v.len();
    let on = fields::optional_date(&mut v, "recommended_on", req.recommended_on.as_ref());
    let step = (v.len() == before).then_some(Step::Recommended { on });
    record_step(v, parts, step, "recommended_on")
}

/// Validates a `RecordGovernmentDecision`.
pub fn government_decision(
    req: &pb::RecordGovernmentDecisionRequest,
) -> Result<RecordStep, Violations> {
    let mut v = Violations::new();
    let parts = step_parts(
        &mut v,
        &req.request_id,
        &req.case_id,
        &req.detail,
        &req.sources,
    );
    let on = step_date(&mut v, "decided_on", req.decided_on.as_ref(), req.undated);
    let step = on.map(|on| Step::GovernmentDecided { on });
    record_step(v, parts, step, "decided_on")
}

/// Validates a `RecordChamberVote`.
pub fn chamber_vote(req: &pb::RecordChamberVoteRequest) -> Result<RecordStep, Violations> {
    let mut v = Violations::new();
    let parts = step_parts(
        &mut v,
        &req.request_id,
        &req.case_id,
        &req.detail,
        &req.sources,
    );
    let on = step_date(&mut v, "voted_on", req.voted_on.as_ref(), req.undated);
    let vote = vote(&mut v, on.flatten(), req.vote.as_ref());
    let step = on.and(vote).map(Step::ChamberVoted);
    record_step(v, parts, step, "voted_on")
}

/// Validates a `RecordHeadOfStateAssent`.
pub fn assent(req: &pb::RecordHeadOfStateAssentRequest) -> Result<RecordStep, Violations> {
    let mut v = Violations::new();
    let parts = step_parts(
        &mut v,
        &req.request_id,
        &req.case_id,
        &req.detail,
        &req.sources,
    );
    let on = step_date(&mut v, "assented_on", req.assented_on.as_ref(), req.undated);
    let step = on.map(|on| Step::HeadOfStateAssented { on });
    record_step(v, parts, step, "assented_on")
}

/// Validates a `RevokeWithdrawal`.
pub fn revoke(req: &pb::RevokeWithdrawalRequest) -> Result<RecordStep, Violations> {
    let mut v = Violations::new();
    let parts = step_parts(
        &mut v,
        &req.request_id,
        &req.case_id,
        &req.detail,
        &req.sources,
    );
    let on = fields::required_date(&mut v, "revoked_on", req.revoked_on.as_ref());
    let step = on.map(|on| Step::Revoked { on });
    record_step(v, parts, step, "revoked_on")
}

/// Validates a `DepositInstrument`.
pub fn deposit(req: &pb::DepositInstrumentRequest) -> Result<DepositInstrument, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let case = fields::case(&mut v, "case_id", &req.case_id);
    let received_on = fields::required_date(&mut v, "received_on", req.received_on.as_ref());
    let reasons = fields::required_long_text(&mut v, "reasons", &req.reasons);
    let sources = fields::sources(&mut v, "sources", &req.sources);
    let command = (|| {
        Some(DepositInstrument {
            request_id,
            case: case?,
            received_on: received_on?,
            reasons,
            sources,
        })
    })();
    v.finish(command)
}

/// Validates a `GetWithdrawal`, returning the case id.
pub fn get(req: &pb::GetWithdrawalRequest) -> Result<CaseId, Violations> {
    let mut v = Violations::new();
    let case = fields::case(&mut v, "case_id", &req.case_id);
    v.finish(case)
}

/// Reads a status filter: `None` for UNSPECIFIED, else the domain statuses it covers
/// (RECOMMENDED covers cases opened without a recommendation too).
fn status_filter(v: &mut Violations, value: i32) -> Option<Vec<WithdrawalStatus>> {
    use WithdrawalStatus as S;
    let Ok(status) = pb::WithdrawalStatus::try_from(value) else {
        v.add(
            "status",
            "unknown status value; leave it unset for every status",
        );
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

/// Validates a `ListWithdrawals`.
pub fn list(req: &pb::ListWithdrawalsRequest) -> Result<ListWithdrawals, Violations> {
    let mut v = Violations::new();
    let treaty = fields::optional_treaty(&mut v, "treaty", &req.treaty);
    let state = fields::optional_state(&mut v, "state", &req.state);
    let statuses = status_filter(&mut v, req.status);
    let listing = Listing::new(
        "ListWithdrawals",
        &[
            treaty.as_ref().map_or("", TreatyId::as_str),
            state.map_or("", |s| s.as_str()),
            &req.status.to_string(),
        ],
    );
    let page = listing.paged(&mut v, req.page_size, &req.page_token);
    v.into_result(ListWithdrawals {
        filter: Filter {
            treaty,
            state,
            statuses,
        },
        page,
    })
}
