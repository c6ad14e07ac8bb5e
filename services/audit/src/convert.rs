//! Conversions between the audit API's messages and the ledger's records, with
//! the validation that makes bad input a precise INVALID_ARGUMENT.

use treaty_domain::{StateCode, TreatyId};
use treaty_ledger::{Hash, Record, Subject};
use treaty_proto::audit as pb;
use treaty_proto::wire::{self, Violations};

/// The most entries one `Append` may carry.
pub const MAX_ENTRIES_PER_APPEND: usize = 1000;
/// The largest payload one entry may carry.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;
const MAX_TEXT: usize = 4096;
const MAX_SOURCES: usize = 64;

/// Checks a source service name: lowercase letters, digits and dashes.
pub fn check_source_name(v: &mut Violations, field: &str, source: &str) {
    let ok = !source.is_empty()
        && source.len() <= 64
        && source.starts_with(|c: char| c.is_ascii_lowercase())
        && source
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        v.add(
            field,
            "a source is a service name of lowercase letters, digits and dashes, e.g. `registry`",
        );
    }
}

fn hash(v: &mut Violations, field: String, bytes: &[u8]) -> Hash {
    bytes.try_into().unwrap_or_else(|_| {
        v.add(
            field,
            format!("a SHA-256 hash is 32 bytes, got {}", bytes.len()),
        );
        [0; 32]
    })
}

/// Checks an optional state code, which must be given exactly in canonical form
/// (the source's hash covers the bytes as sent).
pub fn check_state(v: &mut Violations, field: &str, state: &str) -> Option<String> {
    if state.is_empty() {
        return None;
    }
    match StateCode::parse(state) {
        Ok(code) if code.as_str() == state => Some(state.to_owned()),
        Ok(code) => {
            v.add(
                field,
                format!("give the code in upper case: {}", code.as_str()),
            );
            None
        }
        Err(e) => {
            v.add(field, e.to_string());
            None
        }
    }
}

/// Checks an optional treaty id.
pub fn check_treaty(v: &mut Violations, field: &str, treaty: &str) -> Option<String> {
    if treaty.is_empty() {
        return None;
    }
    match TreatyId::parse(treaty) {
        Ok(id) if id.as_str() == treaty => Some(treaty.to_owned()),
        Ok(id) => {
            v.add(
                field,
                format!("give the treaty id in canonical form: {}", id.as_str()),
            );
            None
        }
        Err(e) => {
            v.add(field, e.to_string());
            None
        }
    }
}

/// Checks an optional case id used as an index key.
pub fn check_case(v: &mut Violations, field: &str, case: &str) -> Option<String> {
    if case.is_empty() {
        return None;
    }
    if case.len() > 128 || case.chars().any(|c| c.is_control()) {
        v.add(
            field,
            "a case id is at most 128 printable characters, e.g. `apmbc-LT-1`",
        );
        return None;
    }
    Some(case.to_owned())
}

fn text(v: &mut Violations, field: String, s: &str, required: bool) {
    if required && s.is_empty() {
        v.add(field, "required: must not be empty");
    } else if s.len() > MAX_TEXT {
        v.add(field, format!("at most {MAX_TEXT} bytes"));
    }
}

/// Validates one source entry and rebuilds the source's record from it. The
/// record's hash is the one the source sent; the caller checks it.
fn entry(v: &mut Violations, source: &str, i: usize, e: &pb::SourceEntry) -> Record {
    let f = |name: &str| format!("entries[{i}].{name}");
    if e.sequence == 0 {
        v.add(f("sequence"), "sequences start at 1");
    }
    let kind_ok = !e.kind.is_empty()
        && e.kind.len() <= 128
        && e.kind
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !kind_ok {
        v.add(f("kind"), "a kind is a dotted name of letters, digits and `_`, e.g. `withdrawal.instrument_deposited`");
    }
    text(v, f("actor"), &e.actor, true);
    if e.sources.len() > MAX_SOURCES {
        v.add(f("sources"), format!("at most {MAX_SOURCES} sources"));
    }
    for (j, s) in e.sources.iter().enumerate() {
        text(v, format!("entries[{i}].sources[{j}]"), s, true);
    }
    if e.payload.len() > MAX_PAYLOAD_BYTES {
        v.add(f("payload"), format!("at most {MAX_PAYLOAD_BYTES} bytes"));
    }
    let recorded_at = match e.recorded_at.as_ref().map(wire::timestamp_from_wire) {
        Some(Some(ts)) => ts,
        Some(None) => {
            v.add(f("recorded_at"), "not a valid instant");
            jiff::Timestamp::UNIX_EPOCH
        }
        None => {
            v.add(
                f("recorded_at"),
                "required: the instant the source stored the entry",
            );
            jiff::Timestamp::UNIX_EPOCH
        }
    };
    Record {
        sequence: e.sequence,
        prev_hash: hash(v, f("prev_hash"), &e.prev_hash),
        hash: hash(v, f("hash"), &e.hash),
        source: source.to_owned(),
        kind: e.kind.clone(),
        subject: Subject {
            state: check_state(v, &f("state"), &e.state),
            treaty: check_treaty(v, &f("treaty"), &e.treaty),
            case: check_case(v, &f("case_id"), &e.case_id),
        },
        actor: e.actor.clone(),
        occurred_on: v.optional_date(&f("occurred_on"), e.occurred_on.as_ref()),
        recorded_at,
        sources: e.sources.clone(),
        payload: e.payload.clone(),
        origin: None,
    }
}

/// Validates an `Append` request and rebuilds the source's records.
pub fn append_request(req: &pb::AppendRequest) -> Result<Vec<Record>, Violations> {
    let mut v = Violations::new();
    check_source_name(&mut v, "source", &req.source);
    text(&mut v, "request_id".into(), &req.request_id, false);
    if req.entries.len() > MAX_ENTRIES_PER_APPEND {
        v.add("entries", format!("at most {MAX_ENTRIES_PER_APPEND} entries per request; send the rest in the next request"));
    }
    let records: Vec<Record> = req
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| entry(&mut v, &req.source, i, e))
        .collect();
    for (i, pair) in records.windows(2).enumerate() {
        if pair[1].sequence != pair[0].sequence.wrapping_add(1) {
            v.add(
                format!("entries[{}].sequence", i + 1),
                format!(
                    "entries must be consecutive: expected {}",
                    pair[0].sequence + 1
                ),
            );
        }
    }
    v.into_result(records)
}

/// Converts a SourceEntry-shaped record back to its wire form (used by the shipper).
pub fn source_entry(r: &Record) -> pb::SourceEntry {
    pb::SourceEntry {
        sequence: r.sequence,
        prev_hash: r.prev_hash.to_vec(),
        hash: r.hash.to_vec(),
        kind: r.kind.clone(),
        state: r.subject.state.clone().unwrap_or_default(),
        treaty: r.subject.treaty.clone().unwrap_or_default(),
        case_id: r.subject.case.clone().unwrap_or_default(),
        actor: r.actor.clone(),
        occurred_on: wire::opt_date_to_wire(r.occurred_on),
        recorded_at: Some(wire::timestamp_to_wire(r.recorded_at)),
        sources: r.sources.clone(),
        payload: r.payload.clone(),
    }
}

/// Converts a global log record to an API entry.
pub fn entry_to_wire(r: &Record) -> pb::Entry {
    let origin = r.origin.as_ref();
    pb::Entry {
        name: format!("entries/{}", r.sequence),
        sequence: r.sequence,
        source: origin.map_or_else(|| r.source.clone(), |o| o.source.clone()),
        source_sequence: origin.map_or(0, |o| o.sequence),
        kind: r.kind.clone(),
        state: r.subject.state.clone().unwrap_or_default(),
        treaty: r.subject.treaty.clone().unwrap_or_default(),
        case_id: r.subject.case.clone().unwrap_or_default(),
        actor: r.actor.clone(),
        occurred_on: wire::opt_date_to_wire(r.occurred_on),
        recorded_at: Some(wire::timestamp_to_wire(
            origin.map_or(r.recorded_at, |o| o.recorded_at),
        )),
        received_at: Some(wire::timestamp_to_wire(r.recorded_at)),
        sources: r.sources.clone(),
        details: String::from_utf8_lossy(&r.payload).into_owned(),
        hash: r.hash.to_vec(),
        prev_hash: r.prev_hash.to_vec(),
        source_hash: origin.map(|o| o.hash.to_vec()).unwrap_or_default(),
    }
}

/// Converts a ledger problem kind to its wire enum.
pub fn problem_kind(k: treaty_ledger::ProblemKind) -> pb::ProblemKind {
    use treaty_ledger::ProblemKind as K;
    match k {
        K::Altered => pb::ProblemKind::Altered,
        K::Missing => pb::ProblemKind::Missing,
        K::Reordered => pb::ProblemKind::Reordered,
        K::Undecodable => pb::ProblemKind::Undecodable,
    }
}
