//! Who is notified of a withdrawal, as of which date, and when a notice may be circulated.

use treaty_domain::{
    NoticeDatesError, NoticeKind, Recipient, StateCode, circulation_date, recipients, today,
};

use crate::facts::day;

fn code(c: &str) -> StateCode {
    StateCode::parse(c).unwrap()
}

#[test]
fn every_bound_state_but_the_withdrawing_one_is_notified_once_then_the_depositary_and_council() {
    let table: [(&str, &[&str], &[&str]); 4] = [
        ("LT", &["FR", "LT", "AT", "FR"], &["states/AT", "states/FR"]),
        ("LT", &[], &[]),
        ("LT", &["LT"], &[]),
        (
            "EE",
            &["LV", "LT", "PL"],
            &["states/LT", "states/LV", "states/PL"],
        ),
    ];
    for (withdrawing, bound, states) in table {
        let got: Vec<String> = recipients(code(withdrawing), bound.iter().map(|c| code(c)))
            .iter()
            .map(Recipient::name)
            .collect();
        let mut want: Vec<String> = states.iter().map(|s| (*s).to_owned()).collect();
        want.extend(["depositary".to_owned(), "un-security-council".to_owned()]);
        assert_eq!(got, want, "{withdrawing} {bound:?}");
    }
}

#[test]
fn the_same_bound_states_in_any_order_give_the_same_recipients() {
    let a = recipients(code("LT"), ["PL", "EE", "LV"].map(code));
    let b = recipients(code("LT"), ["LV", "PL", "EE"].map(code));
    assert_eq!(a, b);
}

#[test]
fn each_kind_of_notice_names_its_recipients_as_of_its_own_legal_date() {
    let (received, effective, circulated) =
        (day("2025-06-27"), day("2025-12-27"), day("2025-07-01"));
    let table = [
        (
            NoticeKind::Deposit,
            Some(received),
            Some(effective),
            received,
        ),
        (NoticeKind::Deposit, None, Some(effective), circulated),
        (
            NoticeKind::Effect,
            Some(received),
            Some(effective),
            effective,
        ),
        (NoticeKind::Effect, Some(received), None, circulated),
        (
            NoticeKind::Deferral,
            Some(received),
            Some(effective),
            circulated,
        ),
        (NoticeKind::Revocation, Some(received), None, circulated),
    ];
    for (kind, r, e, want) in table {
        assert_eq!(
            kind.recipients_as_of(r, e, circulated),
            want,
            "{kind:?} {r:?} {e:?}"
        );
    }
}

#[test]
fn circulation_never_precedes_receipt() {
    let received = day("2025-06-27");
    let table = [
        // (asked, received, today) -> circulated
        (
            None,
            Some(received),
            day("2025-07-02"),
            Ok(day("2025-07-02")),
        ),
        (None, Some(received), day("2025-06-01"), Ok(received)),
        (None, None, day("2025-06-01"), Ok(day("2025-06-01"))),
        (
            Some(day("2025-06-30")),
            Some(received),
            day("2025-07-02"),
            Ok(day("2025-06-30")),
        ),
        (
            Some(received),
            Some(received),
            day("2025-07-02"),
            Ok(received),
        ),
        (
            Some(day("2025-06-26")),
            Some(received),
            day("2025-07-02"),
            Err(()),
        ),
        (
            Some(day("2025-06-26")),
            None,
            day("2025-07-02"),
            Ok(day("2025-06-26")),
        ),
    ];
    for (asked, received, today, want) in table {
        let got = circulation_date(asked, received, today).map_err(|e| {
            assert!(
                e.to_string().contains("before the depositary received"),
                "{e}"
            );
        });
        assert_eq!(got, want, "{asked:?} {received:?} {today}");
    }
}

#[test]
fn recipients_are_named_and_parsed_in_one_way() {
    for name in ["states/FR", "depositary", "un-security-council"] {
        assert_eq!(Recipient::parse(name).unwrap().name(), name);
    }
    assert_eq!(Recipient::parse("states/fr").unwrap().name(), "states/FR");
    for bad in [
        "",
        "FR",
        "states/",
        "states/XX",
        "states/FRA",
        "Depositary",
        "security-council",
    ] {
        let err = Recipient::parse(bad).unwrap_err();
        assert!(err.to_string().contains("states/"), "{bad}: {err}");
    }
}

#[test]
fn today_is_the_civil_date_in_the_depositarys_calendar() {
    let table = [
        ("2025-06-27T00:00:00Z", "2025-06-27"),
        ("2025-06-27T23:59:59Z", "2025-06-27"),
        ("2025-06-28T00:00:00Z", "2025-06-28"),
        ("2025-12-31T23:59:59.999Z", "2025-12-31"),
    ];
    for (instant, date) in table {
        assert_eq!(today(instant.parse().unwrap()), day(date), "{instant}");
    }
}

#[test]
fn a_notice_carries_the_dates_its_kind_needs_and_no_effect_precedes_receipt() {
    let (r, e) = (Some(day("2025-06-27")), Some(day("2025-12-27")));
    let early = Some(day("2025-06-01"));
    let table = [
        (NoticeKind::Deposit, r, e, Ok(())),
        (
            NoticeKind::Deposit,
            None,
            e,
            Err(NoticeDatesError::MissingReceipt),
        ),
        (NoticeKind::Effect, r, e, Ok(())),
        (
            NoticeKind::Effect,
            r,
            None,
            Err(NoticeDatesError::MissingEffect),
        ),
        (NoticeKind::Deferral, None, None, Ok(())),
        (NoticeKind::Revocation, r, None, Ok(())),
        (
            NoticeKind::Effect,
            r,
            early,
            Err(NoticeDatesError::EffectBeforeReceipt {
                received_on: day("2025-06-27"),
                effective_on: day("2025-06-01"),
            }),
        ),
    ];
    for (kind, received, effective, want) in table {
        assert_eq!(kind.check_dates(received, effective), want, "{kind:?}");
    }
}
