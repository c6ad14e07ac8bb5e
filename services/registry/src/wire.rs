//! Conversions from the registry's stored types, and the standings computed from
//! them, to the API's messages.

use jiff::civil::Date;
use treaty_domain::{
    ConflictPeriod, DomainError, Effect, Standing, StandingStatus, StateCode, TreatyRules, standing,
};
use treaty_proto::registry as pb;
use treaty_proto::wire::{date_to_wire, opt_date_to_wire};

use crate::error::RegistryError;
use crate::stored::{
    StoredConflict, StoredMembership, StoredNotice, StoredPeriod, StoredProcedure, StoredRunsFrom,
    StoredSuspension, StoredThreshold, StoredTreaty, conflict_name,
};

/// A treaty.
pub fn treaty(t: &StoredTreaty) -> pb::Treaty {
    pb::Treaty {
        name: format!("treaties/{}", t.id),
        treaty_id: t.id.clone(),
        title: t.title.clone(),
        short_title: t.short_title.clone(),
        depositary: t.depositary.clone(),
        in_force_on: Some(date_to_wire(t.in_force_on)),
        entry_into_force_months: u32::from(t.entry_into_force_months),
        withdrawal_clause: Some(pb::WithdrawalClause {
            notice_months: u32::from(t.clause.notice_months),
            runs_from: match t.clause.runs_from {
                StoredRunsFrom::DepositaryReceipt => pb::RunsFrom::DepositaryReceipt,
                StoredRunsFrom::ParliamentaryApproval => pb::RunsFrom::ParliamentaryApproval,
            }
            .into(),
            armed_conflict_defers: t.clause.armed_conflict_defers,
            article: t.clause.article.clone(),
        }),
        sources: t.sources.clone(),
    }
}

fn procedure(p: &StoredProcedure) -> pb::ApprovalProcedure {
    pb::ApprovalProcedure {
        chambers: p
            .chambers
            .iter()
            .map(|c| pb::Chamber {
                name: c.name.clone(),
                threshold: Some(match c.threshold {
                    StoredThreshold::SimpleMajority => pb::Threshold {
                        kind: pb::ThresholdKind::SimpleMajority.into(),
                        ..Default::default()
                    },
                    StoredThreshold::AtLeast { yes, of_seats } => pb::Threshold {
                        kind: pb::ThresholdKind::AtLeast.into(),
                        yes_votes: yes,
                        of_seats,
                    },
                    StoredThreshold::AbsoluteMajority { of_seats } => pb::Threshold {
                        kind: pb::ThresholdKind::AbsoluteMajority.into(),
                        yes_votes: 0,
                        of_seats,
                    },
                }),
            })
            .collect(),
        head_of_state_assent: p.head_of_state_assent,
        sources: p.sources.clone(),
    }
}

/// A state with its recorded procedure, or the default one.
pub fn state(code: StateCode, recorded: Option<&StoredProcedure>) -> pb::State {
    let default = StoredProcedure::default_procedure();
    pb::State {
        name: format!("states/{code}"),
        code: code.as_str().to_owned(),
        display_name: code.name().to_owned(),
        approval_procedure: Some(procedure(recorded.unwrap_or(&default))),
        procedure_recorded: recorded.is_some(),
    }
}

/// An armed conflict.
pub fn conflict(state: &str, c: &StoredConflict) -> pb::ArmedConflict {
    pb::ArmedConflict {
        name: conflict_name(state, c.id),
        state: state.to_owned(),
        conflict_id: c.id.to_string(),
        description: c.description.clone(),
        began_on: Some(date_to_wire(c.began_on)),
        ended_on: opt_date_to_wire(c.ended_on),
        sources: c.sources.iter().chain(&c.end_sources).cloned().collect(),
    }
}

fn suspension(s: &StoredSuspension) -> pb::SuspensionClaim {
    pb::SuspensionClaim {
        claimed_on: Some(date_to_wire(s.claimed_on)),
        detail: s.detail.clone(),
        sources: s.sources.clone(),
    }
}

/// The wire status of a standing.
pub fn status(s: &StandingStatus) -> pb::MembershipStatus {
    match s {
        StandingStatus::NotAMember => pb::MembershipStatus::NotAMember,
        StandingStatus::Signatory { .. } => pb::MembershipStatus::Signatory,
        StandingStatus::Consented { .. } => pb::MembershipStatus::Consented,
        StandingStatus::Party => pb::MembershipStatus::Party,
        StandingStatus::WithdrawalNotified { .. } => pb::MembershipStatus::WithdrawalNotified,
        StandingStatus::WithdrawalDeferred { .. } => pb::MembershipStatus::WithdrawalDeferred,
        StandingStatus::Withdrawn { .. } => pb::MembershipStatus::Withdrawn,
    }
}

/// The consent kind of a stored period.
fn consent_kind(p: &StoredPeriod) -> pb::ConsentKind {
    use crate::stored::StoredConsent as C;
    match p.consent {
        C::Ratification => pb::ConsentKind::Ratification,
        C::Acceptance => pb::ConsentKind::Acceptance,
        C::Approval => pb::ConsentKind::Approval,
        C::Accession => pb::ConsentKind::Accession,
        C::Succession => pb::ConsentKind::Succession,
    }
}

/// One period; the notice shown is the one at `notice`, and a revocation after `as_of`
/// (when given) is not shown.
fn period(
    p: &StoredPeriod,
    notice: Option<&StoredNotice>,
    rules: &TreatyRules,
    conflicts: &[ConflictPeriod],
    as_of: Option<Date>,
) -> Result<pb::MembershipPeriod, RegistryError> {
    let mut out = pb::MembershipPeriod {
        consent_kind: consent_kind(p).into(),
        consented_on: Some(date_to_wire(p.deposited_on)),
        in_force_on: Some(date_to_wire(
            rules
                .entry_into_force
                .in_force_for(p.deposited_on)
                .map_err(unreadable)?,
        )),
        ..Default::default()
    };
    let Some(n) = notice else { return Ok(out) };
    let revoked_on = n
        .revoked_on
        .filter(|&r| as_of.is_none_or(|as_of| r <= as_of));
    let facts = treaty_domain::NoticeFacts {
        case: treaty_domain::CaseId::parse(&n.case).map_err(unreadable)?,
        received_on: n.received_on,
        approved_on: n.approved_on,
        revoked_on,
    };
    let effect = facts
        .effect(&rules.withdrawal, conflicts)
        .map_err(unreadable)?;
    out.withdrawal_received_on = Some(date_to_wire(n.received_on));
    out.withdrawal_case = n.case.clone();
    out.withdrawal_revoked_on = opt_date_to_wire(revoked_on);
    out.withdrawal_expires_on = Some(date_to_wire(effect.expiry()));
    out.withdrawal_reasons = n.reasons.clone();
    out.withdrawal_approved_on = opt_date_to_wire(n.approved_on);
    if revoked_on.is_none() {
        out.withdrawal_effective_on = opt_date_to_wire(effect.effective_on());
        if let Effect::Deferred { conflict, .. } = &effect {
            out.withdrawal_deferred_by = conflict.name.clone();
        }
    }
    Ok(out)
}

/// Stored facts whose dates the rules cannot compute with were not written by this
/// registry, which checks them before storing.
fn unreadable(e: DomainError) -> RegistryError {
    RegistryError::Corrupt(format!("stored membership facts are unusable: {e}"))
}

/// What a membership answer is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub treaty: &'a StoredTreaty,
    pub state: StateCode,
    /// Everything recorded about them.
    pub membership: &'a StoredMembership,
    /// The state's armed conflicts.
    pub conflicts: &'a [ConflictPeriod],
}

/// The membership as of `as_of`, and the standing it rests on.
///
/// # Errors
///
/// [`RegistryError::Corrupt`] when the stored facts cannot be read.
pub fn membership(
    s: Subject<'_>,
    as_of: Date,
) -> Result<(pb::Membership, Standing), RegistryError> {
    let rules = s.treaty.rules();
    let facts = s.membership.facts()?;
    let now = standing(&facts, &rules, s.conflicts, as_of).map_err(unreadable)?;
    let current_period = match now.period {
        Some(i) => {
            let p = &s.membership.periods[i];
            let notice = now.notice.map(|n| &p.notices[n]);
            Some(period(p, notice, &rules, s.conflicts, Some(as_of))?)
        }
        None => None,
    };
    let periods = s
        .membership
        .periods
        .iter()
        .map(|p| period(p, p.notices.last(), &rules, s.conflicts, None))
        .collect::<Result<_, _>>()?;
    let code = s.state.as_str();
    let out = pb::Membership {
        name: format!("treaties/{}/members/{code}", s.treaty.id),
        treaty: s.treaty.id.clone(),
        state: code.to_owned(),
        state_name: s.state.name().to_owned(),
        as_of: Some(date_to_wire(as_of)),
        status: status(&now.status).into(),
        signed_on: opt_date_to_wire(s.membership.signed_on),
        current_period,
        periods,
        suspensions: s
            .membership
            .suspensions
            .iter()
            .filter(|c| c.claimed_on <= as_of)
            .map(suspension)
            .collect(),
        is_party: now.is_party(),
        bound: now.status.is_bound(),
        may_give_notice: now.status.may_give_notice(),
    };
    Ok((out, now))
}
