//! How a ledger is opened.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::error::LedgerError;

/// When a commit counts as durable (see the crate docs, "Durability levels").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Durability {
    /// `sled::Db::flush` per batch (`pwrite` + `sync_file_range`): survives `kill -9` of the
    /// process, not a power cut or kernel crash.
    Flush,
    /// `flush` plus `fdatasync` of sled's files per batch: survives a power cut.
    #[default]
    Fsync,
}

impl Durability {
    /// The name used in configuration: `flush` or `fsync`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flush => "flush",
            Self::Fsync => "fsync",
        }
    }
}

impl fmt::Display for Durability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Durability {
    type Err = LedgerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "flush" => Ok(Self::Flush),
            "fsync" => Ok(Self::Fsync),
            _ => Err(LedgerError::UnknownDurability(s.to_owned())),
        }
    }
}

/// Everything [`Ledger::open`](crate::Ledger::open) needs. Start from [`LedgerConfig::new`]
/// and override fields.
#[derive(Clone, Debug)]
pub struct LedgerConfig {
    /// The sled directory (created if absent). One process opens it at a time.
    pub path: PathBuf,
    /// The name of the service writing this journal; stored in every record and fixed when
    /// the journal is created.
    pub source: String,
    /// When a commit counts as durable.
    pub durability: Durability,
    /// The caller's own state trees, opened in the same sled database so that a commit can
    /// change them and append to the journal atomically.
    pub trees: Vec<String>,
    /// Stamps `recorded_at`.
    pub clock: Arc<dyn Clock>,
    /// The most commits made durable together (by one flush/fsync).
    pub max_batch: usize,
    /// sled's page cache budget in bytes.
    pub cache_capacity: u64,
    /// Whether the journal is also an RFC 6962 Merkle tree (see `merkle.rs`): every append
    /// writes its leaf's hashes in the same transaction, and the tree's roots and proofs can
    /// be read. The audit service's global log is one.
    pub merkle: bool,
}

impl LedgerConfig {
    /// This configuration with `trees` as the caller's trees (a service's tables).
    pub fn with_trees(mut self, trees: &[&str]) -> Self {
        self.trees = trees.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// This configuration with the journal kept as a Merkle tree.
    pub fn with_merkle(mut self) -> Self {
        self.merkle = true;
        self
    }

    /// The default batch size.
    pub const DEFAULT_MAX_BATCH: usize = 512;
    /// The default sled cache budget (64 MiB).
    pub const DEFAULT_CACHE_CAPACITY: u64 = 64 * 1024 * 1024;

    /// A configuration with defaults: `fsync` durability, no caller trees, the system
    /// clock, batches of up to [`Self::DEFAULT_MAX_BATCH`], a 64 MiB cache.
    pub fn new(path: impl Into<PathBuf>, source: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            source: source.into(),
            durability: Durability::default(),
            trees: Vec::new(),
            clock: Arc::new(SystemClock),
            max_batch: Self::DEFAULT_MAX_BATCH,
            cache_capacity: Self::DEFAULT_CACHE_CAPACITY,
            merkle: false,
        }
    }
}
