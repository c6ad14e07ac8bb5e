//! Whether a new membership fact may be recorded: signatures and consents in order, one
//! notice at a time from a bound state, revocation only before effect, suspension claims
//! only from a bound state.

use crate::facts::{APMBC, case, conflict, day, lithuania, notice, period, status_on};
use treaty_domain::{
    CaseFact, ConflictPeriod, ConsentKind, MembershipError, MembershipFacts, RunsFrom,
    StandingStatus, TreatyRules, WithdrawalClause, standing,
};

#[test]
fn a_consent_is_refused_while_the_state_is_bound_and_accepted_after_it_left() {
    let facts = lithuania();
    let accession = |on: &str| facts.check_consent(ConsentKind::Accession, day(on), &APMBC, &[]);
    assert_eq!(
        accession("2025-12-01"),
        Err(MembershipError::AlreadyBound {
            on: day("2025-12-01"),
            status: "WITHDRAWAL_NOTIFIED"
        })
    );
    assert_eq!(
        accession("2003-01-01"),
        Err(MembershipError::ConsentBeforeRecordedConsent {
            on: day("2003-01-01"),
            latest: day("2003-05-12")
        })
    );
    assert_eq!(accession("2026-02-01"), Ok(()));
}

#[test]
fn signatures_and_consents_keep_their_order() {
    let signed = MembershipFacts {
        signed_on: Some(day("1999-02-26")),
        periods: vec![],
    };
    let table = [
        (
            &signed,
            ConsentKind::Signature,
            "1999-03-01",
            Err(MembershipError::AlreadySigned {
                signed_on: day("1999-02-26"),
            }),
        ),
        (
            &signed,
            ConsentKind::Ratification,
            "1998-01-01",
            Err(MembershipError::ConsentBeforeSignature {
                on: day("1998-01-01"),
                signed_on: day("1999-02-26"),
            }),
        ),
        (&signed, ConsentKind::Ratification, "2003-05-12", Ok(())),
    ];
    for (facts, kind, on, expected) in table {
        assert_eq!(
            facts.check_consent(kind, day(on), &APMBC, &[]),
            expected,
            "{kind} on {on}"
        );
    }
    let acceded = MembershipFacts {
        signed_on: None,
        periods: vec![period(ConsentKind::Accession, "2012-01-09", vec![])],
    };
    assert_eq!(
        acceded.check_consent(ConsentKind::Signature, day("2013-01-01"), &APMBC, &[]),
        Err(MembershipError::SignatureAfterConsent {
            on: day("2013-01-01"),
            consented_on: day("2012-01-09")
        })
    );
}

#[test]
fn a_notice_needs_a_bound_state_and_no_other_pending_notice() {
    let bound = MembershipFacts {
        signed_on: None,
        periods: vec![period(ConsentKind::Ratification, "2003-05-12", vec![])],
    };
    let lt2 = notice("apmbc-LT-2", "2025-08-01", None);
    let table = [
        (
            MembershipFacts::default(),
            notice("apmbc-LT-1", "2025-06-27", None),
            Err(MembershipError::NotBound {
                on: day("2025-06-27"),
                status: "NOT_A_MEMBER",
            }),
        ),
        (
            bound.clone(),
            notice("apmbc-LT-1", "2025-06-27", None),
            Ok(CaseFact::New {
                period: 0,
                notice: 0,
            }),
        ),
        (
            lithuania(),
            notice("apmbc-LT-1", "2025-06-27", None),
            Ok(CaseFact::AlreadyRecorded {
                period: 0,
                notice: 0,
            }),
        ),
        (
            lithuania(),
            notice("apmbc-LT-1", "2025-06-28", None),
            Err(MembershipError::NoticeAlreadyRecorded {
                case: case("apmbc-LT-1"),
                received_on: day("2025-06-27"),
            }),
        ),
        (
            lithuania(),
            lt2.clone(),
            Err(MembershipError::NoticePending {
                case: case("apmbc-LT-1"),
            }),
        ),
        (
            lithuania(),
            notice("apmbc-LT-2", "2025-01-01", None),
            Err(MembershipError::NoticePending {
                case: case("apmbc-LT-1"),
            }),
        ),
        (
            lithuania(),
            notice("apmbc-LT-2", "2026-01-01", None),
            Err(MembershipError::NotBound {
                on: day("2026-01-01"),
                status: "WITHDRAWN",
            }),
        ),
    ];
    for (facts, new, expected) in table {
        assert_eq!(
            facts.check_notice(&new, &APMBC, &[]),
            expected,
            "{} on {}",
            new.case,
            new.received_on
        );
    }

    let mut revoked = lithuania();
    revoked.periods[0].notices[0].revoked_on = Some(day("2025-07-15"));
    assert_eq!(
        revoked.check_notice(&lt2, &APMBC, &[]),
        Ok(CaseFact::New {
            period: 0,
            notice: 1
        })
    );
}

#[test]
fn a_notice_counted_from_parliament_needs_the_approval_date() {
    let rules = TreatyRules {
        withdrawal: WithdrawalClause {
            runs_from: RunsFrom::ParliamentaryApproval,
            ..APMBC.withdrawal
        },
        ..APMBC
    };
    let facts = MembershipFacts {
        signed_on: None,
        periods: vec![period(ConsentKind::Ratification, "2003-05-12", vec![])],
    };
    let mut new = notice("apmbc-LT-1", "2025-06-27", None);
    assert_eq!(
        facts.check_notice(&new, &rules, &[]),
        Err(MembershipError::ApprovalDateUnknown)
    );
    new.approved_on = Some(day("2024-01-01"));
    assert_eq!(
        facts.check_notice(&new, &rules, &[]),
        Err(MembershipError::NoticeExpiresBeforeReceipt {
            starts_on: day("2024-01-01"),
            expiry: day("2024-07-01"),
            received_on: day("2025-06-27"),
        })
    );
    new.approved_on = Some(day("2025-05-08"));
    assert!(facts.check_notice(&new, &rules, &[]).is_ok());
    let mut recorded = facts.clone();
    recorded.periods[0].notices.push(new);
    assert_eq!(
        status_on_rules(&recorded, &rules, "2025-11-08"),
        StandingStatus::Withdrawn {
            on: day("2025-11-08")
        }
    );
}

fn status_on_rules(facts: &MembershipFacts, rules: &TreatyRules, as_of: &str) -> StandingStatus {
    standing(facts, rules, &[], day(as_of)).unwrap().status
}

#[test]
fn a_revocation_is_accepted_only_before_the_withdrawal_takes_effect() {
    let facts = lithuania();
    let lt1 = case("apmbc-LT-1");
    let ongoing = [conflict("states/LT/conflicts/1", "2025-11-01", None)];
    let ended = [conflict(
        "states/LT/conflicts/1",
        "2025-11-01",
        Some("2026-03-31"),
    )];
    let new = Ok(CaseFact::New {
        period: 0,
        notice: 0,
    });
    let table: [(&str, &[ConflictPeriod], Result<CaseFact, MembershipError>); 6] = [
        ("2025-12-26", &[], new.clone()),
        (
            "2025-12-27",
            &[],
            Err(MembershipError::RevocationAfterEffect {
                on: day("2025-12-27"),
                effective_on: day("2025-12-27"),
            }),
        ),
        ("2026-06-01", &ongoing, new.clone()),
        ("2026-03-30", &ended, new.clone()),
        (
            "2026-03-31",
            &ended,
            Err(MembershipError::RevocationAfterEffect {
                on: day("2026-03-31"),
                effective_on: day("2026-03-31"),
            }),
        ),
        (
            "2025-06-01",
            &[],
            Err(MembershipError::RevocationBeforeNotice {
                on: day("2025-06-01"),
                received_on: day("2025-06-27"),
            }),
        ),
    ];
    for (on, conflicts, expected) in table {
        assert_eq!(
            facts.check_revocation(&lt1, day(on), &APMBC, conflicts),
            expected,
            "revocation on {on}"
        );
    }
    assert_eq!(
        facts.check_revocation(&case("apmbc-LT-2"), day("2025-07-01"), &APMBC, &[]),
        Err(MembershipError::NoSuchNotice {
            case: case("apmbc-LT-2")
        })
    );
    let mut revoked = facts.clone();
    revoked.periods[0].notices[0].revoked_on = Some(day("2025-07-01"));
    assert_eq!(
        revoked.check_revocation(&lt1, day("2025-07-01"), &APMBC, &[]),
        Ok(CaseFact::AlreadyRecorded {
            period: 0,
            notice: 0
        })
    );
    assert_eq!(
        revoked.check_revocation(&lt1, day("2025-08-01"), &APMBC, &[]),
        Err(MembershipError::AlreadyRevoked {
            case: lt1.clone(),
            revoked_on: day("2025-07-01")
        })
    );
}

#[test]
fn a_suspension_claim_needs_a_bound_state_and_never_changes_the_standing() {
    let ukraine = MembershipFacts {
        signed_on: Some(day("1999-02-24")),
        periods: vec![period(ConsentKind::Ratification, "2005-12-27", vec![])],
    };
    assert_eq!(
        ukraine.check_suspension_claim(day("2025-07-18"), &APMBC, &[]),
        Ok(())
    );
    assert_eq!(
        ukraine.check_suspension_claim(day("2000-01-01"), &APMBC, &[]),
        Err(MembershipError::NotBound {
            on: day("2000-01-01"),
            status: "SIGNATORY"
        })
    );
    assert_eq!(
        status_on(&ukraine, &[], "2025-08-01"),
        StandingStatus::Party
    );
}
