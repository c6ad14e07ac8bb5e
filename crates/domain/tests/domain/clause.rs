//! When a notice takes effect: Art. 20 of the Ottawa Convention and of the Convention on Cluster
//! Munitions, with and without armed conflict.

use proptest::prelude::*;
use treaty_domain::{
    ConflictPeriod, Date, DomainError, Effect, RunsFrom, WithdrawalClause, effect,
};

const ARTICLE_20: WithdrawalClause = WithdrawalClause {
    notice_months: 6,
    runs_from: RunsFrom::DepositaryReceipt,
    armed_conflict_defers: true,
};

fn day(text: &str) -> Date {
    text.parse().expect("test dates are written YYYY-MM-DD")
}

fn conflict(name: &str, began: &str, ended: Option<&str>) -> ConflictPeriod {
    ConflictPeriod::new(name, day(began), ended.map(day)).unwrap()
}

/// The effect of the Baltic notices received on 27 June 2025 (expiry 27 December 2025).
fn baltic(conflicts: &[ConflictPeriod]) -> Effect {
    effect(&ARTICLE_20, day("2025-06-27"), conflicts).unwrap()
}

fn deferred_until(effect: &Effect) -> Option<Option<Date>> {
    match effect {
        Effect::Deferred { until, .. } => Some(*until),
        Effect::Effective { .. } => None,
    }
}

#[test]
fn without_conflict_the_withdrawal_takes_effect_when_the_notice_period_expires() {
    assert_eq!(
        baltic(&[]),
        Effect::Effective {
            on: day("2025-12-27")
        }
    );
}

#[test]
fn a_conflict_over_before_the_expiry_or_begun_after_it_changes_nothing() {
    let before = conflict("before", "2025-07-01", Some("2025-12-26"));
    let after = conflict("after", "2025-12-28", None);
    assert_eq!(
        baltic(&[before, after]),
        Effect::Effective {
            on: day("2025-12-27")
        }
    );
}

#[test]
fn a_conflict_going_on_at_the_expiry_defers_the_withdrawal_until_an_end_is_recorded() {
    let war = conflict("war", "2025-11-01", None);
    assert_eq!(
        baltic(std::slice::from_ref(&war)),
        Effect::Deferred {
            expiry: day("2025-12-27"),
            conflict: war,
            until: None
        }
    );
}

#[test]
fn once_the_conflict_has_ended_the_withdrawal_takes_effect_on_its_last_day() {
    let war = conflict("war", "2025-11-01", Some("2026-05-09"));
    let result = baltic(std::slice::from_ref(&war));
    assert_eq!(result.effective_on(), Some(day("2026-05-09")));
    assert_eq!(result.expiry(), day("2025-12-27"));
}

#[test]
fn a_conflict_beginning_on_the_expiry_day_defers_the_withdrawal() {
    let war = conflict("war", "2025-12-27", Some("2026-01-15"));
    assert_eq!(
        deferred_until(&baltic(&[war])),
        Some(Some(day("2026-01-15")))
    );
}

#[test]
fn a_conflict_ending_on_the_expiry_day_is_recorded_as_a_deferral_to_that_same_day() {
    let war = conflict("war", "2025-11-01", Some("2025-12-27"));
    let result = baltic(&[war]);
    assert_eq!(deferred_until(&result), Some(Some(day("2025-12-27"))));
    assert_eq!(result.effective_on(), Some(day("2025-12-27")));
}

#[test]
fn overlapping_conflicts_defer_the_withdrawal_until_the_last_of_them_ends() {
    let first = conflict("first", "2025-11-01", Some("2026-02-01"));
    let second = conflict("second", "2026-01-15", Some("2026-04-30"));
    let result = baltic(&[second, first.clone()]);
    assert_eq!(result.effective_on(), Some(day("2026-04-30")));
    assert!(matches!(result, Effect::Deferred { conflict, .. } if conflict == first));
}

#[test]
fn a_conflict_beginning_on_the_day_another_ends_continues_the_deferral() {
    let first = conflict("first", "2025-11-01", Some("2026-02-01"));
    let second = conflict("second", "2026-02-01", None);
    assert_eq!(deferred_until(&baltic(&[first, second])), Some(None));
}

#[test]
fn a_conflict_beginning_after_the_deferring_one_ended_does_not_extend_the_deferral() {
    let first = conflict("first", "2025-11-01", Some("2026-02-01"));
    let later = conflict("later", "2026-02-02", None);
    assert_eq!(
        baltic(&[first, later]).effective_on(),
        Some(day("2026-02-01"))
    );
}

#[test]
fn a_treaty_without_conflict_deferral_ignores_conflicts() {
    let clause = WithdrawalClause {
        armed_conflict_defers: false,
        ..ARTICLE_20
    };
    let war = conflict("war", "2025-11-01", None);
    assert_eq!(
        effect(&clause, day("2025-06-27"), &[war]),
        Ok(Effect::Effective {
            on: day("2025-12-27")
        })
    );
}

#[test]
fn the_period_runs_from_receipt_or_from_parliaments_approval_as_the_clause_says() {
    let from_approval = WithdrawalClause {
        runs_from: RunsFrom::ParliamentaryApproval,
        ..ARTICLE_20
    };
    let (receipt, approval) = (day("2025-08-20"), day("2025-06-25"));
    assert_eq!(
        ARTICLE_20.period_starts_on(receipt, Some(approval)),
        Some(receipt)
    );
    assert_eq!(
        from_approval.period_starts_on(receipt, Some(approval)),
        Some(approval)
    );
    assert_eq!(from_approval.period_starts_on(receipt, None), None);
}

#[test]
fn a_conflict_period_must_have_a_name_and_not_end_before_it_begins() {
    assert_eq!(
        ConflictPeriod::new(" ", day("2025-01-01"), None),
        Err(DomainError::UnnamedConflict)
    );
    assert!(matches!(
        ConflictPeriod::new("war", day("2025-02-01"), Some(day("2025-01-01"))),
        Err(DomainError::ConflictEndsBeforeItBegins { .. })
    ));
}

fn any_date() -> impl Strategy<Value = Date> {
    (2000i16..=2030, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn any_conflict() -> impl Strategy<Value = ConflictPeriod> {
    (any_date(), proptest::option::of(0i32..=400), 0u8..4).prop_map(|(began, length, name)| {
        let ended = length.map(|days| began.checked_add(jiff::Span::new().days(days)).unwrap());
        ConflictPeriod::new(format!("conflict {name}"), began, ended).unwrap()
    })
}

proptest! {
    #[test]
    fn the_effect_does_not_depend_on_the_order_conflicts_are_listed(
        start in any_date(),
        (conflicts, shuffled) in proptest::collection::vec(any_conflict(), 0..6)
            .prop_flat_map(|listed| (Just(listed.clone()), Just(listed).prop_shuffle())),
    ) {
        prop_assert_eq!(
            effect(&ARTICLE_20, start, &conflicts).unwrap(),
            effect(&ARTICLE_20, start, &shuffled).unwrap()
        );
    }

    #[test]
    fn a_withdrawal_never_takes_effect_before_its_notice_period_expires_nor_during_a_conflict(
        start in any_date(), conflicts in proptest::collection::vec(any_conflict(), 0..6),
    ) {
        let result = effect(&ARTICLE_20, start, &conflicts).unwrap();
        if let Some(on) = result.effective_on() {
            prop_assert!(on >= result.expiry());
            // On the effective day no conflict goes on past it.
            let engaged_after = conflicts
                .iter()
                .any(|c| c.covers(on) && c.ended.is_none_or(|e| e > on));
            prop_assert!(!engaged_after, "engaged after {}", on);
        }
    }
}
