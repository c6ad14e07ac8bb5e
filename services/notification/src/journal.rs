//! The notification service's journal: one kind per state change, as one enum, and the
//! payload each carries (JSON with its `format` first, see `treaty_ledger::stored::payload`).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use treaty_ledger::Txn;
pub(crate) use treaty_ledger::stored::Entry;
use treaty_runtime::Caller;

use crate::stored::FORMAT;

/// What a notification journal entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    NoticePublished,
    Delivered,
    Acknowledged,
    RecipientKeyRegistered,
}

impl Kind {
    /// The kind as the journal and the audit log name it, e.g. `notification.delivered`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::NoticePublished => "notification.notice_published",
            Kind::Delivered => "notification.delivered",
            Kind::Acknowledged => "notification.acknowledged",
            Kind::RecipientKeyRegistered => "notification.recipient_key_registered",
        }
    }
}

/// Appends `entry`, recorded by `caller`, in `txn`; the sequence it gets.
pub(crate) fn append<E: Serialize>(txn: &mut Txn<'_>, caller: &Caller, entry: Entry<'_, E>) -> u64 {
    txn.append(entry.record(&caller.actor, FORMAT))
}

#[derive(Debug, Serialize)]
pub struct NoticePublished<'a> {
    pub notice_id: &'a str,
    /// `DEPOSIT`, `EFFECT`, `DEFERRAL` or `REVOCATION`.
    pub kind: &'static str,
    pub received_on: Option<Date>,
    pub circulated_on: Date,
    pub effective_on: Option<Date>,
    /// The day as of which the recipients are the bound states.
    pub recipients_as_of: Date,
    pub recipient_count: u32,
    /// Every recipient, in inbox order.
    pub recipients: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct Delivered<'a> {
    pub notice_id: &'a str,
    pub recipient: &'a str,
    /// The notice's cursor in the recipient's inbox.
    pub cursor: u64,
    /// When it was first streamed.
    pub delivered_at: Timestamp,
}

#[derive(Debug, Serialize)]
pub struct Acknowledged<'a> {
    pub notice_id: &'a str,
    pub recipient: &'a str,
    /// The notice's cursor in the recipient's inbox.
    pub cursor: u64,
    pub acknowledged_at: Timestamp,
    /// The recipient's signed receipt, when it gave one: checked offline against the key
    /// the log holds for it (`notification.recipient_key_registered`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct RecipientKeyRegistered<'a> {
    pub recipient: &'a str,
    /// A signed-note Ed25519 verifier key named for the recipient.
    pub verifier_key: &'a str,
    pub registered_at: Timestamp,
}
