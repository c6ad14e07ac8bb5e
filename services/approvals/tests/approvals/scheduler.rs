//! The effective-date scheduler on the node's manual clock: the effect on the expiry
//! date, the deferral by an armed conflict and the effect at its end, catching up after
//! downtime with the legal dates, and the end of revocation at the effect.

use crate::support::*;
use pb::WithdrawalStatus as S;
use tonic::Code;
use treaty_proto::approvals as pb;
use treaty_proto::notification as npb;
use treaty_proto::registry as rpb;

fn revoke(case_id: &str, on: treaty_proto::google::r#type::Date) -> pb::RevokeWithdrawalRequest {
    pb::RevokeWithdrawalRequest {
        request_id: String::new(),
        case_id: case_id.into(),
        revoked_on: Some(on),
        detail: "The state revokes its notice".into(),
        sources: vec![],
    }
}

#[tokio::test]
async fn the_withdrawal_takes_effect_on_the_expiry_date_and_the_effect_is_published() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    node.set_today(jiff::civil::date(2025, 12, 27));
    let effective = wait_for_status(&node, &case.case_id, S::Effective).await;
    assert_eq!(effective.effective_on, Some(day(2025, 12, 27)));
    let step = effective.steps.last().expect("the effect step");
    assert_eq!(step.kind(), pb::StepKind::TookEffect);
    assert_eq!(step.occurred_on, Some(day(2025, 12, 27)));
    assert_eq!(
        step.actor,
        r#"{"service":"approvals","task":"scheduler","via":"approvals"}"#
    );

    let notice = wait_for_notice(&node, "apmbc-LT-1-effect").await;
    let notice = notice.notice.expect("the notice");
    assert_eq!(notice.kind(), npb::NoticeKind::Effect);
    assert_eq!(notice.effective_on, Some(day(2025, 12, 27)));
}

#[tokio::test]
async fn a_revocation_on_or_after_the_effective_date_is_refused() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    let err = node
        .approvals()
        .revoke_withdrawal(req(revoke(&case.case_id, day(2025, 12, 27))))
        .await
        .expect_err("on the effective date it is too late");
    assert_eq!(
        reason(&err, Code::FailedPrecondition),
        "REVOCATION_AFTER_EFFECT"
    );

    node.set_today(jiff::civil::date(2026, 1, 5));
    wait_for_status(&node, &case.case_id, S::Effective).await;
    let err = node
        .approvals()
        .revoke_withdrawal(req(revoke(&case.case_id, day(2026, 1, 5))))
        .await
        .expect_err("after the effect it is too late");
    assert_eq!(
        reason(&err, Code::FailedPrecondition),
        "REVOCATION_AFTER_EFFECT"
    );
    assert!(err.message().contains("accession"), "{}", err.message());
}

async fn record_conflict(
    node: &treaty_testkit::TestNode,
    state: &str,
    began: treaty_proto::google::r#type::Date,
) -> rpb::ArmedConflict {
    node.registry()
        .record_armed_conflict(req(rpb::RecordArmedConflictRequest {
            request_id: format!("conflict-{state}"),
            state: state.into(),
            description: "A hypothetical armed conflict".into(),
            began_on: Some(began),
            sources: vec!["test fixture".into()],
        }))
        .await
        .expect("the registry records the conflict")
        .into_inner()
        .conflict
        .expect("the conflict")
}

async fn end_conflict(
    node: &treaty_testkit::TestNode,
    conflict: &rpb::ArmedConflict,
    ended: treaty_proto::google::r#type::Date,
) {
    node.registry()
        .end_armed_conflict(req(rpb::EndArmedConflictRequest {
            request_id: format!("end-{}", conflict.conflict_id),
            state: conflict.state.clone(),
            conflict_id: conflict.conflict_id.clone(),
            ended_on: Some(ended),
            sources: vec![],
        }))
        .await
        .expect("the registry records the end of the conflict");
}

#[tokio::test]
async fn an_armed_conflict_on_the_expiry_date_defers_the_effect_until_it_ends() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    let conflict = record_conflict(&node, "LT", day(2025, 11, 1)).await;

    node.set_today(jiff::civil::date(2025, 12, 28));
    let deferred = wait_for_status(&node, &case.case_id, S::Deferred).await;
    let step = deferred.steps.last().expect("the deferral");
    assert_eq!(step.kind(), pb::StepKind::Deferred);
    assert_eq!(
        step.occurred_on,
        Some(day(2025, 12, 27)),
        "deferred on the expiry date"
    );
    assert_eq!(deferred.deferred_by, conflict.conflict_id);
    assert_eq!(
        deferred.effective_on, None,
        "not known while the conflict goes on"
    );
    let notice = wait_for_notice(&node, "apmbc-LT-1-deferral")
        .await
        .notice
        .expect("the notice");
    assert_eq!(notice.kind(), npb::NoticeKind::Deferral);

    end_conflict(&node, &conflict, day(2026, 3, 10)).await;
    node.set_today(jiff::civil::date(2026, 3, 10));
    let effective = wait_for_status(&node, &case.case_id, S::Effective).await;
    assert_eq!(
        effective.effective_on,
        Some(day(2026, 3, 10)),
        "on the day the conflict ended"
    );
    assert_eq!(
        effective.steps.last().map(|s| s.occurred_on),
        Some(Some(day(2026, 3, 10)))
    );
}

#[tokio::test]
async fn a_deferred_withdrawal_can_still_be_revoked() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    record_conflict(&node, "LT", day(2025, 11, 1)).await;
    node.set_today(jiff::civil::date(2026, 1, 2));
    wait_for_status(&node, &case.case_id, S::Deferred).await;
    let revoked = node
        .approvals()
        .revoke_withdrawal(req(revoke(&case.case_id, day(2026, 1, 2))))
        .await
        .expect("a deferred withdrawal has not taken effect")
        .into_inner()
        .withdrawal
        .expect("the case");
    assert_eq!(revoked.status(), S::Revoked);
}

#[tokio::test]
async fn the_scheduler_catches_up_after_a_restart_with_the_legal_dates() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    let clock = node.clock();
    let stopped = node.stop().await;
    clock.set("2026-06-01T09:00:00Z".parse().expect("an instant"));
    let node = stopped.restart().await;

    let effective = wait_for_status(&node, &case.case_id, S::Effective).await;
    assert_eq!(
        effective.effective_on,
        Some(day(2025, 12, 27)),
        "the legal date, not the restart's"
    );
    let step = effective.steps.last().expect("the effect step");
    assert_eq!(step.occurred_on, Some(day(2025, 12, 27)));
    assert_eq!(step.kind(), pb::StepKind::TookEffect);
}

#[tokio::test]
async fn a_deferral_and_the_effect_after_it_are_both_caught_up_after_downtime() {
    let node = seeded_node().await;
    let case = notified_lithuania(&node).await;
    let conflict = record_conflict(&node, "LT", day(2025, 12, 1)).await;
    end_conflict(&node, &conflict, day(2026, 2, 14)).await;
    let clock = node.clock();
    let stopped = node.stop().await;
    clock.set("2026-05-01T09:00:00Z".parse().expect("an instant"));
    let node = stopped.restart().await;

    let effective = wait_for_status(&node, &case.case_id, S::Effective).await;
    let tail: Vec<_> = effective
        .steps
        .iter()
        .skip(4)
        .map(|s| (s.kind(), s.occurred_on))
        .collect();
    assert_eq!(
        tail,
        [
            (pb::StepKind::Deferred, Some(day(2025, 12, 27))),
            (pb::StepKind::TookEffect, Some(day(2026, 2, 14)))
        ]
    );
    assert_eq!(effective.effective_on, Some(day(2026, 2, 14)));
}
