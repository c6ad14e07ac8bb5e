//! Every change the notification service makes: one [`Ledger::commit`] each,
//! with exactly one journal entry per state change, written in the same
//! transaction as the state it records.
//!
//! [`Ledger::commit`]: treaty_ledger::Ledger::commit

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use prost::Message;
use sled::transaction::UnabortableTransactionError;
use treaty_ledger::{Abort, CommitError, NewRecord, Subject, Txn};
use treaty_proto::notification as pb;

use crate::convert;
use crate::error::NotificationError;
use crate::recipient::Recipient;
use crate::store::{
    BY_PUBLICATION, BY_STATE, BY_TREATY, COUNTERS, DELIVERIES, INBOX_HEADS, INBOXES, NOTICES,
    NotificationStore, PUBLICATIONS, decode, key, prefix, suffix_u64,
};
use crate::stored::{
    NoticeAcknowledged, NoticeDelivered, NoticeDraft, NoticePublished, STORED_VERSION,
    StoredDelivery, StoredNotice,
};

/// Who made a change, when, and under which idempotency key.
#[derive(Clone, Debug)]
pub struct StepContext {
    /// The principal.
    pub actor: String,
    /// The instant of the change (`published_at`, `delivered_at`, ...).
    pub now: Timestamp,
    /// The civil date of the change in the depositary's calendar.
    pub today: Date,
    /// `<Rpc>/<request_id>`, when the request carried a `request_id`.
    pub request_key: Option<Vec<u8>>,
}

/// What a publication did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The notice as stored.
    pub notice: StoredNotice,
    /// Whether it had been published before (nothing changed).
    pub already_published: bool,
}

/// A notice streamed to a recipient, to be recorded as delivered.
#[derive(Clone, Debug)]
pub struct Streamed {
    /// The notice.
    pub notice_id: String,
    /// What it is about (the journal entry's subject).
    pub subject: Subject,
}

type TxResult<T> = Result<T, Abort<NotificationError>>;

fn corrupt<T>(what: String) -> TxResult<T> {
    Err(Abort::Rejected(NotificationError::Corrupt(what)))
}

fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("stored records have string keys and serialise infallibly")
}

fn read_u64(v: Option<sled::IVec>, what: &str) -> TxResult<u64> {
    match v {
        None => Ok(0),
        Some(v) => match suffix_u64(&v) {
            Some(n) if v.len() == 8 => Ok(n),
            _ => corrupt(format!("{what} is not a u64")),
        },
    }
}

fn recall(
    txn: &Txn<'_>,
    key: Option<&[u8]>,
) -> Result<Option<Vec<u8>>, UnabortableTransactionError> {
    match key {
        Some(k) => txn.recall(k),
        None => Ok(None),
    }
}

fn remember(
    txn: &Txn<'_>,
    key: Option<&[u8]>,
    answer: &[u8],
) -> Result<(), UnabortableTransactionError> {
    match key {
        Some(k) => txn.remember(k, answer),
        None => Ok(()),
    }
}

fn subject_of(n: &StoredNotice) -> Subject {
    Subject {
        state: Some(n.state.clone()),
        treaty: Some(n.treaty.clone()),
        case: Some(n.case_id.clone()),
    }
}

fn finish<T>(r: Result<T, CommitError<NotificationError>>) -> Result<T, NotificationError> {
    r.map_err(|e| match e {
        CommitError::Rejected(e) => e,
        CommitError::Storage(e) => NotificationError::Storage(e),
    })
}

/// The answer `PublishNotice` gives for a publication.
pub fn publish_response(p: &Published) -> pb::PublishNoticeResponse {
    pb::PublishNoticeResponse {
        notice: Some(convert::notice_to_wire(&p.notice)),
        already_published: p.already_published,
    }
}

impl NotificationStore {
    /// Publishes `draft` to `recipients`: stores the notice, one delivery record
    /// and one inbox entry per recipient (at that inbox's next cursor) and one
    /// `notification.notice_published` journal entry, in one transaction. A
    /// notice id already published answers the stored notice and changes
    /// nothing; with different content it is [`NotificationError::NoticeConflict`].
    pub async fn publish(
        &self,
        draft: NoticeDraft,
        circulated_on: Date,
        recipients_as_of: Date,
        recipients: Vec<Recipient>,
        ctx: StepContext,
    ) -> Result<pb::PublishNoticeResponse, NotificationError> {
        let draft = Arc::new(draft);
        let recipients = Arc::new(recipients);
        let count = u32::try_from(recipients.len())
            .map_err(|_| NotificationError::Corrupt("too many recipients".into()))?;
        let committed = self
            .ledger
            .commit(move |txn| {
                let request_key = ctx.request_key.as_deref();
                if let Some(first) = recall(txn, request_key)? {
                    return pb::PublishNoticeResponse::decode(first.as_slice()).map_err(|e| {
                        Abort::Rejected(NotificationError::Corrupt(format!(
                            "a remembered answer is unreadable: {e}"
                        )))
                    });
                }
                if let Some(v) = txn.tree(NOTICES).get(draft.notice_id.as_bytes())? {
                    let notice: StoredNotice = decode(&v, "a notice").map_err(Abort::Rejected)?;
                    if !notice.matches(&draft) {
                        return Err(Abort::Rejected(NotificationError::NoticeConflict {
                            notice_id: draft.notice_id.clone(),
                        }));
                    }
                    return Ok(publish_response(&Published {
                        notice,
                        already_published: true,
                    }));
                }
                let publication = read_u64(
                    txn.tree(COUNTERS).get(PUBLICATIONS)?,
                    "the publication counter",
                )? + 1;
                let id = draft.notice_id.as_str();
                let mut names = Vec::with_capacity(recipients.len());
                for r in recipients.iter() {
                    let name = r.name();
                    let cursor =
                        read_u64(txn.tree(INBOX_HEADS).get(name.as_bytes())?, "an inbox head")? + 1;
                    txn.tree(INBOX_HEADS)
                        .insert(name.as_bytes(), &cursor.to_be_bytes())?;
                    txn.tree(INBOXES)
                        .insert(key(&[&name], cursor), id.as_bytes())?;
                    let delivery = StoredDelivery {
                        version: STORED_VERSION,
                        recipient: name.clone(),
                        kind: r.kind(),
                        cursor,
                        delivered_at: None,
                        acknowledged_at: None,
                    };
                    txn.tree(DELIVERIES)
                        .insert(prefix(&[id, &name]), json(&delivery))?;
                    names.push(name);
                }
                let event = NoticePublished {
                    notice_id: id,
                    kind: draft.kind.as_str(),
                    received_on: draft.received_on.map(|d| d.to_string()),
                    circulated_on: circulated_on.to_string(),
                    effective_on: draft.effective_on.map(|d| d.to_string()),
                    recipients_as_of: recipients_as_of.to_string(),
                    recipient_count: count,
                    recipients: names,
                };
                let mut notice = StoredNotice {
                    version: STORED_VERSION,
                    notice_id: draft.notice_id.clone(),
                    kind: draft.kind,
                    treaty: draft.treaty.clone(),
                    state: draft.state.clone(),
                    case_id: draft.case_id.clone(),
                    received_on: draft.received_on,
                    circulated_on,
                    effective_on: draft.effective_on,
                    reasons: draft.reasons.clone(),
                    text: draft.text.clone(),
                    sources: draft.sources.clone(),
                    published_at: ctx.now,
                    recipient_count: count,
                    publication,
                    journal_sequence: 0,
                };
                notice.journal_sequence = txn.append(NewRecord {
                    kind: "notification.notice_published".into(),
                    subject: subject_of(&notice),
                    actor: ctx.actor.clone(),
                    occurred_on: Some(circulated_on),
                    sources: draft.sources.clone(),
                    payload: json(&event),
                    origin: None,
                });
                txn.tree(NOTICES).insert(id.as_bytes(), json(&notice))?;
                txn.tree(COUNTERS)
                    .insert(PUBLICATIONS, &publication.to_be_bytes())?;
                txn.tree(BY_PUBLICATION)
                    .insert(&publication.to_be_bytes(), id.as_bytes())?;
                txn.tree(BY_TREATY)
                    .insert(key(&[&notice.treaty], publication), id.as_bytes())?;
                txn.tree(BY_STATE)
                    .insert(key(&[&notice.state], publication), id.as_bytes())?;
                let answer = publish_response(&Published {
                    notice,
                    already_published: false,
                });
                remember(txn, request_key, &answer.encode_to_vec())?;
                Ok(answer)
            })
            .await;
        finish(committed)
    }

    /// Records that `streamed` notices were streamed to `recipient`: sets
    /// `delivered_at` where it is unset, with one `notification.delivered`
    /// journal entry per notice delivered for the first time, in one commit.
    pub async fn mark_delivered(
        &self,
        recipient: Recipient,
        streamed: Vec<Streamed>,
        ctx: StepContext,
    ) -> Result<usize, NotificationError> {
        let name = recipient.name();
        let committed = self
            .ledger
            .commit(move |txn| {
                let mut recorded = 0;
                for s in &streamed {
                    let k = prefix(&[&s.notice_id, &name]);
                    let Some(v) = txn.tree(DELIVERIES).get(k.as_slice())? else {
                        return corrupt(format!(
                            "notice {} streamed to {name} has no delivery record",
                            s.notice_id
                        ));
                    };
                    let mut delivery: StoredDelivery =
                        decode(&v, "a delivery").map_err(Abort::Rejected)?;
                    if delivery.delivered_at.is_some() {
                        continue;
                    }
                    delivery.delivered_at = Some(ctx.now);
                    txn.tree(DELIVERIES).insert(k, json(&delivery))?;
                    txn.append(NewRecord {
                        kind: "notification.delivered".into(),
                        subject: s.subject.clone(),
                        actor: ctx.actor.clone(),
                        occurred_on: Some(ctx.today),
                        sources: Vec::new(),
                        payload: json(&NoticeDelivered {
                            notice_id: &s.notice_id,
                            recipient: &name,
                            cursor: delivery.cursor,
                            delivered_at: ctx.now.to_string(),
                        }),
                        origin: None,
                    });
                    recorded += 1;
                }
                Ok(recorded)
            })
            .await;
        finish(committed)
    }

    /// Records `recipient`'s acknowledgement of `notice_id` once, with one
    /// `notification.acknowledged` journal entry; a repeat answers the same
    /// delivery and changes nothing.
    pub async fn acknowledge(
        &self,
        recipient: Recipient,
        notice_id: String,
        ctx: StepContext,
    ) -> Result<pb::AcknowledgeResponse, NotificationError> {
        let name = recipient.name();
        let committed = self
            .ledger
            .commit(move |txn| {
                let request_key = ctx.request_key.as_deref();
                if let Some(first) = recall(txn, request_key)? {
                    return pb::AcknowledgeResponse::decode(first.as_slice()).map_err(|e| {
                        Abort::Rejected(NotificationError::Corrupt(format!(
                            "a remembered answer is unreadable: {e}"
                        )))
                    });
                }
                let Some(nv) = txn.tree(NOTICES).get(notice_id.as_bytes())? else {
                    return Err(Abort::Rejected(NotificationError::NoticeNotFound {
                        notice_id: notice_id.clone(),
                    }));
                };
                let k = prefix(&[&notice_id, &name]);
                let Some(v) = txn.tree(DELIVERIES).get(k.as_slice())? else {
                    return Err(Abort::Rejected(NotificationError::NotInInbox {
                        notice_id: notice_id.clone(),
                        recipient: name.clone(),
                    }));
                };
                let mut delivery: StoredDelivery =
                    decode(&v, "a delivery").map_err(Abort::Rejected)?;
                if delivery.acknowledged_at.is_none() {
                    let notice: StoredNotice = decode(&nv, "a notice").map_err(Abort::Rejected)?;
                    delivery.acknowledged_at = Some(ctx.now);
                    txn.tree(DELIVERIES).insert(k, json(&delivery))?;
                    txn.append(NewRecord {
                        kind: "notification.acknowledged".into(),
                        subject: subject_of(&notice),
                        actor: ctx.actor.clone(),
                        occurred_on: Some(ctx.today),
                        sources: Vec::new(),
                        payload: json(&NoticeAcknowledged {
                            notice_id: &notice_id,
                            recipient: &name,
                            cursor: delivery.cursor,
                            acknowledged_at: ctx.now.to_string(),
                        }),
                        origin: None,
                    });
                    let answer = pb::AcknowledgeResponse {
                        delivery: Some(convert::delivery_to_wire(&delivery)),
                    };
                    remember(txn, request_key, &answer.encode_to_vec())?;
                    return Ok(answer);
                }
                // Already acknowledged: the same delivery, nothing recorded.
                Ok(pb::AcknowledgeResponse {
                    delivery: Some(convert::delivery_to_wire(&delivery)),
                })
            })
            .await;
        finish(committed)
    }
}
