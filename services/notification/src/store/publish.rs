//! Publishing a notice: the notice, every recipient's inbox entry and delivery record, the
//! indexes and one journal entry, in one commit.

use jiff::Timestamp;
use treaty_domain::Recipient;
use treaty_ledger::Once;
use treaty_proto::notification as pb;
use treaty_runtime::Caller;

use super::{NotificationStore, Step, refuse};
use crate::error::NotificationError;
use crate::journal::{self, Entry, Kind};
use crate::request::PublishNotice;
use crate::stored::{
    BY_PUBLICATION, BY_STATE, BY_TREATY, COUNTERS, DELIVERIES, INBOX_HEADS, INBOXES, NOTICES,
    PUBLICATIONS, StoredDelivery, StoredNotice, StoredNoticeKind, StoredRecipientKind,
    delivery_key, numbered_key,
};
use crate::wire;

/// Whether `cmd` says the same as the notice published under its id: every field of the
/// notice itself, where an unasked circulation date matches any; sources are citations, not
/// content, and are not compared.
fn same(stored: &StoredNotice, cmd: &PublishNotice) -> bool {
    stored.notice_id == cmd.notice_id
        && stored.kind == StoredNoticeKind::from_domain(cmd.kind)
        && stored.treaty == cmd.treaty.as_str()
        && stored.state == cmd.state.as_str()
        && stored.case == cmd.case.to_string()
        && stored.received_on == cmd.received_on
        && cmd
            .asked_circulation
            .is_none_or(|d| d == stored.circulated_on)
        && stored.effective_on == cmd.effective_on
        && stored.reasons == cmd.reasons
        && stored.text == cmd.text
}

/// The answer for a notice id published before: that notice when `cmd` says the same,
/// NOTICE_ID_TAKEN otherwise.
fn published_before(stored: &StoredNotice, cmd: &PublishNotice) -> Step<pb::PublishNoticeResponse> {
    if same(stored, cmd) {
        Ok(wire::published(stored, true))
    } else {
        refuse(NotificationError::NoticeIdTaken {
            notice_id: cmd.notice_id.clone(),
        })
    }
}

impl NotificationStore {
    /// Publishes `cmd` to `recipients`: the notice, one inbox entry (at that inbox's next
    /// cursor) and one delivery record per recipient, and one journal entry. A notice id
    /// published before changes nothing (see [`NotificationStore::republish`]).
    pub async fn publish(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: PublishNotice,
        recipients: Vec<Recipient>,
        published_at: Timestamp,
    ) -> Result<pb::PublishNoticeResponse, NotificationError> {
        let caller = caller.clone();
        let names: Vec<String> = recipients.iter().map(Recipient::name).collect();
        let recipient_count = u32::try_from(recipients.len())
            .map_err(|_| NotificationError::Corrupt("more recipients than a u32 counts".into()))?;
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let id = cmd.notice_id.as_str();
            if let Some(stored) = NOTICES.read(txn, id.as_bytes())? {
                return published_before(&stored, &cmd);
            }
            let publication = COUNTERS.read(txn, PUBLICATIONS)?.unwrap_or(0) + 1;
            for (recipient, name) in recipients.iter().zip(&names) {
                let cursor = INBOX_HEADS.read(txn, name.as_bytes())?.unwrap_or(0) + 1;
                INBOX_HEADS.write(txn, name.as_bytes(), &cursor)?;
                INBOXES.write(txn, &numbered_key(&[name], cursor), &cmd.notice_id)?;
                let delivery = StoredDelivery {
                    recipient: name.clone(),
                    kind: StoredRecipientKind::of(recipient),
                    cursor,
                    delivered_at: None,
                    acknowledged_at: None,
                    receipt: None,
                };
                DELIVERIES.write(txn, &delivery_key(id, name), &delivery)?;
            }
            let mut notice = StoredNotice {
                notice_id: cmd.notice_id.clone(),
                kind: StoredNoticeKind::from_domain(cmd.kind),
                treaty: cmd.treaty.to_string(),
                state: cmd.state.as_str().to_owned(),
                case: cmd.case.to_string(),
                received_on: cmd.received_on,
                circulated_on: cmd.circulated_on,
                effective_on: cmd.effective_on,
                reasons: cmd.reasons.clone(),
                text: cmd.text.clone(),
                sources: cmd.sources.clone(),
                published_at,
                recipient_count,
                publication,
                journal_sequence: 0,
                proof: cmd.proof.clone(),
            };
            notice.journal_sequence = journal::append(
                txn,
                &caller,
                Entry {
                    kind: Kind::NoticePublished.as_str(),
                    subject: notice.subject(),
                    occurred_on: Some(cmd.circulated_on),
                    sources: &cmd.sources,
                    event: &journal::NoticePublished {
                        notice_id: id,
                        kind: cmd.kind.as_str(),
                        received_on: cmd.received_on,
                        circulated_on: cmd.circulated_on,
                        effective_on: cmd.effective_on,
                        recipients_as_of: cmd.recipients_as_of,
                        recipient_count,
                        recipients: &names,
                    },
                },
            );
            NOTICES.write(txn, id.as_bytes(), &notice)?;
            COUNTERS.write(txn, PUBLICATIONS, &publication)?;
            BY_PUBLICATION.write(txn, &publication.to_be_bytes(), &cmd.notice_id)?;
            BY_TREATY.write(
                txn,
                &numbered_key(&[&notice.treaty], publication),
                &cmd.notice_id,
            )?;
            BY_STATE.write(
                txn,
                &numbered_key(&[&notice.state], publication),
                &cmd.notice_id,
            )?;
            Ok(wire::published(&notice, false))
        })
        .await
    }

    /// Answers `cmd` for a notice id published before, without asking the peers again: the
    /// notice when `cmd` says the same, NOTICE_ID_TAKEN otherwise. Changes nothing but the
    /// remembered answer.
    pub async fn republish(
        &self,
        once: Option<&Once>,
        cmd: PublishNotice,
    ) -> Result<pb::PublishNoticeResponse, NotificationError> {
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            match NOTICES.read(txn, cmd.notice_id.as_bytes())? {
                Some(stored) => published_before(&stored, &cmd),
                None => refuse(NotificationError::Corrupt(format!(
                    "notice {} was read, then not found",
                    cmd.notice_id
                ))),
            }
        })
        .await
    }
}
