//! Notices of withdrawal and their revocation, as the approvals service records them,
//! and their effect as of any date, deferred by armed conflict where the clause says so.

use crate::common::as_approvals;
use crate::common::{
    consent, date, fields, give_notice, membership, node_with_apmbc, notice, ratify, reason, req,
    status,
};
use tonic::Code;
use treaty_proto::registry as pb;
use treaty_proto::registry::MembershipStatus as S;

fn revoke(case: &str, on: &str) -> tonic::Request<pb::RecordRevocationRequest> {
    as_approvals(pb::RecordRevocationRequest {
        request_id: format!("revoke-{case}-{on}"),
        treaty: "apmbc".into(),
        state: case.split('-').nth(1).unwrap_or_default().into(),
        case_id: case.into(),
        revoked_on: Some(date(on)),
        sources: vec!["C.N.2025.TREATIES-XXVI.5".into()],
    })
}

#[tokio::test]
async fn lithuanias_notice_makes_it_withdrawal_notified_until_it_takes_effect_six_months_later() {
    let (_node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "LT", "2003-05-12").await;
    let answer = give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("record the notice");
    assert_eq!(answer.effective_on, Some(date("2025-12-27")));
    let m = answer.membership.expect("a membership");
    assert_eq!(m.as_of, Some(date("2025-06-27")));
    assert_eq!(m.status(), S::WithdrawalNotified);
    let period = m.current_period.expect("a period");
    assert_eq!(period.withdrawal_case, "apmbc-LT-1");
    assert_eq!(period.withdrawal_received_on, Some(date("2025-06-27")));
    assert_eq!(period.withdrawal_expires_on, Some(date("2025-12-27")));
    assert_eq!(period.withdrawal_effective_on, Some(date("2025-12-27")));
    assert!(period.withdrawal_reasons.contains("military threat"));
    assert!(period.withdrawal_deferred_by.is_empty());

    for (as_of, expected) in [
        ("2025-06-01", S::Party),
        ("2025-07-01", S::WithdrawalNotified),
        ("2025-12-26", S::WithdrawalNotified),
        ("2025-12-27", S::Withdrawn),
        ("2026-01-01", S::Withdrawn),
    ] {
        assert_eq!(
            status(&mut registry, "LT", as_of).await,
            expected,
            "as of {as_of}"
        );
    }
    let before = membership(&mut registry, "LT", "2025-06-01").await;
    assert!(
        before
            .current_period
            .expect("a period")
            .withdrawal_case
            .is_empty(),
        "the notice is not shown before it was received"
    );
}

#[tokio::test]
async fn recording_the_same_cases_notice_again_answers_the_same_and_another_receipt_date_already_exists()
 {
    let (_node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "LT", "2003-05-12").await;
    let first = give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("notice");
    let mut again = notice("LT", "apmbc-LT-1", "2025-06-27");
    again.request_id = "another-request".into();
    let second = registry
        .record_withdrawal_notice(as_approvals(again))
        .await
        .expect("idempotent by case")
        .into_inner();
    assert_eq!(second, first);
    let mut other_date = notice("LT", "apmbc-LT-1", "2025-06-30");
    other_date.request_id = "a-third".into();
    let err = registry
        .record_withdrawal_notice(as_approvals(other_date))
        .await
        .expect_err("another receipt date for the same case");
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::AlreadyExists, "NOTICE_ALREADY_RECORDED".into())
    );
}

#[tokio::test]
async fn a_notice_from_a_state_that_is_not_bound_or_with_one_pending_is_refused() {
    let (_node, mut registry) = node_with_apmbc().await;
    let err = give_notice(&mut registry, "US", "apmbc-US-1", "2025-06-27")
        .await
        .expect_err("never a member");
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::FailedPrecondition, "NOT_BOUND".into())
    );
    consent(
        &mut registry,
        "MH",
        pb::ConsentKind::Signature,
        "1997-12-04",
    )
    .await
    .expect("sign");
    let err = give_notice(&mut registry, "MH", "apmbc-MH-1", "2025-06-27")
        .await
        .expect_err("only a signatory");
    assert_eq!(reason(&err), "NOT_BOUND");

    ratify(&mut registry, "LT", "2003-05-12").await;
    give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("notice");
    let err = give_notice(&mut registry, "LT", "apmbc-LT-2", "2025-08-01")
        .await
        .expect_err("one pending notice at a time");
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::FailedPrecondition, "NOTICE_PENDING".into())
    );
    let err = give_notice(&mut registry, "LT", "apmbc-LT-2", "2026-02-01")
        .await
        .expect_err("no longer bound");
    assert_eq!(reason(&err), "NOT_BOUND");
}

#[tokio::test]
async fn a_notice_with_bad_fields_is_refused_with_a_violation_per_field() {
    let (_node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "LT", "2003-05-12").await;
    let mut bad = notice("LT", "apmbc-LV-1", "2025-06-27");
    bad.reasons = "  ".into();
    bad.received_on = None;
    let err = registry
        .record_withdrawal_notice(as_approvals(bad))
        .await
        .expect_err("refused");
    assert_eq!(fields(&err), ["case_id", "received_on", "reasons"]);
    let mut unknown = notice("LT", "ccm-LT-1", "2025-06-27");
    unknown.treaty = "ccm".into();
    let err = registry
        .record_withdrawal_notice(as_approvals(unknown))
        .await
        .expect_err("an unknown treaty");
    assert_eq!(err.code(), Code::NotFound);
    let status = status(&mut registry, "LT", "2025-07-01").await;
    assert_eq!(status, S::Party, "nothing was recorded");
}

#[tokio::test]
async fn a_notice_under_a_clause_counted_from_parliament_needs_the_approval_date() {
    let (_node, mut registry) = node_with_apmbc().await;
    let mut treaty = crate::common::apmbc();
    treaty.treaty_id = "vote".into();
    if let Some(clause) = treaty.withdrawal_clause.as_mut() {
        clause.runs_from = pb::RunsFrom::ParliamentaryApproval.into();
    }
    registry
        .create_treaty(req(pb::CreateTreatyRequest {
            request_id: "vote".into(),
            treaty: Some(treaty),
        }))
        .await
        .expect("create");
    registry
        .record_consent(req(pb::RecordConsentRequest {
            request_id: "c".into(),
            treaty: "vote".into(),
            state: "LT".into(),
            kind: pb::ConsentKind::Ratification.into(),
            on: Some(date("2003-05-12")),
            sources: vec![],
        }))
        .await
        .expect("ratify");
    let mut request = notice("LT", "vote-LT-1", "2025-06-27");
    request.treaty = "vote".into();
    let err = registry
        .record_withdrawal_notice(as_approvals(request.clone()))
        .await
        .expect_err("the approval date is missing");
    assert_eq!(fields(&err), ["approved_on"]);
    request.approved_on = Some(date("2024-01-01"));
    let err = registry
        .record_withdrawal_notice(as_approvals(request.clone()))
        .await
        .expect_err("the period would expire before the receipt");
    assert_eq!(fields(&err), ["approved_on"]);
    request.approved_on = Some(date("2025-05-08"));
    let answer = registry
        .record_withdrawal_notice(as_approvals(request))
        .await
        .expect("recorded")
        .into_inner();
    assert_eq!(answer.effective_on, Some(date("2025-11-08")));
}

#[tokio::test]
async fn a_revocation_before_effect_leaves_the_state_a_party_and_is_idempotent_by_case() {
    let (_node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "LT", "2003-05-12").await;
    give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("notice");
    let revoked = registry
        .record_revocation(revoke("apmbc-LT-1", "2025-10-01"))
        .await
        .expect("revoke")
        .into_inner();
    let m = revoked.membership.clone().expect("a membership");
    assert_eq!(m.status(), S::Party);
    let period = m.current_period.expect("a period");
    assert_eq!(period.withdrawal_revoked_on, Some(date("2025-10-01")));
    assert_eq!(
        period.withdrawal_effective_on, None,
        "a revoked notice never takes effect"
    );

    let mut again = revoke("apmbc-LT-1", "2025-10-01").into_inner();
    again.request_id = "another".into();
    let second = registry
        .record_revocation(as_approvals(again))
        .await
        .expect("again")
        .into_inner();
    assert_eq!(second, revoked);
    let err = registry
        .record_revocation(revoke("apmbc-LT-1", "2025-10-02"))
        .await
        .expect_err("already revoked");
    assert_eq!(reason(&err), "ALREADY_REVOKED");

    for (as_of, expected) in [
        ("2025-09-30", S::WithdrawalNotified),
        ("2025-10-01", S::Party),
        ("2026-06-01", S::Party),
    ] {
        assert_eq!(
            status(&mut registry, "LT", as_of).await,
            expected,
            "as of {as_of}"
        );
    }
    give_notice(&mut registry, "LT", "apmbc-LT-2", "2026-03-01")
        .await
        .expect("a new notice after the revocation");
    assert_eq!(
        status(&mut registry, "LT", "2026-09-01").await,
        S::Withdrawn
    );
}

#[tokio::test]
async fn a_revocation_on_or_after_the_effective_date_is_refused() {
    let (_node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "LT", "2003-05-12").await;
    give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("notice");
    let err = registry
        .record_revocation(revoke("apmbc-LT-1", "2025-12-27"))
        .await
        .expect_err("too late");
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::FailedPrecondition, "REVOCATION_AFTER_EFFECT".into())
    );
    assert_eq!(
        treaty_proto::status::metadata(&err, "effectiveOn").as_deref(),
        Some("2025-12-27")
    );
    let err = registry
        .record_revocation(revoke("apmbc-LT-1", "2025-06-01"))
        .await
        .expect_err("before the notice");
    assert_eq!(fields(&err), ["revoked_on"]);
    let err = registry
        .record_revocation(revoke("apmbc-LT-2", "2025-07-01"))
        .await
        .expect_err("no such notice");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        status(&mut registry, "LT", "2026-01-01").await,
        S::Withdrawn
    );
}

#[tokio::test]
async fn an_armed_conflict_on_the_expiry_defers_the_withdrawal_until_the_conflict_ends() {
    let (_node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "LT", "2003-05-12").await;
    let conflict = registry
        .record_armed_conflict(req(pb::RecordArmedConflictRequest {
            request_id: "war".into(),
            state: "LT".into(),
            description: "Armed attack".into(),
            began_on: Some(date("2025-11-01")),
            sources: vec![],
        }))
        .await
        .expect("record the conflict")
        .into_inner()
        .conflict
        .expect("a conflict");
    let answer = give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("notice");
    assert_eq!(
        answer.effective_on, None,
        "unknown while the conflict goes on"
    );

    let deferred = membership(&mut registry, "LT", "2025-12-27").await;
    assert_eq!(deferred.status(), S::WithdrawalDeferred);
    assert!(deferred.is_party);
    let period = deferred.current_period.expect("a period");
    assert_eq!(period.withdrawal_deferred_by, "states/LT/conflicts/1");
    assert_eq!(period.withdrawal_expires_on, Some(date("2025-12-27")));
    assert_eq!(period.withdrawal_effective_on, None);

    registry
        .end_armed_conflict(req(pb::EndArmedConflictRequest {
            request_id: "peace".into(),
            state: "LT".into(),
            conflict_id: conflict.conflict_id,
            ended_on: Some(date("2026-03-31")),
            sources: vec![],
        }))
        .await
        .expect("end the conflict");
    for (as_of, expected) in [
        ("2025-12-26", S::WithdrawalNotified),
        ("2026-03-30", S::WithdrawalDeferred),
        ("2026-03-31", S::Withdrawn),
    ] {
        assert_eq!(
            status(&mut registry, "LT", as_of).await,
            expected,
            "as of {as_of}"
        );
    }
    let done = membership(&mut registry, "LT", "2026-04-01").await;
    let period = done.current_period.expect("a period");
    assert_eq!(period.withdrawal_effective_on, Some(date("2026-03-31")));
}

#[tokio::test]
async fn a_deferred_withdrawal_can_still_be_revoked_while_the_conflict_goes_on() {
    let (_node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "UA", "2005-12-27").await;
    registry
        .record_armed_conflict(req(pb::RecordArmedConflictRequest {
            request_id: "war".into(),
            state: "UA".into(),
            description: "Full-scale invasion".into(),
            began_on: Some(date("2022-02-24")),
            sources: vec![],
        }))
        .await
        .expect("record the conflict");
    give_notice(&mut registry, "UA", "apmbc-UA-1", "2025-06-30")
        .await
        .expect("notice");
    assert_eq!(
        status(&mut registry, "UA", "2026-02-01").await,
        S::WithdrawalDeferred
    );
    let revoked = registry
        .record_revocation(revoke("apmbc-UA-1", "2026-02-01"))
        .await
        .expect("not yet in effect, so revocable")
        .into_inner();
    assert_eq!(revoked.membership.expect("a membership").status(), S::Party);
}
