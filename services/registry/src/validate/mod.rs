//! Request validation: every wrong field becomes one field violation, and nothing is
//! changed. The validated inputs are the registry's own types.
//!
//! This file reads single fields; `treaty.rs` validates treaties and approval
//! procedures ([`create_treaty`], [`procedure`]), and `requests.rs` whole mutation
//! requests ([`consent`], [`notice`], ...).

mod requests;
mod treaty;

pub use requests::*;
pub use treaty::{create_treaty, procedure};

use jiff::civil::Date;
use treaty_domain::{CaseId, ConsentKind, StateCode, TreatyId};
use treaty_proto::registry as pb;
use treaty_proto::wire::{self, Violations};

use crate::stored::{StoredConflict, StoredSuspension};

const MAX_TEXT: usize = 4096;
const MAX_REASONS: usize = 64 * 1024;
const MAX_SOURCES: usize = 64;
const MAX_MONTHS: u32 = 120;

/// Reads a required state code, accepting lower case; an unknown code's violation
/// suggests close codes.
pub fn state(v: &mut Violations, field: &str, input: &str) -> Option<StateCode> {
    if input.trim().is_empty() {
        v.add(field, "required: an ISO 3166-1 alpha-2 code, e.g. LT");
        return None;
    }
    StateCode::parse(input)
        .map_err(|e| v.add(field, e.to_string()))
        .ok()
}

/// Reads a required treaty id.
pub fn treaty(v: &mut Violations, field: &str, input: &str) -> Option<TreatyId> {
    if input.is_empty() {
        v.add(field, "required: a treaty id, e.g. apmbc");
        return None;
    }
    TreatyId::parse(input)
        .map_err(|e| v.add(field, e.to_string()))
        .ok()
}

/// Checks a text field's length (and presence when `required`), returning it trimmed.
pub fn text(v: &mut Violations, field: &str, s: &str, required: bool, max: usize) -> String {
    if required && s.trim().is_empty() {
        v.add(field, "required: must not be empty");
    } else if s.len() > max {
        v.add(field, format!("at most {max} bytes"));
    }
    s.trim().to_owned()
}

/// Checks a list of sources: at most 64, none blank.
pub fn sources(v: &mut Violations, field: &str, list: &[String]) -> Vec<String> {
    if list.len() > MAX_SOURCES {
        v.add(field, format!("at most {MAX_SOURCES} sources"));
    }
    for (i, s) in list.iter().enumerate() {
        text(v, &format!("{field}[{i}]"), s, true, MAX_TEXT);
    }
    list.iter().map(|s| s.trim().to_owned()).collect()
}

pub(crate) fn months(v: &mut Violations, field: &str, n: u32) -> u8 {
    if !(1..=MAX_MONTHS).contains(&n) {
        v.add(
            field,
            format!("give a number of months from 1 to {MAX_MONTHS}, e.g. 6"),
        );
    }
    u8::try_from(n).unwrap_or(0)
}

/// Reads a consent kind.
pub fn consent_kind(v: &mut Violations, field: &str, kind: i32) -> Option<ConsentKind> {
    match pb::ConsentKind::try_from(kind) {
        Ok(pb::ConsentKind::Signature) => Some(ConsentKind::Signature),
        Ok(pb::ConsentKind::Ratification) => Some(ConsentKind::Ratification),
        Ok(pb::ConsentKind::Acceptance) => Some(ConsentKind::Acceptance),
        Ok(pb::ConsentKind::Approval) => Some(ConsentKind::Approval),
        Ok(pb::ConsentKind::Accession) => Some(ConsentKind::Accession),
        Ok(pb::ConsentKind::Succession) => Some(ConsentKind::Succession),
        Ok(pb::ConsentKind::Unspecified) | Err(_) => {
            v.add(field, "required: CONSENT_KIND_SIGNATURE, _RATIFICATION, _ACCEPTANCE, _APPROVAL, _ACCESSION or _SUCCESSION");
            None
        }
    }
}

/// Reads a withdrawal case id that must belong to `treaty` and `state`.
pub fn case(
    v: &mut Violations,
    field: &str,
    input: &str,
    treaty: Option<&TreatyId>,
    state: Option<StateCode>,
) -> Option<CaseId> {
    if input.is_empty() {
        v.add(field, "required: the withdrawal case, e.g. apmbc-LT-1");
        return None;
    }
    let case = CaseId::parse(input)
        .map_err(|e| v.add(field, e.to_string()))
        .ok()?;
    let (Some(treaty), Some(state)) = (treaty, state) else {
        return Some(case);
    };
    if case.treaty() != treaty || case.state() != state {
        v.add(
            field,
            format!(
                "the case {case} concerns {} and {}, not {treaty} and {state}",
                case.state(),
                case.treaty()
            ),
        );
        return None;
    }
    Some(case)
}

/// A valid page request: how many, and the key after which to continue.
#[derive(Debug, Clone)]
pub struct Page {
    /// At most this many items.
    pub size: usize,
    /// Continue after this key.
    pub after: Option<String>,
}

/// Reads page_size and page_token (`after-<key>`).
pub fn page(v: &mut Violations, size: i32, token: &str, default: usize, max: usize) -> Page {
    let size = wire::page_size(size, default, max).unwrap_or_else(|e| {
        for x in e.iter() {
            v.add(x.field.clone(), x.description.clone());
        }
        default
    });
    let after = match token {
        "" => None,
        t => match t
            .strip_prefix("after-")
            .filter(|k| !k.is_empty() && k.len() <= 64)
        {
            Some(k) => Some(k.to_owned()),
            None => {
                v.add("page_token", "not a token this service issued; pass the next_page_token of the previous page");
                None
            }
        },
    };
    Page { size, after }
}

/// A validated new armed conflict.
pub fn new_conflict(
    v: &mut Violations,
    req: &pb::RecordArmedConflictRequest,
) -> Option<StoredConflict> {
    let description = text(v, "description", &req.description, true, MAX_TEXT);
    let began_on = v.required_date("began_on", req.began_on.as_ref());
    let sources = sources(v, "sources", &req.sources);
    Some(StoredConflict {
        id: 0,
        description,
        began_on: began_on?,
        ended_on: None,
        sources,
        end_sources: Vec::new(),
    })
}

/// Reads a conflict id: a whole number from 1.
pub fn conflict_id(v: &mut Violations, field: &str, input: &str) -> Option<u32> {
    match input.parse::<u32>() {
        Ok(n) if n > 0 && !input.starts_with('0') => Some(n),
        _ => {
            v.add(
                field,
                "required: the conflict's id, a whole number from 1 as ListArmedConflicts gives it",
            );
            None
        }
    }
}

/// A validated suspension claim.
pub fn claim(v: &mut Violations, c: Option<&pb::SuspensionClaim>) -> Option<StoredSuspension> {
    let Some(c) = c else {
        v.add("claim", "required: the claim, with its date and detail");
        return None;
    };
    let claimed_on = v.required_date("claim.claimed_on", c.claimed_on.as_ref());
    let detail = text(v, "claim.detail", &c.detail, true, MAX_REASONS);
    let sources = sources(v, "claim.sources", &c.sources);
    Some(StoredSuspension {
        claimed_on: claimed_on?,
        detail,
        sources,
    })
}

/// Reads the statement of reasons of a notice.
pub fn reasons(v: &mut Violations, field: &str, s: &str) -> String {
    if s.trim().is_empty() {
        v.add(
            field,
            "required: the full explanation of the reasons for withdrawing (Art. 20(2))",
        );
    }
    text(v, field, s, false, MAX_REASONS)
}

/// Reads an optional `as_of` date.
pub fn as_of(v: &mut Violations, d: Option<&treaty_proto::google::r#type::Date>) -> Option<Date> {
    v.optional_date("as_of", d)
}

/// Reads a membership status filter; unset means none.
pub fn status_filter(v: &mut Violations, status: i32) -> Option<pb::MembershipStatus> {
    match pb::MembershipStatus::try_from(status) {
        Ok(pb::MembershipStatus::Unspecified) => None,
        Ok(s) => Some(s),
        Err(_) => {
            v.add(
                "status",
                format!("{status} is not a MembershipStatus; leave it unset for every status"),
            );
            None
        }
    }
}
