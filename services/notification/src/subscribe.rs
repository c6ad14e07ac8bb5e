//! The live side of `Subscribe`: stream a recipient's inbox after a cursor
//! (what was missed), then every notice published later, and record each
//! notice's first delivery.
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

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use treaty_domain::Recipient;
use treaty_ledger::Clock;
use treaty_proto::notification as pb;
use treaty_runtime::{Caller, Shutdown};

use crate::error::NotificationError;
use crate::store::{NotificationStore, Streamed};
use crate::wire;

/// Inbox entries read (and streamed) per round.
const BATCH: usize = 64;

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
    pub shutdown: Shutdown,
}

/// What one round of reading the inbox ended with.
enum Round {
    /// A full batch was streamed; read again at once.
    More,
    /// Everything durable was streamed; wait for the next durable batch.
    CaughtUp,
    /// The subscriber went away or the stream failed.
    Stop,
}

impl Subscription {
    /// Starts streaming; the stream ends when the client goes away or the service shuts down.
    pub fn start(self) -> ReceiverStream<Result<pb::SubscribeResponse, Status>> {
        let (tx, rx) = mpsc::channel(BATCH);
        tokio::spawn(self.run(tx));
        ReceiverStream::new(rx)
    }

    async fn run(mut self, tx: mpsc::Sender<Result<pb::SubscribeResponse, Status>>) {
        let mut durable = self.store.ledger().watch();
        loop {
            let head = *durable.borrow_and_update();
            let round = match self.round(head, &tx).await {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(e.into())).await;
                    return;
                }
            };
            match round {
                Round::More => continue,
                Round::Stop => return,
                Round::CaughtUp => {}
            }
            tokio::select! {
                changed = durable.changed() => if changed.is_err() { return },
                () = self.shutdown.triggered() => {
                    let _ = tx.try_send(Err(NotificationError::ShuttingDown {
                        after_cursor: self.after,
                    }
                    .into()));
                    return;
                }
                () = tx.closed() => return,
            }
        }
    }

    /// Streams the durable inbox entries after `self.after` (one batch) and
    /// records the first deliveries among them.
    async fn round(
        &mut self,
        head: u64,
        tx: &mpsc::Sender<Result<pb::SubscribeResponse, Status>>,
    ) -> Result<Round, NotificationError> {
        let name = self.recipient.name();
        let entries = self.store.inbox_after(&name, self.after, BATCH)?;
        let full = entries.len() == BATCH;
        let mut streamed = Vec::new();
        let mut blocked = false;
        for (cursor, notice_id) in entries {
            let notice = self.store.find_notice(&notice_id)?.ok_or_else(|| {
                NotificationError::Corrupt(format!("inbox {name} names missing notice {notice_id}"))
            })?;
            if notice.journal_sequence > head {
                blocked = true;
                break;
            }
            let message = pb::SubscribeResponse {
                cursor,
                notice: Some(wire::notice(&notice)),
            };
            let sent = tokio::select! {
                sent = tx.send(Ok(message)) => sent.is_ok(),
                () = self.shutdown.triggered() => false,
            };
            if !sent {
                return Ok(Round::Stop);
            }
            self.after = cursor;
            let first_time = self
                .store
                .delivery(&notice_id, &name)?
                .is_some_and(|d| d.delivered_at.is_none());
            if first_time {
                streamed.push(Streamed {
                    subject: notice.subject(),
                    notice_id,
                });
            }
        }
        if let Some(receiver) = self.receiver.as_ref().filter(|_| !streamed.is_empty()) {
            self.store
                .record_deliveries(receiver, self.recipient, streamed, self.clock.now())
                .await?;
        }
        Ok(if full && !blocked {
            Round::More
        } else {
            Round::CaughtUp
        })
    }
}
