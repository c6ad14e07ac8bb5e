//! What tests read from the services' answers: the details an error carries
//! (AIP-193: a `BadRequest` listing the violated fields, an `ErrorInfo` with
//! a reason and metadata), and civil dates on the wire.

use tonic::Status;
use tonic_types::StatusExt;
use treaty_proto::google::r#type::Date;

/// A `google.type.Date` as written, not validated, so tests can send
/// impossible dates as well (`date(2025, 2, 30)`).
pub fn date(year: i32, month: i32, day: i32) -> Date {
    Date { year, month, day }
}

/// The fields the error's `BadRequest` detail names, in its order (none
/// without that detail).
pub fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// The reason of the error's `ErrorInfo` detail, e.g. `PEER_UNAVAILABLE`.
pub fn reason(status: &Status) -> Option<String> {
    status.get_details_error_info().map(|e| e.reason)
}

/// The value under `key` in the metadata of the error's `ErrorInfo` detail.
pub fn error_metadata(status: &Status, key: &str) -> Option<String> {
    status
        .get_details_error_info()
        .and_then(|mut e| e.metadata.remove(key))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic::Code;
    use tonic_types::{ErrorDetails, FieldViolation};

    use super::*;

    fn refused() -> Status {
        let mut details = ErrorDetails::with_bad_request(vec![
            FieldViolation::new("state", "not an ISO 3166-1 code"),
            FieldViolation::new("received_on", "not a date"),
        ]);
        details.set_error_info(
            "INVALID_FIELDS",
            "registry.treaty.test",
            HashMap::from([("firstField".to_owned(), "state".to_owned())]),
        );
        Status::with_error_details(Code::InvalidArgument, "two fields are invalid", details)
    }

    #[test]
    fn the_violated_fields_are_those_of_the_bad_request_in_order() {
        assert_eq!(violated_fields(&refused()), ["state", "received_on"]);
    }

    #[test]
    fn the_reason_and_metadata_are_those_of_the_error_info() {
        let status = refused();
        assert_eq!(reason(&status).as_deref(), Some("INVALID_FIELDS"));
        assert_eq!(
            error_metadata(&status, "firstField").as_deref(),
            Some("state")
        );
        assert_eq!(error_metadata(&status, "first_field"), None);
    }

    #[test]
    fn an_error_without_details_has_no_fields_reason_or_metadata() {
        let status = Status::not_found("no such treaty");
        assert!(violated_fields(&status).is_empty());
        assert_eq!(reason(&status), None);
        assert_eq!(error_metadata(&status, "firstField"), None);
    }

    #[test]
    fn a_wire_date_keeps_what_it_is_given() {
        let d = date(2025, 2, 30);
        assert_eq!((d.year, d.month, d.day), (2025, 2, 30));
    }
}
