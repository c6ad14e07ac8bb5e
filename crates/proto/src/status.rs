//! The one way a service builds an error status (AIP-193): a code, a bounded message that
//! says what to do, and an `ErrorInfo` with the service's domain, an UPPER_SNAKE reason and
//! lowerCamel metadata keys — on every error, NOT_FOUND and INVALID_ARGUMENT included.
//!
//! Each service keeps one exhaustive `From<ItsError> for Status`; this module is what those
//! mappings call, so the limits and the shape are written once.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// A service as its errors name it: its short name (for messages) and its `ErrorInfo` domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    /// The short name, e.g. `registry`.
    pub name: &'static str,
    /// The `ErrorInfo` domain of every error it answers, e.g. `treaty.registry.v1`.
    pub domain: &'static str,
}

impl Service {
    /// An error of this service: see [`error`].
    pub fn error<K: AsRef<str>>(
        &self,
        code: Code,
        reason: &str,
        message: impl Into<String>,
        metadata: impl IntoIterator<Item = (K, String)>,
    ) -> Status {
        error(code, self.domain, reason, message, metadata)
    }

    /// The INVALID_ARGUMENT of this service for `violations`.
    pub fn invalid(&self, violations: crate::Violations) -> Status {
        violations.into_status(self.domain)
    }
}

/// The longest message sent to a client, in bytes.
pub const MAX_MESSAGE: usize = 1024;
/// The longest `ErrorInfo` metadata value sent, in bytes.
pub const MAX_METADATA_VALUE: usize = 256;

/// A status of `code` with an `ErrorInfo` of `domain`, `reason` and `metadata`.
///
/// The message is cut at [`MAX_MESSAGE`] bytes and every metadata value at
/// [`MAX_METADATA_VALUE`]; metadata keys must be lowerCamel (checked in debug builds).
pub fn error<K: AsRef<str>>(
    code: Code,
    domain: &str,
    reason: &str,
    message: impl Into<String>,
    metadata: impl IntoIterator<Item = (K, String)>,
) -> Status {
    build(code, domain, reason, message, metadata, Vec::new())
}

/// [`error`] with `BadRequest` field violations as well.
pub(crate) fn build<K: AsRef<str>>(
    code: Code,
    domain: &str,
    reason: &str,
    message: impl Into<String>,
    metadata: impl IntoIterator<Item = (K, String)>,
    violations: Vec<(String, String)>,
) -> Status {
    debug_assert!(is_upper_snake(reason), "ErrorInfo reason {reason:?}");
    let metadata: HashMap<String, String> = metadata
        .into_iter()
        .map(|(k, v)| {
            let k = k.as_ref();
            debug_assert!(is_lower_camel(k), "ErrorInfo metadata key {k:?}");
            (k.to_owned(), bounded(v, MAX_METADATA_VALUE))
        })
        .collect();
    let mut details = ErrorDetails::with_error_info(reason, domain, metadata);
    for (field, description) in violations {
        details.add_bad_request_violation(field, description);
    }
    Status::with_error_details(code, bounded(message.into(), MAX_MESSAGE), details)
}

/// `text` cut to at most `max` bytes on a character boundary, ending in `…` when cut.
pub fn bounded(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push('…');
    text
}

/// The `ErrorInfo` reason of a status, if it carries one.
pub fn reason(status: &Status) -> Option<String> {
    status.get_details_error_info().map(|info| info.reason)
}

/// The `ErrorInfo` metadata value `key` of a status, if present.
pub fn metadata(status: &Status, key: &str) -> Option<String> {
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get(key).cloned())
}

fn is_lower_camel(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

fn is_upper_snake(reason: &str) -> bool {
    !reason.is_empty()
        && reason
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_carries_its_domain_reason_and_metadata() {
        let status = error(
            Code::NotFound,
            "treaty.registry.v1",
            "TREATY_NOT_FOUND",
            "no treaty xyz",
            [("treatyId", "xyz".to_owned())],
        );
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(reason(&status).as_deref(), Some("TREATY_NOT_FOUND"));
        assert_eq!(metadata(&status, "treatyId").as_deref(), Some("xyz"));
    }

    #[test]
    fn long_messages_and_values_are_cut_on_a_character_boundary() {
        let status = error(
            Code::InvalidArgument,
            "d",
            "R",
            "ü".repeat(10_000),
            [("value", "ü".repeat(10_000))],
        );
        assert!(status.message().len() <= MAX_MESSAGE);
        assert!(status.message().ends_with('…'));
        assert!(metadata(&status, "value").unwrap().len() <= MAX_METADATA_VALUE);
        assert_eq!(bounded("short".into(), 10), "short");
    }

    #[test]
    fn keys_are_lower_camel_and_reasons_upper_snake() {
        assert!(is_lower_camel("caseId"));
        assert!(!is_lower_camel("case_id"));
        assert!(!is_lower_camel("CaseId"));
        assert!(is_upper_snake("CASE_ALREADY_OPEN"));
        assert!(!is_upper_snake("caseOpen"));
    }
}
