//! The real withdrawals of 2024–2026, copied by hand from `data/withdrawals_2024_2026.csv`, replayed
//! through the state machine. After each step the table gives the status the case must have.

use treaty_domain::{ApprovalProcedure, Effect, Step, WithdrawalStatus};

use crate::withdrawal::support::*;

use WithdrawalStatus::{
    Approved, AwaitingAssent, Effective, GovernmentDecided, InParliament, Notified, Recommended,
};

struct RealWithdrawal {
    case: &'static str,
    procedure: ApprovalProcedure,
    steps: Vec<(Step, WithdrawalStatus)>,
    /// The date the sources give for the withdrawal taking effect.
    took_effect_on: &'static str,
}

fn real_withdrawals() -> Vec<RealWithdrawal> {
    vec![
        RealWithdrawal {
            case: "apmbc-EE-1",
            procedure: unicameral_with_assent("Riigikogu"),
            steps: vec![
                (recommended("2025-03-18"), Recommended),
                (government("2025-04-24"), GovernmentDecided),
                (
                    final_vote("Riigikogu", "2025-06-04", 81, 1, 7),
                    AwaitingAssent,
                ),
                (assent("2025-06-13"), Approved),
                (deposit("2025-06-27"), Notified),
            ],
            took_effect_on: "2025-12-27",
        },
        RealWithdrawal {
            case: "apmbc-LV-1",
            procedure: unicameral_with_assent("Saeima"),
            steps: vec![
                (recommended("2025-03-18"), Recommended),
                (government("2025-03-18"), GovernmentDecided),
                (government("2025-03-25"), GovernmentDecided),
                (
                    final_vote("Saeima", "2025-04-16", 66, 14, 2),
                    AwaitingAssent,
                ),
                (assent("2025-04-24"), Approved),
                (deposit("2025-06-27"), Notified),
            ],
            took_effect_on: "2025-12-27",
        },
        RealWithdrawal {
            case: "apmbc-LT-1",
            procedure: lithuania(),
            steps: vec![
                (recommended("2025-03-18"), Recommended),
                (
                    final_vote("Seimas", "2025-05-08", 107, 0, 3),
                    AwaitingAssent,
                ),
                (assent(UNDATED), Approved),
                (deposit("2025-06-27"), Notified),
            ],
            took_effect_on: "2025-12-27",
        },
        RealWithdrawal {
            case: "apmbc-PL-1",
            procedure: poland(),
            steps: vec![
                (recommended("2025-03-18"), Recommended),
                (final_vote("Sejm", "2025-06-25", 413, 15, 3), InParliament),
                (reported_final_vote("Senate", UNDATED, true), AwaitingAssent),
                (assent("2025-08-05"), Approved),
                (deposit("2025-08-20"), Notified),
            ],
            took_effect_on: "2026-02-20",
        },
        RealWithdrawal {
            case: "apmbc-FI-1",
            procedure: unicameral_with_assent("Eduskunta"),
            steps: vec![
                (government("2025-04-01"), GovernmentDecided),
                (government("2025-05-28"), GovernmentDecided),
                (
                    final_vote("Eduskunta", "2025-06-19", 157, 18, 0),
                    AwaitingAssent,
                ),
                (assent(UNDATED), Approved),
                (deposit("2025-07-10"), Notified),
            ],
            took_effect_on: "2026-01-10",
        },
        RealWithdrawal {
            case: "ccm-LT-1",
            procedure: lithuania(),
            steps: vec![
                (government("2024-07-03"), GovernmentDecided),
                (recommended("2024-07-08"), GovernmentDecided),
                (reading("Seimas", "2024-07-11", 99, 1, 3), InParliament),
                (
                    final_vote("Seimas", "2024-07-18", 103, 1, 3),
                    AwaitingAssent,
                ),
                (assent("2024-07-25"), Approved),
                (deposit("2024-09-06"), Notified),
            ],
            took_effect_on: "2025-03-06",
        },
    ]
}

#[test]
fn every_real_withdrawal_passes_through_the_recorded_statuses_and_takes_effect_on_the_recorded_day()
{
    for real in real_withdrawals() {
        let mut case = open(real.case, real.procedure);
        for (index, (step, status)) in real.steps.iter().enumerate() {
            case = case
                .apply(step)
                .unwrap_or_else(|error| panic!("{}: step {index} refused: {error}", real.case));
            assert_eq!(
                case.status(),
                *status,
                "{}: status after step {index}",
                real.case
            );
        }
        assert!(case.is_approved(), "{}", real.case);

        let expected = Effect::Effective {
            on: day(real.took_effect_on),
        };
        assert_eq!(case.expected_effect(&[]), Some(expected), "{}", real.case);

        let case = case.apply(&took_effect(real.took_effect_on, &[])).unwrap();
        assert_eq!(case.status(), Effective, "{}", real.case);
        assert_eq!(
            case.effective_on(),
            Some(day(real.took_effect_on)),
            "{}",
            real.case
        );
        assert_eq!(case.history().len(), real.steps.len() + 1, "{}", real.case);
    }
}

#[test]
fn the_notice_records_the_receipt_and_the_six_months_run_from_it() {
    let case = after(
        open("apmbc-PL-1", poland()),
        &[
            final_vote("Sejm", "2025-06-25", 413, 15, 3),
            reported_final_vote("Senate", UNDATED, true),
            assent("2025-08-05"),
            deposit("2025-08-20"),
        ],
    );
    let notice = case.notice().expect("deposited");
    assert_eq!(notice.received_on, day("2025-08-20"));
    assert_eq!(notice.period_starts_on, day("2025-08-20"));
    assert_eq!(notice.expiry, day("2026-02-20"));
    assert!(!notice.reasons.is_empty());
}

#[test]
fn the_latvian_recommendation_and_cabinet_decision_may_share_a_day() {
    let latvia = after(
        open("apmbc-LV-1", unicameral_with_assent("Saeima")),
        &[recommended("2025-03-18"), government("2025-03-18")],
    );
    assert_eq!(latvia.latest_date(), Some(day("2025-03-18")));
}

#[test]
fn the_polish_senate_vote_without_a_date_leaves_the_approval_date_unknown() {
    let case = after(
        open("apmbc-PL-1", poland()),
        &[
            final_vote("Sejm", "2025-06-25", 413, 15, 3),
            reported_final_vote("Senate", UNDATED, true),
        ],
    );
    assert_eq!(case.parliament_approved_on(), None);
    assert_eq!(case.latest_date(), Some(day("2025-06-25")));
}
