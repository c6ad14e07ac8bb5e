//! The ledger's error types.

use sled::transaction::UnabortableTransactionError;

use crate::once::KeyReused;

/// What went wrong in the ledger itself (storage, configuration, corruption).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The configuration cannot be used (empty source, bad tree names, zero batch size).
    #[error("invalid ledger configuration: {0}")]
    InvalidConfig(String),

    /// A durability level other than `flush` or `fsync` was asked for.
    #[error("unknown durability level {0:?}: use \"flush\" or \"fsync\"")]
    UnknownDurability(String),

    /// The journal on disk was created for another source than the one configured.
    #[error("the journal belongs to source {stored:?}, not {configured:?}")]
    SourceMismatch {
        /// The source recorded in the journal when it was created.
        stored: String,
        /// The source in the configuration that tried to open it.
        configured: String,
    },

    /// The journal was written in a record format this version does not know.
    #[error("the journal uses record format {found}, this build reads format {expected}")]
    UnsupportedFormat {
        /// The format found on disk.
        found: u8,
        /// The format this build writes and reads.
        expected: u8,
    },

    /// sled reported an error (I/O, corruption it detected, or an unsupported operation).
    #[error("storage error: {0}")]
    Storage(#[from] sled::Error),

    /// An I/O operation of the ledger itself (fsync of sled's files) failed.
    #[error("{context}: {source}")]
    Io {
        /// What the ledger was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A stored entry could not be decoded; run `verify` to locate every problem.
    #[error("journal entry {sequence} is corrupt: {detail}")]
    Corrupt {
        /// The sequence (key) of the entry.
        sequence: u64,
        /// What is wrong with it.
        detail: String,
    },

    /// The change was applied but the batch it belonged to could not be made durable; it
    /// may or may not survive a restart. The ledger is poisoned afterwards.
    #[error("the change could not be made durable ({0}); it may or may not survive a restart")]
    NotDurable(String),

    /// A record a service stored beside its journal cannot be read back.
    #[error(transparent)]
    UnreadableRecord(crate::stored::Unreadable),

    /// A remembered answer (see [`Ledger::commit_once`](crate::Ledger::commit_once)) cannot be
    /// read back.
    #[error("a remembered answer is unreadable: {0}")]
    UnreadableAnswer(String),

    /// A commit closure panicked; nothing of that commit was written.
    #[error("the commit closure panicked; nothing was written")]
    CommitPanicked,

    /// This ledger keeps no Merkle tree ([`LedgerConfig::merkle`](crate::LedgerConfig::merkle)).
    #[error("this journal keeps no Merkle tree")]
    NoTree,

    /// A tree size or leaf beyond the durable tree was asked for.
    #[error("the tree has {size} leaves; {asked} is beyond it")]
    BeyondTree {
        /// What was asked for (a size, or a leaf index + 1).
        asked: u64,
        /// The durable tree size.
        size: u64,
    },

    /// The Merkle tree's stored hashes are damaged or incomplete.
    #[error("the Merkle tree is damaged: {0}")]
    Tree(String),

    /// The ledger was shut down; no more commits are accepted.
    #[error("the ledger is shut down")]
    Closed,

    /// An earlier write or durability step failed, so the ledger stopped accepting commits
    /// (retrying an fsync after a failure can falsely succeed). Restart the process.
    #[error("the ledger stopped accepting commits after a storage failure ({0}); restart it")]
    Poisoned(String),
}

impl LedgerError {
    /// Whether the error says stored data is damaged (rather than that storage failed now):
    /// a journal entry, a record or a remembered answer that cannot be read back.
    pub fn is_corruption(&self) -> bool {
        match self {
            LedgerError::Corrupt { .. }
            | LedgerError::UnreadableRecord(_)
            | LedgerError::UnreadableAnswer(_)
            | LedgerError::SourceMismatch { .. }
            | LedgerError::UnsupportedFormat { .. }
            | LedgerError::Tree(_) => true,
            LedgerError::InvalidConfig(_)
            | LedgerError::NoTree
            | LedgerError::BeyondTree { .. }
            | LedgerError::UnknownDurability(_)
            | LedgerError::Storage(_)
            | LedgerError::Io { .. }
            | LedgerError::NotDurable(_)
            | LedgerError::CommitPanicked
            | LedgerError::Closed
            | LedgerError::Poisoned(_) => false,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// How a commit closure stops: the caller rejects the change, or a storage operation failed.
///
/// `?` on a [`sled::transaction::TransactionalTree`] operation converts into
/// [`Abort::Storage`], which lets sled retry the closure on an internal conflict.
#[derive(Debug)]
pub enum Abort<E> {
    /// The caller refuses the change (a business rule failed); nothing of this commit is
    /// written and the commit returns [`CommitError::Rejected`].
    Rejected(E),
    /// A transactional tree operation failed; propagate it unchanged.
    Storage(UnabortableTransactionError),
}

impl<E> From<UnabortableTransactionError> for Abort<E> {
    fn from(error: UnabortableTransactionError) -> Self {
        Self::Storage(error)
    }
}

impl<E> From<sled::Error> for Abort<E> {
    fn from(error: sled::Error) -> Self {
        Self::Storage(UnabortableTransactionError::Storage(error))
    }
}

/// Why [`Ledger::commit`](crate::Ledger::commit) did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError<E> {
    /// The closure rejected the change; nothing was written.
    #[error("the change was rejected")]
    Rejected(E),
    /// The request's key was used before for a different request; nothing was written.
    #[error(transparent)]
    KeyReused(KeyReused),
    /// The ledger could not apply the change or make it durable. When this is returned
    /// for a durability failure, the change may or may not survive a restart.
    #[error(transparent)]
    Storage(LedgerError),
}

impl<E> CommitError<E>
where
    E: From<LedgerError> + From<KeyReused>,
{
    /// The caller's own error: its rejection as it is, a storage failure or a reused key
    /// converted into it.
    pub fn into_error(self) -> E {
        match self {
            CommitError::Rejected(e) => e,
            CommitError::KeyReused(k) => E::from(k),
            CommitError::Storage(e) => E::from(e),
        }
    }
}

impl<E> From<LedgerError> for CommitError<E> {
    fn from(error: LedgerError) -> Self {
        Self::Storage(error)
    }
}
