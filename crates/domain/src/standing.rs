//! A state's standing towards a treaty on any date, computed from what was recorded about it:
//! its signature, each consent to be bound, each notice of withdrawal and its revocation, and the
//! armed conflicts recorded for the state.
//!
//! Nothing here is stored: the standing is worked out afresh for the date asked about, so the same
//! facts always give the same answer, and a withdrawal's effect comes from the one function that
//! decides it, [`effect`]. Whether a new fact may be recorded is for `recording.rs`
//! ([`MembershipFacts::check_consent`], [`MembershipFacts::check_notice`], ...).

use std::fmt;

use jiff::civil::Date;

use crate::clause::{ConflictPeriod, Effect, WithdrawalClause, effect};
use crate::error::DomainError;
use crate::ids::CaseId;
use crate::membership::{ConsentKind, EntryIntoForceRule};

/// The two rules of a treaty that decide membership: when it enters into force for a state that
/// consents, and when a notice of withdrawal takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TreatyRules {
    /// Entry into force for a state that deposits its consent.
    pub entry_into_force: EntryIntoForceRule,
    /// The withdrawal clause.
    pub withdrawal: WithdrawalClause,
}

/// Everything recorded about one state and one treaty, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MembershipFacts {
    /// The day the state signed, if it did.
    pub signed_on: Option<Date>,
    /// Each period of membership, begun by a deposit of consent, in the order of deposit. A state
    /// that left and joined again has one period per joining.
    pub periods: Vec<PeriodFacts>,
}

/// One period of membership as recorded: the consent that began it and the notices of withdrawal
/// given during it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeriodFacts {
    /// How the state consented (never a signature).
    pub consent: ConsentKind,
    /// The day it deposited its instrument of consent.
    pub deposited_on: Date,
    /// The notices of withdrawal given during the period, in the order received. Every notice but
    /// the last was revoked; the last one, unless revoked, ends the period when it takes effect.
    pub notices: Vec<NoticeFacts>,
}

/// A notice of withdrawal as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoticeFacts {
    /// The withdrawal case that gave the notice.
    pub case: CaseId,
    /// The day the depositary received the instrument of withdrawal.
    pub received_on: Date,
    /// The day parliament completed its approval, if known.
    pub approved_on: Option<Date>,
    /// The day the notice was revoked, if it was.
    pub revoked_on: Option<Date>,
}

impl NoticeFacts {
    /// Returns the day the notice period is counted from under `clause`. When the clause counts
    /// from parliament's approval and that day is unknown, the receipt is used (the registry
    /// refuses such a notice, see [`crate::MembershipError::ApprovalDateUnknown`]).
    pub fn period_starts_on(&self, clause: &WithdrawalClause) -> Date {
        clause
            .period_starts_on(self.received_on, self.approved_on)
            .unwrap_or(self.received_on)
    }

    /// Computes when the notice takes effect, given the state's recorded armed conflicts.
    ///
    /// # Errors
    ///
    /// [`DomainError::DateOutOfRange`] when the period would expire after the year 9999.
    pub fn effect(
        &self,
        clause: &WithdrawalClause,
        conflicts: &[ConflictPeriod],
    ) -> Result<Effect, DomainError> {
        effect(clause, self.period_starts_on(clause), conflicts)
    }

    /// Tells whether the notice was revoked on or before `date`.
    pub fn is_revoked_on(&self, date: Date) -> bool {
        self.revoked_on.is_some_and(|revoked| revoked <= date)
    }
}

impl PeriodFacts {
    /// Returns the index of the latest notice received on or before `date`.
    pub fn notice_as_of(&self, date: Date) -> Option<usize> {
        self.notices
            .iter()
            .rposition(|notice| notice.received_on <= date)
    }
}

/// Where a state stands towards a treaty on one day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StandingStatus {
    /// Neither signatory nor bound.
    NotAMember,
    /// Signed, without consent to be bound.
    Signatory {
        /// The day of signature.
        signed_on: Date,
    },
    /// Consent deposited; the treaty is not yet in force for the state.
    Consented {
        /// The day the treaty enters into force for the state.
        in_force_on: Date,
    },
    /// Bound, the treaty in force for the state.
    Party,
    /// The depositary received a notice of withdrawal; the notice period is running.
    WithdrawalNotified {
        /// The day the notice period expires.
        expiry: Date,
        /// The day the withdrawal takes effect, when known: unknown while an armed conflict
        /// recorded on the expiry day goes on.
        effective_on: Option<Date>,
    },
    /// The notice period expired during an armed conflict; the state stays a party until its end.
    WithdrawalDeferred {
        /// The day the notice period expired.
        expiry: Date,
        /// The conflict going on that day.
        conflict: ConflictPeriod,
        /// The day the withdrawal takes effect, once the conflict's end is recorded.
        until: Option<Date>,
    },
    /// The withdrawal took effect: the state is no longer bound.
    Withdrawn {
        /// The day it took effect.
        on: Date,
    },
}

impl StandingStatus {
    /// Returns the stable name of the status, such as `"WITHDRAWAL_NOTIFIED"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StandingStatus::NotAMember => "NOT_A_MEMBER",
            StandingStatus::Signatory { .. } => "SIGNATORY",
            StandingStatus::Consented { .. } => "CONSENTED",
            StandingStatus::Party => "PARTY",
            StandingStatus::WithdrawalNotified { .. } => "WITHDRAWAL_NOTIFIED",
            StandingStatus::WithdrawalDeferred { .. } => "WITHDRAWAL_DEFERRED",
            StandingStatus::Withdrawn { .. } => "WITHDRAWN",
        }
    }

    /// Tells whether the state may give notice of withdrawal on this day: it is bound
    /// (consented or a party) and no earlier notice of its withdrawal is pending.
    pub fn may_give_notice(&self) -> bool {
        matches!(
            self,
            StandingStatus::Consented { .. } | StandingStatus::Party
        )
    }

    /// Tells whether the state is bound by its consent: consented, party, or a party whose
    /// withdrawal has not yet taken effect.
    pub fn is_bound(&self) -> bool {
        matches!(
            self,
            StandingStatus::Consented { .. }
                | StandingStatus::Party
                | StandingStatus::WithdrawalNotified { .. }
                | StandingStatus::WithdrawalDeferred { .. }
        )
    }
}

impl fmt::Display for StandingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state's standing on one day, and which recorded period and notice it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Standing {
    /// The day the standing is for.
    pub as_of: Date,
    /// Where the state stands.
    pub status: StandingStatus,
    /// The index of the period that applies on `as_of` (or the latest before it), if any.
    pub period: Option<usize>,
    /// The index, within that period, of the latest notice received on or before `as_of`.
    pub notice: Option<usize>,
    /// The day the treaty entered (or enters) into force for the state in that period.
    pub in_force_on: Option<Date>,
}

impl Standing {
    /// Tells whether the state is a party on `as_of`: bound, with the treaty in force for it, its
    /// withdrawal (if notified) not yet in effect.
    pub fn is_party(&self) -> bool {
        self.status.is_bound() && self.in_force_on.is_some_and(|on| on <= self.as_of)
    }
}

/// Works out where a state stands towards a treaty on `as_of`.
///
/// The period that applies is the last one whose consent was deposited on or before `as_of`; the
/// notice that applies is the last one of that period received on or before `as_of`. A notice
/// revoked on or before `as_of` leaves the state bound; otherwise [`effect`] decides whether the
/// withdrawal has taken effect, is pending, or is deferred by an armed conflict. Claimed
/// suspensions are not facts here: they never change the standing.
///
/// # Errors
///
/// [`DomainError::DateOutOfRange`] when a date computed from the facts is after the year 9999.
pub fn standing(
    facts: &MembershipFacts,
    rules: &TreatyRules,
    conflicts: &[ConflictPeriod],
    as_of: Date,
) -> Result<Standing, DomainError> {
    let Some(index) = facts.periods.iter().rposition(|p| p.deposited_on <= as_of) else {
        let status = match facts.signed_on {
            Some(signed_on) if signed_on <= as_of => StandingStatus::Signatory { signed_on },
            _ => StandingStatus::NotAMember,
        };
        return Ok(Standing {
            as_of,
            status,
            period: None,
            notice: None,
            in_force_on: None,
        });
    };
    let period = &facts.periods[index];
    let in_force_on = rules.entry_into_force.in_force_for(period.deposited_on)?;
    let bound = if in_force_on <= as_of {
        StandingStatus::Party
    } else {
        StandingStatus::Consented { in_force_on }
    };
    let notice = period.notice_as_of(as_of);
    let status = match notice.map(|i| &period.notices[i]) {
        None => bound,
        Some(n) if n.is_revoked_on(as_of) => bound,
        Some(n) => status_under_notice(n.effect(&rules.withdrawal, conflicts)?, as_of),
    };
    Ok(Standing {
        as_of,
        status,
        period: Some(index),
        notice,
        in_force_on: Some(in_force_on),
    })
}

fn status_under_notice(effect: Effect, as_of: Date) -> StandingStatus {
    match effect {
        Effect::Effective { on } if on <= as_of => StandingStatus::Withdrawn { on },
        Effect::Effective { on } => StandingStatus::WithdrawalNotified {
            expiry: on,
            effective_on: Some(on),
        },
        Effect::Deferred {
            until: Some(until), ..
        } if until <= as_of => StandingStatus::Withdrawn { on: until },
        Effect::Deferred { expiry, until, .. } if as_of < expiry => {
            StandingStatus::WithdrawalNotified {
                expiry,
                effective_on: until,
            }
        }
        Effect::Deferred {
            expiry,
            conflict,
            until,
        } => StandingStatus::WithdrawalDeferred {
            expiry,
            conflict,
            until,
        },
    }
}
