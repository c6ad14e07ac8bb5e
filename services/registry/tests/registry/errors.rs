//! The error contract: ErrorInfo with the registry's domain on every error, NOT_FOUND
//! included; messages that stay small whatever the request echoes; page tokens refused
//! precisely when they are not the registry's own.

use tonic::Code;
use treaty_proto::registry as pb;

use crate::common::{fields, node_with_apmbc, reason};

#[tokio::test]
async fn an_unknown_treaty_is_not_found_with_error_info_naming_it() {
    let (_node, mut registry) = node_with_apmbc().await;
    let err = registry
        .get_treaty(pb::GetTreatyRequest {
            treaty: "ccm".into(),
        })
        .await
        .expect_err("not registered");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(reason(&err), "TREATY_NOT_FOUND");
    let info = tonic_types::StatusExt::get_details_error_info(&err).expect("ErrorInfo");
    assert_eq!(info.domain, "treaty.registry.v1");
    assert_eq!(info.metadata.get("treaty").map(String::as_str), Some("ccm"));
}

#[tokio::test]
async fn a_megabyte_field_is_not_echoed_back_whole() {
    let (_node, mut registry) = node_with_apmbc().await;
    let huge = "Q".repeat(1_000_000);
    let err = registry
        .get_membership(pb::GetMembershipRequest {
            treaty: huge.clone(),
            state: huge,
            as_of: None,
        })
        .await
        .expect_err("neither is an id");
    assert_eq!(fields(&err), ["treaty", "state"]);
    assert!(err.message().len() < 2_000, "{} bytes", err.message().len());
    assert!(
        err.details().len() < 4_000,
        "{} bytes of details",
        err.details().len()
    );
}

#[tokio::test]
async fn a_page_token_is_refused_when_made_up_or_used_with_other_filters() {
    let (_node, mut registry) = node_with_apmbc().await;
    for state in ["LT", "LV", "EE"] {
        crate::common::ratify(&mut registry, state, "2004-01-01").await;
    }
    let list = |token: &str, status: pb::MembershipStatus| pb::ListMembersRequest {
        treaty: "apmbc".into(),
        page_size: 1,
        page_token: token.into(),
        status: status.into(),
        ..Default::default()
    };
    let first = registry
        .list_members(list("", pb::MembershipStatus::Unspecified))
        .await
        .expect("first page")
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    let next = registry
        .list_members(list(
            &first.next_page_token,
            pb::MembershipStatus::Unspecified,
        ))
        .await
        .expect("the token resumes its listing")
        .into_inner();
    assert_ne!(next.members[0].state, first.members[0].state);

    let other_filters = registry
        .list_members(list(&first.next_page_token, pb::MembershipStatus::Party))
        .await
        .expect_err("a token of another filter");
    assert_eq!(fields(&other_filters), ["page_token"]);
    assert!(
        other_filters.message().contains("other filters"),
        "{}",
        other_filters.message()
    );
    for forged in ["after-LT", "AQ", "%%%"] {
        let err = registry
            .list_members(list(forged, pb::MembershipStatus::Unspecified))
            .await
            .expect_err("a made-up token");
        assert_eq!(fields(&err), ["page_token"], "{forged}");
        assert!(
            err.message().contains("not a page token"),
            "{forged}: {}",
            err.message()
        );
    }
}
