//! The Ottawa Convention's rules and Lithuania's record, written so that the tables read
//! like the record.
#![allow(dead_code)]

use treaty_domain::{
    CaseId, ConflictPeriod, ConsentKind, Date, EntryIntoForceRule, MembershipFacts, NoticeFacts,
    PeriodFacts, RunsFrom, StandingStatus, TreatyRules, WithdrawalClause, standing,
};

pub(crate) fn day(text: &str) -> Date {
    text.parse().expect("test dates are written YYYY-MM-DD")
}

/// The Ottawa Convention: in force 1 March 1999, late joiners on the first day of the sixth month
/// after deposit, Art. 20 withdrawal.
pub(crate) const APMBC: TreatyRules = TreatyRules {
    entry_into_force: EntryIntoForceRule {
        treaty_in_force_on: jiff::civil::date(1999, 3, 1),
        months_after_deposit: 6,
    },
    withdrawal: WithdrawalClause {
        notice_months: 6,
        runs_from: RunsFrom::DepositaryReceipt,
        armed_conflict_defers: true,
    },
};

pub(crate) fn case(id: &str) -> CaseId {
    CaseId::parse(id).expect("a case id")
}

pub(crate) fn notice(id: &str, received: &str, revoked: Option<&str>) -> NoticeFacts {
    NoticeFacts {
        case: case(id),
        received_on: day(received),
        approved_on: None,
        revoked_on: revoked.map(day),
    }
}

pub(crate) fn period(kind: ConsentKind, deposited: &str, notices: Vec<NoticeFacts>) -> PeriodFacts {
    PeriodFacts {
        consent: kind,
        deposited_on: day(deposited),
        notices,
    }
}

/// Lithuania and the Ottawa Convention: signed 1999-02-26, ratified 2003-05-12, notice received
/// 2025-06-27.
pub(crate) fn lithuania() -> MembershipFacts {
    MembershipFacts {
        signed_on: Some(day("1999-02-26")),
        periods: vec![period(
            ConsentKind::Ratification,
            "2003-05-12",
            vec![notice("apmbc-LT-1", "2025-06-27", None)],
        )],
    }
}

pub(crate) fn conflict(name: &str, began: &str, ended: Option<&str>) -> ConflictPeriod {
    ConflictPeriod::new(name, day(began), ended.map(day)).expect("a conflict period")
}

pub(crate) fn status_on(
    facts: &MembershipFacts,
    conflicts: &[ConflictPeriod],
    as_of: &str,
) -> StandingStatus {
    standing(facts, &APMBC, conflicts, day(as_of))
        .expect("a standing")
        .status
}
