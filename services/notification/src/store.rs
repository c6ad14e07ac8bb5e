//! The notification store: one sled database (a [`Ledger`]) holding the
//! service's journal and, changed in the same transactions, its own trees.
//!
//! | tree | key | value |
//! | --- | --- | --- |
//! | `notices` | notice id | [`StoredNotice`] (JSON) |
//! | `deliveries` | notice id `\0` recipient | [`StoredDelivery`] (JSON) |
//! | `inboxes` | recipient `\0` cursor (u64 BE) | notice id |
//! | `inbox_heads` | recipient | last cursor (u64 BE) |
//! | `by_publication` | publication (u64 BE) | notice id |
//! | `by_treaty` | treaty `\0` publication (u64 BE) | notice id |
//! | `by_state` | state `\0` publication (u64 BE) | notice id |
//! | `counters` | `publications` | last publication (u64 BE) |
//!
//! The first answer to each request that carried a `request_id` is remembered
//! by the ledger (`Txn::remember`) under `<Rpc>/<request_id>`, as the
//! prost-encoded response, in the same transaction as the change it answers.
//!
//! Big-endian numbers make byte order the numeric order, so an inbox or a
//! listing is a range scan that reads only what it returns. Every write goes
//! through [`Ledger::commit`] with exactly one journal entry per state change
//! (see `writes.rs`).

use serde::de::DeserializeOwned;
use treaty_ledger::{Ledger, LedgerConfig, LedgerError};

use crate::convert::ListFilter;
use crate::error::NotificationError;
use crate::stored::{StoredDelivery, StoredNotice};

pub(crate) const NOTICES: &str = "notices";
pub(crate) const DELIVERIES: &str = "deliveries";
pub(crate) const INBOXES: &str = "inboxes";
pub(crate) const INBOX_HEADS: &str = "inbox_heads";
pub(crate) const BY_PUBLICATION: &str = "by_publication";
pub(crate) const BY_TREATY: &str = "by_treaty";
pub(crate) const BY_STATE: &str = "by_state";
pub(crate) const COUNTERS: &str = "counters";
pub(crate) const PUBLICATIONS: &[u8] = b"publications";

/// Every tree the notification store keeps beside its journal.
pub const TREES: [&str; 8] = [
    NOTICES,
    DELIVERIES,
    INBOXES,
    INBOX_HEADS,
    BY_PUBLICATION,
    BY_TREATY,
    BY_STATE,
    COUNTERS,
];

/// The notification service's storage.
#[derive(Clone, Debug)]
pub struct NotificationStore {
    pub(crate) ledger: Ledger,
}

/// Where a listing continues: after a publication number (publication order)
/// or after a cursor of the filtered recipient's inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListPosition {
    /// After this publication number (0: from the start).
    Publication(u64),
    /// After this cursor of the recipient's inbox (0: from the start).
    Cursor(u64),
}

/// One page of notices and where the next page starts, if there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticePage {
    /// The notices, in publication order.
    pub notices: Vec<StoredNotice>,
    /// Where the next page continues, when more may follow.
    pub next: Option<ListPosition>,
}

/// `part \0 part \0 …`
pub(crate) fn prefix(parts: &[&str]) -> Vec<u8> {
    let mut k = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 8);
    for p in parts {
        k.extend_from_slice(p.as_bytes());
        k.push(0);
    }
    k
}

/// `part \0 … number(u64 BE)`
pub(crate) fn key(parts: &[&str], n: u64) -> Vec<u8> {
    let mut k = prefix(parts);
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// The big-endian `u64` at the end of `bytes`.
pub(crate) fn suffix_u64(bytes: &[u8]) -> Option<u64> {
    let tail = bytes.get(bytes.len().checked_sub(8)?..)?;
    Some(u64::from_be_bytes(tail.try_into().ok()?))
}

/// Decodes a stored JSON record, naming `what` when it is unreadable.
pub(crate) fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<T, NotificationError> {
    serde_json::from_slice(bytes)
        .map_err(|e| NotificationError::Corrupt(format!("{what} is unreadable: {e}")))
}

fn utf8(bytes: &[u8], what: &str) -> Result<String, NotificationError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| NotificationError::Corrupt(format!("{what} is not UTF-8")))
}

impl NotificationStore {
    /// Opens (or creates) the store; `config.trees` is replaced by the service's trees.
    pub fn open(mut config: LedgerConfig) -> Result<Self, LedgerError> {
        config.trees = TREES.iter().map(|t| (*t).to_owned()).collect();
        Ok(Self {
            ledger: Ledger::open(config)?,
        })
    }

    /// The service's journal.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The first answer remembered under `key` (`<Rpc>/<request_id>`), if any.
    pub fn recall(&self, key: &[u8]) -> Result<Option<Vec<u8>>, NotificationError> {
        Ok(self.ledger.recall(key)?)
    }

    /// The published notice `notice_id`, if there is one.
    pub fn notice(&self, notice_id: &str) -> Result<Option<StoredNotice>, NotificationError> {
        self.ledger
            .tree(NOTICES)
            .get(notice_id.as_bytes())?
            .map(|v| decode(&v, &format!("notice {notice_id}")))
            .transpose()
    }

    /// Every recipient's copy of `notice_id`, by recipient name.
    pub fn deliveries(&self, notice_id: &str) -> Result<Vec<StoredDelivery>, NotificationError> {
        let mut out = Vec::new();
        for item in self
            .ledger
            .tree(DELIVERIES)
            .scan_prefix(prefix(&[notice_id]))
        {
            let (k, v) = item?;
            out.push(decode(
                &v,
                &format!("delivery {}", String::from_utf8_lossy(&k)),
            )?);
        }
        Ok(out)
    }

    /// One recipient's copy of `notice_id`, if the notice was sent to it.
    pub fn delivery(
        &self,
        notice_id: &str,
        recipient: &str,
    ) -> Result<Option<StoredDelivery>, NotificationError> {
        self.ledger
            .tree(DELIVERIES)
            .get(prefix(&[notice_id, recipient]))?
            .map(|v| decode(&v, &format!("delivery of {notice_id} to {recipient}")))
            .transpose()
    }

    /// Up to `limit` entries of `recipient`'s inbox with a cursor above `after`,
    /// in cursor order, as `(cursor, notice id)`.
    pub fn inbox_after(
        &self,
        recipient: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, String)>, NotificationError> {
        let pre = prefix(&[recipient]);
        let start = key(&[recipient], after.saturating_add(1));
        let mut out = Vec::new();
        for item in self.ledger.tree(INBOXES).range(start..) {
            let (k, v) = item?;
            if !k.starts_with(&pre) || out.len() == limit {
                break;
            }
            let cursor = suffix_u64(&k)
                .ok_or_else(|| NotificationError::Corrupt("an inbox key is short".into()))?;
            out.push((cursor, utf8(&v, "an inbox entry")?));
        }
        Ok(out)
    }

    /// Up to `limit` notices matching `filter` after `from`, in publication
    /// order. A recipient filter walks that recipient's inbox; a state or
    /// treaty filter walks its index; otherwise the publication order itself.
    pub fn list(
        &self,
        filter: &ListFilter,
        from: ListPosition,
        limit: usize,
    ) -> Result<NoticePage, NotificationError> {
        let (tree, pre, cursor_based) = match (&filter.recipient, &filter.state, &filter.treaty) {
            (Some(r), ..) => (INBOXES, prefix(&[&r.name()]), true),
            (None, Some(s), _) => (BY_STATE, prefix(&[s]), false),
            (None, None, Some(t)) => (BY_TREATY, prefix(&[t]), false),
            (None, None, None) => (BY_PUBLICATION, Vec::new(), false),
        };
        let after = match from {
            ListPosition::Publication(n) | ListPosition::Cursor(n) => n,
        };
        let position = |n| {
            if cursor_based {
                ListPosition::Cursor(n)
            } else {
                ListPosition::Publication(n)
            }
        };
        let mut start = pre.clone();
        start.extend_from_slice(&after.saturating_add(1).to_be_bytes());
        let mut notices = Vec::new();
        let mut last = after;
        for item in self.ledger.tree(tree).range(start..) {
            let (k, v) = item?;
            if !k.starts_with(&pre) {
                break;
            }
            let n = suffix_u64(&k)
                .ok_or_else(|| NotificationError::Corrupt("an index key is short".into()))?;
            let id = utf8(&v, "an index entry")?;
            let notice = self.notice(&id)?.ok_or_else(|| {
                NotificationError::Corrupt(format!("an index names missing notice {id}"))
            })?;
            let wanted = filter.state.as_ref().is_none_or(|s| *s == notice.state)
                && filter.treaty.as_ref().is_none_or(|t| *t == notice.treaty);
            if wanted {
                if notices.len() == limit {
                    return Ok(NoticePage {
                        notices,
                        next: Some(position(last)),
                    });
                }
                notices.push(notice);
            }
            last = n;
        }
        Ok(NoticePage {
            notices,
            next: None,
        })
    }
}
