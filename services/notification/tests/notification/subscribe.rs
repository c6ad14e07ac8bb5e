//! Subscribing to an inbox: what was missed, then live; resuming after a
//! cursor; resuming across a restart of the service.

use crate::support::*;
use treaty_proto::notification as pb;
use treaty_testkit::TestNode;

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
