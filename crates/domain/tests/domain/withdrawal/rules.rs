//! The rules a service asks the case about: whether a vote passed, whether the case awaits its
//! effect, the step due on a day, and the effective date to expect.

use treaty_domain::{ChamberVote, ConflictPeriod, Step, Tally, Threshold, WithdrawalStatus};

use crate::withdrawal::support::*;

fn vote(chamber: &str, tally: Tally) -> ChamberVote {
    ChamberVote {
        chamber: chamber.into(),
        on: Some(day("2025-04-16")),
        tally,
        final_reading: true,
    }
}

#[test]
fn whether_a_vote_passed_is_its_chambers_threshold_or_the_reported_outcome() {
    let case = open("apmbc-LT-1", lithuania());
    let counted = |yes, no| Tally::Counted {
        yes,
        no,
        abstain: None,
    };
    let table = [
        (vote("Seimas", counted(107, 3)), Some(true)),
        (vote("Seimas", counted(85, 0)), Some(true)),
        (vote("Seimas", counted(84, 0)), Some(false)),
        (vote("Seimas", Tally::Reported { passed: true }), Some(true)),
        (
            vote("Seimas", Tally::Reported { passed: false }),
            Some(false),
        ),
        (vote("Senate", counted(100, 0)), None),
    ];
    for (v, want) in table {
        assert_eq!(case.vote_passes(&v), want, "{v:?}");
    }
    let majority = Threshold::SimpleMajority;
    assert!(counted(2, 1).passes(majority));
    assert!(!counted(1, 1).passes(majority));
}

#[test]
fn only_notified_and_deferred_cases_await_their_effect() {
    for status in WithdrawalStatus::ALL {
        let want = matches!(
            status,
            WithdrawalStatus::Notified | WithdrawalStatus::Deferred
        );
        assert_eq!(status.awaits_effect(), want, "{status}");
    }
}

/// Estonia's case, notified on 2025-06-27 (expiry 2025-12-27).
fn notified() -> treaty_domain::Withdrawal {
    let case = open("apmbc-EE-1", unicameral_with_assent("Riigikogu"));
    replay(
        case,
        &[
            Step::ChamberVoted(vote(
                "Riigikogu",
                Tally::Counted {
                    yes: 81,
                    no: 1,
                    abstain: Some(7),
                },
            )),
            Step::HeadOfStateAssented {
                on: Some(day("2025-06-13")),
            },
            Step::InstrumentDeposited {
                received_on: day("2025-06-27"),
                reasons: "The military threat in the region has changed.".into(),
            },
        ],
    )
    .unwrap()
}

fn war(began: &str, ended: Option<&str>) -> ConflictPeriod {
    ConflictPeriod::new("war", day(began), ended.map(day)).unwrap()
}

#[test]
fn the_step_due_on_a_day_is_the_deferral_or_the_effect_on_its_legal_date() {
    let case = notified();
    let deferred = case
        .apply(&Step::Deferred {
            on: day("2025-12-27"),
            conflict: war("2025-12-01", None),
        })
        .unwrap();
    let ended = [war("2025-12-01", Some("2026-03-01"))];
    let ongoing = [war("2025-12-01", None)];
    let table: [(
        &treaty_domain::Withdrawal,
        &[ConflictPeriod],
        &str,
        Option<Step>,
    ); 7] = [
        (&case, &[], "2025-12-26", None),
        (
            &case,
            &[],
            "2025-12-27",
            Some(Step::TookEffect {
                on: day("2025-12-27"),
                conflicts: vec![],
            }),
        ),
        // Catching up after downtime: the legal date, not today.
        (
            &case,
            &[],
            "2026-05-01",
            Some(Step::TookEffect {
                on: day("2025-12-27"),
                conflicts: vec![],
            }),
        ),
        (
            &case,
            &ongoing,
            "2025-12-27",
            Some(Step::Deferred {
                on: day("2025-12-27"),
                conflict: ongoing[0].clone(),
            }),
        ),
        (&deferred, &ongoing, "2026-05-01", None),
        (&deferred, &ended, "2026-02-28", None),
        (
            &deferred,
            &ended,
            "2026-03-02",
            Some(Step::TookEffect {
                on: day("2026-03-01"),
                conflicts: ended.to_vec(),
            }),
        ),
    ];
    for (case, conflicts, today, want) in table {
        assert_eq!(
            case.due_step(conflicts, day(today)),
            want,
            "{} on {today}",
            case.status()
        );
    }
    let revoked = case
        .apply(&Step::Revoked {
            on: day("2025-08-01"),
        })
        .unwrap();
    assert_eq!(
        revoked.due_step(&[], day("2026-05-01")),
        None,
        "a revoked case is never due"
    );
}

#[test]
fn the_expected_effective_date_uses_the_latest_conflicts_else_those_known_at_the_deposit() {
    let case = notified();
    let ongoing = [war("2025-12-01", None)];
    let ended = [war("2025-12-01", Some("2026-03-01"))];
    assert_eq!(
        case.expected_effective_on(None, &[]),
        Some(day("2025-12-27"))
    );
    assert_eq!(
        case.expected_effective_on(None, &ongoing),
        None,
        "deferred while it goes on"
    );
    assert_eq!(
        case.expected_effective_on(Some(&ended), &ongoing),
        Some(day("2026-03-01"))
    );
    let deferred = case
        .apply(&Step::Deferred {
            on: day("2025-12-27"),
            conflict: ongoing[0].clone(),
        })
        .unwrap();
    assert_eq!(deferred.expected_effective_on(None, &[]), None);
    assert_eq!(
        deferred.expected_effective_on(Some(&ended), &[]),
        Some(day("2026-03-01"))
    );
    let effective = case
        .apply(&Step::TookEffect {
            on: day("2025-12-27"),
            conflicts: vec![],
        })
        .unwrap();
    assert_eq!(
        effective.expected_effective_on(Some(&ongoing), &ongoing),
        Some(day("2025-12-27"))
    );
    assert_eq!(deferred.deferral(), Some(&ongoing[0]));
    let after = deferred
        .apply(&Step::TookEffect {
            on: day("2026-03-01"),
            conflicts: ended.to_vec(),
        })
        .unwrap();
    assert_eq!(
        after.deferral(),
        Some(&ongoing[0]),
        "the deferral stays part of the record"
    );
    assert_eq!(case.deferral(), None);
    let open_case = open("apmbc-LT-1", lithuania());
    assert_eq!(
        open_case.expected_effective_on(None, &[]),
        None,
        "nothing before the deposit"
    );
}
