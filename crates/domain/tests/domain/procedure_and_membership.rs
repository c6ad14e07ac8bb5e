//! Domestic approval procedures, and membership: consent, entry into force, withdrawal.

use treaty_domain::{
    ApprovalProcedure, Chamber, ConsentKind, Date, DomainError, EntryIntoForceRule,
    MembershipPeriod, Threshold,
};

fn day(text: &str) -> Date {
    text.parse().expect("test dates are written YYYY-MM-DD")
}

fn chamber(name: &str, threshold: Threshold) -> Chamber {
    Chamber {
        name: name.to_owned(),
        threshold,
    }
}

#[test]
fn the_default_procedure_is_one_parliament_deciding_by_simple_majority_without_assent() {
    let procedure = ApprovalProcedure::default();
    assert_eq!(procedure.chamber_names(), ["parliament"]);
    assert_eq!(procedure.chambers[0].threshold, Threshold::SimpleMajority);
    assert!(!procedure.head_of_state_assent);
    assert_eq!(procedure.check(), Ok(()));
}

#[test]
fn a_procedure_needs_named_distinct_chambers_with_possible_thresholds() {
    let simple = Threshold::SimpleMajority;
    let table = [
        (vec![], DomainError::NoChambers),
        (
            vec![chamber(" ", simple)],
            DomainError::UnnamedChamber { position: 1 },
        ),
        (
            vec![chamber("Sejm", simple), chamber("sejm", simple)],
            DomainError::DuplicateChamber {
                name: "sejm".into(),
            },
        ),
        (
            vec![chamber(
                "Seimas",
                Threshold::AtLeast {
                    yes: 142,
                    of_seats: 141,
                },
            )],
            DomainError::ImpossibleThreshold {
                chamber: "Seimas".into(),
                reason: "it needs more votes in favour than the chamber has seats",
            },
        ),
        (
            vec![chamber(
                "Seimas",
                Threshold::AtLeast {
                    yes: 0,
                    of_seats: 141,
                },
            )],
            DomainError::ImpossibleThreshold {
                chamber: "Seimas".into(),
                reason: "at least one vote in favour must be needed",
            },
        ),
        (
            vec![chamber("Sejm", Threshold::AbsoluteMajority { of_seats: 0 })],
            DomainError::ImpossibleThreshold {
                chamber: "Sejm".into(),
                reason: "a chamber needs at least one seat",
            },
        ),
    ];
    for (chambers, error) in table {
        assert_eq!(ApprovalProcedure::new(chambers, true), Err(error));
    }
}

#[test]
fn thresholds_decide_votes_as_the_constitutions_say() {
    let seimas = Threshold::AtLeast {
        yes: 85,
        of_seats: 141,
    };
    let sejm = Threshold::AbsoluteMajority { of_seats: 460 };
    let table = [
        (Threshold::SimpleMajority, 81, 1, true),
        (Threshold::SimpleMajority, 50, 50, false),
        (Threshold::SimpleMajority, 0, 0, false),
        (seimas, 107, 0, true),
        (seimas, 85, 56, true),
        (seimas, 84, 0, false),
        (sejm, 231, 10, true),
        (sejm, 230, 10, false),
    ];
    for (threshold, yes, no, passes) in table {
        assert_eq!(
            threshold.is_met_by(yes, no),
            passes,
            "{threshold}: {yes} to {no}"
        );
    }
}

#[test]
fn untc_flags_name_the_kind_of_consent() {
    let table = [
        ("", ConsentKind::Ratification),
        ("a", ConsentKind::Accession),
        ("d", ConsentKind::Succession),
        ("A", ConsentKind::Acceptance),
        ("AA", ConsentKind::Approval),
        (" a ", ConsentKind::Accession),
    ];
    for (flag, kind) in table {
        assert_eq!(ConsentKind::from_untc_flag(flag), Ok(kind), "{flag:?}");
        assert_eq!(
            ConsentKind::from_untc_flag(kind.untc_flag().unwrap()),
            Ok(kind)
        );
    }
    for unknown in ["x", "aa", "D", "s"] {
        assert!(ConsentKind::from_untc_flag(unknown).is_err(), "{unknown:?}");
    }
    assert_eq!(ConsentKind::Signature.untc_flag(), None);
}

#[test]
fn a_signature_alone_starts_no_membership() {
    let ottawa = EntryIntoForceRule {
        treaty_in_force_on: day("1999-03-01"),
        months_after_deposit: 6,
    };
    assert!(!ConsentKind::Signature.binds());
    assert_eq!(
        MembershipPeriod::begin(ConsentKind::Signature, day("1997-12-03"), &ottawa),
        Err(DomainError::SignatureIsNotConsent)
    );
}

#[test]
fn estonia_was_a_party_to_the_ottawa_convention_from_2005_until_its_withdrawal_took_effect() {
    let ottawa = EntryIntoForceRule {
        treaty_in_force_on: day("1999-03-01"),
        months_after_deposit: 6,
    };
    // Estonia acceded on 12 May 2004; the Convention entered into force for it on 1 November 2004.
    let period =
        MembershipPeriod::begin(ConsentKind::Accession, day("2004-05-12"), &ottawa).unwrap();
    assert_eq!(period.in_force_on, day("2004-11-01"));
    let period = period.end(day("2025-12-27")).unwrap();
    assert!(!period.is_party_on(day("2004-10-31")));
    assert!(period.is_party_on(day("2004-11-01")));
    assert!(period.is_party_on(day("2025-12-26")));
    assert!(!period.is_party_on(day("2025-12-27")));
}

#[test]
fn a_membership_cannot_end_before_it_began() {
    let ottawa = EntryIntoForceRule {
        treaty_in_force_on: day("1999-03-01"),
        months_after_deposit: 6,
    };
    let period =
        MembershipPeriod::begin(ConsentKind::Accession, day("2004-05-12"), &ottawa).unwrap();
    assert!(matches!(
        period.end(day("2004-10-01")),
        Err(DomainError::MembershipEndsBeforeItBegins { .. })
    ));
}
