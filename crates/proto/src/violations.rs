//! AIP-193 field violations: every wrong field of a request, collected once, answered as one
//! INVALID_ARGUMENT with `BadRequest` and `ErrorInfo` details. What is echoed back is bounded:
//! a description is cut at [`MAX_DESCRIPTION`] bytes, the message names the first
//! [`MESSAGE_VIOLATIONS`] and says how many more, and the details carry at most
//! [`DETAIL_VIOLATIONS`] — a 10,000-item request never becomes a half-megabyte error that a
//! client drops.

use std::fmt;

use tonic::{Code, Status};

use crate::status::{self, bounded};

/// The longest description kept, in bytes (a field's value echoed in it is cut here).
pub const MAX_DESCRIPTION: usize = 256;
/// How many violations the status message names before saying "and N more".
pub const MESSAGE_VIOLATIONS: usize = 3;
/// How many violations the `BadRequest` detail carries at most.
pub const DETAIL_VIOLATIONS: usize = 20;

/// One field of a request that is wrong, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The field path, e.g. `vote.yes` or `entries[3].hash`.
    pub field: String,
    /// What is wrong and what is accepted.
    pub description: String,
}

/// The field violations of one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` is wrong.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(Violation {
            field: bounded(field.into(), MAX_DESCRIPTION),
            description: bounded(description.into(), MAX_DESCRIPTION),
        });
    }

    /// A collection with one violation.
    pub fn one(field: impl Into<String>, description: impl Into<String>) -> Self {
        let mut v = Self::new();
        v.add(field, description);
        v
    }

    /// Adds every violation of `other`.
    pub fn merge(&mut self, other: Violations) {
        self.0.extend(other.0);
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many violations there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The violations.
    pub fn iter(&self) -> impl Iterator<Item = &Violation> {
        self.0.iter()
    }

    /// `Ok(value)` when nothing is wrong, else the violations.
    pub fn into_result<T>(self, value: T) -> Result<T, Violations> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// `Ok(value)` when nothing is wrong and the value could be read, else the violations.
    /// A missing value with no violation is a bug in the caller's validator, reported as one.
    pub fn finish<T>(mut self, value: Option<T>) -> Result<T, Violations> {
        match value {
            Some(value) if self.is_empty() => Ok(value),
            None if self.is_empty() => {
                self.add("", "the request could not be read; report this");
                Err(self)
            }
            _ => Err(self),
        }
    }

    /// The INVALID_ARGUMENT status carrying these violations as `BadRequest` details and an
    /// `ErrorInfo` (reason `INVALID_FIELDS`) of `domain`.
    pub fn into_status(self, domain: &str) -> Status {
        self.into_status_as(domain, "INVALID_FIELDS")
    }

    /// [`Violations::into_status`] with another `ErrorInfo` reason.
    pub fn into_status_as(self, domain: &str, reason: &str) -> Status {
        let total = self.0.len();
        let named: Vec<String> = self
            .0
            .iter()
            .take(MESSAGE_VIOLATIONS)
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect();
        let mut message = match total {
            1 => format!("invalid {}", named[0]),
            n => format!("{n} invalid fields: {}", named.join("; ")),
        };
        if total > MESSAGE_VIOLATIONS {
            message.push_str(&format!("; and {} more", total - MESSAGE_VIOLATIONS));
        }
        let fields: Vec<&str> = self
            .0
            .iter()
            .take(DETAIL_VIOLATIONS)
            .map(|v| v.field.as_str())
            .collect();
        let metadata = [
            ("fieldCount", total.to_string()),
            ("fields", fields.join(",")),
        ];
        status::build(
            Code::InvalidArgument,
            domain,
            reason,
            message,
            metadata,
            self.0
                .into_iter()
                .take(DETAIL_VIOLATIONS)
                .map(|v| (v.field, v.description))
                .collect(),
        )
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", v.field, v.description)?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::StatusExt;

    #[test]
    fn violations_become_an_invalid_argument_with_bad_request_and_error_info() {
        let mut v = Violations::new();
        v.add("state", "unknown code XX");
        let status = v.into_status("treaty.registry.v1");
        assert_eq!(status.code(), Code::InvalidArgument);
        let bad = status
            .get_details_bad_request()
            .expect("bad request details");
        assert_eq!(bad.field_violations[0].field, "state");
        let info = status.get_details_error_info().expect("error info");
        assert_eq!(info.reason, "INVALID_FIELDS");
        assert_eq!(info.domain, "treaty.registry.v1");
        assert_eq!(info.metadata["fields"], "state");
    }

    #[test]
    fn ten_thousand_violations_make_a_small_error_that_says_how_many_more() {
        let mut v = Violations::new();
        for i in 0..10_000 {
            v.add(format!("states[{i}]"), "x".repeat(1_000_000 / 10_000));
        }
        let status = v.into_status("treaty.approvals.v1");
        assert!(status.message().len() < 2_000, "{}", status.message().len());
        assert!(
            status.message().ends_with("and 9997 more"),
            "{}",
            status.message()
        );
        assert!(
            status.details().len() < 16 * 1024,
            "{}",
            status.details().len()
        );
        let bad = status.get_details_bad_request().expect("details");
        assert_eq!(bad.field_violations.len(), DETAIL_VIOLATIONS);
    }

    #[test]
    fn a_megabyte_value_echoed_in_a_description_is_cut() {
        let v = Violations::one("text", format!("too long: {}", "é".repeat(500_000)));
        let status = v.into_status("treaty.registry.v1");
        assert!(status.message().len() < 1_000, "{}", status.message().len());
        assert!(status.message().contains('…'));
    }
}
