//! A recipient's side of a notice: its first delivery, recorded when the notice is first
//! streamed, and its acknowledgement.

use jiff::Timestamp;
use treaty_domain::Recipient;
use treaty_ledger::{CommitError, Once, Subject};
use treaty_proto::notification as pb;
use treaty_runtime::Caller;

use super::{NotificationStore, refuse};
use crate::error::NotificationError;
use crate::journal::{self, Entry, Kind};
use crate::request::Acknowledge;
use crate::stored::{DELIVERIES, NOTICES, delivery_key};
use crate::wire;

/// A notice streamed to a recipient, to be recorded as delivered.
#[derive(Clone, Debug)]
pub struct Streamed {
    pub notice_id: String,
    /// What the notice is about: the subject of its delivery's journal entry.
    pub subject: Subject,
}

impl NotificationStore {
    /// Records that the `streamed` notices reached `recipient` at `now`: sets `delivered_at`
    /// where it is unset, with one journal entry per notice delivered for the first time,
    /// in one commit. How many were delivered for the first time.
    pub async fn record_deliveries(
        &self,
        caller: &Caller,
        recipient: Recipient,
        streamed: Vec<Streamed>,
        now: Timestamp,
    ) -> Result<usize, NotificationError> {
        let caller = caller.clone();
        let name = recipient.name();
        let today = treaty_domain::today(now);
        self.ledger
            .commit(move |txn| {
                let mut recorded = 0;
                for s in &streamed {
                    let key = delivery_key(&s.notice_id, &name);
                    let Some(mut delivery) = DELIVERIES.read(txn, &key)? else {
                        return refuse(NotificationError::Corrupt(format!(
                            "notice {} streamed to {name} has no delivery record",
                            s.notice_id
                        )));
                    };
                    if delivery.delivered_at.is_some() {
                        continue;
                    }
                    delivery.delivered_at = Some(now);
                    DELIVERIES.write(txn, &key, &delivery)?;
                    journal::append(
                        txn,
                        &caller,
                        Entry {
                            kind: Kind::Delivered.as_str(),
                            subject: s.subject.clone(),
                            occurred_on: Some(today),
                            sources: &[],
                            event: &journal::Delivered {
                                notice_id: &s.notice_id,
                                recipient: &name,
                                cursor: delivery.cursor,
                                delivered_at: now,
                            },
                        },
                    );
                    recorded += 1;
                }
                Ok(recorded)
            })
            .await
            .map_err(CommitError::into_error)
    }

    /// Records the recipient's acknowledgement of a notice at `now`, once, with one journal
    /// entry; acknowledging it again answers the same delivery and records nothing.
    pub async fn acknowledge(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: Acknowledge,
        now: Timestamp,
    ) -> Result<pb::AcknowledgeResponse, NotificationError> {
        let caller = caller.clone();
        let name = cmd.recipient.name();
        let today = treaty_domain::today(now);
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let id = cmd.notice_id.as_str();
            let Some(notice) = NOTICES.read(txn, id.as_bytes())? else {
                return refuse(NotificationError::NoticeNotFound {
                    notice_id: cmd.notice_id.clone(),
                });
            };
            let key = delivery_key(id, &name);
            let Some(mut delivery) = DELIVERIES.read(txn, &key)? else {
                return refuse(NotificationError::NotInInbox {
                    notice_id: cmd.notice_id.clone(),
                    recipient: name.clone(),
                });
            };
            if delivery.delivered_at.is_none() {
                return refuse(NotificationError::NotDelivered {
                    notice_id: cmd.notice_id.clone(),
                    recipient: name.clone(),
                });
            }
            if delivery.acknowledged_at.is_none() {
                delivery.acknowledged_at = Some(now);
                DELIVERIES.write(txn, &key, &delivery)?;
                journal::append(
                    txn,
                    &caller,
                    Entry {
                        kind: Kind::Acknowledged.as_str(),
                        subject: notice.subject(),
                        occurred_on: Some(today),
                        sources: &[],
                        event: &journal::Acknowledged {
                            notice_id: id,
                            recipient: &name,
                            cursor: delivery.cursor,
                            acknowledged_at: now,
                        },
                    },
                );
            }
            Ok(pb::AcknowledgeResponse {
                delivery: Some(wire::delivery(&delivery)),
            })
        })
        .await
    }
}
