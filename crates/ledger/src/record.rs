//! The stored record type (format version 1) and what callers append.

use jiff::Timestamp;
use jiff::civil::Date;
use sha2::{Digest, Sha256};

use crate::codec;
use crate::error::LedgerError;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The `prev_hash` of sequence 1.
pub const GENESIS: Hash = [0; 32];

/// What a record is about; every field is optional, so indexes can skip what is absent.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Subject {
    /// ISO 3166-1 alpha-2 code of the state, if the record concerns one.
    pub state: Option<String>,
    /// Short id of the treaty, if the record concerns one.
    pub treaty: Option<String>,
    /// Id of the withdrawal case, if the record concerns one.
    pub case: Option<String>,
}

/// What a caller appends: the fields it controls. The ledger adds the sequence, the hashes,
/// the source and `recorded_at`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NewRecord {
    /// What happened, e.g. `approvals.ChamberVoteRecorded`.
    pub kind: String,
    pub subject: Subject,
    /// The authenticated principal that made the change.
    pub actor: String,
    /// The civil date the step happened, as asserted by the recorder.
    pub occurred_on: Option<Date>,
    /// Citations for the recorded fact.
    pub sources: Vec<String>,
    /// Opaque bytes owned by the caller (usually an encoded event).
    pub payload: Vec<u8>,
    /// Set only by the audit service: the source journal entry this record copies.
    pub origin: Option<Origin>,
    /// Set only by the audit service: where this record stands in each subject's history.
    pub links: Vec<Link>,
}

impl Subject {
    /// A subject from its optional parts, each as its canonical text.
    pub fn of(state: Option<&str>, treaty: Option<&str>, case: Option<&str>) -> Subject {
        Subject {
            state: state.map(str::to_owned),
            treaty: treaty.map(str::to_owned),
            case: case.map(str::to_owned),
        }
    }
}

impl NewRecord {
    /// A record of `kind` about `subject`, recorded by `actor`; set the rest with the builders.
    pub fn new(kind: impl Into<String>, subject: Subject, actor: impl Into<String>) -> NewRecord {
        NewRecord {
            kind: kind.into(),
            subject,
            actor: actor.into(),
            ..NewRecord::default()
        }
    }

    /// The civil date the step happened.
    pub fn on(mut self, occurred_on: Option<Date>) -> NewRecord {
        self.occurred_on = occurred_on;
        self
    }

    /// The citations for the recorded fact.
    pub fn sources(mut self, sources: Vec<String>) -> NewRecord {
        self.sources = sources;
        self
    }

    /// The caller's payload bytes.
    pub fn payload(mut self, payload: Vec<u8>) -> NewRecord {
        self.payload = payload;
        self
    }

    /// The record's subject links (the audit service's global log; sorted by key).
    pub fn links(mut self, links: Vec<Link>) -> NewRecord {
        self.links = links;
        self
    }
}

/// Where a record of the audit service's global log came from: the source service's own
/// journal entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The source service's name (its ledger's `source`).
    pub source: String,
    /// The entry's sequence in the source's journal.
    pub sequence: u64,
    /// The entry's `prev_hash` in the source's journal.
    pub prev_hash: Hash,
    /// The entry's hash in the source's journal.
    pub hash: Hash,
    /// When the source recorded it.
    pub recorded_at: Timestamp,
}

/// One subject's back-pointer in a record of the audit service's global log: the record is
/// the `count`-th of the subject `key`, and the one before it is at sequence `prev` (`0`
/// when this is the first). Following `prev` from a subject's committed head visits every
/// record of the subject, so a history with one left out does not link up.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    /// The subject, as the domain names it (e.g. `state/LT`).
    pub key: String,
    /// How many records of the subject there are up to and including this one (from 1).
    pub count: u64,
    /// The sequence of the subject's previous record, `0` when there is none.
    pub prev: u64,
}

/// A stored record (format version 1, or 2 when it has links). This is its own type, separate from protobuf and
/// domain types; see the crate documentation for its byte layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Position in the log, contiguous from 1.
    pub sequence: u64,
    /// Hash of the previous record ([`GENESIS`] for sequence 1).
    pub prev_hash: Hash,
    /// SHA-256 over the canonical body (every field except this one).
    pub hash: Hash,
    /// The ledger's source, or `origin.source` for a record copied into the global log.
    pub source: String,
    pub kind: String,
    pub subject: Subject,
    pub actor: String,
    /// The civil date the step happened, as asserted by the recorder.
    pub occurred_on: Option<Date>,
    /// When this ledger stored it (from the injected clock).
    pub recorded_at: Timestamp,
    pub sources: Vec<String>,
    /// Opaque caller bytes.
    pub payload: Vec<u8>,
    /// The source journal entry this record copies (global log only).
    pub origin: Option<Origin>,
    /// Each subject's back-pointer (global log only; sorted by key). A record with links is
    /// stored in format 2.
    pub links: Vec<Link>,
}

impl Record {
    /// The canonical hash: SHA-256 over the canonical body bytes, i.e. every field except
    /// `hash`, starting with `sequence` and `prev_hash`.
    ///
    /// A record rebuilt field by field (for example from a gRPC message) hashes to the
    /// stored hash, so a receiver can re-verify a sender's chain.
    pub fn compute_hash(&self) -> Hash {
        let mut body = Vec::with_capacity(codec::body_len_hint(self));
        codec::write_body(self, &mut body);
        Sha256::digest(&body).into()
    }

    /// The source's own record reconstructed from `origin`: sequence, hashes and
    /// `recorded_at` come from the origin, `origin` is `None`, every other field is this
    /// record's. `None` when this record has no origin.
    pub fn origin_record(&self) -> Option<Record> {
        let origin = self.origin.as_ref()?;
        Some(Record {
            sequence: origin.sequence,
            prev_hash: origin.prev_hash,
            hash: origin.hash,
            source: origin.source.clone(),
            kind: self.kind.clone(),
            subject: self.subject.clone(),
            actor: self.actor.clone(),
            occurred_on: self.occurred_on,
            recorded_at: origin.recorded_at,
            sources: self.sources.clone(),
            payload: self.payload.clone(),
            origin: None,
            links: Vec::new(),
        })
    }

    /// The stored value: `[format version][hash][canonical body]`, with `self.hash` written
    /// as is (it is not recomputed).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(codec::HEADER_LEN + codec::body_len_hint(self));
        out.push(codec::format_of(self));
        out.extend_from_slice(&self.hash);
        codec::write_body(self, &mut out);
        out
    }

    /// Decodes a stored value. Decoding is strict: every record has exactly one encoding,
    /// so `decode(v).encode() == v`.
    pub fn decode(stored: &[u8]) -> Result<Record, LedgerError> {
        codec::decode(stored).map_err(|detail| LedgerError::Corrupt {
            sequence: codec::peek_sequence(stored).unwrap_or(0),
            detail,
        })
    }

    /// Fills in `hash` from the contents and returns the stored value.
    pub(crate) fn seal(&mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(codec::HEADER_LEN + codec::body_len_hint(self));
        out.push(codec::format_of(self));
        out.extend_from_slice(&GENESIS);
        codec::write_body(self, &mut out);
        let hash: Hash = Sha256::digest(&out[codec::HEADER_LEN..]).into();
        out[1..codec::HEADER_LEN].copy_from_slice(&hash);
        self.hash = hash;
        out
    }
}
