//! A withdrawal case: one state's attempt to leave one treaty, from the first recommendation to
//! the day the withdrawal takes effect, or to its rejection or revocation.
//!
//! The case moves only through [`Withdrawal::apply`] (in `transition.rs`); this file holds what a
//! case remembers and what can be read from it.

use std::fmt;

use jiff::civil::Date;

use crate::clause::{ConflictPeriod, Effect, WithdrawalClause, effect_after_expiry};
use crate::error::DomainError;
use crate::ids::CaseId;
use crate::procedure::ApprovalProcedure;
use crate::step::{ChamberVote, Step};

/// A withdrawal case and everything recorded in it so far.
///
/// The case keeps the approval procedure and the withdrawal clause it was opened under, so that a
/// later change in the registry does not change the rules halfway through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub(crate) id: CaseId,
    pub(crate) procedure: ApprovalProcedure,
    pub(crate) clause: WithdrawalClause,
    pub(crate) history: Vec<Step>,
    /// The date of the latest dated step.
    pub(crate) latest: Option<Date>,
    /// The dates of the final approving votes, one per chamber that passed, in procedure order.
    pub(crate) passed: Vec<Option<Date>>,
    /// The head of state's assent, once given, with its date if known.
    pub(crate) assent: Option<Option<Date>>,
    pub(crate) phase: Phase,
}

/// Where the case stands after parliament and the head of state have had their say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Still being decided at home.
    Domestic,
    /// A chamber voted it down.
    Rejected,
    /// Notice given, waiting for the period to expire.
    Notified(Notice),
    /// Notice period expired during an armed conflict.
    Deferred(Notice, ConflictPeriod),
    /// The state has left the treaty.
    Effective(Notice, Date),
    /// The state revoked the withdrawal while the case stood at `from`.
    Revoked {
        on: Date,
        from: WithdrawalStatus,
        notice: Option<Notice>,
    },
}

/// The notice of withdrawal, as the depositary received it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Notice {
    /// The day the depositary received the instrument.
    pub received_on: Date,
    pub reasons: String,
    /// The day the notice period is counted from.
    pub period_starts_on: Date,
    /// The day the notice period expires.
    pub expiry: Date,
}

/// Where a withdrawal case stands. The names returned by [`WithdrawalStatus::as_str`] are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WithdrawalStatus {
    /// Opened without a recommendation; nothing decided yet.
    Open,
    /// Withdrawal was recommended.
    Recommended,
    /// The government decided to pursue withdrawal.
    GovernmentDecided,
    /// Parliament has started voting.
    InParliament,
    /// Parliament approved; the head of state's assent is awaited.
    AwaitingAssent,
    /// Approved at home; the instrument of withdrawal may be deposited.
    Approved,
    /// A chamber voted it down in its final vote. Final.
    Rejected,
    /// The depositary received the notice; the notice period is running.
    Notified,
    /// The notice period expired during an armed conflict; waiting for its end.
    Deferred,
    /// The withdrawal took effect: the state has left the treaty. Final.
    Effective,
    /// The state revoked its withdrawal. Final.
    Revoked,
}

impl WithdrawalStatus {
    /// Every status, in the order a case can pass through them.
    pub const ALL: [WithdrawalStatus; 11] = [
        WithdrawalStatus::Open,
        WithdrawalStatus::Recommended,
        WithdrawalStatus::GovernmentDecided,
        WithdrawalStatus::InParliament,
        WithdrawalStatus::AwaitingAssent,
        WithdrawalStatus::Approved,
        WithdrawalStatus::Rejected,
        WithdrawalStatus::Notified,
        WithdrawalStatus::Deferred,
        WithdrawalStatus::Effective,
        WithdrawalStatus::Revoked,
    ];

    /// Returns the stable name of the status, such as `"AWAITING_ASSENT"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            WithdrawalStatus::Open => "OPEN",
            WithdrawalStatus::Recommended => "RECOMMENDED",
            WithdrawalStatus::GovernmentDecided => "GOVERNMENT_DECIDED",
            WithdrawalStatus::InParliament => "IN_PARLIAMENT",
            WithdrawalStatus::AwaitingAssent => "AWAITING_ASSENT",
            WithdrawalStatus::Approved => "APPROVED",
            WithdrawalStatus::Rejected => "REJECTED",
            WithdrawalStatus::Notified => "NOTIFIED",
            WithdrawalStatus::Deferred => "DEFERRED",
            WithdrawalStatus::Effective => "EFFECTIVE",
            WithdrawalStatus::Revoked => "REVOKED",
        }
    }

    /// Tells whether the case waits for its notice period to run out (or for the conflict that
    /// deferred it to end): the cases a scheduler must look at.
    pub fn awaits_effect(&self) -> bool {
        match self {
            WithdrawalStatus::Notified | WithdrawalStatus::Deferred => true,
            WithdrawalStatus::Open
            | WithdrawalStatus::Recommended
            | WithdrawalStatus::GovernmentDecided
            | WithdrawalStatus::InParliament
            | WithdrawalStatus::AwaitingAssent
            | WithdrawalStatus::Approved
            | WithdrawalStatus::Rejected
            | WithdrawalStatus::Effective
            | WithdrawalStatus::Revoked => false,
        }
    }

    /// Tells whether nothing more can happen to a case in this status.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            WithdrawalStatus::Rejected | WithdrawalStatus::Effective | WithdrawalStatus::Revoked
        )
    }
}

impl fmt::Display for WithdrawalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The next approval a case is waiting for at home.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PendingApproval {
    /// The final vote of this chamber.
    ChamberVote { chamber: String },
    /// The head of state's assent.
    HeadOfStateAssent,
}

impl fmt::Display for PendingApproval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PendingApproval::ChamberVote { chamber } => write!(f, "the {chamber}'s final vote"),
            PendingApproval::HeadOfStateAssent => write!(f, "the head of state's assent"),
        }
    }
}

impl Withdrawal {
    /// Opens a case under the state's approval procedure and the treaty's withdrawal clause.
    ///
    /// # Errors
    ///
    /// Whatever [`ApprovalProcedure::check`] finds wrong with the procedure.
    pub fn open(
        id: CaseId,
        procedure: ApprovalProcedure,
        clause: WithdrawalClause,
    ) -> Result<Withdrawal, DomainError> {
        procedure.check()?;
        Ok(Withdrawal {
            id,
            procedure,
            clause,
            history: Vec::new(),
            latest: None,
            passed: Vec::new(),
            assent: None,
            phase: Phase::Domestic,
        })
    }

    /// Returns the case's id.
    pub fn id(&self) -> &CaseId {
        &self.id
    }

    /// Returns the approval procedure the case follows.
    pub fn procedure(&self) -> &ApprovalProcedure {
        &self.procedure
    }

    /// Returns the withdrawal clause the case follows.
    pub fn clause(&self) -> &WithdrawalClause {
        &self.clause
    }

    /// Returns the steps recorded so far, in the order they were recorded.
    pub fn history(&self) -> &[Step] {
        &self.history
    }

    /// Returns the date of the latest dated step; a new dated step may not be earlier.
    pub fn latest_date(&self) -> Option<Date> {
        self.latest
    }

    /// Returns where the case stands.
    pub fn status(&self) -> WithdrawalStatus {
        match &self.phase {
            Phase::Domestic => self.domestic_status(),
            Phase::Rejected => WithdrawalStatus::Rejected,
            Phase::Notified(_) => WithdrawalStatus::Notified,
            Phase::Deferred(..) => WithdrawalStatus::Deferred,
            Phase::Effective(..) => WithdrawalStatus::Effective,
            Phase::Revoked { .. } => WithdrawalStatus::Revoked,
        }
    }

    fn domestic_status(&self) -> WithdrawalStatus {
        let has = |kind: fn(&Step) -> bool| self.history.iter().any(kind);
        match self.pending_approval() {
            None => WithdrawalStatus::Approved,
            Some(PendingApproval::HeadOfStateAssent) => WithdrawalStatus::AwaitingAssent,
            Some(PendingApproval::ChamberVote { .. }) => {
                if has(|step| matches!(step, Step::ChamberVoted(_))) {
                    WithdrawalStatus::InParliament
                } else if has(|step| matches!(step, Step::GovernmentDecided { .. })) {
                    WithdrawalStatus::GovernmentDecided
                } else if has(|step| matches!(step, Step::Recommended { .. })) {
                    WithdrawalStatus::Recommended
                } else {
                    WithdrawalStatus::Open
                }
            }
        }
    }

    /// Returns the next approval still missing at home, or `None` once parliament and, where
    /// required, the head of state have approved.
    pub fn pending_approval(&self) -> Option<PendingApproval> {
        if let Some(chamber) = self.procedure.chambers.get(self.passed.len()) {
            return Some(PendingApproval::ChamberVote {
                chamber: chamber.name.clone(),
            });
        }
        if self.procedure.head_of_state_assent && self.assent.is_none() {
            return Some(PendingApproval::HeadOfStateAssent);
        }
        None
    }

    /// Tells whether parliament and, where required, the head of state approved the withdrawal.
    ///
    /// This stays true after the notice is deposited. A notice of withdrawal may only leave the
    /// system for a case where this is true.
    pub fn is_approved(&self) -> bool {
        self.pending_approval().is_none()
    }

    /// Returns the day parliament's approval was completed (the last chamber's final vote), if
    /// parliament has approved and that vote is dated.
    pub fn parliament_approved_on(&self) -> Option<Date> {
        if self.passed.len() < self.procedure.chambers.len() {
            return None;
        }
        self.passed.last().copied().flatten()
    }

    /// Returns the notice of withdrawal, once the instrument is deposited.
    pub fn notice(&self) -> Option<&Notice> {
        match &self.phase {
            Phase::Notified(notice) | Phase::Deferred(notice, _) | Phase::Effective(notice, _) => {
                Some(notice)
            }
            Phase::Revoked { notice, .. } => notice.as_ref(),
            Phase::Domestic | Phase::Rejected => None,
        }
    }

    /// Returns the armed conflict that deferred the withdrawal, if one did.
    pub fn deferred_by(&self) -> Option<&ConflictPeriod> {
        match &self.phase {
            Phase::Deferred(_, conflict) => Some(conflict),
            _ => None,
        }
    }

    /// Returns the armed conflict that deferred the withdrawal, if one did — also once the
    /// withdrawal took effect after it, or was revoked while deferred.
    pub fn deferral(&self) -> Option<&ConflictPeriod> {
        self.history.iter().rev().find_map(|step| match step {
            Step::Deferred { conflict, .. } => Some(conflict),
            Step::Recommended { .. }
            | Step::GovernmentDecided { .. }
            | Step::ChamberVoted(_)
            | Step::HeadOfStateAssented { .. }
            | Step::InstrumentDeposited { .. }
            | Step::TookEffect { .. }
            | Step::Revoked { .. } => None,
        })
    }

    /// Returns the day the withdrawal took effect, once it has.
    pub fn effective_on(&self) -> Option<Date> {
        match &self.phase {
            Phase::Effective(_, on) => Some(*on),
            _ => None,
        }
    }

    /// Returns the day of the revocation and the status the case had then, if it was revoked.
    pub fn revoked(&self) -> Option<(Date, WithdrawalStatus)> {
        match &self.phase {
            Phase::Revoked { on, from, .. } => Some((*on, *from)),
            _ => None,
        }
    }

    /// Computes when the deposited notice takes effect, given the armed-conflict periods now
    /// recorded for the state; `None` before the deposit, and for a revoked case, which never
    /// takes effect.
    ///
    /// This is what a scheduler asks to know which step to record next: a
    /// [`Step::TookEffect`] on [`Effect::Effective`]'s day, or a [`Step::Deferred`] on the expiry
    /// day followed by a [`Step::TookEffect`] once the deferral's end is known.
    pub fn expected_effect(&self, conflicts: &[ConflictPeriod]) -> Option<Effect> {
        match &self.phase {
            Phase::Notified(notice) | Phase::Deferred(notice, _) | Phase::Effective(notice, _) => {
                let defers = self.clause.armed_conflict_defers;
                Some(effect_after_expiry(notice.expiry, defers, conflicts))
            }
            Phase::Domestic | Phase::Rejected | Phase::Revoked { .. } => None,
        }
    }

    /// Tells whether `vote` meets the threshold of its chamber under this case's procedure;
    /// `None` for a chamber the procedure does not name.
    pub fn vote_passes(&self, vote: &ChamberVote) -> Option<bool> {
        let chamber = &self.procedure.chambers[self.procedure.position(&vote.chamber)?];
        Some(vote.tally.passes(chamber.threshold))
    }

    /// The day the withdrawal takes or took effect, as far as known: the recorded effect, or
    /// the effect expected from the armed conflicts — the `latest` seen for the state when
    /// known, else those recorded at the deposit (`at_deposit`) for a notified case and the
    /// deferring conflict for a deferred one. `None` before the deposit, while a conflict
    /// that defers it goes on, and for a revoked or rejected case.
    pub fn expected_effective_on(
        &self,
        latest: Option<&[ConflictPeriod]>,
        at_deposit: &[ConflictPeriod],
    ) -> Option<Date> {
        if let Some(on) = self.effective_on() {
            return Some(on);
        }
        let conflicts: Vec<ConflictPeriod> = match (&self.phase, latest) {
            (Phase::Notified(_) | Phase::Deferred(..), Some(latest)) => latest.to_vec(),
            (Phase::Notified(_), None) => at_deposit.to_vec(),
            (Phase::Deferred(_, conflict), None) => vec![conflict.clone()],
            (
                Phase::Domestic | Phase::Rejected | Phase::Effective(..) | Phase::Revoked { .. },
                _,
            ) => {
                return None;
            }
        };
        self.expected_effect(&conflicts)?.effective_on()
    }

    /// The step the rules make due by `today` for a case awaiting its effect, given the armed
    /// conflicts now recorded for the state: the deferral on the expiry day when a conflict
    /// covers it, the effect on the expiry day, or the effect on the day the deferring
    /// conflict ended. The step carries its legal date, never `today`, so a scheduler that was
    /// down catches up with the right dates. `None` when nothing is due yet.
    pub fn due_step(&self, conflicts: &[ConflictPeriod], today: Date) -> Option<Step> {
        let status = self.status();
        if !status.awaits_effect() {
            return None;
        }
        let took_effect = |on: Date| Step::TookEffect {
            on,
            conflicts: conflicts.to_vec(),
        };
        match self.expected_effect(conflicts)? {
            Effect::Effective { on } if on <= today => Some(took_effect(on)),
            Effect::Deferred {
                expiry, conflict, ..
            } if status == WithdrawalStatus::Notified && expiry <= today => Some(Step::Deferred {
                on: expiry,
                conflict,
            }),
            Effect::Deferred {
                until: Some(end), ..
            } if status == WithdrawalStatus::Deferred && end <= today => Some(took_effect(end)),
            Effect::Effective { .. } | Effect::Deferred { .. } => None,
        }
    }
}
