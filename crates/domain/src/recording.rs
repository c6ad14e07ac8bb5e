//! Whether a new membership fact may be recorded: a signature, a consent, a notice of
//! withdrawal, its revocation, a claimed suspension. The checks read the facts already
//! recorded and the standing they give; they change nothing, and say where the new fact
//! goes so that the caller can store it.

use jiff::civil::Date;
use thiserror::Error;

use crate::clause::ConflictPeriod;
use crate::error::DomainError;
use crate::ids::CaseId;
use crate::membership::ConsentKind;
use crate::standing::{MembershipFacts, NoticeFacts, StandingStatus, TreatyRules, standing};

/// What a check found about a fact that names a withdrawal case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseFact {
    /// The fact is new; it goes in the period at `period` (and, for a revocation, on the notice at
    /// `notice` in it).
    New {
        /// The period's index.
        period: usize,
        /// The notice's index in the period (for a new notice: the index it will get).
        notice: usize,
    },
    /// The very same fact is already recorded there; recording it again changes nothing.
    AlreadyRecorded {
        /// The period's index.
        period: usize,
        /// The notice's index in the period.
        notice: usize,
    },
}

/// Why a membership fact cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MembershipError {
    /// A signature is already recorded.
    #[error("the state's signature is already recorded, on {signed_on}; a state signs once")]
    AlreadySigned {
        /// The recorded day of signature.
        signed_on: Date,
    },
    /// A signature is dated after the state already consented.
    #[error(
        "a signature on {on} would follow the consent deposited on {consented_on}; a state signs before it ratifies, and joins later by accession"
    )]
    SignatureAfterConsent {
        /// The day of the signature.
        on: Date,
        /// The first recorded deposit of consent.
        consented_on: Date,
    },
    /// A consent is dated before the state's signature.
    #[error("the consent is dated {on}, before the signature on {signed_on}; check the dates")]
    ConsentBeforeSignature {
        /// The day of the consent.
        on: Date,
        /// The day of the signature.
        signed_on: Date,
    },
    /// A consent is dated on or before a consent already recorded.
    #[error(
        "a consent is already recorded on {latest}; record consents in the order they were deposited, each after the last"
    )]
    ConsentBeforeRecordedConsent {
        /// The day of the new consent.
        on: Date,
        /// The latest recorded deposit.
        latest: Date,
    },
    /// A consent came while the state was still bound.
    #[error(
        "the state is already bound on {on} ({status}); a new consent needs its earlier withdrawal to have taken effect"
    )]
    AlreadyBound {
        /// The day of the new consent.
        on: Date,
        /// The state's standing that day.
        status: &'static str,
    },
    /// A notice or claim came from a state that is not bound.
    #[error("the state is not bound by the treaty on {on} ({status}); record its consent first")]
    NotBound {
        /// The day of the notice or claim.
        on: Date,
        /// The state's standing that day.
        status: &'static str,
    },
    /// A notice came while another notice was pending or had taken effect.
    #[error(
        "the notice of withdrawal of case {case} is still pending or has taken effect; a state gives one notice at a time, and a new one only after revoking the last"
    )]
    NoticePending {
        /// The case of the earlier notice.
        case: CaseId,
    },
    /// The case's notice is already recorded with other facts.
    #[error(
        "the notice of case {case} is already recorded as received on {received_on}; a case gives one notice"
    )]
    NoticeAlreadyRecorded { case: CaseId, received_on: Date },
    /// The clause counts from parliament's approval, whose date was not given.
    #[error(
        "this treaty's notice period runs from parliament's approval; give the day parliament completed its approval"
    )]
    ApprovalDateUnknown,
    /// The notice period would expire before the depositary received the notice.
    #[error(
        "the notice period, counted from {starts_on}, would expire on {expiry}, before the depositary received the instrument on {received_on}; check the dates"
    )]
    NoticeExpiresBeforeReceipt {
        /// The day the period is counted from.
        starts_on: Date,
        /// The day it would expire.
        expiry: Date,
        received_on: Date,
    },
    /// No notice of this case is recorded.
    #[error("no notice of withdrawal of case {case} is recorded for this state and treaty")]
    NoSuchNotice { case: CaseId },
    /// A revocation is dated before the notice it revokes.
    #[error(
        "the revocation is dated {on}, before the depositary received the notice on {received_on}; check the dates"
    )]
    RevocationBeforeNotice {
        /// The day of the revocation.
        on: Date,
        /// The day the notice was received.
        received_on: Date,
    },
    /// The notice was already revoked, on another day.
    #[error("the notice of case {case} was already revoked on {revoked_on}")]
    AlreadyRevoked { case: CaseId, revoked_on: Date },
    /// A revocation came on or after the day the withdrawal took effect.
    #[error(
        "a withdrawal can only be revoked before it takes effect (VCLT Art. 68); it takes effect on {effective_on}, so a revocation on {on} is too late; rejoining needs a new accession"
    )]
    RevocationAfterEffect {
        /// The day of the revocation.
        on: Date,
        /// The day the withdrawal takes or took effect.
        effective_on: Date,
    },
    /// A value is invalid whatever was recorded.
    #[error(transparent)]
    Invalid(#[from] DomainError),
}

impl MembershipFacts {
    /// Finds the notice of `case`: its period's index and its index in the period.
    pub fn find_notice(&self, case: &CaseId) -> Option<(usize, usize)> {
        self.periods.iter().enumerate().find_map(|(p, period)| {
            let n = period.notices.iter().position(|n| &n.case == case)?;
            Some((p, n))
        })
    }

    /// Checks that a signature (`kind` is [`ConsentKind::Signature`]) or a consent to be bound may
    /// be recorded on `on`. A consent begins a new period.
    ///
    /// # Errors
    ///
    /// For a signature: [`MembershipError::AlreadySigned`] or
    /// [`MembershipError::SignatureAfterConsent`]. For a consent:
    /// [`MembershipError::ConsentBeforeSignature`],
    /// [`MembershipError::ConsentBeforeRecordedConsent`] or [`MembershipError::AlreadyBound`].
    pub fn check_consent(
        &self,
        kind: ConsentKind,
        on: Date,
        rules: &TreatyRules,
        conflicts: &[ConflictPeriod],
    ) -> Result<(), MembershipError> {
        if !kind.binds() {
            if let Some(signed_on) = self.signed_on {
                return Err(MembershipError::AlreadySigned { signed_on });
            }
            if let Some(first) = self.periods.first().filter(|p| p.deposited_on < on) {
                return Err(MembershipError::SignatureAfterConsent {
                    on,
                    consented_on: first.deposited_on,
                });
            }
            return Ok(());
        }
        if let Some(signed_on) = self.signed_on.filter(|&signed_on| on < signed_on) {
            return Err(MembershipError::ConsentBeforeSignature { on, signed_on });
        }
        if let Some(last) = self.periods.last().filter(|p| on <= p.deposited_on) {
            return Err(MembershipError::ConsentBeforeRecordedConsent {
                on,
                latest: last.deposited_on,
            });
        }
        let now = standing(self, rules, conflicts, on)?;
        if now.status.is_bound() {
            return Err(MembershipError::AlreadyBound {
                on,
                status: now.status.as_str(),
            });
        }
        Ok(())
    }

    /// Checks that `notice` may be recorded: the state is bound on the day of receipt, no other
    /// notice is pending, and the clause's dates work out. Recording the same case's notice again
    /// with the same dates is [`CaseFact::AlreadyRecorded`].
    ///
    /// # Errors
    ///
    /// [`MembershipError::NoticeAlreadyRecorded`], [`MembershipError::ApprovalDateUnknown`],
    /// [`MembershipError::NoticeExpiresBeforeReceipt`], [`MembershipError::NotBound`] or
    /// [`MembershipError::NoticePending`].
    pub fn check_notice(
        &self,
        notice: &NoticeFacts,
        rules: &TreatyRules,
        conflicts: &[ConflictPeriod],
    ) -> Result<CaseFact, MembershipError> {
        if let Some((period, index)) = self.find_notice(&notice.case) {
            let recorded = &self.periods[period].notices[index];
            if (recorded.received_on, recorded.approved_on)
                == (notice.received_on, notice.approved_on)
            {
                return Ok(CaseFact::AlreadyRecorded {
                    period,
                    notice: index,
                });
            }
            return Err(MembershipError::NoticeAlreadyRecorded {
                case: notice.case.clone(),
                received_on: recorded.received_on,
            });
        }
        let clause = &rules.withdrawal;
        let Some(starts_on) = clause.period_starts_on(notice.received_on, notice.approved_on)
        else {
            return Err(MembershipError::ApprovalDateUnknown);
        };
        let expiry = clause.expiry(starts_on)?;
        if expiry < notice.received_on {
            return Err(MembershipError::NoticeExpiresBeforeReceipt {
                starts_on,
                expiry,
                received_on: notice.received_on,
            });
        }
        let then = standing(self, rules, conflicts, notice.received_on)?;
        let period = match (&then.status, then.period) {
            (status, Some(period)) if status.may_give_notice() => period,
            (
                StandingStatus::WithdrawalNotified { .. }
                | StandingStatus::WithdrawalDeferred { .. },
                Some(period),
            ) => {
                let pending = then.notice.map(|i| &self.periods[period].notices[i]);
                return Err(MembershipError::NoticePending {
                    case: pending.map_or_else(|| notice.case.clone(), |n| n.case.clone()),
                });
            }
            (status, _) => {
                return Err(MembershipError::NotBound {
                    on: notice.received_on,
                    status: status.as_str(),
                });
            }
        };
        let notices = &self.periods[period].notices;
        // Any notice not revoked before this one was received overlaps it.
        if let Some(open) = notices.iter().find(|n| {
            n.revoked_on
                .is_none_or(|revoked| revoked > notice.received_on)
        }) {
            return Err(MembershipError::NoticePending {
                case: open.case.clone(),
            });
        }
        Ok(CaseFact::New {
            period,
            notice: notices.len(),
        })
    }

    /// Checks that the notice of `case` may be revoked on `on`: it is recorded, and its withdrawal
    /// has not taken effect by then. Revoking it again on the same day is
    /// [`CaseFact::AlreadyRecorded`].
    ///
    /// # Errors
    ///
    /// [`MembershipError::NoSuchNotice`], [`MembershipError::AlreadyRevoked`],
    /// [`MembershipError::RevocationBeforeNotice`] or [`MembershipError::RevocationAfterEffect`].
    pub fn check_revocation(
        &self,
        case: &CaseId,
        on: Date,
        rules: &TreatyRules,
        conflicts: &[ConflictPeriod],
    ) -> Result<CaseFact, MembershipError> {
        let Some((period, index)) = self.find_notice(case) else {
            return Err(MembershipError::NoSuchNotice { case: case.clone() });
        };
        let notice = &self.periods[period].notices[index];
        match notice.revoked_on {
            Some(revoked_on) if revoked_on == on => {
                return Ok(CaseFact::AlreadyRecorded {
                    period,
                    notice: index,
                });
            }
            Some(revoked_on) => {
                return Err(MembershipError::AlreadyRevoked {
                    case: case.clone(),
                    revoked_on,
                });
            }
            None => {}
        }
        if on < notice.received_on {
            return Err(MembershipError::RevocationBeforeNotice {
                on,
                received_on: notice.received_on,
            });
        }
        let effect = notice.effect(&rules.withdrawal, conflicts)?;
        let effective_on = effect.effective_on();
        // A later period exists only because this withdrawal took effect.
        let rejoined = period + 1 < self.periods.len();
        if rejoined || effective_on.is_some_and(|effective_on| effective_on <= on) {
            return Err(MembershipError::RevocationAfterEffect {
                on,
                effective_on: effective_on.unwrap_or_else(|| effect.expiry()),
            });
        }
        Ok(CaseFact::New {
            period,
            notice: index,
        })
    }

    /// Checks that a suspension may be claimed on `on`: only a bound state can claim to suspend a
    /// treaty. A claim never changes the standing.
    ///
    /// # Errors
    ///
    /// [`MembershipError::NotBound`].
    pub fn check_suspension_claim(
        &self,
        on: Date,
        rules: &TreatyRules,
        conflicts: &[ConflictPeriod],
    ) -> Result<(), MembershipError> {
        let then = standing(self, rules, conflicts, on)?;
        if then.status.is_bound() {
            Ok(())
        } else {
            Err(MembershipError::NotBound {
                on,
                status: then.status.as_str(),
            })
        }
    }
}
