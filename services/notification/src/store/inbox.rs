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
use crate::request::{Acknowledge, RegisterKey};
use crate::stored::{
    DELIVERIES, NOTICES, RECIPIENT_KEYS, StoredNotice, StoredRecipientKey, delivery_key,
};
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
            // A receipt is recorded once: with the first acknowledgement, or added to one
            // made without; the same one again changes nothing, another is refused.
            if let (Some(given), Some(held)) = (&cmd.receipt, &delivery.receipt)
                && given != held
            {
                return refuse(NotificationError::BadReceipt {
                    reason: format!(
                        "{name} already gave a receipt of {id}; it is kept as first given"
                    ),
                });
            }
            let receipt = match &cmd.receipt {
                Some(r) if delivery.receipt.is_none() => {
                    let Some(registered) = RECIPIENT_KEYS.read(txn, name.as_bytes())? else {
                        return refuse(NotificationError::NoReceiptKey {
                            recipient: name.clone(),
                        });
                    };
                    if let Err(e) = check_receipt(r, &registered.verifier_key, &notice, &name) {
                        return refuse(e);
                    }
                    Some(r.clone())
                }
                _ => None,
            };
            if delivery.acknowledged_at.is_none() || receipt.is_some() {
                delivery.acknowledged_at = delivery.acknowledged_at.or(Some(now));
                delivery.receipt = delivery.receipt.take().or_else(|| receipt.clone());
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
                            // A receipt added later keeps the first acknowledgement's time.
                            acknowledged_at: delivery.acknowledged_at.unwrap_or(now),
                            receipt: receipt.as_deref(),
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

    /// Registers the key `cmd.recipient` signs its receipts with, replacing an earlier one,
    /// with one journal entry (none when the same key is registered again).
    pub async fn register_key(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: RegisterKey,
        now: Timestamp,
    ) -> Result<pb::RegisterRecipientKeyResponse, NotificationError> {
        let caller = caller.clone();
        let name = cmd.recipient.name();
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let held = RECIPIENT_KEYS.read(txn, name.as_bytes())?;
            let stored = match held {
                Some(k) if k.verifier_key == cmd.verifier_key => k,
                _ => {
                    let k = StoredRecipientKey {
                        recipient: name.clone(),
                        verifier_key: cmd.verifier_key.clone(),
                        registered_at: now,
                    };
                    RECIPIENT_KEYS.write(txn, name.as_bytes(), &k)?;
                    journal::append(
                        txn,
                        &caller,
                        Entry {
                            kind: Kind::RecipientKeyRegistered.as_str(),
                            subject: match cmd.recipient {
                                Recipient::State(code) => {
                                    Subject::of(Some(code.as_str()), None, None)
                                }
                                Recipient::Depositary | Recipient::SecurityCouncil => {
                                    Subject::of(None, None, None)
                                }
                            },
                            occurred_on: Some(treaty_domain::today(now)),
                            sources: &[],
                            event: &journal::RecipientKeyRegistered {
                                recipient: &name,
                                verifier_key: &k.verifier_key,
                                registered_at: now,
                            },
                        },
                    );
                    k
                }
            };
            Ok(pb::RegisterRecipientKeyResponse {
                recipient: stored.recipient,
                verifier_key: stored.verifier_key,
                registered_at: Some(treaty_proto::wire::timestamp_to_wire(stored.registered_at)),
            })
        })
        .await
    }
}

/// Checks a signed receipt of `notice` by `recipient`: signed by its registered key, and
/// naming this notice, the leaf its proof names and the checkpoint that proof is in.
fn check_receipt(
    receipt: &str,
    key: &str,
    notice: &StoredNotice,
    recipient: &str,
) -> Result<(), NotificationError> {
    let bad = |reason: String| NotificationError::BadReceipt { reason };
    let Some(proof) = &notice.proof else {
        return Err(NotificationError::NoProofToReceipt {
            notice_id: notice.notice_id.clone(),
        });
    };
    let said = treaty_transparency::receipt::open(receipt, key).map_err(|e| bad(e.to_string()))?;
    let (_, _, note) = treaty_transparency::read_tlog_proof(&proof.proof).map_err(|e| {
        NotificationError::Corrupt(format!("the stored proof of {}: {e}", notice.notice_id))
    })?;
    let (_, size, root) = treaty_transparency::checkpoint::unverified(&note).map_err(|e| {
        NotificationError::Corrupt(format!("the stored proof of {}: {e}", notice.notice_id))
    })?;
    let mut wrong = Vec::new();
    if said.recipient != recipient {
        wrong.push(format!("it is {}'s, not {recipient}'s", said.recipient));
    }
    if said.notice_id != notice.notice_id {
        wrong.push(format!(
            "it names notice {}, not {}",
            said.notice_id, notice.notice_id
        ));
    }
    if said.leaf_index != proof.leaf_index {
        wrong.push(format!(
            "it names leaf {}, the notice's proof leaf {}",
            said.leaf_index, proof.leaf_index
        ));
    }
    if (said.tree_size, said.root) != (size, root) {
        wrong.push(format!(
            "it names the checkpoint of {}, not the one of {size} the notice's proof is in",
            said.tree_size
        ));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(bad(wrong.join("; ")))
    }
}
