//! The withdrawal case as a state machine: which step may follow which, and what each step does.

use jiff::civil::Date;

use crate::clause::{ConflictPeriod, Effect, effect_after_expiry};
use crate::error::TransitionError;
use crate::step::{ChamberVote, Step, Tally};
use crate::withdrawal::{Notice, PendingApproval, Phase, Withdrawal};

impl Withdrawal {
    /// Records one step and returns the case as it stands afterwards; the case itself is not
    /// changed, so a refused step leaves no trace.
    ///
    /// The rules, in the order a case meets them:
    ///
    /// 1. A rejected, revoked or effective case takes no more steps.
    /// 2. A dated step may share the date of the latest dated step but not be earlier. Undated
    ///    steps are kept in the order recorded and are not compared.
    /// 3. Recommendations (at most one) and government decisions (any number, in any order) come
    ///    before parliament's first vote.
    /// 4. Chambers vote in the order of the approval procedure. An earlier reading is recorded and
    ///    decides nothing; a final vote that fails the chamber's threshold rejects the case; a
    ///    chamber that passed its final vote does not vote again.
    /// 5. The head of state assents only where the procedure requires it, and only after every
    ///    chamber has passed.
    /// 6. The instrument of withdrawal can only be deposited once the case is approved, and must
    ///    carry a statement of reasons; the deposit fixes the expiry of the notice period.
    /// 7. If an armed conflict covers the expiry day, the case is deferred on that day; it takes
    ///    effect on the day computed by [`crate::effect`] from the conflicts then recorded, and on no
    ///    other day.
    /// 8. A revocation comes before the withdrawal takes effect: before the expiry day, or at any
    ///    time while deferred.
    ///
    /// # Errors
    ///
    /// A [`TransitionError`] naming the rule the step breaks.
    pub fn apply(&self, step: &Step) -> Result<Withdrawal, TransitionError> {
        self.check_still_open(step)?;
        if let (Some(on), Some(latest)) = (step.on(), self.latest)
            && on < latest
        {
            return Err(TransitionError::DateWentBackwards {
                step: step.kind(),
                on,
                latest,
            });
        }
        let mut next = self.clone();
        match step {
            Step::Recommended { .. } | Step::GovernmentDecided { .. } => {
                next.before_parliament(step)?
            }
            Step::ChamberVoted(vote) => next.vote(step, vote)?,
            Step::HeadOfStateAssented { on } => next.assent(step, *on)?,
            Step::InstrumentDeposited {
                received_on,
                reasons,
            } => next.deposit(step, *received_on, reasons)?,
            Step::Deferred { on, conflict } => next.defer(*on, conflict)?,
            Step::TookEffect { on, conflicts } => next.take_effect(*on, conflicts)?,
            Step::Revoked { on } => next.revoke(*on)?,
        }
        if let Some(on) = step.on() {
            next.latest = Some(on);
        }
        next.history.push(step.clone());
        Ok(next)
    }

    fn check_still_open(&self, step: &Step) -> Result<(), TransitionError> {
        match (&self.phase, step) {
            (Phase::Effective(_, effective_on), Step::Revoked { on }) => {
                Err(TransitionError::RevocationAfterEffect {
                    on: *on,
                    effective_on: *effective_on,
                })
            }
            (Phase::Effective(..) | Phase::Rejected | Phase::Revoked { .. }, _) => {
                Err(self.closed())
            }
            (Phase::Domestic | Phase::Notified(_) | Phase::Deferred(..), _) => Ok(()),
        }
    }

    fn closed(&self) -> TransitionError {
        TransitionError::CaseClosed {
            status: self.status(),
        }
    }

    fn require_domestic(&self, step: &Step) -> Result<(), TransitionError> {
        match self.phase {
            Phase::Domestic => Ok(()),
            Phase::Notified(_) | Phase::Deferred(..) => {
                Err(TransitionError::AlreadyDeposited { step: step.kind() })
            }
            Phase::Rejected | Phase::Effective(..) | Phase::Revoked { .. } => Err(self.closed()),
        }
    }

    fn parliament_has_voted(&self) -> bool {
        self.history
            .iter()
            .any(|step| matches!(step, Step::ChamberVoted(_)))
    }

    fn before_parliament(&mut self, step: &Step) -> Result<(), TransitionError> {
        self.require_domestic(step)?;
        if self.parliament_has_voted() {
            return Err(TransitionError::ParliamentAlreadyVoting { step: step.kind() });
        }
        let recommended = self
            .history
            .iter()
            .any(|s| matches!(s, Step::Recommended { .. }));
        if matches!(step, Step::Recommended { .. }) && recommended {
            return Err(TransitionError::AlreadyRecommended);
        }
        Ok(())
    }

    fn vote(&mut self, step: &Step, vote: &ChamberVote) -> Result<(), TransitionError> {
        self.require_domestic(step)?;
        let Some(index) = self.procedure.position(&vote.chamber) else {
            return Err(TransitionError::UnknownChamber {
                chamber: vote.chamber.clone(),
                known: self.procedure.chamber_names(),
            });
        };
        let chamber = self.procedure.chambers[index].clone();
        if index < self.passed.len() {
            return Err(TransitionError::AlreadyFinal {
                chamber: chamber.name,
            });
        }
        if let Some(waiting) = self.procedure.chambers.get(self.passed.len())
            && index > self.passed.len()
        {
            return Err(TransitionError::ChamberOutOfOrder {
                chamber: chamber.name,
                waiting_for: waiting.name.clone(),
            });
        }
        if let Tally::Counted { yes, no, abstain } = vote.tally {
            let counted = u64::from(yes) + u64::from(no) + u64::from(abstain.unwrap_or(0));
            if let Some(seats) = chamber.threshold.seats()
                && counted > u64::from(seats)
            {
                return Err(TransitionError::TallyExceedsSeats {
                    chamber: chamber.name,
                    seats,
                    counted,
                });
            }
        }
        match (vote.final_reading, vote.tally.passes(chamber.threshold)) {
            (false, _) => {}
            (true, true) => self.passed.push(vote.on),
            (true, false) => self.phase = Phase::Rejected,
        }
        Ok(())
    }

    fn assent(&mut self, step: &Step, on: Option<Date>) -> Result<(), TransitionError> {
        self.require_domestic(step)?;
        if !self.procedure.head_of_state_assent {
            return Err(TransitionError::AssentNotRequired);
        }
        if self.assent.is_some() {
            return Err(TransitionError::AlreadyAssented);
        }
        if let Some(waiting_for @ PendingApproval::ChamberVote { .. }) = self.pending_approval() {
            return Err(TransitionError::AssentBeforeParliament { waiting_for });
        }
        self.assent = Some(on);
        Ok(())
    }

    fn deposit(
        &mut self,
        step: &Step,
        received_on: Date,
        reasons: &str,
    ) -> Result<(), TransitionError> {
        self.require_domestic(step)?;
        if let Some(missing) = self.pending_approval() {
            return Err(TransitionError::NotApproved { missing });
        }
        if reasons.trim().is_empty() {
            return Err(TransitionError::MissingReasons);
        }
        let approved_on = self.parliament_approved_on();
        let Some(period_starts_on) = self.clause.period_starts_on(received_on, approved_on) else {
            let last = self.procedure.chambers.last().map(|c| c.name.clone());
            return Err(TransitionError::ApprovalDateUnknown {
                chamber: last.unwrap_or_default(),
            });
        };
        let expiry = self.clause.expiry(period_starts_on)?;
        if expiry < received_on {
            return Err(TransitionError::NoticeExpiresBeforeReceipt {
                starts_on: period_starts_on,
                expiry,
                received_on,
            });
        }
        self.phase = Phase::Notified(Notice {
            received_on,
            reasons: reasons.to_owned(),
            period_starts_on,
            expiry,
        });
        Ok(())
    }

    /// Returns the notice when the case waits for its effect, or the error for `step` otherwise.
    fn waiting_notice(&self, step: &'static str) -> Result<Notice, TransitionError> {
        match &self.phase {
            Phase::Notified(notice) | Phase::Deferred(notice, _) => Ok(notice.clone()),
            Phase::Domestic => Err(TransitionError::NotDeposited { step }),
            Phase::Rejected | Phase::Effective(..) | Phase::Revoked { .. } => Err(self.closed()),
        }
    }

    fn defer(&mut self, on: Date, conflict: &ConflictPeriod) -> Result<(), TransitionError> {
        conflict.check()?;
        let notice = self.waiting_notice("deferral")?;
        if let Some(already) = self.deferred_by() {
            return Err(TransitionError::AlreadyDeferred {
                conflict: already.name.clone(),
            });
        }
        if !self.clause.armed_conflict_defers {
            return Err(TransitionError::ConflictDoesNotDefer);
        }
        if on != notice.expiry {
            return Err(TransitionError::NotTheExpiryDate {
                on,
                expiry: notice.expiry,
            });
        }
        if !conflict.covers(notice.expiry) {
            return Err(TransitionError::ConflictNotOnExpiry {
                conflict: conflict.name.clone(),
                expiry: notice.expiry,
            });
        }
        self.phase = Phase::Deferred(notice, conflict.clone());
        Ok(())
    }

    fn take_effect(
        &mut self,
        on: Date,
        conflicts: &[ConflictPeriod],
    ) -> Result<(), TransitionError> {
        for conflict in conflicts {
            conflict.check()?;
        }
        let notice = self.waiting_notice("entry into effect")?;
        let deferral_recorded = self.deferred_by().is_some();
        let defers = self.clause.armed_conflict_defers;
        let effective_on = match effect_after_expiry(notice.expiry, defers, conflicts) {
            // Also when a recorded deferral no longer holds because the conflicts were corrected.
            Effect::Effective { on } => on,
            Effect::Deferred {
                conflict, expiry, ..
            } if !deferral_recorded => {
                return Err(TransitionError::DeferralNotRecorded {
                    conflict: conflict.name,
                    expiry,
                });
            }
            Effect::Deferred {
                conflict,
                until: None,
                ..
            } => {
                return Err(TransitionError::ConflictOngoing {
                    conflict: conflict.name,
                });
            }
            Effect::Deferred {
                until: Some(until), ..
            } => until,
        };
        if on != effective_on {
            return Err(TransitionError::NotTheEffectiveDate { on, effective_on });
        }
        self.phase = Phase::Effective(notice, on);
        Ok(())
    }

    fn revoke(&mut self, on: Date) -> Result<(), TransitionError> {
        if let Phase::Notified(notice) = &self.phase
            && on >= notice.expiry
        {
            return Err(TransitionError::RevocationAfterEffect {
                on,
                effective_on: notice.expiry,
            });
        }
        let from = self.status();
        let notice = self.notice().cloned();
        self.phase = Phase::Revoked { on, from, notice };
        Ok(())
    }
}
