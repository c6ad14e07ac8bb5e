//! Conversions every service shares between wire types and Rust types: civil
//! dates (`google.type.Date` ↔ `jiff::civil::Date`), instants
//! (`google.protobuf.Timestamp` ↔ `jiff::Timestamp`), and AIP-193 field
//! violations for INVALID_ARGUMENT answers.

use std::fmt;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::google::r#type::Date;

/// The error domain put in `ErrorInfo` details.
pub const ERROR_DOMAIN: &str = "treaty.example.org";

/// Converts a civil date to its wire form.
pub fn date_to_wire(date: jiff::civil::Date) -> Date {
    Date {
        year: i32::from(date.year()),
        month: i32::from(date.month()),
        day: i32::from(date.day()),
    }
}

/// Converts an optional civil date to its wire form (unset stays unset).
pub fn opt_date_to_wire(date: Option<jiff::civil::Date>) -> Option<Date> {
    date.map(date_to_wire)
}

/// Converts a wire date to a civil date, or says what is wrong with it.
pub fn date_from_wire(date: &Date) -> Result<jiff::civil::Date, String> {
    let (y, m, d) = (date.year, date.month, date.day);
    let shaped = || -> Option<jiff::civil::Date> {
        let year = i16::try_from(y).ok().filter(|y| (1..=9999).contains(y))?;
        let month = i8::try_from(m).ok()?;
        let day = i8::try_from(d).ok()?;
        jiff::civil::Date::new(year, month, day).ok()
    };
    shaped().ok_or_else(|| format!("{y:04}-{m:02}-{d:02} is not a calendar date; give year 1-9999, month 1-12 and a day that exists in that month"))
}

/// Converts an instant to a `google.protobuf.Timestamp`.
pub fn timestamp_to_wire(ts: jiff::Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ts.as_second(),
        nanos: ts.subsec_nanosecond(),
    }
}

/// Converts a `google.protobuf.Timestamp` to an instant, if it is one.
pub fn timestamp_from_wire(ts: &prost_types::Timestamp) -> Option<jiff::Timestamp> {
    jiff::Timestamp::new(ts.seconds, ts.nanos).ok()
}

/// One field of a request that is wrong, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The field path, e.g. `vote.yes` or `entries[3].hash`.
    pub field: String,
    /// What is wrong and what is accepted.
    pub description: String,
}

/// The field violations of one request (AIP-193 `BadRequest`).
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
            field: field.into(),
            description: description.into(),
        });
    }

    /// A collection with one violation.
    pub fn one(field: impl Into<String>, description: impl Into<String>) -> Self {
        let mut v = Self::new();
        v.add(field, description);
        v
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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

    /// Reads a required date field, recording a violation when it is missing or impossible.
    pub fn required_date(&mut self, field: &str, date: Option<&Date>) -> Option<jiff::civil::Date> {
        match date {
            None => {
                self.add(field, "required: give the civil date as {year, month, day}");
                None
            }
            Some(d) => self.optional_date(field, Some(d)),
        }
    }

    /// Reads an optional date field, recording a violation when it is impossible.
    pub fn optional_date(&mut self, field: &str, date: Option<&Date>) -> Option<jiff::civil::Date> {
        match date.map(date_from_wire) {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                self.add(field, e);
                None
            }
            None => None,
        }
    }

    /// Reads a required, non-blank string field.
    pub fn required_str<'a>(&mut self, field: &str, value: &'a str) -> Option<&'a str> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.add(field, "required: must not be empty");
            None
        } else {
            Some(trimmed)
        }
    }

    /// The INVALID_ARGUMENT status carrying these violations as `BadRequest` details.
    pub fn into_status(self) -> Status {
        let message = match self.0.as_slice() {
            [one] => format!("invalid {}: {}", one.field, one.description),
            many => format!("{} invalid fields: {}", many.len(), self),
        };
        let mut details = ErrorDetails::new();
        for v in self.0 {
            details.add_bad_request_violation(v.field, v.description);
        }
        Status::with_error_details(Code::InvalidArgument, message, details)
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

/// A status of `code` carrying `ErrorInfo` with a machine-readable reason and metadata.
pub fn status_with_info(
    code: Code,
    message: impl Into<String>,
    reason: &str,
    metadata: Vec<(String, String)>,
) -> Status {
    let details = ErrorDetails::with_error_info(
        reason,
        ERROR_DOMAIN,
        metadata
            .into_iter()
            .collect::<std::collections::HashMap<_, _>>(),
    );
    Status::with_error_details(code, message, details)
}

/// Reads the `ErrorInfo` metadata value `key` from a status, if present.
pub fn error_info_value(status: &Status, key: &str) -> Option<String> {
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get(key).cloned())
}

/// Clamps a requested page size: 0 means `default`, anything above `max` is `max`.
pub fn page_size(requested: i32, default: usize, max: usize) -> Result<usize, Violations> {
    match usize::try_from(requested) {
        Err(_) => Err(Violations::one("page_size", "must not be negative")),
        Ok(0) => Ok(default),
        Ok(n) => Ok(n.min(max)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_date_round_trips_through_the_wire() {
        let d = jiff::civil::date(2025, 6, 27);
        assert_eq!(date_from_wire(&date_to_wire(d)), Ok(d));
    }

    #[test]
    fn an_impossible_date_is_refused_with_what_is_accepted() {
        let err = date_from_wire(&Date {
            year: 2025,
            month: 2,
            day: 30,
        })
        .unwrap_err();
        assert!(err.contains("2025-02-30"), "{err}");
        assert!(
            date_from_wire(&Date {
                year: 0,
                month: 1,
                day: 1
            })
            .is_err()
        );
    }

    #[test]
    fn violations_become_an_invalid_argument_with_bad_request_details() {
        let mut v = Violations::new();
        v.add("state", "unknown code XX");
        let status = v.into_status();
        assert_eq!(status.code(), Code::InvalidArgument);
        let bad = status
            .get_details_bad_request()
            .expect("bad request details");
        assert_eq!(bad.field_violations[0].field, "state");
    }

    #[test]
    fn page_size_zero_means_the_default_and_large_is_capped() {
        assert_eq!(page_size(0, 100, 1000), Ok(100));
        assert_eq!(page_size(5000, 100, 1000), Ok(1000));
        assert!(page_size(-1, 100, 1000).is_err());
    }
}
