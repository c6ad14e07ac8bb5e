//! The attacks on the notices an outside client made before the trust boundary, each now
//! refused without changing anything: forged notices (a revocation for Lithuania, a deposit
//! notice under the relay's own id that made the real one fail and stalled every later
//! notice), an anonymous inbox stream that recorded deliveries to a state, and an
//! acknowledgement of a notice never delivered.

use tonic::Code;
use treaty_auth::ServiceName;
use treaty_proto::notification as pb;
use treaty_proto::notification::notification_service_client::NotificationServiceClient;
use treaty_testkit::{TestNode, as_user};

use crate::support::*;

/// The attempts at publishing `notice`: anonymous, a person holding every permission, and
/// each service but approvals: each is refused (UNAUTHENTICATED, PERMISSION_DENIED) and
/// nothing is stored.
async fn forge(node: &TestNode, request_id: &str, notice: pb::Notice) {
    let request = || pb::PublishNoticeRequest {
        request_id: request_id.into(),
        notice: Some(notice.clone()),
    };
    let anonymous = node
        .notification()
        .publish_notice(request())
        .await
        .expect_err("an anonymous notice");
    assert_eq!(anonymous.code(), Code::Unauthenticated, "{anonymous:?}");
    let everything = [
        "registry:admin",
        "depositary:record",
        "state:LT:record",
        "depositary:inbox",
    ];
    let person = node
        .notification()
        .publish_notice(as_user("un-secretary-general", &everything, request()))
        .await
        .expect_err("a person's notice");
    assert_eq!(person.code(), Code::PermissionDenied, "{person:?}");
    assert!(person.message().contains("approvals"), "{person:?}");
    for service in [
        ServiceName::Registry,
        ServiceName::Notification,
        ServiceName::Audit,
    ] {
        let forged = NotificationServiceClient::new(node.as_service(service).await)
            .publish_notice(request())
            .await
            .expect_err("another service's notice");
        assert_eq!(
            forged.code(),
            Code::PermissionDenied,
            "{service}: {forged:?}"
        );
    }
    let missing = get_notice(node, &notice.notice_id)
        .await
        .expect_err("nothing was stored");
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
}

#[tokio::test]
async fn a_forged_revocation_notice_for_lithuania_is_refused_and_stores_nothing() {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;
    let revocation = pb::Notice {
        notice_id: format!("{case}-revocation"),
        kind: pb::NoticeKind::Revocation.into(),
        ..lt_deposit("", &case)
    };
    forge(&node, "forged-revocation", revocation).await;
}

#[tokio::test]
async fn a_forged_deposit_notice_under_the_relays_own_id_is_refused_and_the_real_ones_go_out() {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;
    // The id the relay will publish the deposit under, with a forged date.
    let forged = pb::Notice {
        received_on: Some(day(2025, 1, 1)),
        effective_on: Some(day(2025, 7, 1)),
        ..lt_deposit(&format!("{case}-deposit"), &case)
    };
    forge(&node, &format!("{case}-deposit"), forged).await;

    // The real deposit: the relay publishes its notice, then the effect's, as if no one
    // had tried.
    node.approvals()
        .deposit_instrument(req(treaty_proto::approvals::DepositInstrumentRequest {
            request_id: "deposit".into(),
            case_id: case.clone(),
            received_on: Some(day(2025, 6, 27)),
            reasons: "The security environment in the region has fundamentally changed.".into(),
            sources: vec!["https://en.trend.az/baltics/4063907.html".into()],
        }))
        .await
        .expect("the real deposit");
    let deposit = eventually("the relay's deposit notice", || async {
        get_notice(&node, &format!("{case}-deposit")).await.ok()
    })
    .await
    .notice
    .expect("the notice");
    assert_eq!(deposit.received_on, Some(day(2025, 6, 27)));
    assert_eq!(deposit.effective_on, Some(day(2025, 12, 27)));
    node.set_today(jiff::civil::date(2025, 12, 27));
    let effect = eventually("the relay's effect notice", || async {
        get_notice(&node, &format!("{case}-effect")).await.ok()
    })
    .await
    .notice
    .expect("the notice");
    assert_eq!(effect.effective_on, Some(day(2025, 12, 27)));
}

/// Lithuania's deposit notice, published by the approvals service.
async fn published_deposit(node: &TestNode) -> String {
    let case = approved_ottawa_lt(node).await;
    let id = format!("{case}-deposit");
    publish(node, "p1", lt_deposit(&id, &case))
        .await
        .expect("publish");
    id
}

#[tokio::test]
async fn an_inbox_stream_by_anyone_but_the_recipient_reads_its_notices_and_records_no_delivery() {
    let node = TestNode::start_all().await;
    let id = published_deposit(&node).await;
    // Anonymous, and a person holding another recipient's inbox: both read Austria's inbox.
    let anonymous = node
        .notification()
        .subscribe(pb::SubscribeRequest {
            recipient: "states/AT".into(),
            after_cursor: 0,
        })
        .await
        .expect("reading an inbox is public")
        .into_inner();
    let mut france = node
        .notification()
        .subscribe(as_user(
            "fr-treaty-office",
            &["state:FR:inbox"],
            pb::SubscribeRequest {
                recipient: "states/AT".into(),
                after_cursor: 0,
            },
        ))
        .await
        .expect("reading an inbox is public")
        .into_inner();
    let mut anonymous = anonymous;
    assert_eq!(
        next(&mut anonymous).await.notice.map(|n| n.notice_id),
        Some(id.clone())
    );
    assert_eq!(
        next(&mut france).await.notice.map(|n| n.notice_id),
        Some(id.clone())
    );
    // Austria's own stream records its delivery; until then, nothing is recorded.
    assert_eq!(delivery(&node, &id, "states/AT").await.delivered_at, None);
    let mut austria = node
        .notification()
        .subscribe(as_user(
            "at-treaty-office",
            &["state:AT:inbox"],
            pb::SubscribeRequest {
                recipient: "states/AT".into(),
                after_cursor: 0,
            },
        ))
        .await
        .expect("subscribe")
        .into_inner();
    next(&mut austria).await;
    eventually("Austria's delivery", || async {
        delivery(&node, &id, "states/AT")
            .await
            .delivered_at
            .map(|_| ())
    })
    .await;
    let notice = get_notice(&node, &id).await.expect("the notice");
    let delivered: Vec<&str> = notice
        .deliveries
        .iter()
        .filter(|d| d.delivered_at.is_some())
        .map(|d| d.recipient.as_str())
        .collect();
    assert_eq!(
        delivered,
        ["states/AT"],
        "only the recipient's stream delivered"
    );
}

#[tokio::test]
async fn acknowledging_a_notice_never_delivered_is_a_failed_precondition_and_changes_nothing() {
    let node = TestNode::start_all().await;
    let id = published_deposit(&node).await;
    let acknowledge = |request_id: &str| {
        as_user(
            "at-treaty-office",
            &["state:AT:inbox"],
            pb::AcknowledgeRequest {
                request_id: request_id.into(),
                recipient: "states/AT".into(),
                notice_id: id.clone(),
                receipt: String::new(),
            },
        )
    };
    let err = node
        .notification()
        .acknowledge(acknowledge("early"))
        .await
        .expect_err("not delivered yet");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(reason(&err), "NOTICE_NOT_DELIVERED");
    let at = delivery(&node, &id, "states/AT").await;
    assert_eq!((at.delivered_at, at.acknowledged_at), (None, None));

    // Another recipient may not acknowledge for Austria at all.
    let france = node
        .notification()
        .acknowledge(as_user(
            "fr-treaty-office",
            &["state:FR:inbox"],
            pb::AcknowledgeRequest {
                request_id: "fr".into(),
                recipient: "states/AT".into(),
                notice_id: id.clone(),
                receipt: String::new(),
            },
        ))
        .await
        .expect_err("not France's inbox");
    assert_eq!(france.code(), Code::PermissionDenied, "{france:?}");

    // Delivered by Austria's own stream, then acknowledged.
    let mut austria = node
        .notification()
        .subscribe(as_user(
            "at-treaty-office",
            &["state:AT:inbox"],
            pb::SubscribeRequest {
                recipient: "states/AT".into(),
                after_cursor: 0,
            },
        ))
        .await
        .expect("subscribe")
        .into_inner();
    next(&mut austria).await;
    eventually("Austria's delivery", || async {
        delivery(&node, &id, "states/AT")
            .await
            .delivered_at
            .map(|_| ())
    })
    .await;
    node.notification()
        .acknowledge(acknowledge("after"))
        .await
        .expect("acknowledged once delivered");
    assert!(
        delivery(&node, &id, "states/AT")
            .await
            .acknowledged_at
            .is_some()
    );
}
