//! The refusals from the deposit of the notice on: its period, deferral and entry into effect.

use treaty_domain::{ApprovalProcedure, RunsFrom, TransitionError, WithdrawalClause};

use crate::withdrawal::refusals::Refusal;
use crate::withdrawal::support::*;

use TransitionError as E;

pub(crate) fn notice_refusals() -> Vec<Refusal> {
    let war = || conflict("war", "2025-11-01", UNDATED);
    vec![
        Refusal {
            what: "an entry into effect before any deposit",
            case: estonia_in_government(),
            step: took_effect("2025-12-27", &[]),
            error: E::NotDeposited {
                step: "entry into effect",
            },
        },
        Refusal {
            what: "an entry into effect a day late",
            case: estonia_notified(),
            step: took_effect("2025-12-28", &[]),
            error: E::NotTheEffectiveDate {
                on: day("2025-12-28"),
                effective_on: day("2025-12-27"),
            },
        },
        Refusal {
            what: "an entry into effect while a conflict covers the expiry and no deferral is recorded",
            case: estonia_notified(),
            step: took_effect("2025-12-27", &[war()]),
            error: E::DeferralNotRecorded {
                conflict: "war".into(),
                expiry: day("2025-12-27"),
            },
        },
        Refusal {
            what: "an entry into effect while the deferring conflict goes on",
            case: after(estonia_notified(), &[deferred("2025-12-27", war())]),
            step: took_effect("2026-03-01", &[war()]),
            error: E::ConflictOngoing {
                conflict: "war".into(),
            },
        },
        Refusal {
            what: "a deferral on another day than the expiry",
            case: estonia_notified(),
            step: deferred("2025-12-28", war()),
            error: E::NotTheExpiryDate {
                on: day("2025-12-28"),
                expiry: day("2025-12-27"),
            },
        },
        Refusal {
            what: "a deferral by a conflict that ended before the expiry",
            case: estonia_notified(),
            step: deferred(
                "2025-12-27",
                conflict("skirmish", "2025-07-01", "2025-08-01"),
            ),
            error: E::ConflictNotOnExpiry {
                conflict: "skirmish".into(),
                expiry: day("2025-12-27"),
            },
        },
        Refusal {
            what: "a deferral under a clause that does not defer",
            case: after(
                open_under(
                    "apmbc-EE-1",
                    ApprovalProcedure::default(),
                    WithdrawalClause {
                        armed_conflict_defers: false,
                        ..ARTICLE_20
                    },
                ),
                &[
                    final_vote("parliament", "2025-06-04", 81, 1, 7),
                    deposit("2025-06-27"),
                ],
            ),
            step: deferred("2025-12-27", war()),
            error: E::ConflictDoesNotDefer,
        },
        Refusal {
            what: "a second deferral",
            case: after(estonia_notified(), &[deferred("2025-12-27", war())]),
            step: deferred("2025-12-27", war()),
            error: E::AlreadyDeferred {
                conflict: "war".into(),
            },
        },
        Refusal {
            what: "a deferral before any deposit",
            case: estonia_in_government(),
            step: deferred("2025-12-27", war()),
            error: E::NotDeposited { step: "deferral" },
        },
        Refusal {
            what: "a notice counted from an undated parliamentary approval",
            case: after(
                open_under(
                    "apmbc-PL-1",
                    poland(),
                    WithdrawalClause {
                        runs_from: RunsFrom::ParliamentaryApproval,
                        ..ARTICLE_20
                    },
                ),
                &[
                    final_vote("Sejm", "2025-06-25", 413, 15, 3),
                    reported_final_vote("Senate", UNDATED, true),
                    assent("2025-08-05"),
                ],
            ),
            step: deposit("2025-08-20"),
            error: E::ApprovalDateUnknown {
                chamber: "Senate".into(),
            },
        },
        Refusal {
            what: "a notice counted from an approval so old that it expires before receipt",
            case: after(
                open_under(
                    "apmbc-EE-1",
                    ApprovalProcedure::default(),
                    WithdrawalClause {
                        runs_from: RunsFrom::ParliamentaryApproval,
                        ..ARTICLE_20
                    },
                ),
                &[final_vote("parliament", "2025-01-10", 81, 1, 7)],
            ),
            step: deposit("2025-08-01"),
            error: E::NoticeExpiresBeforeReceipt {
                starts_on: day("2025-01-10"),
                expiry: day("2025-07-10"),
                received_on: day("2025-08-01"),
            },
        },
    ]
}
