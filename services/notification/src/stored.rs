//! The notification service's stored record types: its own serde structs, versioned,
//! separate from the protobuf messages and the domain types, and the tables that hold them.
//!
//! Numbers in keys are big-endian `u64`, so byte order is numeric order and an inbox or a
//! listing is a range scan that reads only what it returns.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use treaty_domain::{NoticeKind, Recipient};
use treaty_ledger::Subject;
use treaty_ledger::stored::Table;

/// The format version of every record the notification service stores and of its journal
/// payloads.
pub const FORMAT: u8 = 1;

/// Published notices by notice id.
pub const NOTICES: Table<StoredNotice> = Table::new("notices", "notice", FORMAT);
/// Each recipient's copy of a notice, by [`delivery_key`].
pub const DELIVERIES: Table<StoredDelivery> = Table::new("deliveries", "delivery", FORMAT);
/// Inboxes: the notice id at `recipient \0 cursor`.
pub const INBOXES: Table<String> = Table::new("inboxes", "inbox entry", FORMAT);
/// The last cursor of each recipient's inbox, by recipient name.
pub const INBOX_HEADS: Table<u64> = Table::new("inbox_heads", "inbox head", FORMAT);
/// Notice ids by publication number.
pub const BY_PUBLICATION: Table<String> =
    Table::new("by_publication", "publication index entry", FORMAT);
/// Notice ids by `treaty \0 publication`.
pub const BY_TREATY: Table<String> = Table::new("by_treaty", "treaty index entry", FORMAT);
/// Notice ids by `state \0 publication`.
pub const BY_STATE: Table<String> = Table::new("by_state", "state index entry", FORMAT);
/// The key each recipient signs its receipts with, by recipient name.
pub const RECIPIENT_KEYS: Table<StoredRecipientKey> =
    Table::new("recipient_keys", "recipient key", FORMAT);
/// Counters; the last publication number is at [`PUBLICATIONS`].
pub const COUNTERS: Table<u64> = Table::new("counters", "counter", FORMAT);
/// The key of the last publication number in [`COUNTERS`].
pub const PUBLICATIONS: &[u8] = b"publications";

/// Every tree the notification service keeps beside its journal.
pub const TREES: [&str; 9] = [
    NOTICES.name,
    RECIPIENT_KEYS.name,
    DELIVERIES.name,
    INBOXES.name,
    INBOX_HEADS.name,
    BY_PUBLICATION.name,
    BY_TREATY.name,
    BY_STATE.name,
    COUNTERS.name,
];

/// `part \0` for each part: the prefix of every key under those parts.
pub fn prefix(parts: &[&str]) -> Vec<u8> {
    let mut k = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 8);
    for p in parts {
        k.extend_from_slice(p.as_bytes());
        k.push(0);
    }
    k
}

/// `part \0 … n`, with `n` big-endian.
pub fn numbered_key(parts: &[&str], n: u64) -> Vec<u8> {
    let mut k = prefix(parts);
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// The key of a recipient's copy of a notice: `notice id \0 recipient \0`.
pub fn delivery_key(notice_id: &str, recipient: &str) -> Vec<u8> {
    prefix(&[notice_id, recipient])
}

/// The big-endian `u64` a [`numbered_key`] ends with.
pub fn key_number(key: &[u8]) -> Option<u64> {
    let tail = key.get(key.len().checked_sub(8)?..)?;
    Some(u64::from_be_bytes(tail.try_into().ok()?))
}

/// What a notice announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredNoticeKind {
    Deposit,
    Effect,
    Deferral,
    Revocation,
}

impl StoredNoticeKind {
    pub fn from_domain(kind: NoticeKind) -> StoredNoticeKind {
        match kind {
            NoticeKind::Deposit => StoredNoticeKind::Deposit,
            NoticeKind::Effect => StoredNoticeKind::Effect,
            NoticeKind::Deferral => StoredNoticeKind::Deferral,
            NoticeKind::Revocation => StoredNoticeKind::Revocation,
        }
    }

    pub fn to_domain(self) -> NoticeKind {
        match self {
            StoredNoticeKind::Deposit => NoticeKind::Deposit,
            StoredNoticeKind::Effect => NoticeKind::Effect,
            StoredNoticeKind::Deferral => NoticeKind::Deferral,
            StoredNoticeKind::Revocation => NoticeKind::Revocation,
        }
    }
}

/// Whose inbox a delivery is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredRecipientKind {
    StateParty,
    Depositary,
    SecurityCouncil,
}

impl StoredRecipientKind {
    pub fn of(recipient: &Recipient) -> StoredRecipientKind {
        match recipient {
            Recipient::State(_) => StoredRecipientKind::StateParty,
            Recipient::Depositary => StoredRecipientKind::Depositary,
            Recipient::SecurityCouncil => StoredRecipientKind::SecurityCouncil,
        }
    }
}

/// A published notice (table `notices`, key: notice id). It never changes once written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredNotice {
    pub notice_id: String,
    pub kind: StoredNoticeKind,
    pub treaty: String,
    pub state: String,
    /// The withdrawal case, e.g. `apmbc-LT-1`.
    pub case: String,
    /// The depositary's receipt of the instrument.
    pub received_on: Option<Date>,
    pub circulated_on: Date,
    /// The day the withdrawal takes or took effect.
    pub effective_on: Option<Date>,
    pub reasons: String,
    pub text: String,
    pub sources: Vec<String>,
    pub published_at: Timestamp,
    pub recipient_count: u32,
    /// Its place in publication order, from 1.
    pub publication: u64,
    /// The journal sequence of its publication: the notice is streamed only once that entry
    /// is durable.
    pub journal_sequence: u64,
    /// The proof that its step is in the audit log, as the publisher gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<StoredNoticeProof>,
}

/// A notice's proof (`treaty_transparency::notice`), kept as given once its shape checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredNoticeProof {
    pub leaf_index: u64,
    /// The leaf's bytes, base64.
    pub leaf: String,
    pub proof: String,
}

impl StoredNotice {
    /// The journal subject of every change about this notice.
    pub fn subject(&self) -> Subject {
        Subject::of(Some(&self.state), Some(&self.treaty), Some(&self.case))
    }
}

/// One recipient's copy of a notice (table `deliveries`, key: [`delivery_key`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDelivery {
    /// The recipient's canonical name, e.g. `states/FR`.
    pub recipient: String,
    pub kind: StoredRecipientKind,
    /// The notice's cursor in the recipient's inbox.
    pub cursor: u64,
    /// When the notice was first streamed to the recipient.
    pub delivered_at: Option<Timestamp>,
    pub acknowledged_at: Option<Timestamp>,
    /// The recipient's signed receipt (`treaty_transparency::receipt`), if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
}

/// The key a recipient signs its receipts with (table `recipient_keys`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecipientKey {
    pub recipient: String,
    /// A signed-note Ed25519 verifier key named for the recipient.
    pub verifier_key: String,
    pub registered_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_round_trips_in_the_stored_encoding() {
        let d = StoredDelivery {
            recipient: "states/FR".into(),
            kind: StoredRecipientKind::StateParty,
            cursor: 3,
            delivered_at: Some("2025-06-27T09:00:00Z".parse().unwrap()),
            acknowledged_at: None,
            receipt: None,
        };
        let bytes = treaty_ledger::stored::encode(FORMAT, &d);
        assert_eq!(bytes[0], FORMAT);
        assert_eq!(
            treaty_ledger::stored::decode::<StoredDelivery>(FORMAT, "delivery", &bytes),
            Ok(d)
        );
    }

    #[test]
    fn a_numbered_key_ends_with_its_number_in_byte_order() {
        let k = numbered_key(&["states/FR"], 258);
        assert_eq!(key_number(&k), Some(258));
        assert!(numbered_key(&["states/FR"], 9) < numbered_key(&["states/FR"], 10));
        assert_eq!(key_number(b"short"), None);
    }
}
