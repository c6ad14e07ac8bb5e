//! Inboxes: delivery and acknowledgement, refusals, listing, and the journal
//! entry every change writes.

use crate::support::*;
use tonic::Code;
use treaty_proto::audit as au;
use treaty_proto::notification as pb;
use treaty_testkit::TestNode;

#[tokio::test]
async fn streaming_records_the_delivery_and_acknowledging_records_the_acknowledgement() {
    let node = TestNode::start_all().await;
    let lt = approved_ottawa_lt(&node).await;
    publish(&node, "p1", lt_deposit("apmbc-LT-1-deposit", &lt))
        .await
        .expect("publish");
    assert!(
        delivery(&node, "apmbc-LT-1-deposit", "states/FR")
            .await
            .delivered_at
            .is_none()
    );

    let mut fr = subscribe(&node, "states/FR", 0).await;
    next(&mut fr).await;
    let delivered = eventually("FR's delivery to be recorded", || async {
        let d = delivery(&node, "apmbc-LT-1-deposit", "states/FR").await;
        d.delivered_at.is_some().then_some(d)
    })
    .await;
    assert!(delivered.acknowledged_at.is_none());
    assert!(
        delivery(&node, "apmbc-LT-1-deposit", "states/DE")
            .await
            .delivered_at
            .is_none(),
        "only FR subscribed"
    );

    let mut notification = node.notification();
    let ack = |request_id: &str| {
        req(pb::AcknowledgeRequest {
            request_id: request_id.into(),
            recipient: "states/FR".into(),
            notice_id: "apmbc-LT-1-deposit".into(),
            receipt: String::new(),
        })
    };
    let first = notification
        .acknowledge(ack("a1"))
        .await
        .expect("acknowledge")
        .into_inner();
    let again = notification
        .acknowledge(ack("a2"))
        .await
        .expect("acknowledge again")
        .into_inner();
    let retry = notification
        .acknowledge(ack("a1"))
        .await
        .expect("retry")
        .into_inner();

    let d = first.delivery.clone().expect("the delivery");
    assert_eq!((d.recipient.as_str(), d.cursor), ("states/FR", 1));
    assert_eq!(d.delivered_at, delivered.delivered_at);
    assert!(d.acknowledged_at.is_some());
    assert_eq!(again, first, "acknowledged once");
    assert_eq!(retry, first);
    assert_eq!(delivery(&node, "apmbc-LT-1-deposit", "states/FR").await, d);
    let de = delivery(&node, "apmbc-LT-1-deposit", "states/DE").await;
    assert!(de.delivered_at.is_none() && de.acknowledged_at.is_none());
}

#[tokio::test]
async fn acknowledging_a_notice_that_is_not_in_the_inbox_is_refused() {
    let node = TestNode::start_all().await;
    let lt = approved_ottawa_lt(&node).await;
    publish(&node, "p1", lt_deposit("apmbc-LT-1-deposit", &lt))
        .await
        .expect("publish");
    let mut notification = node.notification();
    let ack = |recipient: &str, notice: &str| {
        req(pb::AcknowledgeRequest {
            request_id: String::new(),
            recipient: recipient.into(),
            notice_id: notice.into(),
            receipt: String::new(),
        })
    };

    let unknown = notification
        .acknowledge(ack("states/FR", "apmbc-LT-2-deposit"))
        .await
        .unwrap_err();
    let own = notification
        .acknowledge(ack("states/LT", "apmbc-LT-1-deposit"))
        .await
        .unwrap_err();
    let get = get_notice(&node, "apmbc-LT-2-deposit").await.unwrap_err();

    assert_eq!(
        (unknown.code(), reason(&unknown).as_str()),
        (Code::NotFound, "NOTICE_NOT_FOUND")
    );
    assert_eq!(
        (own.code(), reason(&own).as_str()),
        (Code::NotFound, "NOTICE_NOT_IN_INBOX")
    );
    assert_eq!(
        (get.code(), reason(&get).as_str()),
        (Code::NotFound, "NOTICE_NOT_FOUND")
    );
}

#[tokio::test]
async fn bad_recipient_names_and_fields_are_refused_precisely() {
    let node = TestNode::start_all().await;
    let mut n = node.notification();

    for bad in ["France", "states/XX", "states/FRA", "Depositary", ""] {
        let err = n
            .subscribe(req(pb::SubscribeRequest {
                recipient: bad.into(),
                after_cursor: 0,
            }))
            .await
            .expect_err("a bad recipient");
        assert_eq!(violated_fields(&err), ["recipient"], "{bad}");
    }
    let ack = n
        .acknowledge(req(pb::AcknowledgeRequest {
            request_id: "a1".into(),
            recipient: "security-council".into(),
            notice_id: String::new(),
            receipt: String::new(),
        }))
        .await
        .expect_err("two bad fields");
    assert_eq!(violated_fields(&ack), ["notice_id", "recipient"]);
    let list = n
        .list_notices(req(pb::ListNoticesRequest {
            recipient: "council".into(),
            state: "ZZ".into(),
            page_size: -1,
            ..Default::default()
        }))
        .await
        .expect_err("three bad fields");
    assert_eq!(violated_fields(&list), ["page_size", "recipient", "state"]);
    let get = get_notice(&node, "").await.expect_err("no id");
    assert_eq!(violated_fields(&get), ["notice_id"]);
}

async fn list(node: &TestNode, r: pb::ListNoticesRequest) -> (Vec<String>, String) {
    let page = node
        .notification()
        .list_notices(req(r))
        .await
        .expect("list")
        .into_inner();
    (
        page.notices.into_iter().map(|n| n.notice_id).collect(),
        page.next_page_token,
    )
}

#[tokio::test]
async fn notices_are_listed_in_publication_order_by_recipient_treaty_and_state_in_pages() {
    let node = TestNode::start_all().await;
    let (lt, _) = two_deposits(&node).await;
    publish(&node, "p-effect", lt_effect(&lt))
        .await
        .expect("publish the effect");
    let all = [
        "apmbc-LT-1-deposit",
        "apmbc-LV-1-deposit",
        "apmbc-LT-1-effect",
    ];

    let (first, first_token) = list(
        &node,
        pb::ListNoticesRequest {
            page_size: 2,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(first, all[..2]);
    let (rest, end) = list(
        &node,
        pb::ListNoticesRequest {
            page_size: 2,
            page_token: first_token.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(rest, all[2..]);
    assert!(end.is_empty());
    let (by_state, _) = list(
        &node,
        pb::ListNoticesRequest {
            state: "lt".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(by_state, ["apmbc-LT-1-deposit", "apmbc-LT-1-effect"]);
    let (to_lt, _) = list(
        &node,
        pb::ListNoticesRequest {
            recipient: "states/LT".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(to_lt, ["apmbc-LV-1-deposit"]);
    let (ccm, _) = list(
        &node,
        pb::ListNoticesRequest {
            treaty: "ccm".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(ccm.is_empty());
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let r = pb::ListNoticesRequest {
            recipient: "depositary".into(),
            state: "LT".into(),
            page_size: 1,
            page_token: token,
            ..Default::default()
        };
        let (page, next) = list(&node, r).await;
        paged.extend(page);
        if next.is_empty() {
            break;
        }
        token = next;
    }
    assert_eq!(paged, ["apmbc-LT-1-deposit", "apmbc-LT-1-effect"]);
    let wrong = node
        .notification()
        .list_notices(req(pb::ListNoticesRequest {
            recipient: "depositary".into(),
            page_token: first_token,
            ..Default::default()
        }))
        .await
        .expect_err("a token of another listing");
    assert_eq!(violated_fields(&wrong), ["page_token"]);
    let garbage = node
        .notification()
        .list_notices(req(pb::ListNoticesRequest {
            page_token: "after-1".into(),
            ..Default::default()
        }))
        .await
        .expect_err("not a token");
    assert_eq!(violated_fields(&garbage), ["page_token"]);
}

#[tokio::test]
async fn every_change_is_one_journal_entry_shipped_to_the_audit_log() {
    let node = TestNode::start_all().await;
    let lt = approved_ottawa_lt(&node).await;
    let notice = lt_deposit("apmbc-LT-1-deposit", &lt);
    publish(&node, "p1", notice.clone()).await.expect("publish");
    publish(&node, "p1", notice.clone()).await.expect("retry");
    publish(&node, "p2", notice).await.expect("publish again");
    let mut fr = subscribe(&node, "states/FR", 0).await;
    next(&mut fr).await;
    eventually("FR's delivery", || async {
        delivery(&node, "apmbc-LT-1-deposit", "states/FR")
            .await
            .delivered_at
            .map(|_| ())
    })
    .await;
    drop(fr);
    let mut again = subscribe(&node, "states/FR", 0).await;
    next(&mut again).await;
    let mut de = subscribe(&node, "states/DE", 0).await;
    next(&mut de).await;
    eventually("DE's delivery", || async {
        delivery(&node, "apmbc-LT-1-deposit", "states/DE")
            .await
            .delivered_at
            .map(|_| ())
    })
    .await;
    let mut n = node.notification();
    for (request_id, recipient) in [
        ("a1", "states/FR"),
        ("a1", "states/FR"),
        ("a2", "states/FR"),
        ("a3", "states/DE"),
    ] {
        n.acknowledge(req(pb::AcknowledgeRequest {
            request_id: request_id.into(),
            recipient: recipient.into(),
            notice_id: "apmbc-LT-1-deposit".into(),
            receipt: String::new(),
        }))
        .await
        .expect("acknowledge");
    }

    // DE's acknowledgement is the last change; shipping is in order.
    let entries = eventually("the journal to reach the audit log", || async {
        let entries = node
            .audit()
            .list_entries(au::ListEntriesRequest {
                source: "notification".into(),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("list entries")
            .into_inner()
            .entries;
        entries
            .iter()
            .any(|e| e.details.contains("states/DE") && e.kind == "notification.acknowledged")
            .then_some(entries)
    })
    .await;
    let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "notification.notice_published",
            "notification.delivered",
            "notification.delivered",
            "notification.acknowledged",
            "notification.acknowledged"
        ]
    );
    for e in &entries {
        assert_eq!(
            (e.state.as_str(), e.treaty.as_str(), e.case_id.as_str()),
            ("LT", "apmbc", lt.as_str()),
            "{e:?}"
        );
        // The approvals service published; the recipients' own token streamed and acknowledged.
        let expected = if e.kind == "notification.notice_published" {
            treaty_testkit::recorded_service("approvals", "notification")
        } else {
            treaty_testkit::recorded(ACTOR, "notification")
        };
        assert_eq!(e.actor, expected);
        assert_eq!(e.occurred_on, Some(day(2025, 6, 27)));
    }
    assert!(
        entries[0].details.contains("\"recipient_count\":10"),
        "{}",
        entries[0].details
    );
    assert_eq!(
        entries[0].sources,
        ["https://en.trend.az/baltics/4063907.html"]
    );
}
