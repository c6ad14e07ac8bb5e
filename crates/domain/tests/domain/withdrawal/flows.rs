//! The paths a case can take besides the straight road: rejection, deferral, revocation, and the
//! treaties whose notice runs from parliament's approval.

use treaty_domain::{
    ApprovalProcedure, Effect, PendingApproval, RunsFrom, WithdrawalClause, WithdrawalStatus,
};

use crate::withdrawal::support::*;

#[test]
fn a_new_case_is_open_and_waits_for_the_first_chamber() {
    let case = open("apmbc-PL-1", poland());
    assert_eq!(case.status(), WithdrawalStatus::Open);
    assert_eq!(
        case.pending_approval(),
        Some(PendingApproval::ChamberVote {
            chamber: "Sejm".into()
        })
    );
    assert!(!case.is_approved());
    assert_eq!(case.expected_effect(&[]), None);
}

#[test]
fn a_failed_final_vote_rejects_the_case() {
    let case = after(
        open("apmbc-EE-1", unicameral_with_assent("Riigikogu")),
        &[final_vote("Riigikogu", "2025-06-04", 40, 50, 7)],
    );
    assert_eq!(case.status(), WithdrawalStatus::Rejected);
    assert!(case.status().is_final());
}

#[test]
fn a_final_vote_below_85_of_141_rejects_a_lithuanian_case_even_with_more_ayes_than_noes() {
    let case = after(
        open("apmbc-LT-1", lithuania()),
        &[final_vote("Seimas", "2025-05-08", 84, 10, 5)],
    );
    assert_eq!(case.status(), WithdrawalStatus::Rejected);
}

#[test]
fn exactly_85_of_141_passes_the_seimas() {
    let case = after(
        open("apmbc-LT-1", lithuania()),
        &[final_vote("Seimas", "2025-05-08", 85, 50, 6)],
    );
    assert_eq!(case.status(), WithdrawalStatus::AwaitingAssent);
}

#[test]
fn a_failed_earlier_reading_decides_nothing() {
    let case = after(
        open("ccm-LT-1", lithuania()),
        &[reading("Seimas", "2024-07-11", 60, 1, 3)],
    );
    assert_eq!(case.status(), WithdrawalStatus::InParliament);
    let case = after(case, &[final_vote("Seimas", "2024-07-18", 103, 1, 3)]);
    assert_eq!(case.status(), WithdrawalStatus::AwaitingAssent);
}

#[test]
fn chamber_names_are_matched_without_regard_to_case() {
    let case = after(
        open("apmbc-PL-1", poland()),
        &[final_vote("sejm", "2025-06-25", 413, 15, 3)],
    );
    assert_eq!(
        case.pending_approval(),
        Some(PendingApproval::ChamberVote {
            chamber: "Senate".into()
        })
    );
}

#[test]
fn an_undated_step_is_not_compared_with_its_neighbours() {
    let case = after(
        open("apmbc-LT-1", lithuania()),
        &[
            final_vote("Seimas", "2025-05-08", 107, 0, 3),
            assent(UNDATED),
        ],
    );
    assert_eq!(case.latest_date(), Some(day("2025-05-08")));
    assert_eq!(case.status(), WithdrawalStatus::Approved);
}

#[test]
fn an_armed_conflict_on_the_expiry_day_defers_the_withdrawal_until_the_conflict_ends() {
    let ongoing = conflict("war", "2025-11-01", UNDATED);
    let case = estonia_notified();
    assert!(matches!(
        case.expected_effect(std::slice::from_ref(&ongoing)),
        Some(Effect::Deferred { until: None, .. })
    ));

    let case = after(case, &[deferred("2025-12-27", ongoing)]);
    assert_eq!(case.status(), WithdrawalStatus::Deferred);
    assert_eq!(case.deferred_by().map(|c| c.name.as_str()), Some("war"));

    let ended = conflict("war", "2025-11-01", "2026-05-09");
    let case = after(case, &[took_effect("2026-05-09", &[ended])]);
    assert_eq!(case.status(), WithdrawalStatus::Effective);
    assert_eq!(case.effective_on(), Some(day("2026-05-09")));
}

#[test]
fn a_deferred_withdrawal_can_still_be_revoked() {
    let case = after(
        estonia_notified(),
        &[
            deferred("2025-12-27", conflict("war", "2025-11-01", UNDATED)),
            revoked("2026-02-01"),
        ],
    );
    assert_eq!(case.status(), WithdrawalStatus::Revoked);
    assert_eq!(
        case.revoked(),
        Some((day("2026-02-01"), WithdrawalStatus::Deferred))
    );
    assert_eq!(case.expected_effect(&[]), None);
}

#[test]
fn a_withdrawal_can_be_revoked_the_day_before_it_takes_effect() {
    let case = after(estonia_notified(), &[revoked("2025-12-26")]);
    assert_eq!(
        case.revoked(),
        Some((day("2025-12-26"), WithdrawalStatus::Notified))
    );
    assert_eq!(case.notice().map(|n| n.expiry), Some(day("2025-12-27")));
}

#[test]
fn a_case_can_be_abandoned_before_any_notice() {
    let case = after(
        open("apmbc-FI-1", unicameral_with_assent("Eduskunta")),
        &[government("2025-04-01"), revoked("2025-04-02")],
    );
    assert_eq!(
        case.revoked(),
        Some((day("2025-04-02"), WithdrawalStatus::GovernmentDecided))
    );
    assert!(case.notice().is_none());
}

#[test]
fn a_notice_counted_from_parliaments_approval_expires_six_months_after_the_last_chamber_voted() {
    let from_the_vote = WithdrawalClause {
        runs_from: RunsFrom::ParliamentaryApproval,
        ..ARTICLE_20
    };
    let case = after(
        open_under("apmbc-PL-1", poland(), from_the_vote),
        &[
            final_vote("Sejm", "2025-06-25", 413, 15, 3),
            reported_final_vote("Senate", "2025-07-10", true),
            assent("2025-08-05"),
            deposit("2025-08-20"),
        ],
    );
    assert_eq!(case.parliament_approved_on(), Some(day("2025-07-10")));
    let notice = case.notice().expect("deposited");
    assert_eq!(notice.period_starts_on, day("2025-07-10"));
    assert_eq!(notice.expiry, day("2026-01-10"));
}

#[test]
fn under_a_clause_without_conflict_deferral_a_war_does_not_delay_the_effect() {
    let no_deferral = WithdrawalClause {
        armed_conflict_defers: false,
        ..ARTICLE_20
    };
    let war = conflict("war", "2025-11-01", UNDATED);
    let case = after(
        open_under("apmbc-EE-1", ApprovalProcedure::default(), no_deferral),
        &[
            final_vote("parliament", "2025-06-04", 81, 1, 7),
            deposit("2025-06-27"),
        ],
    );
    let case = after(case, &[took_effect("2025-12-27", &[war])]);
    assert_eq!(case.status(), WithdrawalStatus::Effective);
}

#[test]
fn the_history_keeps_every_accepted_step_in_order() {
    let case = estonia_notified();
    let kinds: Vec<&str> = case.history().iter().map(|step| step.kind()).collect();
    assert_eq!(
        kinds,
        [
            "recommendation",
            "government decision",
            "chamber vote",
            "head-of-state assent",
            "deposit of the instrument of withdrawal"
        ]
    );
}

#[test]
fn status_names_are_stable_and_distinct() {
    let names: Vec<&str> = WithdrawalStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "OPEN",
            "RECOMMENDED",
            "GOVERNMENT_DECIDED",
            "IN_PARLIAMENT",
            "AWAITING_ASSENT",
            "APPROVED",
            "REJECTED",
            "NOTIFIED",
            "DEFERRED",
            "EFFECTIVE",
            "REVOKED"
        ]
    );
}
