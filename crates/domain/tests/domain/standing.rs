//! A state's standing towards a treaty as of any date: signature, consent, entry into force,
//! notice, deferral by armed conflict, effect, revocation and rejoining.

use crate::facts::{APMBC, conflict, day, lithuania, period, status_on};
use treaty_domain::{ConsentKind, StandingStatus, standing};

#[test]
fn lithuania_is_a_party_then_notified_then_withdrawn_from_the_ottawa_convention() {
    let facts = lithuania();
    let table = [
        ("1999-01-01", StandingStatus::NotAMember),
        (
            "2000-01-01",
            StandingStatus::Signatory {
                signed_on: day("1999-02-26"),
            },
        ),
        (
            "2003-06-01",
            StandingStatus::Consented {
                in_force_on: day("2003-11-01"),
            },
        ),
        ("2003-11-01", StandingStatus::Party),
        ("2025-06-01", StandingStatus::Party),
        (
            "2025-07-01",
            StandingStatus::WithdrawalNotified {
                expiry: day("2025-12-27"),
                effective_on: Some(day("2025-12-27")),
            },
        ),
        (
            "2025-12-26",
            StandingStatus::WithdrawalNotified {
                expiry: day("2025-12-27"),
                effective_on: Some(day("2025-12-27")),
            },
        ),
        (
            "2025-12-27",
            StandingStatus::Withdrawn {
                on: day("2025-12-27"),
            },
        ),
        (
            "2026-01-01",
            StandingStatus::Withdrawn {
                on: day("2025-12-27"),
            },
        ),
    ];
    for (as_of, expected) in table {
        assert_eq!(status_on(&facts, &[], as_of), expected, "as of {as_of}");
    }
}

#[test]
fn the_standing_names_the_period_and_notice_it_rests_on() {
    let facts = lithuania();
    let before = standing(&facts, &APMBC, &[], day("2025-06-01")).unwrap();
    assert_eq!((before.period, before.notice), (Some(0), None));
    assert_eq!(before.in_force_on, Some(day("2003-11-01")));
    assert!(before.is_party());
    let after = standing(&facts, &APMBC, &[], day("2025-07-01")).unwrap();
    assert_eq!((after.period, after.notice), (Some(0), Some(0)));
    assert!(after.is_party(), "a notified state is still a party");
    let gone = standing(&facts, &APMBC, &[], day("2026-01-01")).unwrap();
    assert!(!gone.is_party());
    let signatory = standing(&facts, &APMBC, &[], day("2000-01-01")).unwrap();
    assert_eq!((signatory.period, signatory.in_force_on), (None, None));
}

#[test]
fn a_conflict_covering_the_expiry_defers_the_withdrawal_until_its_end() {
    let facts = lithuania();
    let war = conflict("states/LT/conflicts/1", "2025-11-01", None);
    let deferred = StandingStatus::WithdrawalDeferred {
        expiry: day("2025-12-27"),
        conflict: war.clone(),
        until: None,
    };
    let ongoing = [war.clone()];
    let table = [
        (
            "2025-07-01",
            StandingStatus::WithdrawalNotified {
                expiry: day("2025-12-27"),
                effective_on: None,
            },
        ),
        ("2025-12-27", deferred.clone()),
        ("2030-01-01", deferred),
    ];
    for (as_of, expected) in table {
        assert_eq!(
            status_on(&facts, &ongoing, as_of),
            expected,
            "as of {as_of}"
        );
    }

    let ended = [conflict(
        "states/LT/conflicts/1",
        "2025-11-01",
        Some("2026-03-31"),
    )];
    let table = [
        (
            "2025-07-01",
            StandingStatus::WithdrawalNotified {
                expiry: day("2025-12-27"),
                effective_on: Some(day("2026-03-31")),
            },
        ),
        (
            "2026-03-30",
            StandingStatus::WithdrawalDeferred {
                expiry: day("2025-12-27"),
                conflict: ended[0].clone(),
                until: Some(day("2026-03-31")),
            },
        ),
        (
            "2026-03-31",
            StandingStatus::Withdrawn {
                on: day("2026-03-31"),
            },
        ),
    ];
    for (as_of, expected) in table {
        assert_eq!(status_on(&facts, &ended, as_of), expected, "as of {as_of}");
    }
}

#[test]
fn a_conflict_that_ended_before_the_expiry_does_not_defer() {
    let facts = lithuania();
    let past = [conflict(
        "states/LT/conflicts/1",
        "2025-07-01",
        Some("2025-12-26"),
    )];
    assert_eq!(
        status_on(&facts, &past, "2025-12-27"),
        StandingStatus::Withdrawn {
            on: day("2025-12-27")
        }
    );
}

#[test]
fn a_revoked_notice_leaves_the_state_a_party() {
    let mut facts = lithuania();
    facts.periods[0].notices[0].revoked_on = Some(day("2025-10-01"));
    let table = [
        (
            "2025-09-30",
            StandingStatus::WithdrawalNotified {
                expiry: day("2025-12-27"),
                effective_on: Some(day("2025-12-27")),
            },
        ),
        ("2025-10-01", StandingStatus::Party),
        ("2026-06-01", StandingStatus::Party),
    ];
    for (as_of, expected) in table {
        assert_eq!(status_on(&facts, &[], as_of), expected, "as of {as_of}");
    }
}

#[test]
fn rejoining_by_accession_begins_a_second_period() {
    let mut facts = lithuania();
    facts
        .periods
        .push(period(ConsentKind::Accession, "2027-03-15", vec![]));
    let table = [
        (
            "2027-01-01",
            StandingStatus::Withdrawn {
                on: day("2025-12-27"),
            },
        ),
        (
            "2027-04-01",
            StandingStatus::Consented {
                in_force_on: day("2027-09-01"),
            },
        ),
        ("2027-09-01", StandingStatus::Party),
    ];
    for (as_of, expected) in table {
        assert_eq!(status_on(&facts, &[], as_of), expected, "as of {as_of}");
    }
    let rejoined = standing(&facts, &APMBC, &[], day("2027-09-01")).unwrap();
    assert_eq!((rejoined.period, rejoined.notice), (Some(1), None));
}

#[test]
fn every_state_code_is_listed_once_in_order() {
    let all = treaty_domain::StateCode::all();
    assert!(all.len() >= 249, "{} codes", all.len());
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert!(all.iter().any(|c| c.as_str() == "LT"));
}
