//! Conversions every service shares between wire types and Rust types: civil dates
//! (`google.type.Date` ↔ `jiff::civil::Date`) and instants (`google.protobuf.Timestamp` ↔
//! `jiff::Timestamp`).

use crate::google::r#type::Date;

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
}
