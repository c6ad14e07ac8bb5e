//! `treaty-ledger`: the append-only, hash-chained log on sled that every service uses as
//! its journal (its outbox to the audit service), and the audit service as its global log.
//!
//! # Model
//!
//! A [`Ledger`] owns one sled database holding the journal plus the caller's own state
//! trees. [`Ledger::commit`] runs a closure in one sled transaction over all of them: the
//! closure changes state through [`Txn::tree`] and records the change with
//! [`Txn::append`], so a state change and its journal entry are written atomically or not
//! at all. The closure can refuse the change with [`Abort::Rejected`], which writes
//! nothing. There is deliberately no API to update or delete a journal entry.
//!
//! Sequences are contiguous from 1. Each record's `prev_hash` is the previous record's
//! hash ([`GENESIS`] for sequence 1), and its hash is SHA-256 over its canonical body, so
//! [`Ledger::verify`] finds any altered, missing or reordered entry.
//!
//! # Record format (versions 1 and 2)
//!
//! Journal keys are the sequence as big-endian `u64` (byte order is sequence order). A
//! stored value is
//!
//! ```text
//! [format version: u8 = 1 or 2][hash: 32 bytes][canonical body]
//! ```
//!
//! and `hash = SHA-256(canonical body)`. The body starts with fields at fixed offsets, so
//! verification reads them without decoding:
//!
//! | field | encoding |
//! | --- | --- |
//! | `sequence` | `u64` big-endian (value bytes 33..41) |
//! | `prev_hash` | 32 bytes (value bytes 41..73) |
//! | `source` | str |
//! | `kind` | str |
//! | `subject.state`, `subject.treaty`, `subject.case` | opt str, each |
//! | `actor` | str |
//! | `occurred_on` | opt date |
//! | `recorded_at` | timestamp |
//! | `sources` | `u32` BE count, then that many str |
//! | `payload` | bytes |
//! | `origin` | opt (str `source`, `u64` BE `sequence`, 32 bytes `prev_hash`, 32 bytes `hash`, timestamp `recorded_at`) |
//! | `links` (format 2 only) | `u32` BE count ≥ 1, then that many (str `key`, `u64` BE `count`, `u64` BE `prev`) |
//!
//! A record is written in format 2 exactly when it has [`Link`]s (only the audit service's
//! global log gives records links: each subject's back-pointer), so every journal without
//! links is format 1 throughout, as it always was.
//! where *str* and *bytes* are a `u32` big-endian length and then the bytes (str is
//! UTF-8); *opt X* is a byte `0` (absent) or `1` followed by X; *date* is year `i16` BE,
//! month `u8`, day `u8`; *timestamp* is seconds since the Unix epoch `i64` BE and
//! nanoseconds `i32` BE as jiff's `as_second` / `subsec_nanosecond` give them. Decoding is
//! strict (no other tag values, no trailing bytes), so every record has one encoding and
//! [`Record::compute_hash`] on a record rebuilt from its fields (for example from a gRPC
//! message) equals the stored hash. A record in the audit service's global log carries
//! the source's own sequence, hashes and `recorded_at` in `origin`;
//! [`Record::origin_record`] rebuilds the source's record so each source chain can be
//! re-verified.
//!
//! # Group commit
//!
//! sled merges no concurrent flushes, and every sled transaction writes its log buffer to
//! disk twice (to mark the transaction's atomic batch), so the ledger has one writer
//! thread that turns many commits into one transaction and one flush. Commits are queued
//! through a channel; the writer takes every queued commit (up to
//! [`LedgerConfig::max_batch`]) and runs their closures in order inside one sled
//! transaction over the journal and the caller's trees, each commit seeing the writes and
//! appends of the ones before it. The writer assigns sequences and advances its head only
//! when that transaction succeeds. When a closure rejects its change (or panics), the
//! transaction is abandoned, the commits before it are re-run and committed without it,
//! and the batch goes on after it: a rejected commit changes nothing and does not affect
//! the others. Then the writer makes the whole batch durable once, publishes the new
//! durable head on [`Ledger::watch`] and answers every commit of the batch. A commit is
//! acknowledged only after its batch is durable.
//!
//! Because of sled's retries and the re-runs above, a commit closure may run more than
//! once (it is `Fn`, and its [`Txn`] is rebuilt for every run); it must not have side
//! effects outside the `Txn`. Reads of the journal ([`Ledger::get`], [`Ledger::range`],
//! [`Ledger::read_after`]) stop at the durable head; reads of caller trees through
//! [`Ledger::tree`] see applied commits of the batch in progress. [`Ledger::stats`]
//! counts commits, rejections, appends and durable batches.
//!
//! # Requests made once
//!
//! [`Ledger::commit_once`] is the one idempotency primitive every service uses (AIP-155): a
//! commit keyed by a [`RequestKey`] (principal, operation, request id) that remembers its
//! answer in the same transaction, answers a retry with that answer (and only once it is
//! durable), and refuses the key reused for a different request ([`Fingerprint`]) with
//! [`CommitError::KeyReused`]. [`Ledger::replay`] is the same lookup on its own, for a
//! handler that wants a retry's answer before calling peers. Both read on the writer thread,
//! never from a batch that is applied but not yet durable.
//!
//! # Durability levels
//!
//! - [`Durability::Flush`]: `sled::Db::flush` per batch, which is `pwrite` +
//!   `sync_file_range`. An acknowledged commit survives `kill -9` of the process, not a
//!   power cut or kernel crash (sled's background thread fsyncs every 500 ms).
//! - [`Durability::Fsync`] (the default): flush, then `fdatasync` of sled's data file
//!   `<path>/db` and of any new blob files in `<path>/blobs/` (sled writes those without
//!   fsync). An acknowledged commit survives a power cut.
//!
//! If a batch cannot be made durable, its commits get [`LedgerError::NotDurable`] and the
//! ledger is poisoned: later commits get [`LedgerError::Poisoned`] until the process
//! restarts, because retrying an fsync after a failure can falsely succeed.
//!
//! # The journal as a Merkle tree
//!
//! A ledger opened with [`LedgerConfig::merkle`] is also an RFC 6962 Merkle tree whose leaf
//! `n` is the stored value of record `n + 1`; [`Txn::append`] writes the leaf's tree hashes in
//! the record's own transaction (the `sumdb/tlog` layout, via `tlog_tiles`; about two hashes
//! per leaf in [`MERKLE_TREE`]), and [`Ledger::tree_root`], [`Ledger::inclusion_proof`] and
//! [`Ledger::consistency_proof`] read durable leaves only. [`Ledger::verify_tree`] checks
//! every stored hash against the record bytes and its children. A journal opened with it for
//! the first time has its existing entries hashed in.
//!
//! # Opening
//!
//! [`Ledger::open`] reads only the last journal entry to find the head, so start-up time
//! does not grow with the log (beyond sled's own recovery).

#![forbid(unsafe_code)]

mod clock;
mod codec;
mod config;
mod durable;
mod error;
mod job;
mod ledger;
mod merkle;
mod once;
mod open;
mod record;
mod records;
pub mod stored;
mod txn;
mod verify;
mod writer;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Durability, LedgerConfig};
pub use error::{Abort, CommitError, LedgerError};
pub use ledger::{JOURNAL_TREE, Ledger, META_TREE, REQUESTS_TREE};
pub use merkle::MERKLE_TREE;
pub use once::{Answer, Fingerprint, KeyReused, Once, RequestKey};
pub use record::{GENESIS, Hash, Link, NewRecord, Origin, Record, Subject};
pub use records::Records;
pub use txn::Txn;
pub use verify::{Problem, ProblemKind, VerifyReport};
pub use writer::LedgerStats;
