//! The view a commit closure gets: the caller's trees and the journal, in one transaction.

use std::collections::BTreeMap;

use sled::transaction::{TransactionalTree, UnabortableTransactionError};

use crate::clock::Clock;
use crate::codec;
use crate::merkle::{self, LeafFailure};
use crate::record::{Hash, NewRecord, Record};

/// One run of a commit closure: sled's transactional views of the caller's trees plus the
/// journal, positioned after the commits before it in the same batch. A closure may run
/// more than once; each run gets a fresh `Txn`.
pub struct Txn<'a> {
    views: &'a [TransactionalTree],
    merkle: Option<usize>,
    names: &'a BTreeMap<String, usize>,
    source: &'a str,
    clock: &'a dyn Clock,
    head: (u64, Hash),
    appended: u64,
    failure: Option<UnabortableTransactionError>,
}

impl std::fmt::Debug for Txn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Txn")
            .field("source", &self.source)
            .field("trees", &self.names.keys().collect::<Vec<_>>())
            .field("last_appended", &self.head.0)
            .finish_non_exhaustive()
    }
}

impl<'a> Txn<'a> {
    /// `views[0]` is the journal, `views[1]` the remembered answers, `views[merkle]` the
    /// Merkle tree's hashes if the ledger keeps one; caller trees are at the indexes in
    /// `names`.
    pub(crate) fn new(
        views: &'a [TransactionalTree],
        merkle: Option<usize>,
        names: &'a BTreeMap<String, usize>,
        source: &'a str,
        clock: &'a dyn Clock,
        head: (u64, Hash),
    ) -> Self {
        Self {
            views,
            merkle,
            names,
            source,
            clock,
            head,
            appended: 0,
            failure: None,
        }
    }

    /// The transactional view of the caller tree `name`.
    ///
    /// # Panics
    ///
    /// Panics if `name` was not listed in [`LedgerConfig::trees`](crate::LedgerConfig::trees).
    pub fn tree(&self, name: &str) -> &TransactionalTree {
        match self.names.get(name) {
            Some(&i) => &self.views[i],
            None => panic!(
                "treaty-ledger: unknown tree {name:?}; list it in LedgerConfig::trees (known: {:?})",
                self.names.keys().collect::<Vec<_>>()
            ),
        }
    }

    /// Appends `record` to the journal inside this transaction and returns the sequence it
    /// gets if the commit succeeds. `recorded_at` comes from the ledger's clock; the source
    /// is the ledger's, or `record.origin.source` when an origin is given.
    pub fn append(&mut self, record: NewRecord) -> u64 {
        let sequence = self.head.0 + 1;
        let source = match &record.origin {
            Some(origin) => origin.source.clone(),
            None => self.source.to_owned(),
        };
        let mut stored = Record {
            sequence,
            prev_hash: self.head.1,
            hash: [0; 32],
            source,
            kind: record.kind,
            subject: record.subject,
            actor: record.actor,
            occurred_on: record.occurred_on,
            recorded_at: self.clock.now(),
            sources: record.sources,
            payload: record.payload,
            origin: record.origin,
            links: record.links,
        };
        let value = stored.seal();
        if let Some(m) = self.merkle {
            match merkle::append_leaf(&self.views[m], sequence - 1, &value) {
                Ok(()) => {}
                // Reported when the closure returns; the commit cannot succeed.
                Err(LeafFailure::Storage(e)) => {
                    self.failure.get_or_insert(e);
                }
                Err(LeafFailure::Tree(detail)) => {
                    self.failure
                        .get_or_insert(UnabortableTransactionError::Storage(
                            sled::Error::ReportableBug(detail),
                        ));
                }
            }
        }
        if let Err(e) = self.views[0].insert(&codec::key(sequence)[..], value) {
            // Reported when the closure returns; the commit cannot succeed.
            self.failure.get_or_insert(e);
        }
        self.head = (sequence, stored.hash);
        self.appended += 1;
        sequence
    }

    /// The value an earlier commit remembered under `key` (see `once.rs`), if any.
    pub(crate) fn recall(
        &self,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, UnabortableTransactionError> {
        Ok(self.views[1].get(key)?.map(|v| v.to_vec()))
    }

    /// Remembers `answer` under `key` in this same transaction, so it exists exactly when
    /// the change it answers for does.
    pub(crate) fn remember(
        &self,
        key: &[u8],
        answer: &[u8],
    ) -> Result<(), UnabortableTransactionError> {
        self.views[1].insert(key, answer)?;
        Ok(())
    }

    /// The record at `sequence` as this transaction sees the journal: durable records, those
    /// applied by earlier batches, and those appended earlier in this batch.
    pub fn record(&self, sequence: u64) -> Result<Option<Record>, UnabortableTransactionError> {
        match self.views[0].get(codec::key(sequence))? {
            None => Ok(None),
            Some(value) => Record::decode(&value).map(Some).map_err(|e| {
                UnabortableTransactionError::Storage(sled::Error::Unsupported(e.to_string()))
            }),
        }
    }

    /// The Merkle root over every record up to and including this transaction's appends so
    /// far, for a ledger that keeps a tree (`None` when it keeps none).
    pub fn tree_root(&self) -> Result<Option<Hash>, UnabortableTransactionError> {
        let Some(m) = self.merkle else {
            return Ok(None);
        };
        merkle::txn_root(&self.views[m], self.head.0)
            .map(Some)
            .map_err(|e| match e {
                LeafFailure::Storage(e) => e,
                LeafFailure::Tree(detail) => {
                    UnabortableTransactionError::Storage(sled::Error::ReportableBug(detail))
                }
            })
    }

    /// The journal head including this transaction's appends so far.
    pub fn last_appended(&self) -> (u64, Hash) {
        self.head
    }

    /// How many records this attempt appended.
    pub(crate) fn appended(&self) -> u64 {
        self.appended
    }

    /// A journal write error, if one happened.
    pub(crate) fn take_failure(&mut self) -> Option<UnabortableTransactionError> {
        self.failure.take()
    }
}
