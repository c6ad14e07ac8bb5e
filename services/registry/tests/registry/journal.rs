//! Every change is one journal entry, shipped to the audit service, with its kind,
//! subject, actor, legal date and sources; retries record nothing twice; records
//! survive a restart.

use crate::common::{
    ACTOR, consent, date, give_notice, node_with_apmbc, ratify, req, shipped, status,
};
use crate::common::{as_approvals, registry_client};
use treaty_proto::audit as audit_pb;
use treaty_proto::registry as pb;
use treaty_proto::registry::MembershipStatus as S;

#[tokio::test]
async fn a_retried_request_id_returns_the_first_answer_and_records_one_journal_entry() {
    let (node, mut registry) = node_with_apmbc().await;
    let request = pb::RecordConsentRequest {
        request_id: "consent-LT-1".into(),
        treaty: "apmbc".into(),
        state: "LT".into(),
        kind: pb::ConsentKind::Ratification.into(),
        on: Some(date("2003-05-12")),
        sources: vec!["UN Treaty Collection".into()],
    };
    let first = registry
        .record_consent(req(request.clone()))
        .await
        .expect("first")
        .into_inner();
    node.set_today(crate::common::day("2025-07-01"));
    let retry = registry
        .record_consent(req(request))
        .await
        .expect("a retry is answered")
        .into_inner();
    assert_eq!(retry, first, "the first answer, byte for byte");

    let entries = shipped(&node, &mut registry).await;
    let consents: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == "registry.consent_recorded")
        .collect();
    assert_eq!(consents.len(), 1, "recorded once");
}

#[tokio::test]
async fn every_change_is_journalled_with_its_kind_subject_actor_legal_date_and_sources() {
    let (node, mut registry) = node_with_apmbc().await;
    registry
        .set_approval_procedure(req(pb::SetApprovalProcedureRequest {
            request_id: "p".into(),
            state: "LT".into(),
            procedure: Some(pb::ApprovalProcedure {
                chambers: vec![pb::Chamber {
                    name: "Seimas".into(),
                    threshold: Some(pb::Threshold {
                        kind: pb::ThresholdKind::AtLeast.into(),
                        yes_votes: 85,
                        of_seats: 141,
                    }),
                }],
                head_of_state_assent: true,
                sources: vec![],
            }),
        }))
        .await
        .expect("procedure");
    consent(
        &mut registry,
        "LT",
        pb::ConsentKind::Signature,
        "1999-02-26",
    )
    .await
    .expect("sign");
    ratify(&mut registry, "LT", "2003-05-12").await;
    registry
        .record_armed_conflict(req(pb::RecordArmedConflictRequest {
            request_id: "w".into(),
            state: "LT".into(),
            description: "exercise".into(),
            began_on: Some(date("2024-01-01")),
            sources: vec![],
        }))
        .await
        .expect("conflict");
    registry
        .end_armed_conflict(req(pb::EndArmedConflictRequest {
            request_id: "e".into(),
            state: "LT".into(),
            conflict_id: "1".into(),
            ended_on: Some(date("2024-01-31")),
            sources: vec![],
        }))
        .await
        .expect("end");
    registry
        .record_suspension_claim(req(pb::RecordSuspensionClaimRequest {
            request_id: "s".into(),
            treaty: "apmbc".into(),
            state: "LT".into(),
            claim: Some(pb::SuspensionClaim {
                claimed_on: Some(date("2025-01-01")),
                detail: "hypothetical".into(),
                sources: vec![],
            }),
        }))
        .await
        .expect("claim");
    give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("notice");
    give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("the same notice again records nothing");
    registry
        .record_revocation(as_approvals(pb::RecordRevocationRequest {
            request_id: "r".into(),
            treaty: "apmbc".into(),
            state: "LT".into(),
            case_id: "apmbc-LT-1".into(),
            revoked_on: Some(date("2025-09-01")),
            sources: vec![],
        }))
        .await
        .expect("revoke");

    let entries = shipped(&node, &mut registry).await;
    let kinds: Vec<_> = entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "registry.treaty_created",
            "registry.approval_procedure_set",
            "registry.consent_recorded",
            "registry.consent_recorded",
            "registry.armed_conflict_recorded",
            "registry.armed_conflict_ended",
            "registry.suspension_claim_recorded",
            "registry.withdrawal_notice_recorded",
            "registry.revocation_recorded",
        ]
    );
    assert!(entries.iter().all(|e| e.source == "registry"));
    // The principal is the one the registry authenticated: the token's subject, issuer and
    // key for the administrator's steps, the approvals service's certificate for the notice
    // and the revocation; and the journal's `actor` (which the hashes cover) says the same.
    let person = audit_pb::Principal {
        subject: ACTOR.into(),
        issuer: treaty_testkit::TEST_ISSUER.into(),
        key_id: treaty_testkit::test_issuer().kid().into(),
        via: "registry".into(),
        ..Default::default()
    };
    let approvals = audit_pb::Principal {
        service: "approvals".into(),
        via: "registry".into(),
        ..Default::default()
    };
    for (i, e) in entries.iter().enumerate() {
        let expected = if i < 7 { &person } else { &approvals };
        assert_eq!(
            e.principal.as_ref(),
            Some(expected),
            "entry {i}: {}",
            e.actor
        );
        let recorded: serde_json::Value = serde_json::from_str(&e.actor).expect("JSON actor");
        assert_eq!(recorded["via"], "registry");
    }
    let subject = |i: usize| {
        let e = &entries[i];
        (
            e.state.as_str(),
            e.treaty.as_str(),
            e.case_id.as_str(),
            e.occurred_on,
        )
    };
    assert_eq!(subject(0), ("", "apmbc", "", None));
    assert_eq!(subject(1), ("LT", "", "", None));
    assert_eq!(subject(3), ("LT", "apmbc", "", Some(date("2003-05-12"))));
    assert_eq!(subject(4), ("LT", "", "", Some(date("2024-01-01"))));
    assert_eq!(subject(5), ("LT", "", "", Some(date("2024-01-31"))));
    assert_eq!(
        subject(7),
        ("LT", "apmbc", "apmbc-LT-1", Some(date("2025-06-27")))
    );
    assert_eq!(
        subject(8),
        ("LT", "apmbc", "apmbc-LT-1", Some(date("2025-09-01")))
    );
    assert_eq!(entries[3].sources, ["UN Treaty Collection"]);
    let notice: serde_json::Value =
        serde_json::from_str(&entries[7].details).expect("JSON details");
    assert_eq!(notice["effective_on"], "2025-12-27");
    assert_eq!(notice["expires_on"], "2025-12-27");
}

#[tokio::test]
async fn the_registry_keeps_its_records_and_first_answers_across_a_restart() {
    let (node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "LT", "2003-05-12").await;
    let first = give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("notice");
    let node = node.stop().await.restart().await;
    let mut registry = registry_client(&node).await;
    assert_eq!(
        status(&mut registry, "LT", "2025-07-01").await,
        S::WithdrawalNotified
    );
    assert_eq!(
        status(&mut registry, "LT", "2026-01-01").await,
        S::Withdrawn
    );
    let retry = give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("a retry after the restart");
    assert_eq!(retry, first);
    let entries = shipped(&node, &mut registry).await;
    let notices = entries
        .iter()
        .filter(|e| e.kind == "registry.withdrawal_notice_recorded")
        .count();
    assert_eq!(notices, 1);
}
