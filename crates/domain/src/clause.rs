//! The withdrawal clause of a treaty, and when a notice of withdrawal takes effect.
//!
//! Art. 20 of the Ottawa Convention and of the Convention on Cluster Munitions read alike: the
//! withdrawal "shall take effect six months after the receipt of the instrument of withdrawal by the
//! Depositary. If, however, on the expiry of that six-month period, the withdrawing State Party is
//! engaged in an armed conflict, the withdrawal shall not take effect before the end of the armed
//! conflict."

use jiff::civil::Date;

use crate::calendar::add_months;
use crate::error::DomainError;

/// What a treaty's withdrawal clause says about when a notice takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WithdrawalClause {
    /// The length of the notice period in calendar months (6 for both bundled treaties).
    pub notice_months: u8,
    /// The day the notice period is counted from.
    pub runs_from: RunsFrom,
    /// Whether an armed conflict going on when the period expires defers the withdrawal.
    pub armed_conflict_defers: bool,
}

/// The day a notice period is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunsFrom {
    /// The day the depositary receives the instrument of withdrawal (Ottawa and CCM Art. 20).
    DepositaryReceipt,
    /// The day parliament's approval was completed, as some domestic laws and press reports count.
    ParliamentaryApproval,
}

impl WithdrawalClause {
    /// Returns the day the notice period is counted from, given the day the depositary received the
    /// instrument and the day parliament's approval was completed, if known.
    ///
    /// Returns `None` when the period runs from parliament's approval and that date is unknown.
    pub fn period_starts_on(&self, received_on: Date, approved_on: Option<Date>) -> Option<Date> {
        match self.runs_from {
            RunsFrom::DepositaryReceipt => Some(received_on),
            RunsFrom::ParliamentaryApproval => approved_on,
        }
    }

    /// Returns the day the notice period expires: `notice_months` calendar months after `start`.
    ///
    /// # Errors
    ///
    /// [`DomainError::DateOutOfRange`] when that day is after the year 9999.
    pub fn expiry(&self, start: Date) -> Result<Date, DomainError> {
        add_months(start, u32::from(self.notice_months))
    }
}

/// A period during which the registry records a state as engaged in an armed conflict.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConflictPeriod {
    /// The name or id under which the registry records the conflict.
    pub name: String,
    /// The first day of the conflict.
    pub began: Date,
    /// The last day of the conflict, once its end is recorded; the day it ended counts as a day of
    /// conflict.
    pub ended: Option<Date>,
}

impl ConflictPeriod {
    /// Makes a conflict period, checking that it has a name and does not end before it begins.
    ///
    /// # Errors
    ///
    /// [`DomainError::UnnamedConflict`] or [`DomainError::ConflictEndsBeforeItBegins`].
    pub fn new(
        name: impl Into<String>,
        began: Date,
        ended: Option<Date>,
    ) -> Result<ConflictPeriod, DomainError> {
        let period = ConflictPeriod {
            name: name.into(),
            began,
            ended,
        };
        period.check()?;
        Ok(period)
    }

    /// Checks the period as [`ConflictPeriod::new`] does, for periods built field by field.
    ///
    /// # Errors
    ///
    /// [`DomainError::UnnamedConflict`] or [`DomainError::ConflictEndsBeforeItBegins`].
    pub fn check(&self) -> Result<(), DomainError> {
        if self.name.trim().is_empty() {
            return Err(DomainError::UnnamedConflict);
        }
        match self.ended {
            Some(ended) if ended < self.began => Err(DomainError::ConflictEndsBeforeItBegins {
                name: self.name.clone(),
                began: self.began,
                ended,
            }),
            _ => Ok(()),
        }
    }

    /// Tells whether the state was engaged in this conflict on `date`, its first and last day
    /// included.
    pub fn covers(&self, date: Date) -> bool {
        self.began <= date && self.ended.is_none_or(|ended| ended >= date)
    }
}

/// When a notice of withdrawal takes effect.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Effect {
    /// The withdrawal takes effect on the day the notice period expires.
    Effective {
        /// The day it takes effect.
        on: Date,
    },
    /// An armed conflict was going on when the notice period expired, so the withdrawal waits for
    /// its end.
    Deferred {
        /// The day the notice period expired.
        expiry: Date,
        /// The conflict going on at expiry (the earliest begun, if several were).
        conflict: ConflictPeriod,
        /// The day the withdrawal takes effect, once the end of the conflict is recorded; `None`
        /// while the state is still engaged.
        until: Option<Date>,
    },
}

impl Effect {
    /// Returns the day the withdrawal takes effect, if that day is known.
    pub fn effective_on(&self) -> Option<Date> {
        match self {
            Effect::Effective { on } => Some(*on),
            Effect::Deferred { until, .. } => *until,
        }
    }

    /// Returns the day the notice period expires.
    pub fn expiry(&self) -> Date {
        match self {
            Effect::Effective { on } => *on,
            Effect::Deferred { expiry, .. } => *expiry,
        }
    }
}

/// Computes when a notice of withdrawal takes effect.
///
/// This is a pure function of the treaty's clause, the day the notice period starts (the
/// depositary's receipt, or parliament's approval if the clause says so, see
/// [`WithdrawalClause::period_starts_on`]) and the armed-conflict periods recorded for the
/// withdrawing state; the order of `conflicts` does not matter.
///
/// The notice period expires `notice_months` calendar months after `start`. If the clause defers
/// for armed conflict and a recorded conflict covers the expiry day, the withdrawal is deferred
/// and takes effect on the last day of the conflict.
///
/// When conflicts overlap, the state is engaged without a break as long as one conflict begins on
/// or before the day another ends and goes on after it; the withdrawal then takes effect on the day
/// the last of that unbroken chain ends, and stays undetermined while any of them goes on. A
/// conflict that begins after the chain has ended does not matter: the withdrawal has already taken
/// effect.
///
/// # Errors
///
/// [`DomainError::DateOutOfRange`] when the period would expire after the year 9999.
pub fn effect(
    clause: &WithdrawalClause,
    start: Date,
    conflicts: &[ConflictPeriod],
) -> Result<Effect, DomainError> {
    let expiry = clause.expiry(start)?;
    Ok(effect_after_expiry(
        expiry,
        clause.armed_conflict_defers,
        conflicts,
    ))
}

/// Decides the effect of a notice whose period expires on `expiry`; see [`effect`].
pub(crate) fn effect_after_expiry(
    expiry: Date,
    armed_conflict_defers: bool,
    conflicts: &[ConflictPeriod],
) -> Effect {
    if !armed_conflict_defers {
        return Effect::Effective { on: expiry };
    }
    let at_expiry = conflicts
        .iter()
        .filter(|conflict| conflict.covers(expiry))
        .min_by(|a, b| (a.began, &a.name, a.ended).cmp(&(b.began, &b.name, b.ended)));
    let Some(deferring) = at_expiry else {
        return Effect::Effective { on: expiry };
    };
    // Follow the unbroken chain of conflicts from the expiry day to the end of the last one.
    let mut until = Some(expiry);
    while let Some(end) = until {
        let continuing: Vec<&ConflictPeriod> = conflicts
            .iter()
            .filter(|conflict| conflict.began <= end && conflict.ended.is_none_or(|e| e > end))
            .collect();
        if continuing.is_empty() {
            break;
        }
        until = continuing
            .iter()
            .map(|conflict| conflict.ended)
            .try_fold(end, |latest, ended| ended.map(|ended| latest.max(ended)));
    }
    Effect::Deferred {
        expiry,
        conflict: deferring.clone(),
        until,
    }
}
