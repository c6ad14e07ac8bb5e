//! The service's own stored types (JSON in its sled trees) and the events it
//! writes to its journal. They are versioned and separate from the wire types
//! and from the domain: a change of the API never changes what is on disk.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::recipient::RecipientKind;

/// The version of the stored records this build writes.
pub const STORED_VERSION: u32 = 1;

/// What a notice announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoticeKind {
    /// An instrument of withdrawal was deposited.
    Deposit,
    /// A withdrawal took effect.
    Effect,
    /// A withdrawal's effect was deferred by an armed conflict.
    Deferral,
    /// A withdrawal was revoked.
    Revocation,
}

impl NoticeKind {
    /// A short lower-case name, used in journal payloads and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Deposit => "deposit",
            NoticeKind::Effect => "effect",
            NoticeKind::Deferral => "deferral",
            NoticeKind::Revocation => "revocation",
        }
    }
}

/// A validated notice as its publisher gave it (before publication).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeDraft {
    /// The publisher's identifier; publishing is idempotent by it.
    pub notice_id: String,
    /// What it announces.
    pub kind: NoticeKind,
    /// The treaty id.
    pub treaty: String,
    /// The withdrawing state's code.
    pub state: String,
    /// The withdrawal case id.
    pub case_id: String,
    /// The date the depositary received the instrument.
    pub received_on: Option<Date>,
    /// The circulation date as given (unset: the day of publication).
    pub circulated_on: Option<Date>,
    /// The date the withdrawal takes or took effect.
    pub effective_on: Option<Date>,
    /// The statement of reasons.
    pub reasons: String,
    /// The text of the notice.
    pub text: String,
    /// Where the facts come from.
    pub sources: Vec<String>,
}

impl NoticeDraft {
    /// The date as of which the recipients are the parties: the receipt for a
    /// deposit, the effect for an effect, the circulation otherwise.
    pub fn recipients_as_of(&self, circulated_on: Date) -> Date {
        match self.kind {
            NoticeKind::Deposit => self.received_on.unwrap_or(circulated_on),
            NoticeKind::Effect => self.effective_on.unwrap_or(circulated_on),
            NoticeKind::Deferral | NoticeKind::Revocation => circulated_on,
        }
    }
}

/// A published notice, as stored in the `notices` tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredNotice {
    /// [`STORED_VERSION`] when written.
    pub version: u32,
    /// The publisher's identifier.
    pub notice_id: String,
    /// What it announces.
    pub kind: NoticeKind,
    /// The treaty id.
    pub treaty: String,
    /// The withdrawing state's code.
    pub state: String,
    /// The withdrawal case id.
    pub case_id: String,
    /// The date the depositary received the instrument.
    #[serde(with = "opt_date")]
    pub received_on: Option<Date>,
    /// The date the notice was circulated.
    #[serde(with = "date")]
    pub circulated_on: Date,
    /// The date the withdrawal takes or took effect.
    #[serde(with = "opt_date")]
    pub effective_on: Option<Date>,
    /// The statement of reasons.
    pub reasons: String,
    /// The text of the notice.
    pub text: String,
    /// Where the facts come from.
    pub sources: Vec<String>,
    /// When it was published.
    #[serde(with = "instant")]
    pub published_at: Timestamp,
    /// How many recipients it has.
    pub recipient_count: u32,
    /// Its position in publication order, from 1.
    pub publication: u64,
    /// The journal sequence of its publication; the notice is streamed only
    /// once that entry is durable.
    pub journal_sequence: u64,
}

impl StoredNotice {
    /// Whether `draft` says the same as this notice: every field of the notice
    /// itself, where an unset circulation date in the draft matches any (it
    /// defaults to the day of publication); the sources are citations, not
    /// content, and are not compared.
    pub fn matches(&self, draft: &NoticeDraft) -> bool {
        self.notice_id == draft.notice_id
            && self.kind == draft.kind
            && self.treaty == draft.treaty
            && self.state == draft.state
            && self.case_id == draft.case_id
            && self.received_on == draft.received_on
            && draft.circulated_on.is_none_or(|d| d == self.circulated_on)
            && self.effective_on == draft.effective_on
            && self.reasons == draft.reasons
            && self.text == draft.text
    }
}

/// One recipient's copy of a notice, as stored in the `deliveries` tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDelivery {
    /// [`STORED_VERSION`] when written.
    pub version: u32,
    /// The recipient's canonical name.
    pub recipient: String,
    /// The kind of recipient.
    pub kind: RecipientKind,
    /// The notice's cursor in the recipient's inbox.
    pub cursor: u64,
    /// When the notice was first streamed to the recipient.
    #[serde(with = "opt_instant")]
    pub delivered_at: Option<Timestamp>,
    /// When the recipient acknowledged it.
    #[serde(with = "opt_instant")]
    pub acknowledged_at: Option<Timestamp>,
}

/// Journal payload of `notification.notice_published`.
#[derive(Clone, Debug, Serialize)]
pub struct NoticePublished<'a> {
    /// The notice id.
    pub notice_id: &'a str,
    /// What it announces.
    pub kind: &'static str,
    /// The date the depositary received the instrument.
    pub received_on: Option<String>,
    /// The date the notice was circulated.
    pub circulated_on: String,
    /// The date the withdrawal takes or took effect.
    pub effective_on: Option<String>,
    /// The date as of which the recipients were determined.
    pub recipients_as_of: String,
    /// How many recipients it has.
    pub recipient_count: u32,
    /// Every recipient, in inbox order.
    pub recipients: Vec<String>,
}

/// Journal payload of `notification.delivered`.
#[derive(Clone, Debug, Serialize)]
pub struct NoticeDelivered<'a> {
    /// The notice id.
    pub notice_id: &'a str,
    /// The recipient.
    pub recipient: &'a str,
    /// The notice's cursor in the recipient's inbox.
    pub cursor: u64,
    /// When it was first streamed.
    pub delivered_at: String,
}

/// Journal payload of `notification.acknowledged`.
#[derive(Clone, Debug, Serialize)]
pub struct NoticeAcknowledged<'a> {
    /// The notice id.
    pub notice_id: &'a str,
    /// The recipient.
    pub recipient: &'a str,
    /// The notice's cursor in the recipient's inbox.
    pub cursor: u64,
    /// When it was acknowledged.
    pub acknowledged_at: String,
}

macro_rules! text_serde {
    ($name:ident, $ty:ty) => {
        mod $name {
            use serde::{Deserialize, Deserializer, Serializer, de::Error};

            pub(super) fn serialize<S: Serializer>(v: &$ty, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(v)
            }

            pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                String::deserialize(d)?.parse().map_err(D::Error::custom)
            }
        }
    };
    ($name:ident, opt $ty:ty) => {
        mod $name {
            use serde::{Deserialize, Deserializer, Serializer, de::Error};

            pub(super) fn serialize<S: Serializer>(
                v: &Option<$ty>,
                s: S,
            ) -> Result<S::Ok, S::Error> {
                match v {
                    Some(v) => s.collect_str(v),
                    None => s.serialize_none(),
                }
            }

            pub(super) fn deserialize<'de, D: Deserializer<'de>>(
                d: D,
            ) -> Result<Option<$ty>, D::Error> {
                Option::<String>::deserialize(d)?
                    .map(|v| v.parse().map_err(D::Error::custom))
                    .transpose()
            }
        }
    };
}

text_serde!(date, jiff::civil::Date);
text_serde!(opt_date, opt jiff::civil::Date);
text_serde!(instant, jiff::Timestamp);
text_serde!(opt_instant, opt jiff::Timestamp);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_delivery_round_trips_through_json() {
        let d = StoredDelivery {
            version: STORED_VERSION,
            recipient: "states/FR".into(),
            kind: RecipientKind::StateParty,
            cursor: 3,
            delivered_at: Some("2025-06-27T09:00:00Z".parse().unwrap()),
            acknowledged_at: None,
        };
        let json = serde_json::to_vec(&d).unwrap();
        assert_eq!(serde_json::from_slice::<StoredDelivery>(&json).unwrap(), d);
    }
}
