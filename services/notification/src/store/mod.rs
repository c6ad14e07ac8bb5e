//! The notification service's storage: one ledger (the journal, its outbox to the audit
//! service) plus the service's own tables (`crate::stored`), changed and journalled in the
//! same transaction.
//!
//! | table | key | record |
//! | --- | --- | --- |
//! | `notices` | notice id | `StoredNotice` |
//! | `deliveries` | `notice id \0 recipient \0` | `StoredDelivery` |
//! | `inboxes` | `recipient \0 cursor` | notice id |
//! | `inbox_heads` | recipient | its last cursor |
//! | `by_publication` | publication | notice id |
//! | `by_treaty` | `treaty \0 publication` | notice id |
//! | `by_state` | `state \0 publication` | notice id |
//! | `counters` | `publications` | the last publication |
//!
//! Every mutation is one commit: it reads what it needs, writes the new state, appends
//! exactly one journal entry per state change, and answers — a keyed request once per
//! request id ([`treaty_runtime::commit_once`]), the answer given only once durable.
//! `publish.rs` holds the publication, `inbox.rs` deliveries and acknowledgements.

mod inbox;
mod publish;

pub use inbox::Streamed;

use treaty_ledger::{Abort, Ledger, LedgerConfig, LedgerError};

use crate::error::NotificationError;
use crate::request::NoticesQuery;
use crate::stored::{
    BY_PUBLICATION, BY_STATE, BY_TREATY, DELIVERIES, INBOXES, NOTICES, StoredDelivery,
    StoredNotice, TREES, delivery_key, key_number, numbered_key, prefix,
};

/// The notification service's storage.
#[derive(Clone, Debug)]
pub struct NotificationStore {
    ledger: Ledger,
}

type Step<T> = Result<T, Abort<NotificationError>>;

fn refuse<T>(e: NotificationError) -> Step<T> {
    Err(Abort::Rejected(e))
}

/// The first key after `key` among keys of the same length: where a scan continues after it.
fn after(mut key: Vec<u8>) -> Vec<u8> {
    key.push(0);
    key
}

impl NotificationStore {
    /// Opens (or creates) the store; `config.trees` is replaced by the service's trees.
    pub fn open(config: LedgerConfig) -> Result<Self, LedgerError> {
        Ok(Self {
            ledger: Ledger::open(config.with_trees(&TREES))?,
        })
    }

    /// The service's journal.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The published notice `notice_id`, if there is one.
    pub fn find_notice(&self, notice_id: &str) -> Result<Option<StoredNotice>, NotificationError> {
        Ok(NOTICES.get(&self.ledger, notice_id.as_bytes())?)
    }

    /// The published notice `notice_id`, or NOT_FOUND.
    pub fn notice(&self, notice_id: &str) -> Result<StoredNotice, NotificationError> {
        self.find_notice(notice_id)?
            .ok_or_else(|| NotificationError::NoticeNotFound {
                notice_id: notice_id.to_owned(),
            })
    }

    /// Every recipient's copy of `notice_id`, by recipient name.
    pub fn deliveries(&self, notice_id: &str) -> Result<Vec<StoredDelivery>, NotificationError> {
        let pre = prefix(&[notice_id]);
        DELIVERIES
            .scan(&self.ledger, &pre, &pre)
            .map(|item| Ok(item?.1))
            .collect()
    }

    /// One recipient's copy of `notice_id`, if the notice was sent to it.
    pub fn delivery(
        &self,
        notice_id: &str,
        recipient: &str,
    ) -> Result<Option<StoredDelivery>, NotificationError> {
        Ok(DELIVERIES.get(&self.ledger, &delivery_key(notice_id, recipient))?)
    }

    /// Up to `limit` entries of `recipient`'s inbox with a cursor above `after`, in cursor
    /// order, as `(cursor, notice id)`.
    pub fn inbox_after(
        &self,
        recipient: &str,
        after_cursor: u64,
        limit: usize,
    ) -> Result<Vec<(u64, String)>, NotificationError> {
        let pre = prefix(&[recipient]);
        let start = after(numbered_key(&[recipient], after_cursor));
        INBOXES
            .scan(&self.ledger, &pre, &start)
            .take(limit)
            .map(|item| {
                let (k, notice_id) = item?;
                Ok((numbered(&k)?, notice_id))
            })
            .collect()
    }

    /// A page of the notices `q` asks for, each with its position in the listing, and
    /// whether more follow. A recipient filter walks that recipient's inbox, a state or
    /// treaty filter its index, and otherwise the publication order itself.
    pub fn list_notices(
        &self,
        q: &NoticesQuery,
    ) -> Result<(Vec<(u64, StoredNotice)>, bool), NotificationError> {
        let (table, pre) = match (&q.recipient, q.state, &q.treaty) {
            (Some(r), ..) => (INBOXES, prefix(&[&r.name()])),
            (None, Some(s), _) => (BY_STATE, prefix(&[s.as_str()])),
            (None, None, Some(t)) => (BY_TREATY, prefix(&[t.as_str()])),
            (None, None, None) => (BY_PUBLICATION, Vec::new()),
        };
        let start = match q.page.after {
            Some(position) => {
                let mut k = pre.clone();
                k.extend_from_slice(&position.to_be_bytes());
                after(k)
            }
            None => pre.clone(),
        };
        let mut out = Vec::new();
        for item in table.scan(&self.ledger, &pre, &start) {
            let (k, notice_id) = item?;
            let position = numbered(&k)?;
            let notice = self.find_notice(&notice_id)?.ok_or_else(|| {
                NotificationError::Corrupt(format!("an index names missing notice {notice_id}"))
            })?;
            let wanted = q.state.is_none_or(|s| s.as_str() == notice.state)
                && q.treaty
                    .as_ref()
                    .is_none_or(|t| t.as_str() == notice.treaty);
            if !wanted {
                continue;
            }
            if out.len() == q.page.size {
                return Ok((out, true));
            }
            out.push((position, notice));
        }
        Ok((out, false))
    }
}

/// The number an index or inbox key ends with.
fn numbered(key: &[u8]) -> Result<u64, NotificationError> {
    key_number(key).ok_or_else(|| {
        NotificationError::Corrupt(format!(
            "an index key is too short: {}",
            String::from_utf8_lossy(key)
        ))
    })
}
