//! Memberships as of any date: signature, consent, entry into force, rejoining, and
//! listing members.

use crate::common::{
    consent, date, fields, give_notice, membership, node_with_apmbc, ratify, reason, req, status,
};
use tonic::Code;
use treaty_proto::registry as pb;
use treaty_proto::registry::MembershipStatus as S;

#[tokio::test]
async fn lithuania_is_not_a_member_then_signatory_then_consented_then_a_party() {
    let (_node, mut registry) = node_with_apmbc().await;
    let signed = consent(
        &mut registry,
        "LT",
        pb::ConsentKind::Signature,
        "1999-02-26",
    )
    .await
    .expect("sign");
    assert_eq!(signed.status(), S::Signatory);
    assert_eq!(signed.signed_on, Some(date("1999-02-26")));
    let ratified = consent(
        &mut registry,
        "lt",
        pb::ConsentKind::Ratification,
        "2003-05-12",
    )
    .await
    .expect("ratify");
    assert_eq!(ratified.name, "treaties/apmbc/members/LT");
    assert_eq!(ratified.state_name, "Lithuania");
    assert_eq!(ratified.status(), S::Consented, "as of the deposit");
    let period = ratified.current_period.expect("a period");
    assert_eq!(period.consent_kind(), pb::ConsentKind::Ratification);
    assert_eq!(period.consented_on, Some(date("2003-05-12")));
    assert_eq!(period.in_force_on, Some(date("2003-11-01")));

    for (as_of, expected) in [
        ("1998-01-01", S::NotAMember),
        ("1999-02-26", S::Signatory),
        ("2003-10-31", S::Consented),
        ("2003-11-01", S::Party),
        ("2025-06-01", S::Party),
    ] {
        assert_eq!(
            status(&mut registry, "LT", as_of).await,
            expected,
            "as of {as_of}"
        );
    }
    let party = membership(&mut registry, "LT", "2025-06-01").await;
    assert!(party.is_party);
    assert_eq!(party.as_of, Some(date("2025-06-01")));
    assert_eq!(party.periods.len(), 1);
    let early = membership(&mut registry, "LT", "2003-06-01").await;
    assert!(!early.is_party, "consented is not yet a party");
    assert!(
        membership(&mut registry, "LT", "1998-01-01")
            .await
            .current_period
            .is_none()
    );
}

#[tokio::test]
async fn without_as_of_a_membership_is_answered_for_today_by_the_clock() {
    let (node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "LT", "2003-05-12").await;
    give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("notice");
    let today = |registry: &mut crate::common::Registry| {
        let mut registry = registry.clone();
        async move {
            registry
                .get_membership(req(pb::GetMembershipRequest {
                    treaty: "apmbc".into(),
                    state: "LT".into(),
                    as_of: None,
                }))
                .await
                .expect("get")
                .into_inner()
                .membership
                .expect("a membership")
        }
    };
    let now = today(&mut registry).await;
    assert_eq!(now.as_of, Some(date("2025-06-27")));
    assert_eq!(now.status(), S::WithdrawalNotified);
    node.set_today(crate::common::day("2026-01-02"));
    let later = today(&mut registry).await;
    assert_eq!(later.as_of, Some(date("2026-01-02")));
    assert_eq!(later.status(), S::Withdrawn);
}

#[tokio::test]
async fn a_state_unknown_to_the_treaty_is_not_a_member_and_an_unknown_treaty_is_not_found() {
    let (_node, mut registry) = node_with_apmbc().await;
    let none = membership(&mut registry, "US", "2025-01-01").await;
    assert_eq!(none.status(), S::NotAMember);
    assert!(none.periods.is_empty() && none.current_period.is_none());
    let err = registry
        .get_membership(req(pb::GetMembershipRequest {
            treaty: "ccm".into(),
            state: "LT".into(),
            as_of: None,
        }))
        .await
        .expect_err("unknown treaty");
    assert_eq!(err.code(), Code::NotFound);
    let err = registry
        .record_consent(req(pb::RecordConsentRequest {
            request_id: "ccm".into(),
            treaty: "ccm".into(),
            state: "LT".into(),
            kind: pb::ConsentKind::Ratification.into(),
            on: Some(date("2011-03-24")),
            sources: vec![],
        }))
        .await
        .expect_err("unknown treaty");
    assert_eq!(err.code(), Code::NotFound);
    let err = registry
        .get_membership(req(pb::GetMembershipRequest {
            treaty: "apmbc".into(),
            state: "XX".into(),
            as_of: Some(pb_date(2025, 2, 30)),
        }))
        .await
        .expect_err("bad state and date");
    assert_eq!(fields(&err), ["state", "as_of"]);
}

fn pb_date(year: i32, month: i32, day: i32) -> treaty_proto::google::r#type::Date {
    treaty_proto::google::r#type::Date { year, month, day }
}

#[tokio::test]
async fn consents_out_of_order_are_refused_and_nothing_changes() {
    let (_node, mut registry) = node_with_apmbc().await;
    consent(
        &mut registry,
        "LT",
        pb::ConsentKind::Signature,
        "1999-02-26",
    )
    .await
    .expect("sign");
    let err = consent(
        &mut registry,
        "LT",
        pb::ConsentKind::Signature,
        "1999-03-01",
    )
    .await
    .expect_err("a second signature");
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::AlreadyExists, "ALREADY_SIGNED".into())
    );
    let err = consent(
        &mut registry,
        "LT",
        pb::ConsentKind::Ratification,
        "1998-01-01",
    )
    .await
    .expect_err("ratified before signing");
    assert_eq!(fields(&err), ["on"]);
    ratify(&mut registry, "LT", "2003-05-12").await;
    let err = consent(
        &mut registry,
        "LT",
        pb::ConsentKind::Accession,
        "2010-01-01",
    )
    .await
    .expect_err("already bound");
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::FailedPrecondition, "ALREADY_BOUND".into())
    );
    let err = consent(
        &mut registry,
        "LT",
        pb::ConsentKind::Accession,
        "2001-01-01",
    )
    .await
    .expect_err("before the recorded consent");
    assert_eq!(reason(&err), "CONSENT_OUT_OF_ORDER");
    let now = membership(&mut registry, "LT", "2020-01-01").await;
    assert_eq!(now.periods.len(), 1, "nothing was added");

    let err = registry
        .record_consent(req(pb::RecordConsentRequest {
            request_id: "bad".into(),
            treaty: "apmbc".into(),
            state: "LT".into(),
            kind: pb::ConsentKind::Unspecified.into(),
            on: None,
            sources: vec![" ".into()],
        }))
        .await
        .expect_err("bad input");
    assert_eq!(fields(&err), ["kind", "on", "sources[0]"]);
}

#[tokio::test]
async fn rejoining_by_a_new_accession_opens_a_second_period() {
    let (node, mut registry) = node_with_apmbc().await;
    ratify(&mut registry, "LT", "2003-05-12").await;
    give_notice(&mut registry, "LT", "apmbc-LT-1", "2025-06-27")
        .await
        .expect("notice");
    let err = consent(
        &mut registry,
        "LT",
        pb::ConsentKind::Accession,
        "2025-09-01",
    )
    .await
    .expect_err("still bound while the notice runs");
    assert_eq!(reason(&err), "ALREADY_BOUND");
    let rejoined = consent(
        &mut registry,
        "LT",
        pb::ConsentKind::Accession,
        "2027-03-15",
    )
    .await
    .expect("accede again");
    assert_eq!(rejoined.status(), S::Consented);
    assert_eq!(rejoined.periods.len(), 2);
    let second = &rejoined.periods[1];
    assert_eq!(second.consent_kind(), pb::ConsentKind::Accession);
    assert_eq!(second.in_force_on, Some(date("2027-09-01")));
    let first = &rejoined.periods[0];
    assert_eq!(first.withdrawal_effective_on, Some(date("2025-12-27")));

    for (as_of, expected) in [
        ("2026-06-01", S::Withdrawn),
        ("2027-04-01", S::Consented),
        ("2027-09-01", S::Party),
    ] {
        assert_eq!(
            status(&mut registry, "LT", as_of).await,
            expected,
            "as of {as_of}"
        );
    }
    let between = membership(&mut registry, "LT", "2026-06-01").await;
    let current = between.current_period.expect("the first period");
    assert_eq!(current.withdrawal_case, "apmbc-LT-1");
    let now = membership(&mut registry, "LT", "2028-01-01").await;
    assert_eq!(
        now.current_period.expect("the second").consented_on,
        Some(date("2027-03-15"))
    );
    drop(node);
}

async fn baltic_and_friends(registry: &mut crate::common::Registry) {
    for (state, on) in [
        ("EE", "2004-05-12"),
        ("LT", "2003-05-12"),
        ("LV", "2005-07-01"),
        ("FI", "2012-01-09"),
        ("PL", "2012-12-27"),
    ] {
        ratify(registry, state, on).await;
    }
    consent(registry, "MH", pb::ConsentKind::Signature, "1997-12-04")
        .await
        .expect("the Marshall Islands signed");
    for state in ["EE", "LT", "LV"] {
        give_notice(registry, state, &format!("apmbc-{state}-1"), "2025-06-27")
            .await
            .expect("notice");
    }
}

fn list(status: S, parties_only: bool, page_size: i32, token: &str) -> pb::ListMembersRequest {
    pb::ListMembersRequest {
        treaty: "apmbc".into(),
        as_of: Some(date("2025-07-01")),
        status: status.into(),
        page_size,
        page_token: token.into(),
        parties_only,
    }
}

fn codes(page: &pb::ListMembersResponse) -> Vec<&str> {
    page.members.iter().map(|m| m.state.as_str()).collect()
}

#[tokio::test]
async fn members_are_listed_as_of_a_date_filtered_by_status_or_party_and_paged_by_state_code() {
    let (_node, mut registry) = node_with_apmbc().await;
    baltic_and_friends(&mut registry).await;
    let all = registry
        .list_members(list(S::Unspecified, false, 0, ""))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(codes(&all), ["EE", "FI", "LT", "LV", "MH", "PL"]);
    assert_eq!(all.total_size, 6);
    let notified = registry
        .list_members(list(S::WithdrawalNotified, false, 0, ""))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(codes(&notified), ["EE", "LT", "LV"]);
    let parties = registry
        .list_members(list(S::Unspecified, true, 0, ""))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(
        codes(&parties),
        ["EE", "FI", "LT", "LV", "PL"],
        "notified states are still parties"
    );

    let first = registry
        .list_members(list(S::Unspecified, true, 2, ""))
        .await
        .expect("page 1")
        .into_inner();
    assert_eq!((codes(&first), first.total_size), (vec!["EE", "FI"], 5));
    let second = registry
        .list_members(list(S::Unspecified, true, 2, &first.next_page_token))
        .await
        .expect("page 2")
        .into_inner();
    assert_eq!(codes(&second), ["LT", "LV"]);
    let third = registry
        .list_members(list(S::Unspecified, true, 2, &second.next_page_token))
        .await
        .expect("page 3")
        .into_inner();
    assert_eq!(codes(&third), ["PL"]);
    assert!(third.next_page_token.is_empty());

    let mut later = list(S::Party, false, 0, "");
    later.as_of = Some(date("2026-01-01"));
    let after = registry
        .list_members(later)
        .await
        .expect("list")
        .into_inner();
    assert_eq!(codes(&after), ["FI", "PL"], "the Baltic states have left");
    let err = registry
        .list_members(pb::ListMembersRequest {
            treaty: "apmbc".into(),
            status: 42,
            ..Default::default()
        })
        .await
        .expect_err("unknown status");
    assert_eq!(fields(&err), ["status"]);
}

#[tokio::test]
async fn a_signature_after_joining_and_a_consent_beyond_the_calendar_are_refused() {
    let (_node, mut registry) = node_with_apmbc().await;
    consent(
        &mut registry,
        "FI",
        pb::ConsentKind::Accession,
        "2012-01-09",
    )
    .await
    .expect("accede");
    let err = consent(
        &mut registry,
        "FI",
        pb::ConsentKind::Signature,
        "2013-01-01",
    )
    .await
    .expect_err("a signature after the accession");
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::FailedPrecondition, "SIGNATURE_AFTER_CONSENT".into())
    );
    let err = consent(
        &mut registry,
        "SE",
        pb::ConsentKind::Ratification,
        "9999-10-01",
    )
    .await
    .expect_err("entry into force would fall after the year 9999");
    assert_eq!(fields(&err), ["on"]);
    assert_eq!(
        status(&mut registry, "SE", "9999-12-31").await,
        S::NotAMember
    );
}
