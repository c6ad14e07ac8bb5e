//! Every step the rules refuse, one row each: the case as it stands, the step, and the error.
//! This file holds the refusals before the notice; `notice_refusals.rs` those from the deposit on.

use treaty_domain::{
    ApprovalProcedure, PendingApproval, Step, TransitionError, Withdrawal, WithdrawalStatus,
};

use crate::withdrawal::notice_refusals::notice_refusals;
use crate::withdrawal::support::*;

use TransitionError as E;

pub(crate) struct Refusal {
    pub(crate) what: &'static str,
    pub(crate) case: Withdrawal,
    pub(crate) step: Step,
    pub(crate) error: TransitionError,
}

fn refusals() -> Vec<Refusal> {
    let mut all = domestic_refusals();
    all.extend(notice_refusals());
    all
}

fn domestic_refusals() -> Vec<Refusal> {
    vec![
        Refusal {
            what: "a deposit before parliament voted",
            case: estonia_in_government(),
            step: deposit("2025-06-27"),
            error: E::NotApproved {
                missing: PendingApproval::ChamberVote {
                    chamber: "Riigikogu".to_owned(),
                },
            },
        },
        Refusal {
            what: "a deposit before the head of state's assent",
            case: estonia_awaiting_assent(),
            step: deposit("2025-06-27"),
            error: E::NotApproved {
                missing: PendingApproval::HeadOfStateAssent,
            },
        },
        Refusal {
            what: "a deposit between the two Polish chambers",
            case: poland_after_the_sejm(),
            step: deposit("2025-08-20"),
            error: E::NotApproved {
                missing: PendingApproval::ChamberVote {
                    chamber: "Senate".to_owned(),
                },
            },
        },
        Refusal {
            what: "a deposit without a statement of reasons",
            case: after(estonia_awaiting_assent(), &[assent("2025-06-13")]),
            step: Step::InstrumentDeposited {
                received_on: day("2025-06-27"),
                reasons: " ".into(),
            },
            error: E::MissingReasons,
        },
        Refusal {
            what: "a second deposit",
            case: estonia_notified(),
            step: deposit("2025-07-01"),
            error: E::AlreadyDeposited {
                step: "deposit of the instrument of withdrawal",
            },
        },
        Refusal {
            what: "a revocation after the withdrawal took effect",
            case: estonia_effective(),
            step: revoked("2026-01-05"),
            error: E::RevocationAfterEffect {
                on: day("2026-01-05"),
                effective_on: day("2025-12-27"),
            },
        },
        Refusal {
            what: "a revocation on the day the withdrawal takes effect",
            case: estonia_notified(),
            step: revoked("2025-12-27"),
            error: E::RevocationAfterEffect {
                on: day("2025-12-27"),
                effective_on: day("2025-12-27"),
            },
        },
        Refusal {
            what: "a step after a failed final vote",
            case: rejected(),
            step: final_vote("Seimas", "2025-05-15", 107, 0, 3),
            error: E::CaseClosed {
                status: WithdrawalStatus::Rejected,
            },
        },
        Refusal {
            what: "a step after the withdrawal took effect",
            case: estonia_effective(),
            step: deposit("2026-01-05"),
            error: E::CaseClosed {
                status: WithdrawalStatus::Effective,
            },
        },
        Refusal {
            what: "a step after a revocation",
            case: after(estonia_in_government(), &[revoked("2025-05-01")]),
            step: final_vote("Riigikogu", "2025-06-04", 81, 1, 7),
            error: E::CaseClosed {
                status: WithdrawalStatus::Revoked,
            },
        },
        Refusal {
            what: "a date earlier than the latest step",
            case: estonia_in_government(),
            step: government("2025-04-01"),
            error: E::DateWentBackwards {
                step: "government decision",
                on: day("2025-04-01"),
                latest: day("2025-04-24"),
            },
        },
        Refusal {
            what: "a vote in a chamber the state does not have",
            case: open("apmbc-LT-1", lithuania()),
            step: final_vote("Senate", "2025-05-08", 107, 0, 3),
            error: E::UnknownChamber {
                chamber: "Senate".into(),
                known: vec!["Seimas".into()],
            },
        },
        Refusal {
            what: "the Senate voting before the Sejm",
            case: open("apmbc-PL-1", poland()),
            step: reported_final_vote("Senate", "2025-06-25", true),
            error: E::ChamberOutOfOrder {
                chamber: "Senate".into(),
                waiting_for: "Sejm".into(),
            },
        },
        Refusal {
            what: "a chamber voting again after its final vote",
            case: poland_after_the_sejm(),
            step: final_vote("Sejm", "2025-06-26", 400, 20, 3),
            error: E::AlreadyFinal {
                chamber: "Sejm".into(),
            },
        },
        Refusal {
            what: "a tally larger than the Seimas",
            case: open("apmbc-LT-1", lithuania()),
            step: final_vote("Seimas", "2025-05-08", 107, 30, 5),
            error: E::TallyExceedsSeats {
                chamber: "Seimas".into(),
                seats: 141,
                counted: 142,
            },
        },
        Refusal {
            what: "a government decision after parliament started voting",
            case: after(
                open("ccm-LT-1", lithuania()),
                &[reading("Seimas", "2024-07-11", 99, 1, 3)],
            ),
            step: government("2024-07-12"),
            error: E::ParliamentAlreadyVoting {
                step: "government decision",
            },
        },
        Refusal {
            what: "a second recommendation",
            case: estonia_in_government(),
            step: recommended("2025-04-25"),
            error: E::AlreadyRecommended,
        },
        Refusal {
            what: "an assent the procedure does not ask for",
            case: after(
                open("apmbc-EE-1", ApprovalProcedure::default()),
                &[final_vote("parliament", "2025-06-04", 81, 1, 7)],
            ),
            step: assent("2025-06-13"),
            error: E::AssentNotRequired,
        },
        Refusal {
            what: "an assent before parliament approved",
            case: poland_after_the_sejm(),
            step: assent("2025-08-05"),
            error: E::AssentBeforeParliament {
                waiting_for: PendingApproval::ChamberVote {
                    chamber: "Senate".into(),
                },
            },
        },
        Refusal {
            what: "a second assent",
            case: after(estonia_awaiting_assent(), &[assent("2025-06-13")]),
            step: assent("2025-06-14"),
            error: E::AlreadyAssented,
        },
    ]
}

#[test]
fn every_refused_step_gives_its_error_and_leaves_the_case_unchanged() {
    for refusal in refusals() {
        let before = refusal.case.clone();
        assert_eq!(
            refusal.case.apply(&refusal.step),
            Err(refusal.error),
            "{}",
            refusal.what
        );
        assert_eq!(refusal.case, before, "{}", refusal.what);
    }
}

#[test]
fn every_refusal_message_is_a_sentence_a_user_can_act_on() {
    for refusal in refusals() {
        let message = refusal.error.to_string();
        assert!(message.len() > 20, "{}: {message}", refusal.what);
        assert!(!message.contains("Some("), "{}: {message}", refusal.what);
    }
}

#[test]
fn a_notice_before_approval_says_that_approval_is_missing() {
    let error = estonia_in_government()
        .apply(&deposit("2025-06-27"))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the withdrawal is not approved: the Riigikogu's final vote is missing; \
         a notice of withdrawal can only be deposited after approval"
    );
}

#[test]
fn a_date_going_backwards_is_refused_with_both_dates_named() {
    let error = estonia_in_government()
        .apply(&government("2025-04-01"))
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("2025-04-01") && message.contains("2025-04-24"),
        "{message}"
    );
}
