//! The live side of `Subscribe`: stream a recipient's inbox after a cursor
//! (what was missed), then every notice published later, and record each
//! notice's first delivery.
//!
//! What waits for the subscriber is bounded in bytes
//! ([`treaty_runtime::stream`]): a subscriber that stops reading is cut off
//! with RESOURCE_EXHAUSTED once its buffer is full. A delivery is recorded
//! only for a notice the transport took from that buffer, never for one still
//! waiting in it or dropped with it; on shutdown the notices not yet taken are
//! dropped too, so the cursor the subscriber is told to resume after is the
//! last one it was handed.
//!
//! A notice is streamed only once its publication is durable (its journal
//! entry is at or below the ledger's durable head), so a recipient never sees
//! a notice that a crash could take back. Each message carries the notice's
//! inbox cursor: a client that resumes after the last cursor it saw gets
//! every notice exactly once from its point of view (DESIGN invariant 6).
//!
//! Reading an inbox is public; only the recipient's own stream (a caller
//! holding its inbox permission) records deliveries.

use std::sync::Arc;

use treaty_domain::Recipient;
use treaty_ledger::Clock;
use treaty_proto::notification as pb;
use treaty_runtime::{BoundedStream, Caller, Shutdown, StreamLimits, StreamSender};

use crate::SERVICE;
use crate::error::NotificationError;
use crate::store::{NotificationStore, Streamed};
use crate::wire;

/// Inbox entries read (and streamed) per round.
const BATCH: usize = 64;

type Sender = StreamSender<pb::SubscribeResponse>;

/// One subscriber's stream.
#[derive(Debug)]
pub struct Subscription {
    pub store: NotificationStore,
    pub recipient: Recipient,
    /// The last cursor the subscriber has seen.
    pub after: u64,
    /// The recipient itself (a caller holding its inbox permission), under whom deliveries
    /// are recorded; `None` for anyone else, whose stream reads the inbox and records nothing.
    pub receiver: Option<Caller>,
    /// Stamps `delivered_at`.
    pub clock: Arc<dyn Clock>,
    /// What the stream may buffer for the subscriber, and for how long.
    pub limits: StreamLimits,
    pub shutdown: Shutdown,
}

/// What one round of reading the inbox ended with.
enum Round {
    /// A full batch was streamed; read again at once.
    More,
    /// Everything durable was streamed; wait for the next durable batch.
    CaughtUp,
    /// The subscriber went away or was cut off.
    Stop,
    /// The service is stopping; tell the subscriber where to resume.
    ShuttingDown,
    /// Reading the inbox failed; tell the subscriber why.
    Failed(NotificationError),
}

/// A notice put in the stream's buffer this round.
struct Sent {
    /// Its index in the stream, to compare with what the transport took.
    index: u64,
    cursor: u64,
    /// Its delivery, when this is the first time it is streamed to the recipient.
    first: Option<Streamed>,
}

impl Subscription {
    /// Starts streaming; the stream ends when the client goes away, stops reading or the
    /// service shuts down.
    pub fn start(self) -> BoundedStream<pb::SubscribeResponse> {
        let (tx, rx) = treaty_runtime::stream::bounded(SERVICE, self.limits);
        tokio::spawn(self.run(tx));
        rx
    }

    async fn run(mut self, mut tx: Sender) {
        let mut durable = self.store.ledger().watch();
        loop {
            let head = *durable.borrow_and_update();
            let round = match self.round(head, &mut tx).await {
                Ok(round) => round,
                Err(e) => Round::Failed(e),
            };
            match round {
                Round::More => continue,
                Round::CaughtUp => {}
                Round::Stop => return,
                Round::ShuttingDown => {
                    self.shutting_down(tx);
                    return;
                }
                Round::Failed(e) => {
                    tx.fail(e.into());
                    return;
                }
            }
            tokio::select! {
                changed = durable.changed() => if changed.is_err() { return },
                () = self.shutdown.triggered() => {
                    self.shutting_down(tx);
                    return;
                }
                () = tx.closed() => return,
            }
        }
    }

    /// Ends the stream with UNAVAILABLE naming the last cursor the subscriber was handed.
    fn shutting_down(&self, tx: Sender) {
        tx.fail(
            NotificationError::ShuttingDown {
                after_cursor: self.after,
            }
            .into(),
        );
    }

    /// Streams the durable inbox entries after `self.after` (one batch), waits until the
    /// transport has taken them, and records the first deliveries among those it took.
    async fn round(&mut self, head: u64, tx: &mut Sender) -> Result<Round, NotificationError> {
        let before = self.after;
        let mut sent = Vec::new();
        let mut next = self.stream_batch(head, tx, &mut sent).await;
        if matches!(next, Round::More | Round::CaughtUp) {
            tokio::select! {
                flushed = tx.flushed() => if flushed.is_err() { next = Round::Stop },
                () = self.shutdown.triggered() => next = Round::ShuttingDown,
            }
        }
        let taken = match next {
            // What was taken is final: the rest was dropped with the stream.
            Round::More | Round::CaughtUp | Round::Stop => tx.taken(),
            // Stop here: nothing more may leave than what is recorded below.
            Round::ShuttingDown | Round::Failed(_) => tx.discard(),
        };
        let taken: Vec<Sent> = sent.into_iter().filter(|s| s.index < taken).collect();
        self.after = taken.last().map_or(before, |s| s.cursor);
        let delivered: Vec<Streamed> = taken.into_iter().filter_map(|s| s.first).collect();
        // Only the recipient's own stream delivers; anyone else's only reads.
        if let Some(receiver) = self.receiver.as_ref().filter(|_| !delivered.is_empty()) {
            self.store
                .record_deliveries(receiver, self.recipient, delivered, self.clock.now())
                .await?;
        }
        Ok(next)
    }

    /// Puts the next batch of durable inbox entries in the stream's buffer, noting each in
    /// `sent`; says how the round should go on.
    async fn stream_batch(&self, head: u64, tx: &mut Sender, sent: &mut Vec<Sent>) -> Round {
        let name = self.recipient.name();
        let entries = match self.store.inbox_after(&name, self.after, BATCH) {
            Ok(entries) => entries,
            Err(e) => return Round::Failed(e),
        };
        let full = entries.len() == BATCH;
        for (cursor, notice_id) in entries {
            let notice = match self.store.find_notice(&notice_id) {
                Ok(Some(notice)) => notice,
                Ok(None) => {
                    return Round::Failed(NotificationError::Corrupt(format!(
                        "inbox {name} names missing notice {notice_id}"
                    )));
                }
                Err(e) => return Round::Failed(e),
            };
            if notice.journal_sequence > head {
                return Round::CaughtUp;
            }
            let first_time = match self.store.delivery(&notice_id, &name) {
                Ok(delivery) => delivery.is_some_and(|d| d.delivered_at.is_none()),
                Err(e) => return Round::Failed(e),
            };
            let message = pb::SubscribeResponse {
                cursor,
                notice: Some(wire::notice(&notice)),
            };
            let first = first_time.then(|| Streamed {
                subject: notice.subject(),
                notice_id,
            });
            let index = tokio::select! {
                sent = tx.send(message) => match sent {
                    Ok(index) => index,
                    Err(_) => return Round::Stop,
                },
                () = self.shutdown.triggered() => return Round::ShuttingDown,
            };
            sent.push(Sent {
                index,
                cursor,
                first,
            });
        }
        if full { Round::More } else { Round::CaughtUp }
    }
}
