//! Short names for building cases and steps, so that the tables read like the record.

use treaty_domain::{
    ApprovalProcedure, CaseId, Chamber, ChamberVote, ConflictPeriod, Date, RunsFrom, Step, Tally,
    Threshold, TransitionError, Withdrawal, WithdrawalClause,
};

/// Marks a step the sources give no date for.
pub(crate) const UNDATED: &str = "";

/// Art. 20 of the Ottawa Convention and of the Convention on Cluster Munitions.
pub(crate) const ARTICLE_20: WithdrawalClause = WithdrawalClause {
    notice_months: 6,
    runs_from: RunsFrom::DepositaryReceipt,
    armed_conflict_defers: true,
};

pub(crate) fn day(text: &str) -> Date {
    text.parse().expect("test dates are written YYYY-MM-DD")
}

fn maybe_day(text: &str) -> Option<Date> {
    (text != UNDATED).then(|| day(text))
}

pub(crate) fn chamber(name: &str, threshold: Threshold) -> Chamber {
    Chamber {
        name: name.to_owned(),
        threshold,
    }
}

/// One chamber deciding by simple majority, then the head of state.
pub(crate) fn unicameral_with_assent(name: &str) -> ApprovalProcedure {
    ApprovalProcedure::new(vec![chamber(name, Threshold::SimpleMajority)], true).unwrap()
}

/// Lithuania: the Seimas, at least 85 of its 141 members, then the President.
pub(crate) fn lithuania() -> ApprovalProcedure {
    let seimas = chamber(
        "Seimas",
        Threshold::AtLeast {
            yes: 85,
            of_seats: 141,
        },
    );
    ApprovalProcedure::new(vec![seimas], true).unwrap()
}

/// Poland: the Sejm, then the Senate, then the President.
pub(crate) fn poland() -> ApprovalProcedure {
    let chambers = vec![
        chamber("Sejm", Threshold::SimpleMajority),
        chamber("Senate", Threshold::SimpleMajority),
    ];
    ApprovalProcedure::new(chambers, true).unwrap()
}

pub(crate) fn open(case: &str, procedure: ApprovalProcedure) -> Withdrawal {
    open_under(case, procedure, ARTICLE_20)
}

pub(crate) fn open_under(
    case: &str,
    procedure: ApprovalProcedure,
    clause: WithdrawalClause,
) -> Withdrawal {
    Withdrawal::open(CaseId::parse(case).unwrap(), procedure, clause).unwrap()
}

/// Applies the steps in order, saying which one was refused.
pub(crate) fn replay(
    case: Withdrawal,
    steps: &[Step],
) -> Result<Withdrawal, (usize, TransitionError)> {
    steps
        .iter()
        .enumerate()
        .try_fold(case, |case, (index, step)| {
            case.apply(step).map_err(|error| (index, error))
        })
}

/// Applies steps that must all be accepted.
pub(crate) fn after(case: Withdrawal, steps: &[Step]) -> Withdrawal {
    replay(case, steps).unwrap_or_else(|(index, error)| panic!("step {index} refused: {error}"))
}

pub(crate) fn recommended(on: &str) -> Step {
    Step::Recommended { on: maybe_day(on) }
}

pub(crate) fn government(on: &str) -> Step {
    Step::GovernmentDecided { on: maybe_day(on) }
}

fn vote(chamber: &str, on: &str, tally: Tally, final_reading: bool) -> Step {
    Step::ChamberVoted(ChamberVote {
        chamber: chamber.to_owned(),
        on: maybe_day(on),
        tally,
        final_reading,
    })
}

/// A chamber's final vote: ayes, noes, abstentions.
pub(crate) fn final_vote(chamber: &str, on: &str, yes: u32, no: u32, abstain: u32) -> Step {
    vote(
        chamber,
        on,
        Tally::Counted {
            yes,
            no,
            abstain: Some(abstain),
        },
        true,
    )
}

/// An earlier reading, which decides nothing.
pub(crate) fn reading(chamber: &str, on: &str, yes: u32, no: u32, abstain: u32) -> Step {
    vote(
        chamber,
        on,
        Tally::Counted {
            yes,
            no,
            abstain: Some(abstain),
        },
        false,
    )
}

/// A final vote whose numbers the sources do not give.
pub(crate) fn reported_final_vote(chamber: &str, on: &str, passed: bool) -> Step {
    vote(chamber, on, Tally::Reported { passed }, true)
}

pub(crate) fn assent(on: &str) -> Step {
    Step::HeadOfStateAssented { on: maybe_day(on) }
}

pub(crate) fn deposit(received_on: &str) -> Step {
    Step::InstrumentDeposited {
        received_on: day(received_on),
        reasons: "A changed security situation in the region (Art. 20(2) statement).".to_owned(),
    }
}

pub(crate) fn conflict(name: &str, began: &str, ended: &str) -> ConflictPeriod {
    ConflictPeriod::new(name, day(began), maybe_day(ended)).unwrap()
}

pub(crate) fn deferred(on: &str, by: ConflictPeriod) -> Step {
    Step::Deferred {
        on: day(on),
        conflict: by,
    }
}

pub(crate) fn took_effect(on: &str, conflicts: &[ConflictPeriod]) -> Step {
    Step::TookEffect {
        on: day(on),
        conflicts: conflicts.to_vec(),
    }
}

pub(crate) fn revoked(on: &str) -> Step {
    Step::Revoked { on: day(on) }
}

// Cases as they stood at points of the real record, for refusal tables.

pub(crate) fn estonia_in_government() -> Withdrawal {
    after(
        open("apmbc-EE-1", unicameral_with_assent("Riigikogu")),
        &[recommended("2025-03-18"), government("2025-04-24")],
    )
}

pub(crate) fn estonia_awaiting_assent() -> Withdrawal {
    after(
        estonia_in_government(),
        &[final_vote("Riigikogu", "2025-06-04", 81, 1, 7)],
    )
}

pub(crate) fn estonia_notified() -> Withdrawal {
    after(
        estonia_awaiting_assent(),
        &[assent("2025-06-13"), deposit("2025-06-27")],
    )
}

pub(crate) fn estonia_effective() -> Withdrawal {
    after(estonia_notified(), &[took_effect("2025-12-27", &[])])
}

pub(crate) fn poland_after_the_sejm() -> Withdrawal {
    after(
        open("apmbc-PL-1", poland()),
        &[final_vote("Sejm", "2025-06-25", 413, 15, 3)],
    )
}

pub(crate) fn rejected() -> Withdrawal {
    after(
        open("apmbc-LT-1", lithuania()),
        &[final_vote("Seimas", "2025-05-08", 84, 10, 5)],
    )
}
