//! Subscribing to an inbox: what was missed, then live; resuming after a
//! cursor; resuming across a restart of the service; a subscriber that stops
//! reading.

use std::time::Duration;

use crate::support::*;
use treaty_node::Role;
use treaty_proto::notification as pb;
use treaty_runtime::StreamLimits;
use treaty_testkit::{Stall, StalledStream, TestNode};

#[tokio::test]
async fn a_subscriber_gets_the_notices_it_missed_then_a_live_one() {
    let node = TestNode::start_all().await;
    let (lt, _) = two_deposits(&node).await;
    let mut fr = subscribe(&node, "states/FR", 0).await;
    let mut lithuania = subscribe(&node, "states/LT", 0).await;

    assert_eq!(id(&next(&mut fr).await), (1, "apmbc-LT-1-deposit"));
    assert_eq!(id(&next(&mut fr).await), (2, "apmbc-LV-1-deposit"));
    assert_eq!(
        id(&next(&mut lithuania).await),
        (1, "apmbc-LV-1-deposit"),
        "Lithuania is notified of Latvia's withdrawal, not of its own"
    );
    publish(&node, "p-effect", lt_effect(&lt))
        .await
        .expect("publish live");
    let live = next(&mut fr).await;
    assert_eq!(id(&live), (3, "apmbc-LT-1-effect"));
    assert_eq!(live.notice.expect("notice").kind(), pb::NoticeKind::Effect);
}

#[tokio::test]
async fn a_subscriber_resuming_after_its_last_cursor_gets_no_duplicate() {
    let node = TestNode::start_all().await;
    let (lt, _) = two_deposits(&node).await;

    let mut fr = subscribe(&node, "states/FR", 1).await;
    assert_eq!(id(&next(&mut fr).await), (2, "apmbc-LV-1-deposit"));
    publish(&node, "p-effect", lt_effect(&lt))
        .await
        .expect("publish live");

    assert_eq!(
        id(&next(&mut fr).await),
        (3, "apmbc-LT-1-effect"),
        "nothing seen twice in between"
    );
}

#[tokio::test]
async fn after_a_restart_a_subscriber_resuming_from_its_cursor_gets_exactly_the_notices_it_missed()
{
    let node = TestNode::start_all().await;
    let lt = approved_ottawa_lt(&node).await;
    let lv = approved_ottawa_lv(&node).await;
    publish(&node, "p-lt", lt_deposit("apmbc-LT-1-deposit", &lt))
        .await
        .expect("publish LT");
    let mut client = node.notification();
    let mut fr = client
        .subscribe(req(pb::SubscribeRequest {
            recipient: "states/FR".into(),
            after_cursor: 0,
        }))
        .await
        .expect("subscribe")
        .into_inner();
    let seen = next(&mut fr).await.cursor;
    assert_eq!(seen, 1);

    let addr = node.addr();
    let node = node.stop().await.restart_at(addr).await;
    let ended = tokio::time::timeout(PATIENCE, fr.message())
        .await
        .expect("the old stream ends");
    assert!(
        !matches!(ended, Ok(Some(_))),
        "no notice on the old stream: {ended:?}"
    );
    publish(&node, "p-lv", lv_deposit(&lv))
        .await
        .expect("publish LV after the restart");
    publish(&node, "p-effect", lt_effect(&lt))
        .await
        .expect("publish the effect after the restart");

    let mut fr = eventually("a subscription through the old channel", || {
        let mut client = client.clone();
        async move {
            client
                .subscribe(req(pb::SubscribeRequest {
                    recipient: "states/FR".into(),
                    after_cursor: seen,
                }))
                .await
                .ok()
        }
    })
    .await
    .into_inner();
    assert_eq!(id(&next(&mut fr).await), (2, "apmbc-LV-1-deposit"));
    assert_eq!(id(&next(&mut fr).await), (3, "apmbc-LT-1-effect"));
    let mut lv_effect = lt_effect(&lv);
    lv_effect.notice_id = "apmbc-LV-1-effect".into();
    lv_effect.state = "LV".into();
    publish(&node, "p-lv-effect", lv_effect)
        .await
        .expect("publish live");
    assert_eq!(
        id(&next(&mut fr).await),
        (4, "apmbc-LV-1-effect"),
        "exactly what was missed, then live"
    );
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_cut_off_and_only_what_it_was_handed_counts_as_delivered()
 {
    let limits = StreamLimits {
        buffer_bytes: 1024,
        stall_timeout: Duration::from_millis(200),
    };
    let node = TestNode::start_configured(Role::ALL.to_vec(), |c| c.streams = limits).await;
    let case = approved_ottawa_lt(&node).await;
    // Notices of 40 KiB: tonic hands each to HTTP/2 on its own (it hands over at 32 KiB).
    let ids: Vec<String> = (1..=6).map(|i| format!("apmbc-LT-1-long-{i}")).collect();
    for id in &ids {
        let mut notice = lt_deposit(id, &case);
        notice.text = "Circulated in full. ".repeat(2048);
        publish(&node, id, notice).await.expect("publish");
    }
    let fr = || {
        req(pb::SubscribeRequest {
            recipient: "states/FR".into(),
            after_cursor: 0,
        })
    };
    let method = "/treaty.notification.v1.NotificationService/Subscribe";
    let stalled = StalledStream::open(node.addr(), method, fr(), Stall::Window).await;

    // The stream's round ends only with the cut-off (its client can receive nothing), and
    // records the deliveries of what the transport took: one notice, held for the window.
    let delivered = eventually("the deliveries of the cut-off stream", async || {
        let delivered = delivered_to_fr(&node, &ids).await;
        (!delivered.is_empty()).then_some(delivered)
    })
    .await;
    assert_eq!(
        delivered,
        ids[..1],
        "the ones left in its buffer are not delivered"
    );

    let (received, status) = stalled.resume::<pb::SubscribeResponse>().await;
    let received: Vec<String> = received
        .into_iter()
        .map(|m| m.notice.expect("a notice").notice_id)
        .collect();
    assert_eq!(received, delivered, "it got exactly what was recorded");
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(&status), "STREAM_STALLED");

    // Subscribing again after the last cursor it got delivers the rest.
    let mut again = subscribe(&node, "states/FR", 1).await;
    for id in &ids[1..] {
        assert_eq!(
            next(&mut again).await.notice.expect("a notice").notice_id,
            *id
        );
    }
    eventually("every notice delivered", async || {
        (delivered_to_fr(&node, &ids).await == ids).then_some(())
    })
    .await;
}

/// The notices among `ids` whose delivery to France is recorded, in order.
async fn delivered_to_fr(node: &TestNode, ids: &[String]) -> Vec<String> {
    let mut delivered = Vec::new();
    for id in ids {
        if delivery(node, id, "states/FR").await.delivered_at.is_some() {
            delivered.push(id.clone());
        }
    }
    delivered
}
