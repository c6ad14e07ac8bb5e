//! The calendar of notice periods and entry into force.
//!
//! Treaty periods are counted in calendar months on civil dates, as the depositary counts them. No
//! time zone and no time of day is involved.

use jiff::civil::Date;

use crate::error::DomainError;

/// Returns the same day of the month `months` calendar months after `date`, or the last day of that
/// month when it is shorter.
///
/// This is how "six months after" is read in Art. 20 of the Ottawa Convention and the Convention on
/// Cluster Munitions: 27 June 2025 gives 27 December 2025, 20 August 2025 gives 20 February 2026,
/// and 31 August 2025 gives 28 February 2026 (29 February in a leap year).
///
/// # Errors
///
/// [`DomainError::DateOutOfRange`] when the result would fall after the year 9999.
pub fn add_months(date: Date, months: u32) -> Result<Date, DomainError> {
    let out_of_range = || DomainError::DateOutOfRange { date, months };
    // Count months from year 0, January, so that a year boundary is plain division.
    let month_index = i64::from(date.year()) * 12 + i64::from(date.month()) - 1 + i64::from(months);
    let year = i16::try_from(month_index.div_euclid(12)).map_err(|_| out_of_range())?;
    let month = i8::try_from(month_index.rem_euclid(12) + 1).map_err(|_| out_of_range())?;
    let first_of_target_month = Date::new(year, month, 1).map_err(|_| out_of_range())?;
    let day = date.day().min(first_of_target_month.days_in_month());
    Date::new(year, month, day).map_err(|_| out_of_range())
}

/// Returns the first day of the month that comes `months` months after the month of `date`.
///
/// This is how entry into force is counted for a state that joins the Ottawa Convention or the
/// Convention on Cluster Munitions late (Art. 17(2) of both): "the first day of the sixth month
/// after" the deposit. A deposit on 12 March 2025 gives 1 September 2025, whatever the day in March.
///
/// # Errors
///
/// [`DomainError::DateOutOfRange`] when the result would fall after the year 9999.
pub fn first_day_of_month_after(date: Date, months: u32) -> Result<Date, DomainError> {
    add_months(date.first_of_month(), months)
        .map_err(|_| DomainError::DateOutOfRange { date, months })
}

/// Today's civil date in the depositary's calendar, for the instant `now`: the one "today" every
/// service and the command line use (the date in UTC).
pub fn today(now: jiff::Timestamp) -> Date {
    now.to_zoned(jiff::tz::TimeZone::UTC).date()
}
