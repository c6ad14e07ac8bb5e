//! The audit service's storage: the global log (a [`Ledger`]) plus, in the same sled database
//! and the same transactions, each source's head and the indexes by source sequence, state,
//! treaty and case (`crate::stored`).
//!
//! `Append` is the one mutation, one [`treaty_runtime::commit_once`] (`append.rs`): it checks
//! each entry against its source's head, copies the new ones into the log with their origin,
//! indexes them and moves the head — answered once per request id, and only once durable.
//! `list.rs` answers the listings from the most selective index, `verify.rs` re-verifies
//! every source's chain inside the log. Every read stops at the durable head.

mod append;
mod checkpoint;
mod list;
mod proofs;
mod verify;

pub use checkpoint::Signed;
pub use proofs::{ConsistencyProof, InclusionProof};
pub use verify::{SourceReport, Verification};

use treaty_ledger::{Abort, Hash, Ledger, LedgerConfig, LedgerError, Txn};

use crate::error::AuditError;
use crate::stored::{SOURCES, TREES, read_head};

/// The audit service's storage.
#[derive(Clone, Debug)]
pub struct AuditStore {
    ledger: Ledger,
}

type Step<T> = Result<T, Abort<AuditError>>;

fn refuse<T>(e: AuditError) -> Step<T> {
    Err(Abort::Rejected(e))
}

fn unreadable_head(source: &str) -> AuditError {
    AuditError::Corrupt(format!("the head of source {source} is unreadable"))
}

/// A source's head inside a commit: its last sequence in the log and that entry's hash.
fn txn_head(txn: &Txn<'_>, source: &str) -> Step<(u64, Hash)> {
    match txn.tree(SOURCES).get(source.as_bytes())? {
        None => Ok((0, treaty_ledger::GENESIS)),
        Some(v) => read_head(&v).map_or_else(|| refuse(unreadable_head(source)), Ok),
    }
}

impl AuditStore {
    /// Opens (or creates) the store; `config.trees` is replaced by the audit's trees.
    pub fn open(config: LedgerConfig) -> Result<Self, LedgerError> {
        Ok(Self {
            ledger: Ledger::open(config.with_trees(&TREES).with_merkle())?,
        })
    }

    /// The global log.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The last sequence of `source` in the log (0 when none).
    pub fn source_head(&self, source: &str) -> Result<u64, AuditError> {
        match self
            .ledger
            .tree(SOURCES)
            .get(source.as_bytes())
            .map_err(LedgerError::from)?
        {
            None => Ok(0),
            Some(v) => read_head(&v)
                .map(|(sequence, _)| sequence)
                .ok_or_else(|| unreadable_head(source)),
        }
    }
}
