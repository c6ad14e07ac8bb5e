//! Validation of requests (bad input becomes a precise INVALID_ARGUMENT with one
//! field violation per wrong field) and conversions between stored records and
//! wire messages.

use treaty_domain::{CaseId, StateCode, TreatyId};
use treaty_proto::notification as pb;
use treaty_proto::wire::{self, Violations};

use crate::recipient::{Recipient, RecipientKind};
use crate::stored::{NoticeDraft, NoticeKind, StoredDelivery, StoredNotice};

const MAX_ID: usize = 128;
const MAX_TEXT: usize = 64 * 1024;
const MAX_SOURCE: usize = 4096;
const MAX_SOURCES: usize = 64;

/// Checks an idempotency key: optional, at most 128 bytes.
pub fn check_request_id(v: &mut Violations, request_id: &str) {
    if request_id.len() > MAX_ID {
        v.add("request_id", format!("at most {MAX_ID} bytes"));
    }
}

/// Checks a notice id: 1 to 128 letters, digits or `-_.:~`.
pub fn check_notice_id(v: &mut Violations, field: &str, id: &str) {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '~'));
    if !ok {
        v.add(
            field,
            "required: 1 to 128 letters, digits or `-_.:~`, e.g. `apmbc-LT-1-deposit`",
        );
    }
}

/// Reads a required recipient name.
pub fn recipient(v: &mut Violations, field: &str, name: &str) -> Option<Recipient> {
    Recipient::parse(name).map_err(|e| v.add(field, e)).ok()
}

fn state(v: &mut Violations, field: &str, code: &str, required: bool) -> Option<StateCode> {
    if code.is_empty() && !required {
        return None;
    }
    if code.is_empty() {
        v.add(field, "required: an ISO 3166-1 alpha-2 code, e.g. LT");
        return None;
    }
    StateCode::parse(code)
        .map_err(|e| v.add(field, e.to_string()))
        .ok()
}

fn treaty(v: &mut Violations, field: &str, id: &str, required: bool) -> Option<TreatyId> {
    if id.is_empty() && !required {
        return None;
    }
    if id.is_empty() {
        v.add(field, "required: a treaty id, e.g. apmbc");
        return None;
    }
    TreatyId::parse(id)
        .map_err(|e| v.add(field, e.to_string()))
        .ok()
}

fn text(v: &mut Violations, field: &str, s: &str, required: bool) {
    if required && s.trim().is_empty() {
        v.add(field, "required: must not be empty");
    } else if s.len() > MAX_TEXT {
        v.add(field, format!("at most {MAX_TEXT} bytes"));
    }
}

fn kind(v: &mut Violations, raw: i32) -> Option<NoticeKind> {
    match pb::NoticeKind::try_from(raw) {
        Ok(pb::NoticeKind::Deposit) => Some(NoticeKind::Deposit),
        Ok(pb::NoticeKind::Effect) => Some(NoticeKind::Effect),
        Ok(pb::NoticeKind::Deferral) => Some(NoticeKind::Deferral),
        Ok(pb::NoticeKind::Revocation) => Some(NoticeKind::Revocation),
        Ok(pb::NoticeKind::Unspecified) | Err(_) => {
            v.add(
                "notice.kind",
                "required: NOTICE_KIND_DEPOSIT, _EFFECT, _DEFERRAL or _REVOCATION",
            );
            None
        }
    }
}

/// Validates a `PublishNotice` request into a draft notice.
pub fn publish_request(req: &pb::PublishNoticeRequest) -> Result<NoticeDraft, Violations> {
    let mut v = Violations::new();
    check_request_id(&mut v, &req.request_id);
    let Some(n) = &req.notice else {
        v.add("notice", "required: the notice to publish");
        return Err(v);
    };
    check_notice_id(&mut v, "notice.notice_id", &n.notice_id);
    let kind = kind(&mut v, n.kind);
    let treaty = treaty(&mut v, "notice.treaty", &n.treaty, true);
    let state = state(&mut v, "notice.state", &n.state, true);
    let case = if n.case_id.is_empty() {
        v.add(
            "notice.case_id",
            "required: the withdrawal case, e.g. apmbc-LT-1",
        );
        None
    } else {
        CaseId::parse(&n.case_id)
            .map_err(|e| v.add("notice.case_id", e.to_string()))
            .ok()
    };
    if let (Some(case), Some(t), Some(s)) = (&case, &treaty, &state)
        && (case.treaty() != t || case.state() != *s)
    {
        v.add(
            "notice.case_id",
            format!("case {case} is not a withdrawal of {s} from {t}"),
        );
    }
    let received_on = v.optional_date("notice.received_on", n.received_on.as_ref());
    let circulated_on = v.optional_date("notice.circulated_on", n.circulated_on.as_ref());
    let effective_on = v.optional_date("notice.effective_on", n.effective_on.as_ref());
    match kind {
        Some(NoticeKind::Deposit) if n.received_on.is_none() => v.add(
            "notice.received_on",
            "required for a deposit notice: the date the depositary received the instrument",
        ),
        Some(NoticeKind::Effect) if n.effective_on.is_none() => v.add(
            "notice.effective_on",
            "required for an effect notice: the date the withdrawal took effect",
        ),
        _ => {}
    }
    if let (Some(r), Some(c)) = (received_on, circulated_on)
        && c < r
    {
        v.add(
            "notice.circulated_on",
            format!("a notice is circulated on or after its receipt ({r})"),
        );
    }
    if let (Some(r), Some(e)) = (received_on, effective_on)
        && e < r
    {
        v.add(
            "notice.effective_on",
            format!("a withdrawal takes effect after its receipt ({r})"),
        );
    }
    text(
        &mut v,
        "notice.reasons",
        &n.reasons,
        kind == Some(NoticeKind::Deposit),
    );
    text(&mut v, "notice.text", &n.text, false);
    if n.sources.len() > MAX_SOURCES {
        v.add("notice.sources", format!("at most {MAX_SOURCES} sources"));
    }
    for (i, s) in n.sources.iter().enumerate() {
        if s.trim().is_empty() || s.len() > MAX_SOURCE {
            v.add(
                format!("notice.sources[{i}]"),
                format!("a source is 1 to {MAX_SOURCE} bytes"),
            );
        }
    }
    let (Some(kind), Some(treaty), Some(state), Some(case)) = (kind, treaty, state, case) else {
        return Err(v);
    };
    v.into_result(NoticeDraft {
        notice_id: n.notice_id.clone(),
        kind,
        treaty: treaty.as_str().to_owned(),
        state: state.as_str().to_owned(),
        case_id: case.to_string(),
        received_on,
        circulated_on,
        effective_on,
        reasons: n.reasons.clone(),
        text: n.text.clone(),
        sources: n.sources.clone(),
    })
}

/// Which notices a listing wants; unset fields match everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only notices to this recipient.
    pub recipient: Option<Recipient>,
    /// Only notices about this treaty.
    pub treaty: Option<String>,
    /// Only notices about this state.
    pub state: Option<String>,
}

/// Validates a `ListNotices` filter.
pub fn list_filter(v: &mut Violations, req: &pb::ListNoticesRequest) -> ListFilter {
    ListFilter {
        recipient: (!req.recipient.is_empty())
            .then(|| recipient(v, "recipient", &req.recipient))
            .flatten(),
        treaty: treaty(v, "treaty", &req.treaty, false).map(|t| t.as_str().to_owned()),
        state: state(v, "state", &req.state, false).map(|s| s.as_str().to_owned()),
    }
}

/// Converts a stored notice to its wire form.
pub fn notice_to_wire(n: &StoredNotice) -> pb::Notice {
    pb::Notice {
        name: format!("notices/{}", n.notice_id),
        notice_id: n.notice_id.clone(),
        kind: match n.kind {
            NoticeKind::Deposit => pb::NoticeKind::Deposit,
            NoticeKind::Effect => pb::NoticeKind::Effect,
            NoticeKind::Deferral => pb::NoticeKind::Deferral,
            NoticeKind::Revocation => pb::NoticeKind::Revocation,
        }
        .into(),
        treaty: n.treaty.clone(),
        state: n.state.clone(),
        case_id: n.case_id.clone(),
        received_on: wire::opt_date_to_wire(n.received_on),
        circulated_on: Some(wire::date_to_wire(n.circulated_on)),
        effective_on: wire::opt_date_to_wire(n.effective_on),
        reasons: n.reasons.clone(),
        text: n.text.clone(),
        published_at: Some(wire::timestamp_to_wire(n.published_at)),
        recipient_count: n.recipient_count,
        sources: n.sources.clone(),
    }
}

/// Converts a stored delivery to its wire form.
pub fn delivery_to_wire(d: &StoredDelivery) -> pb::Delivery {
    pb::Delivery {
        recipient: d.recipient.clone(),
        kind: match d.kind {
            RecipientKind::StateParty => pb::RecipientKind::StateParty,
            RecipientKind::Depositary => pb::RecipientKind::Depositary,
            RecipientKind::SecurityCouncil => pb::RecipientKind::SecurityCouncil,
        }
        .into(),
        cursor: d.cursor,
        delivered_at: d.delivered_at.map(wire::timestamp_to_wire),
        acknowledged_at: d.acknowledged_at.map(wire::timestamp_to_wire),
    }
}
