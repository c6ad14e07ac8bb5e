//! Cases and their steps as API messages.

use treaty_domain::{ConflictPeriod, NoticeKind, Withdrawal, WithdrawalStatus};
use treaty_proto::approvals as pb;
use treaty_proto::wire;

use crate::relay::notice_id;
use crate::stored::{StoredCase, StoredEvent, StoredStep, StoredTally};

/// The wire status of a domain status (a case opened without a recommendation reads as
/// RECOMMENDED).
pub fn status(status: WithdrawalStatus) -> pb::WithdrawalStatus {
    use WithdrawalStatus as S;
    match status {
        S::Open | S::Recommended => pb::WithdrawalStatus::Recommended,
        S::GovernmentDecided => pb::WithdrawalStatus::GovernmentDecided,
        S::InParliament => pb::WithdrawalStatus::InParliament,
        S::AwaitingAssent => pb::WithdrawalStatus::AwaitingAssent,
        S::Approved => pb::WithdrawalStatus::Approved,
        S::Rejected => pb::WithdrawalStatus::Rejected,
        S::Notified => pb::WithdrawalStatus::Notified,
        S::Deferred => pb::WithdrawalStatus::Deferred,
        S::Effective => pb::WithdrawalStatus::Effective,
        S::Revoked => pb::WithdrawalStatus::Revoked,
    }
}

fn step_kind(event: &StoredEvent) -> pb::StepKind {
    match event {
        StoredEvent::Recommended { .. } => pb::StepKind::Recommended,
        StoredEvent::GovernmentDecided { .. } => pb::StepKind::GovernmentDecision,
        StoredEvent::ChamberVoted { .. } => pb::StepKind::ChamberVote,
        StoredEvent::HeadOfStateAssented { .. } => pb::StepKind::HeadOfStateAssent,
        StoredEvent::InstrumentDeposited { .. } => pb::StepKind::InstrumentDeposited,
        StoredEvent::Deferred { .. } => pb::StepKind::Deferred,
        StoredEvent::TookEffect { .. } => pb::StepKind::TookEffect,
        StoredEvent::Revoked { .. } => pb::StepKind::Revoked,
    }
}

fn step(number: usize, step: &StoredStep) -> pb::Step {
    let vote = match &step.event {
        StoredEvent::ChamberVoted {
            chamber,
            tally,
            final_reading,
            passed,
            ..
        } => {
            let (yes, no, abstain, reported) = match *tally {
                StoredTally::Counted { yes, no, abstain } => {
                    (Some(yes), Some(no), abstain, pb::VoteResult::Unspecified)
                }
                StoredTally::Reported { passed: true } => {
                    (None, None, None, pb::VoteResult::Passed)
                }
                StoredTally::Reported { passed: false } => {
                    (None, None, None, pb::VoteResult::Failed)
                }
            };
            Some(pb::ChamberVote {
                chamber: chamber.clone(),
                yes,
                no,
                abstain,
                reported_result: reported.into(),
                final_reading: *final_reading,
                passed: *passed,
            })
        }
        _ => None,
    };
    pb::Step {
        number: u32::try_from(number).unwrap_or(u32::MAX),
        kind: step_kind(&step.event).into(),
        occurred_on: wire::opt_date_to_wire(step.event.on()),
        recorded_at: Some(wire::timestamp_to_wire(step.recorded_at)),
        actor: step.actor.clone(),
        detail: step.detail.clone(),
        sources: step.sources.clone(),
        vote,
    }
}

/// The wire form of a case with every step; its expected effective date is the domain's,
/// from the `latest` armed conflicts seen for the state when known.
pub fn case(
    case: &StoredCase,
    w: &Withdrawal,
    latest: Option<&[ConflictPeriod]>,
) -> pb::Withdrawal {
    let notice = w.notice();
    pb::Withdrawal {
        name: format!("withdrawals/{}", case.id),
        case_id: case.id.clone(),
        treaty: case.treaty.clone(),
        state: case.state.clone(),
        status: status(w.status()).into(),
        joint_statement: case
            .joint_statement
            .as_ref()
            .map(|id| format!("jointStatements/{id}"))
            .unwrap_or_default(),
        received_on: wire::opt_date_to_wire(notice.map(|n| n.received_on)),
        reasons: notice.map(|n| n.reasons.clone()).unwrap_or_default(),
        effective_on: wire::opt_date_to_wire(
            w.expected_effective_on(latest, &case.conflicts_at_deposit()),
        ),
        notice_id: notice
            .map(|_| notice_id(&case.id, NoticeKind::Deposit))
            .unwrap_or_default(),
        steps: case
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| step(i + 1, s))
            .collect(),
        approved: w.is_approved(),
        approved_on: wire::opt_date_to_wire(w.parliament_approved_on()),
        expires_on: wire::opt_date_to_wire(notice.map(|n| n.expiry)),
        revoked_on: wire::opt_date_to_wire(w.revoked().map(|(on, _)| on)),
        deferred_by: w.deferral().map(|c| c.name.clone()).unwrap_or_default(),
    }
}
