//! The one encoding of the records services keep beside their journals, and of their journal
//! payloads: `[format: u8][JSON]`. The leading byte is the record type's format version, read
//! before anything else, so a build refuses a record written in a format it does not know
//! instead of misreading it.
//!
//! A journal payload is JSON too, kept readable in the audit log, so its format is its first
//! field instead: `{"format": N, …}` ([`payload`], [`read_payload`]).
//!
//! A [`Table`] is one of a service's sled trees holding one record type, read and written in
//! that encoding inside a commit ([`Table::read`], [`Table::write`]) or outside one
//! ([`Table::get`], [`Table::scan`]).

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::IVec;

use jiff::civil::Date;

use crate::error::{Abort, LedgerError};
use crate::ledger::Ledger;
use crate::record::{NewRecord, Subject};
use crate::txn::Txn;

/// A stored record that cannot be read back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a stored {what} is unreadable: {detail}")]
pub struct Unreadable {
    /// What was being read, e.g. `membership`.
    pub what: String,
    /// What is wrong with it.
    pub detail: String,
}

/// `value` as stored: `format`, then its JSON.
pub fn encode<T: Serialize>(format: u8, value: &T) -> Vec<u8> {
    let mut out = vec![format];
    // Stored types are plain structs with string keys: serializing them cannot fail.
    serde_json::to_writer(&mut out, value).expect("stored records always serialize");
    out
}

/// Reads a record written by [`encode`] with `format`; `what` names it in the error.
pub fn decode<T: DeserializeOwned>(format: u8, what: &str, bytes: &[u8]) -> Result<T, Unreadable> {
    let unreadable = |detail: String| Unreadable {
        what: what.to_owned(),
        detail,
    };
    match bytes.split_first() {
        Some((&f, json)) if f == format => {
            serde_json::from_slice(json).map_err(|e| unreadable(e.to_string()))
        }
        Some((other, _)) => Err(unreadable(format!(
            "it has format {other}, this build reads {format}"
        ))),
        None => Err(unreadable("it is empty".to_owned())),
    }
}

#[derive(Serialize)]
struct Versioned<'a, T> {
    format: u8,
    #[serde(flatten)]
    event: &'a T,
}

#[derive(serde::Deserialize)]
struct Format {
    format: u8,
}

/// A journal payload: `event`'s JSON object with `"format": format` first.
pub fn payload<T: Serialize>(format: u8, event: &T) -> Vec<u8> {
    // Events are plain structs with string keys: serializing them cannot fail.
    serde_json::to_vec(&Versioned { format, event }).expect("journal events always serialize")
}

/// Reads a journal payload written by [`payload`] with `format`.
pub fn read_payload<T: DeserializeOwned>(
    format: u8,
    what: &str,
    bytes: &[u8],
) -> Result<T, Unreadable> {
    let unreadable = |detail: String| Unreadable {
        what: what.to_owned(),
        detail,
    };
    let found: Format = serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
    if found.format != format {
        return Err(unreadable(format!(
            "it has format {}, this build reads {format}",
            found.format
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))
}

/// One entry a service appends to its journal: its kind, its subject, the legal date of the
/// step, its sources, and the event its payload carries.
#[derive(Debug)]
pub struct Entry<'a, E> {
    pub kind: &'static str,
    pub subject: Subject,
    pub occurred_on: Option<Date>,
    pub sources: &'a [String],
    pub event: &'a E,
}

impl<E: Serialize> Entry<'_, E> {
    /// The record of this entry as `actor` makes it, its payload in `format`.
    pub fn record(&self, actor: &str, format: u8) -> NewRecord {
        NewRecord::new(self.kind, self.subject.clone(), actor)
            .on(self.occurred_on)
            .sources(self.sources.to_vec())
            .payload(payload(format, self.event))
    }
}

/// One of a service's trees, holding records of type `T` in the stored encoding with `format`.
#[derive(Debug)]
pub struct Table<T> {
    /// The sled tree's name (listed in the ledger's `trees`).
    pub name: &'static str,
    /// What one record is, for error messages (`membership`).
    pub what: &'static str,
    /// The format version of its records.
    pub format: u8,
    record: PhantomData<fn() -> T>,
}

impl<T> Clone for Table<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Table<T> {}

impl<T: Serialize + DeserializeOwned + 'static> Table<T> {
    /// The table `name` of `what` records in `format`.
    pub const fn new(name: &'static str, what: &'static str, format: u8) -> Table<T> {
        Table {
            name,
            what,
            format,
            record: PhantomData,
        }
    }

    fn decode(&self, bytes: &[u8]) -> Result<T, LedgerError> {
        decode(self.format, self.what, bytes).map_err(LedgerError::UnreadableRecord)
    }

    /// The record at `key` inside a commit.
    pub fn read<E>(&self, txn: &Txn<'_>, key: &[u8]) -> Result<Option<T>, Abort<E>>
    where
        E: From<LedgerError>,
    {
        match txn.tree(self.name).get(key)? {
            None => Ok(None),
            Some(bytes) => self
                .decode(&bytes)
                .map(Some)
                .map_err(|e| Abort::Rejected(E::from(e))),
        }
    }

    /// Writes `value` at `key` inside a commit.
    pub fn write<E>(&self, txn: &Txn<'_>, key: &[u8], value: &T) -> Result<(), Abort<E>> {
        txn.tree(self.name)
            .insert(key, encode(self.format, value))?;
        Ok(())
    }

    /// The record at `key`, outside a commit.
    pub fn get(&self, ledger: &Ledger, key: &[u8]) -> Result<Option<T>, LedgerError> {
        match ledger.tree(self.name).get(key)? {
            None => Ok(None),
            Some(bytes) => self.decode(&bytes).map(Some),
        }
    }

    /// The records whose keys start with `prefix`, from `start` on (both outside a commit),
    /// in key order.
    pub fn scan<'a>(
        &self,
        ledger: &'a Ledger,
        prefix: &[u8],
        start: &[u8],
    ) -> impl Iterator<Item = Result<(IVec, T), LedgerError>> + 'a {
        let table = *self;
        let prefix = prefix.to_vec();
        let from = if start > prefix.as_slice() {
            start.to_vec()
        } else {
            prefix.clone()
        };
        ledger
            .tree(self.name)
            .range(from..)
            .take_while(move |item| item.as_ref().map_or(true, |(k, _)| k.starts_with(&prefix)))
            .map(move |item| {
                let (k, v) = item?;
                Ok((k, table.decode(&v)?))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_another_format_is_refused_by_name() {
        let bytes = encode(3, &vec!["LT".to_owned()]);
        assert_eq!(bytes[0], 3);
        assert_eq!(
            decode::<Vec<String>>(3, "list", &bytes),
            Ok(vec!["LT".to_owned()])
        );
        let err = decode::<Vec<String>>(1, "list", &bytes).unwrap_err();
        assert!(err.to_string().contains("format 3"), "{err}");
        assert!(decode::<Vec<String>>(3, "list", &[]).is_err());
        assert!(decode::<Vec<String>>(3, "list", &[3, b'{']).is_err());
    }

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Event {
        state: String,
    }

    #[test]
    fn a_payload_is_plain_json_with_its_format_first() {
        let bytes = payload(2, &Event { state: "LT".into() });
        assert_eq!(bytes, br#"{"format":2,"state":"LT"}"#);
        assert_eq!(
            read_payload::<Event>(2, "event", &bytes),
            Ok(Event { state: "LT".into() })
        );
        assert!(read_payload::<Event>(1, "event", &bytes).is_err());
        assert!(read_payload::<Event>(2, "event", b"{}").is_err());
    }
}
