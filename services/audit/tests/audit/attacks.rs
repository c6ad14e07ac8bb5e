//! The attack on the audit log an outside client made before the trust boundary, now refused
//! without changing anything: it appended the registry's *next* journal entry with a valid
//! hash, so the real entry was refused as a fork and the registry's shipper retried for ever
//! while `Verify` said "intact"; and it appended forged entries under new source names,
//! which then appeared in Lithuania's history. Only a service appends, and only its own
//! journal.

use tonic::Code;
use treaty_audit::wire::source_entry;
use treaty_auth::ServiceName;
use treaty_ledger::{Record, Subject};
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_proto::registry as reg;
use treaty_testkit::{TestNode, as_user, eventually};

const ADMIN: &[&str] = &["registry:admin"];

/// The registry's journal as the audit log holds it: (last source sequence, its hash).
async fn registry_head(node: &TestNode) -> (u64, Vec<u8>) {
    let entries = node
        .audit()
        .list_entries(pb::ListEntriesRequest {
            source: "registry".into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .entries;
    entries
        .last()
        .map(|e| (e.source_sequence, e.source_hash.clone()))
        .unwrap_or_default()
}

async fn record_consent(node: &TestNode, state: &str, on: (i32, i32, i32)) {
    node.registry()
        .record_consent(as_user(
            "registry-administrator",
            ADMIN,
            reg::RecordConsentRequest {
                request_id: format!("consent-{state}"),
                treaty: "apmbc".into(),
                state: state.into(),
                kind: reg::ConsentKind::Ratification.into(),
                on: Some(treaty_proto::google::r#type::Date {
                    year: on.0,
                    month: on.1,
                    day: on.2,
                }),
                sources: vec!["https://treaties.un.org/".into()],
            },
        ))
        .await
        .expect("a consent");
}

/// The entry that would come next in the registry's journal, correctly chained and hashed.
fn forged_next(sequence: u64, prev_hash: &[u8], source: &str) -> Record {
    let mut record = Record {
        sequence,
        prev_hash: prev_hash.try_into().expect("a 32-byte hash"),
        hash: [0; 32],
        source: source.into(),
        kind: "registry.consent_recorded".into(),
        subject: Subject {
            state: Some("LT".into()),
            treaty: Some("apmbc".into()),
            case: None,
        },
        actor: "registry-administrator".into(),
        occurred_on: Some(jiff::civil::date(2025, 12, 28)),
        recorded_at: jiff::Timestamp::from_second(1_766_880_000).expect("an instant"),
        sources: vec!["a forged source".into()],
        payload: br#"{"note":"Lithuania rejoined"}"#.to_vec(),
        origin: None,
        links: Vec::new(),
    };
    record.hash = record.compute_hash();
    record
}

#[tokio::test]
async fn no_one_appends_the_registrys_next_entry_but_the_registry_whose_real_entry_then_ships() {
    let node = TestNode::start_all().await;
    node.registry()
        .create_treaty(as_user(
            "registry-administrator",
            ADMIN,
            reg::CreateTreatyRequest {
                request_id: "create-apmbc".into(),
                treaty: Some(reg::Treaty {
                    treaty_id: "apmbc".into(),
                    title: "Ottawa Convention".into(),
                    short_title: "Ottawa Convention".into(),
                    depositary: "Secretary-General of the United Nations".into(),
                    in_force_on: Some(treaty_proto::google::r#type::Date {
                        year: 1999,
                        month: 3,
                        day: 1,
                    }),
                    entry_into_force_months: 6,
                    withdrawal_clause: Some(reg::WithdrawalClause {
                        notice_months: 6,
                        runs_from: reg::RunsFrom::DepositaryReceipt.into(),
                        armed_conflict_defers: true,
                        article: "Article 20".into(),
                    }),
                    sources: vec!["https://treaties.un.org/".into()],
                    ..Default::default()
                }),
            },
        ))
        .await
        .expect("the treaty");
    record_consent(&node, "LT", (2003, 5, 12)).await;
    let (head, hash) = eventually("the registry's journal to ship", || async {
        let head = registry_head(&node).await;
        (head.0 == 2).then_some(head)
    })
    .await;

    let append = |source: &str, record: &Record| pb::AppendRequest {
        request_id: format!("forged-{source}"),
        source: source.into(),
        entries: vec![source_entry(record)],
    };
    for source in ["registry", "registry-mirror", "ministry-of-truth"] {
        let forged = forged_next(head + 1, &hash, source);
        let anonymous = node
            .audit()
            .append(append(source, &forged))
            .await
            .expect_err("an anonymous append");
        assert_eq!(
            anonymous.code(),
            Code::Unauthenticated,
            "{source}: {anonymous:?}"
        );
        let person = node
            .audit()
            .append(as_user(
                "registry-administrator",
                &["registry:admin", "depositary:record", "state:LT:record"],
                append(source, &forged),
            ))
            .await
            .expect_err("a person's append");
        assert_eq!(
            person.code(),
            Code::PermissionDenied,
            "{source}: {person:?}"
        );
        for service in ServiceName::ALL {
            if service == ServiceName::Registry && source == "registry" {
                continue;
            }
            let refused = AuditServiceClient::new(node.as_service(service).await)
                .append(append(source, &forged))
                .await
                .expect_err("another journal");
            assert_eq!(
                refused.code(),
                Code::PermissionDenied,
                "{service} appending {source}: {refused:?}"
            );
        }
    }

    // The registry's real next entry ships, the log verifies, and Lithuania's history
    // holds only what the services recorded.
    record_consent(&node, "LV", (2005, 7, 1)).await;
    eventually("the registry's real entry to ship", || async {
        (registry_head(&node).await.0 == head + 1).then_some(())
    })
    .await;
    let report = node
        .audit()
        .verify(pb::VerifyRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(report.ok, "{report:?}");
    let history = node
        .audit()
        .get_history(pb::GetHistoryRequest {
            state: "LT".into(),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .entries;
    assert!(
        history
            .iter()
            .all(|e| e.source == "registry" && !e.sources.contains(&"a forged source".to_owned())),
        "{history:?}"
    );
    let sources: Vec<String> = report.sources.iter().map(|s| s.source.clone()).collect();
    assert!(
        sources
            .iter()
            .all(|s| ["registry", "approvals", "notification"].contains(&s.as_str())),
        "{sources:?}"
    );
}
