//! Field validators and their limits, stated once for every service.
//!
//! Each validator reads one field of a request, records a [`Violations`] entry naming the
//! field when it is wrong, and returns the domain value it stands for. A request is read
//! whole (every wrong field reported at once) and changes nothing when any field is wrong.
//!
//! One rule for text: surrounding white space is trimmed, then the length is checked in
//! bytes. One rule for identifiers: surrounding white space is trimmed and state codes are
//! read in either case — except in [`exact`] form, for fields whose bytes are hashed as sent
//! (the audit log's entries), which must already be canonical.

use jiff::civil::Date;
use treaty_domain::{CaseId, StateCode, TreatyId};

use crate::google::r#type::Date as WireDate;
use crate::violations::Violations;
use crate::wire;

/// The longest description, title, detail or other short free text, in bytes.
pub const MAX_TEXT: usize = 8 * 1024;
/// The longest statement of reasons, joint statement, claim or notice text, in bytes.
pub const MAX_LONG_TEXT: usize = 64 * 1024;
/// The most sources one fact may carry.
pub const MAX_SOURCES: usize = 64;
/// The longest source (a citation or a URL), in bytes.
pub const MAX_SOURCE: usize = 2048;
/// The longest `request_id`, in bytes.
pub const MAX_REQUEST_ID: usize = 128;
/// The longest notice id or other short identifier, in bytes.
pub const MAX_ID: usize = 128;
/// The page size when a request asks for none.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest page; a request for more gets this many.
pub const MAX_PAGE_SIZE: usize = 1000;

/// A client's idempotency key (AIP-155): 1 to [`MAX_REQUEST_ID`] bytes without control
/// characters, kept exactly as sent (a retry sends the same bytes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// The id as the client sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads an optional `request_id`: `None` when empty.
pub fn request_id(v: &mut Violations, input: &str) -> Option<RequestId> {
    if input.is_empty() {
        return None;
    }
    if input.len() > MAX_REQUEST_ID || input.chars().any(char::is_control) {
        v.add(
            "request_id",
            format!(
                "at most {MAX_REQUEST_ID} bytes without control characters, e.g. a UUID; or leave it empty"
            ),
        );
        return None;
    }
    Some(RequestId(input.to_owned()))
}

/// Reads a required state code (ISO 3166-1 alpha-2, either case); an unknown code's
/// violation suggests close codes.
pub fn state(v: &mut Violations, field: &str, input: &str) -> Option<StateCode> {
    if input.trim().is_empty() {
        v.add(field, "required: an ISO 3166-1 alpha-2 code, e.g. LT");
        return None;
    }
    StateCode::parse(input.trim())
        .map_err(|e| v.add(field, e.to_string()))
        .ok()
}

/// Reads an optional state code: `None` when empty.
pub fn optional_state(v: &mut Violations, field: &str, input: &str) -> Option<StateCode> {
    if input.trim().is_empty() {
        return None;
    }
    state(v, field, input)
}

/// Reads a required treaty id, e.g. `apmbc`.
pub fn treaty(v: &mut Violations, field: &str, input: &str) -> Option<TreatyId> {
    if input.trim().is_empty() {
        v.add(field, "required: a treaty id, e.g. apmbc");
        return None;
    }
    TreatyId::parse(input.trim())
        .map_err(|e| v.add(field, e.to_string()))
        .ok()
}

/// Reads an optional treaty id: `None` when empty.
pub fn optional_treaty(v: &mut Violations, field: &str, input: &str) -> Option<TreatyId> {
    if input.trim().is_empty() {
        return None;
    }
    treaty(v, field, input)
}

/// Reads a required withdrawal case id, e.g. `apmbc-LT-1`.
pub fn case(v: &mut Violations, field: &str, input: &str) -> Option<CaseId> {
    if input.trim().is_empty() {
        v.add(field, "required: the withdrawal case, e.g. apmbc-LT-1");
        return None;
    }
    CaseId::parse(input.trim())
        .map_err(|e| v.add(field, e.to_string()))
        .ok()
}

/// Reads an optional withdrawal case id: `None` when empty.
pub fn optional_case(v: &mut Violations, field: &str, input: &str) -> Option<CaseId> {
    if input.trim().is_empty() {
        return None;
    }
    case(v, field, input)
}

/// Reads a required case id that must be a withdrawal of `state` from `treaty` (when those
/// were read).
pub fn case_of(
    v: &mut Violations,
    field: &str,
    input: &str,
    treaty: Option<&TreatyId>,
    state: Option<StateCode>,
) -> Option<CaseId> {
    let case = case(v, field, input)?;
    match (treaty, state) {
        (Some(t), Some(s)) if case.treaty() != t || case.state() != s => {
            v.add(
                field,
                format!("the case {case} is not a withdrawal of {s} from {t}"),
            );
            None
        }
        _ => Some(case),
    }
}

/// Reads a required notice id: 1 to [`MAX_ID`] letters, digits or `-_.:~`.
pub fn notice_id(v: &mut Violations, field: &str, input: &str) -> Option<String> {
    let id = input.trim();
    let ok = !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '~'));
    if !ok {
        v.add(
            field,
            format!(
                "required: 1 to {MAX_ID} letters, digits or `-_.:~`, e.g. `apmbc-LT-1-deposit`"
            ),
        );
        return None;
    }
    Some(id.to_owned())
}

/// Reads an optional short free text (at most [`MAX_TEXT`] bytes), trimmed.
pub fn text(v: &mut Violations, field: &str, input: &str) -> String {
    bounded_text(v, field, input, MAX_TEXT, false)
}

/// Reads a required short free text (at most [`MAX_TEXT`] bytes), trimmed.
pub fn required_text(v: &mut Violations, field: &str, input: &str) -> String {
    bounded_text(v, field, input, MAX_TEXT, true)
}

/// Reads an optional long free text (at most [`MAX_LONG_TEXT`] bytes), trimmed.
pub fn long_text(v: &mut Violations, field: &str, input: &str) -> String {
    bounded_text(v, field, input, MAX_LONG_TEXT, false)
}

/// Reads a required long free text (at most [`MAX_LONG_TEXT`] bytes), trimmed.
pub fn required_long_text(v: &mut Violations, field: &str, input: &str) -> String {
    bounded_text(v, field, input, MAX_LONG_TEXT, true)
}

fn bounded_text(
    v: &mut Violations,
    field: &str,
    input: &str,
    max: usize,
    required: bool,
) -> String {
    let text = input.trim();
    if required && text.is_empty() {
        v.add(field, "required: must not be empty");
    } else if text.len() > max {
        v.add(
            field,
            format!("at most {max} bytes, got {}; shorten it", text.len()),
        );
    }
    text.to_owned()
}

/// Reads a list of sources: at most [`MAX_SOURCES`], each a non-blank citation or URL of at
/// most [`MAX_SOURCE`] bytes, trimmed.
pub fn sources(v: &mut Violations, field: &str, list: &[String]) -> Vec<String> {
    if list.len() > MAX_SOURCES {
        v.add(
            field,
            format!("at most {MAX_SOURCES} sources, got {}", list.len()),
        );
        return Vec::new();
    }
    list.iter()
        .enumerate()
        .map(|(i, s)| bounded_text(v, &format!("{field}[{i}]"), s, MAX_SOURCE, true))
        .collect()
}

/// Reads a page size: 0 means [`DEFAULT_PAGE_SIZE`], more than [`MAX_PAGE_SIZE`] means that
/// many, a negative size is refused.
pub fn page_size(v: &mut Violations, requested: i32) -> usize {
    match usize::try_from(requested) {
        Err(_) => {
            v.add(
                "page_size",
                format!(
                    "must not be negative; give 0 for {DEFAULT_PAGE_SIZE}, or up to {MAX_PAGE_SIZE}"
                ),
            );
            DEFAULT_PAGE_SIZE
        }
        Ok(0) => DEFAULT_PAGE_SIZE,
        Ok(n) => n.min(MAX_PAGE_SIZE),
    }
}

/// Reads a required civil date.
pub fn required_date(v: &mut Violations, field: &str, date: Option<&WireDate>) -> Option<Date> {
    match date {
        None => {
            v.add(field, "required: give the civil date as {year, month, day}");
            None
        }
        Some(d) => optional_date(v, field, Some(d)),
    }
}

/// Reads an optional civil date.
pub fn optional_date(v: &mut Violations, field: &str, date: Option<&WireDate>) -> Option<Date> {
    match date.map(wire::date_from_wire) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            v.add(field, e);
            None
        }
        None => None,
    }
}

/// Reads a required enum value of the generated type `E`: unset, unknown and
/// `*_UNSPECIFIED` values are refused, naming the accepted values in `accepted`.
pub fn required_enum<E>(v: &mut Violations, field: &str, raw: i32, accepted: &str) -> Option<E>
where
    E: TryFrom<i32> + Default + PartialEq,
{
    match E::try_from(raw) {
        Ok(value) if value != E::default() => Some(value),
        _ => {
            v.add(field, format!("required: one of {accepted}"));
            None
        }
    }
}

/// Validators for fields whose bytes are hashed as sent, which must already be canonical.
pub mod exact {
    use treaty_domain::{CaseId, StateCode, TreatyId};

    use crate::violations::Violations;

    /// An optional state code that must be given exactly as its canonical upper-case code.
    pub fn optional_state(v: &mut Violations, field: &str, input: &str) -> Option<StateCode> {
        if input.is_empty() {
            return None;
        }
        match StateCode::parse(input) {
            Ok(code) if code.as_str() == input => Some(code),
            Ok(code) => {
                v.add(field, format!("give the code exactly as {code}"));
                None
            }
            Err(e) => {
                v.add(field, e.to_string());
                None
            }
        }
    }

    /// An optional treaty id that must be given exactly in canonical form.
    pub fn optional_treaty(v: &mut Violations, field: &str, input: &str) -> Option<TreatyId> {
        if input.is_empty() {
            return None;
        }
        match TreatyId::parse(input) {
            Ok(id) if id.as_str() == input => Some(id),
            Ok(id) => {
                v.add(field, format!("give the treaty id exactly as {id}"));
                None
            }
            Err(e) => {
                v.add(field, e.to_string());
                None
            }
        }
    }

    /// An optional case id that must be given exactly in canonical form.
    pub fn optional_case(v: &mut Violations, field: &str, input: &str) -> Option<CaseId> {
        if input.is_empty() {
            return None;
        }
        match CaseId::parse(input) {
            Ok(id) if id.to_string() == input => Some(id),
            Ok(id) => {
                v.add(field, format!("give the case id exactly as {id}"));
                None
            }
            Err(e) => {
                v.add(field, e.to_string());
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: &Violations) -> Vec<&str> {
        v.iter().map(|x| x.field.as_str()).collect()
    }

    #[test]
    fn identifiers_are_trimmed_and_state_codes_read_in_either_case() {
        let mut v = Violations::new();
        assert_eq!(
            state(&mut v, "state", " lt ").map(|s| s.as_str()),
            Some("LT")
        );
        assert_eq!(
            treaty(&mut v, "treaty", " apmbc")
                .map(|t| t.to_string())
                .as_deref(),
            Some("apmbc")
        );
        assert_eq!(
            case(&mut v, "case_id", "apmbc-LT-1 ")
                .map(|c| c.to_string())
                .as_deref(),
            Some("apmbc-LT-1")
        );
        assert!(v.is_empty(), "{v}");
        assert_eq!(optional_state(&mut v, "state", "  "), None);
        assert!(v.is_empty());
        state(&mut v, "state", "");
        state(&mut v, "other", "XX");
        assert_eq!(fields(&v), ["state", "other"]);
    }

    #[test]
    fn exact_identifiers_refuse_what_is_not_canonical() {
        let mut v = Violations::new();
        assert!(exact::optional_state(&mut v, "state", "LT").is_some());
        assert!(exact::optional_state(&mut v, "s1", "lt").is_none());
        assert!(exact::optional_state(&mut v, "s2", " LT").is_none());
        assert!(exact::optional_treaty(&mut v, "t", "apmbc").is_some());
        assert!(exact::optional_case(&mut v, "c", "apmbc-LT-1").is_some());
        assert_eq!(fields(&v), ["s1", "s2"]);
    }

    #[test]
    fn a_case_must_belong_to_its_treaty_and_state() {
        let mut v = Violations::new();
        let lt = StateCode::parse("LT").ok();
        let apmbc = TreatyId::parse("apmbc").ok();
        assert!(case_of(&mut v, "case_id", "apmbc-LT-1", apmbc.as_ref(), lt).is_some());
        assert!(case_of(&mut v, "case_id", "apmbc-LV-1", apmbc.as_ref(), lt).is_none());
        assert_eq!(fields(&v), ["case_id"]);
    }

    #[test]
    fn text_is_trimmed_and_bounded_in_one_way() {
        let mut v = Violations::new();
        assert_eq!(text(&mut v, "detail", "  hello  "), "hello");
        required_text(&mut v, "title", "   ");
        text(&mut v, "detail", &"x".repeat(MAX_TEXT + 1));
        long_text(&mut v, "reasons", &"x".repeat(MAX_TEXT + 1));
        assert_eq!(fields(&v), ["title", "detail"]);
    }

    #[test]
    fn sources_are_counted_and_each_checked() {
        let mut v = Violations::new();
        let got = sources(&mut v, "sources", &[" https://a ".into(), " ".into()]);
        assert_eq!(got[0], "https://a");
        assert_eq!(fields(&v), ["sources[1]"]);
        let many = vec!["s".to_owned(); MAX_SOURCES + 1];
        let mut v = Violations::new();
        sources(&mut v, "sources", &many);
        assert_eq!(fields(&v), ["sources"], "one violation, not one per source");
    }

    #[test]
    fn request_ids_are_kept_exactly_and_bounded() {
        let mut v = Violations::new();
        assert_eq!(request_id(&mut v, ""), None);
        assert_eq!(
            request_id(&mut v, " r1")
                .map(|r| r.as_str().to_owned())
                .as_deref(),
            Some(" r1")
        );
        assert!(v.is_empty());
        request_id(&mut v, &"r".repeat(MAX_REQUEST_ID + 1));
        request_id(&mut v, "a\nb");
        assert_eq!(fields(&v), ["request_id", "request_id"]);
    }

    #[test]
    fn page_size_zero_means_the_default_and_large_is_capped() {
        let mut v = Violations::new();
        assert_eq!(page_size(&mut v, 0), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(&mut v, 5000), MAX_PAGE_SIZE);
        assert!(v.is_empty());
        page_size(&mut v, -1);
        assert_eq!(fields(&v), ["page_size"]);
    }

    #[test]
    fn notice_ids_are_short_and_plain() {
        let mut v = Violations::new();
        assert!(notice_id(&mut v, "notice_id", "apmbc-LT-1-deposit").is_some());
        assert!(notice_id(&mut v, "notice_id", "a b").is_none());
        assert!(notice_id(&mut v, "notice_id", "").is_none());
        assert_eq!(v.len(), 2);
    }
}
