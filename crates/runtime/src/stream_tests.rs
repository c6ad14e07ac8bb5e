use std::time::Duration;

use tokio_stream::StreamExt;
use tonic::Code;
use treaty_proto::status;

use super::*;

const TEST: Service = Service {
    name: "test",
    domain: "treaty.test.v1",
};
const STALL: Duration = Duration::from_secs(5);

/// A budget of `bytes` and a 5 s stall timeout.
fn limits(bytes: usize) -> StreamLimits {
    StreamLimits {
        buffer_bytes: bytes,
        stall_timeout: STALL,
    }
}

/// A message whose [`footprint`] is exactly `n` bytes (from 283 on, and not 410).
fn message(n: usize) -> String {
    let mut text = "x".repeat(n);
    while footprint(&text) > n {
        text.pop();
    }
    assert_eq!(footprint(&text), n);
    text
}

fn buffered<T>(tx: &StreamSender<T>) -> (usize, usize) {
    let state = tx.shared.lock();
    (state.queue.len(), state.bytes)
}

#[test]
fn a_message_counts_for_its_bytes_its_struct_and_its_heap_blocks() {
    let text = "x".repeat(1000);
    assert_eq!(
        footprint(&text),
        prost::Message::encoded_len(&text) + std::mem::size_of::<String>() + ALLOCATION_OVERHEAD
    );
}

#[tokio::test(start_paused = true)]
async fn messages_within_the_budget_are_buffered_at_once_and_come_out_in_order() {
    let (mut tx, mut rx) = bounded::<String>(TEST, limits(1000));
    for (i, n) in [300, 310, 320].into_iter().enumerate() {
        assert_eq!(tx.send(message(n)).await, Ok(i as u64));
    }
    assert_eq!(buffered(&tx), (3, 300 + 310 + 320));
    drop(tx);
    let got: Vec<String> = (&mut rx).map(|m| m.expect("a message")).collect().await;
    assert_eq!(got, [message(300), message(310), message(320)]);
}

#[tokio::test(start_paused = true)]
async fn a_client_that_reads_slower_than_the_stall_timeout_allows_is_never_cut_off() {
    let (mut tx, mut rx) = bounded::<String>(TEST, limits(1000));
    let producer = tokio::spawn(async move {
        for _ in 0..50 {
            tx.send(message(400)).await?;
        }
        Ok::<_, StreamEnded>(())
    });
    // One message every 4 s, just inside the 5 s stall timeout, for 200 s in all.
    let mut read = 0;
    while let Some(m) = rx.next().await {
        assert_eq!(m.expect("never cut off"), message(400));
        read += 1;
        tokio::time::sleep(Duration::from_secs(4)).await;
    }
    assert_eq!(read, 50);
    assert_eq!(producer.await.expect("the producer ran"), Ok(()));
}

#[tokio::test(start_paused = true)]
async fn a_full_buffer_nobody_reads_for_the_stall_timeout_is_cut_off_and_freed() {
    let (mut tx, mut rx) = bounded::<String>(TEST, limits(1000));
    tx.send(message(600)).await.expect("room");
    let started = tokio::time::Instant::now();
    assert_eq!(tx.send(message(600)).await, Err(StreamEnded::CutOff));
    assert_eq!(started.elapsed(), STALL);
    assert_eq!(buffered(&tx), (0, 0), "what waited is dropped at once");
    assert_eq!(tx.send(message(300)).await, Err(StreamEnded::CutOff));
    tx.closed().await;

    let status = rx.next().await.expect("one item").expect_err("the cut-off");
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(status::reason(&status).as_deref(), Some(STREAM_STALLED));
    assert_eq!(
        status::metadata(&status, "bufferBytes").as_deref(),
        Some("1000")
    );
    assert!(
        status.message().contains("1200 bytes"),
        "{}",
        status.message()
    );
    assert!(rx.next().await.is_none(), "then the end");
}

#[tokio::test(start_paused = true)]
async fn a_message_larger_than_the_budget_goes_out_alone() {
    let (mut tx, mut rx) = bounded::<String>(TEST, limits(300));
    assert_eq!(tx.send(message(1000)).await, Ok(0));
    let reader = tokio::spawn(async move {
        let first = rx.next().await;
        (first, rx)
    });
    let (first, _rx) = reader.await.expect("the reader ran");
    assert_eq!(
        first.expect("a message").expect("not an error"),
        message(1000)
    );
    assert_eq!(
        tx.send(message(1000)).await,
        Ok(1),
        "the buffer is empty again"
    );
}

#[tokio::test(start_paused = true)]
async fn taken_counts_only_what_the_transport_took_never_what_a_cut_off_dropped() {
    let (mut tx, mut rx) = bounded::<String>(TEST, limits(1000));
    for _ in 0..3 {
        tx.send(message(300)).await.expect("room");
    }
    rx.next().await.expect("one").expect("a message");
    assert_eq!(tx.taken(), 1);
    tx.send(message(300)).await.expect("room again");
    assert_eq!(tx.send(message(300)).await, Err(StreamEnded::CutOff));
    assert_eq!(tx.taken(), 1, "the three still buffered were never taken");
}

#[tokio::test(start_paused = true)]
async fn a_client_that_goes_away_ends_a_waiting_send_and_frees_the_buffer() {
    let (mut tx, rx) = bounded::<String>(TEST, limits(1000));
    tx.send(message(800)).await.expect("room");
    let dropper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(rx);
    });
    let started = tokio::time::Instant::now();
    assert_eq!(tx.send(message(800)).await, Err(StreamEnded::ClientGone));
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(1),
        "not the stall timeout"
    );
    assert_eq!(buffered(&tx), (0, 0));
    tx.closed().await;
    assert_eq!(tx.flushed().await, Err(StreamEnded::ClientGone));
    dropper.await.expect("the client went away");
}

#[tokio::test(start_paused = true)]
async fn a_failure_reaches_the_client_after_what_was_buffered_whatever_the_budget() {
    let (mut tx, mut rx) = bounded::<String>(TEST, limits(300));
    tx.send(message(300)).await.expect("room");
    tx.fail(TEST.error(
        Code::Unavailable,
        "SHUTTING_DOWN",
        "later",
        [("afterCursor", "7".to_owned())],
    ));
    assert_eq!(
        rx.next().await.expect("one").expect("a message"),
        message(300)
    );
    let status = rx.next().await.expect("two").expect_err("the failure");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(rx.next().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn flushed_waits_until_the_transport_took_everything_and_never_cuts_off() {
    let (mut tx, mut rx) = bounded::<String>(TEST, limits(1000));
    tx.send(message(300)).await.expect("room");
    tx.send(message(300)).await.expect("room");
    let reader = tokio::spawn(async move {
        // Far past the stall timeout: a buffer that is not full is never cut off.
        tokio::time::sleep(STALL * 10).await;
        let mut n = 0;
        while rx.next().await.is_some() {
            n += 1;
        }
        n
    });
    tx.flushed().await.expect("everything taken");
    assert_eq!(tx.taken(), 2);
    drop(tx);
    assert_eq!(reader.await.expect("the reader ran"), 2);
}

#[tokio::test(start_paused = true)]
async fn discard_drops_what_the_transport_has_not_taken_and_says_what_it_took() {
    let (mut tx, mut rx) = bounded::<String>(TEST, limits(1000));
    for n in [300, 310, 320] {
        tx.send(message(n)).await.expect("room");
    }
    assert_eq!(
        rx.next().await.expect("one").expect("a message"),
        message(300)
    );
    assert_eq!(tx.discard(), 1);
    assert_eq!(buffered(&tx), (0, 0));
    tx.fail(TEST.error(
        Code::Unavailable,
        "SHUTTING_DOWN",
        "later",
        [("afterCursor", "1".to_owned())],
    ));
    let status = rx
        .next()
        .await
        .expect("two")
        .expect_err("the failure, not the others");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(rx.next().await.is_none());
}
