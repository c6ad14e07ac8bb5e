//! The calendar: "six months after" and "the first day of the sixth month after".

use proptest::prelude::*;
use treaty_domain::{Date, DomainError, EntryIntoForceRule, add_months, first_day_of_month_after};

fn day(text: &str) -> Date {
    text.parse().expect("test dates are written YYYY-MM-DD")
}

#[test]
fn six_months_after_31_august_is_the_last_day_of_february() {
    assert_eq!(add_months(day("2025-08-31"), 6), Ok(day("2026-02-28")));
}

#[test]
fn six_months_after_31_august_before_a_leap_year_is_29_february() {
    assert_eq!(add_months(day("2027-08-31"), 6), Ok(day("2028-02-29")));
}

#[test]
fn six_months_after_a_day_that_exists_in_the_target_month_is_the_same_day() {
    let table = [
        // The Baltic deposits of 27 June 2025.
        ("2025-06-27", "2025-12-27"),
        // Finland.
        ("2025-07-10", "2026-01-10"),
        // Poland.
        ("2025-08-20", "2026-02-20"),
        // Lithuania, Convention on Cluster Munitions.
        ("2024-09-06", "2025-03-06"),
    ];
    for (receipt, effect) in table {
        assert_eq!(
            add_months(day(receipt), 6),
            Ok(day(effect)),
            "six months after {receipt}"
        );
    }
}

#[test]
fn months_are_counted_across_year_ends_and_clamped_to_short_months() {
    let table = [
        ("2024-01-30", 1, "2024-02-29"),
        ("2025-01-31", 1, "2025-02-28"),
        ("2025-03-31", 1, "2025-04-30"),
        ("2025-12-31", 2, "2026-02-28"),
        ("2025-10-31", 6, "2026-04-30"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2025-06-27", 0, "2025-06-27"),
        ("2025-06-27", 120, "2035-06-27"),
    ];
    for (from, months, expected) in table {
        assert_eq!(
            add_months(day(from), months),
            Ok(day(expected)),
            "{months} months after {from}"
        );
    }
}

#[test]
fn a_period_ending_after_the_year_9999_is_refused() {
    assert_eq!(
        add_months(day("9999-12-31"), 1),
        Err(DomainError::DateOutOfRange {
            date: day("9999-12-31"),
            months: 1
        })
    );
}

#[test]
fn a_late_joiner_is_bound_from_the_first_day_of_the_sixth_month_after_its_deposit_month() {
    let table = [
        ("2025-03-12", "2025-09-01"),
        ("2025-09-05", "2026-03-01"),
        ("2025-06-25", "2025-12-01"),
        ("2025-03-01", "2025-09-01"),
        ("2025-03-31", "2025-09-01"),
    ];
    for (deposit, in_force) in table {
        assert_eq!(
            first_day_of_month_after(day(deposit), 6),
            Ok(day(in_force)),
            "{deposit}"
        );
    }
}

#[test]
fn the_ottawa_convention_binds_early_ratifiers_from_1_march_1999_and_late_joiners_later() {
    let ottawa = EntryIntoForceRule {
        treaty_in_force_on: day("1999-03-01"),
        months_after_deposit: 6,
    };
    let table = [
        // Canada, among the first 40.
        ("1997-12-03", "1999-03-01"),
        // Burkina Faso, the 40th deposit.
        ("1998-09-16", "1999-03-01"),
        // Ukraine.
        ("2005-12-27", "2006-06-01"),
        // Finland.
        ("2012-01-09", "2012-07-01"),
    ];
    for (deposit, in_force) in table {
        assert_eq!(
            ottawa.in_force_for(day(deposit)),
            Ok(day(in_force)),
            "deposit of {deposit}"
        );
    }
}

#[test]
fn the_cluster_munitions_convention_bound_lithuania_from_1_september_2011() {
    let ccm = EntryIntoForceRule {
        treaty_in_force_on: day("2010-08-01"),
        months_after_deposit: 6,
    };
    assert_eq!(ccm.in_force_for(day("2011-03-24")), Ok(day("2011-09-01")));
    assert_eq!(ccm.in_force_for(day("2008-12-03")), Ok(day("2010-08-01")));
}

fn any_date() -> impl Strategy<Value = Date> {
    (1i16..=9000, 1i8..=12, 1i8..=31).prop_map(|(year, month, day)| {
        let first = Date::new(year, month, 1).unwrap();
        Date::new(year, month, day.min(first.days_in_month())).unwrap()
    })
}

fn month_number(date: Date) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month())
}

proptest! {
    #[test]
    fn the_result_is_the_same_day_when_the_month_has_it_and_the_last_day_otherwise(
        date in any_date(), months in 0u32..=600,
    ) {
        let later = add_months(date, months).unwrap();
        prop_assert!(later.day() <= date.day());
        if date.day() <= later.days_in_month() {
            prop_assert_eq!(later.day(), date.day());
        } else {
            prop_assert_eq!(later, later.last_of_month());
        }
    }

    #[test]
    fn the_result_falls_exactly_that_many_calendar_months_later(
        date in any_date(), months in 0u32..=600,
    ) {
        let later = add_months(date, months).unwrap();
        prop_assert_eq!(month_number(later) - month_number(date), i64::from(months));
    }

    #[test]
    fn a_later_start_never_gives_an_earlier_result(
        a in any_date(), b in any_date(), months in 0u32..=600,
    ) {
        let (earlier, later) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(add_months(earlier, months).unwrap() <= add_months(later, months).unwrap());
    }

    #[test]
    fn adding_in_two_goes_never_overshoots_adding_at_once_and_matches_it_up_to_the_28th(
        date in any_date(), a in 0u32..=120, b in 0u32..=120,
    ) {
        let in_two_goes = add_months(add_months(date, a).unwrap(), b).unwrap();
        let at_once = add_months(date, a + b).unwrap();
        prop_assert!(in_two_goes <= at_once);
        prop_assert_eq!(month_number(in_two_goes), month_number(at_once));
        if date.day() <= 28 {
            prop_assert_eq!(in_two_goes, at_once);
        }
    }

    #[test]
    fn six_months_are_always_between_181_and_184_days(date in any_date()) {
        let later = add_months(date, 6).unwrap();
        let days = (later - date).get_days();
        prop_assert!((181..=184).contains(&days), "{} days from {}", days, date);
    }

    #[test]
    fn entry_into_force_falls_on_a_first_of_the_month_after_the_deposit(
        deposit in any_date(), months in 1u32..=24,
    ) {
        let in_force = first_day_of_month_after(deposit, months).unwrap();
        prop_assert_eq!(in_force.day(), 1);
        prop_assert!(in_force > deposit);
        prop_assert_eq!(month_number(in_force) - month_number(deposit), i64::from(months));
    }
}
