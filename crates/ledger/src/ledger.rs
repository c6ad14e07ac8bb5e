//! The ledger handle: open, commit, read, watch, verify, shut down.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::thread::JoinHandle;

use sled::Tree;
use tokio::sync::{oneshot, watch};

use crate::codec;
use crate::config::{Durability, LedgerConfig};
use crate::durable::SyncTargets;
use crate::error::{Abort, CommitError, LedgerError};
use crate::job::{CommitJob, Job};
use crate::merkle::{self, MERKLE_TREE, TreeHashes};
use crate::once::{self, Answer, KeyReused, Once};
use crate::open::{check_meta, read_head, validate};
use crate::record::{Hash, Record};
use crate::records::{Records, decode_at};
use crate::txn::Txn;
use crate::verify::{self, VerifyReport};
use crate::writer::{Layout, LedgerStats, Shared, Writer};

/// The sled tree that holds the journal (keys: big-endian sequence; values: stored records).
pub const JOURNAL_TREE: &str = "treaty-ledger/journal";
/// The sled tree that holds the journal's metadata (format version, source).
pub const META_TREE: &str = "treaty-ledger/meta";
/// The sled tree that remembers answers by request key, see [`Ledger::commit_once`].
pub const REQUESTS_TREE: &str = "treaty-ledger/requests";

/// An open journal and the caller's state trees in one sled database. Cheap to clone; all
/// clones share one writer thread.
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    layout: Arc<Layout>,
    shared: Arc<Shared>,
    jobs: RwLock<Option<mpsc::Sender<Box<dyn Job>>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    path: PathBuf,
    durability: Durability,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("source", &self.inner.layout.source)
            .field("path", &self.inner.path)
            .field("durability", &self.inner.durability)
            .field("head", &self.head().0)
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// Opens (or creates) the ledger at `config.path` and starts its writer thread.
    ///
    /// Only the last journal entry is read, so opening costs the same at any log size
    /// (plus sled's own recovery).
    pub fn open(config: LedgerConfig) -> Result<Ledger, LedgerError> {
        validate(&config)?;
        let db = open_db(&config)?;
        check_meta(&db, &config.source)?;
        let journal = db.open_tree(JOURNAL_TREE)?;
        let requests = db.open_tree(REQUESTS_TREE)?;
        let mut trees = vec![journal, requests];
        let merkle = if config.merkle {
            trees.push(db.open_tree(MERKLE_TREE)?);
            Some(trees.len() - 1)
        } else {
            None
        };
        let mut names = BTreeMap::new();
        for name in &config.trees {
            names.insert(name.clone(), trees.len());
            trees.push(db.open_tree(name)?);
        }
        let head = read_head(&trees[0])?;
        if let Some(m) = merkle {
            let added = merkle::backfill(&trees[0], &trees[m], head.0)?;
            if added > 0 {
                tracing::info!(
                    leaves = added,
                    "hashed journal entries into the Merkle tree"
                );
            }
        }
        db.flush()?;
        let sync = match config.durability {
            Durability::Flush => None,
            Durability::Fsync => Some(
                SyncTargets::open(&config.path)
                    .map_err(|e| LedgerError::io("opening sled's files for fsync failed", e))?,
            ),
        };
        let layout = Arc::new(Layout {
            trees,
            names,
            source: config.source.clone(),
            clock: config.clock.clone(),
            merkle,
        });
        let shared = Arc::new(Shared::new(head));
        let (jobs, receiver) = mpsc::channel();
        let writer = Writer {
            db: db.clone(),
            layout: layout.clone(),
            shared: shared.clone(),
            durability: config.durability,
            sync,
            max_batch: config.max_batch,
            head,
        };
        let handle = std::thread::Builder::new()
            .name("treaty-ledger-writer".into())
            .spawn(move || writer.run(receiver))
            .map_err(|e| LedgerError::io("starting the writer thread failed", e))?;
        tracing::info!(
            source = %config.source,
            path = %config.path.display(),
            durability = %config.durability,
            head = head.0,
            "ledger open"
        );
        Ok(Ledger {
            inner: Arc::new(Inner {
                db,
                layout,
                shared,
                jobs: RwLock::new(Some(jobs)),
                writer: Mutex::new(Some(handle)),
                path: config.path,
                durability: config.durability,
            }),
        })
    }

    /// Read access to the caller tree `name`. Reads see every applied commit, including
    /// those of a batch not yet durable; write only through [`Ledger::commit`].
    ///
    /// # Panics
    ///
    /// Panics if `name` was not listed in [`LedgerConfig::trees`].
    pub fn tree(&self, name: &str) -> &Tree {
        let layout = &self.inner.layout;
        match layout.names.get(name) {
            Some(&i) => &layout.trees[i],
            None => panic!(
                "treaty-ledger: unknown tree {name:?}; list it in LedgerConfig::trees (known: {:?})",
                layout.names.keys().collect::<Vec<_>>()
            ),
        }
    }

    /// Runs `f` in a sled transaction over the caller's trees and the journal, and answers
    /// once that transaction is durable (see the crate docs, "Group commit"). `f` may run
    /// more than once (sled retries; a later commit of the same batch was rejected), so it
    /// must not have side effects outside the [`Txn`].
    ///
    /// Returns [`CommitError::Rejected`] with nothing written when `f` returns
    /// [`Abort::Rejected`].
    pub async fn commit<T, E, F>(&self, f: F) -> Result<T, CommitError<E>>
    where
        F: Fn(&mut Txn<'_>) -> Result<T, Abort<E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        self.run(f, false).await
    }

    async fn run<T, E, F>(&self, f: F, reads_only: bool) -> Result<T, CommitError<E>>
    where
        F: Fn(&mut Txn<'_>) -> Result<T, Abort<E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        let answer = self.submit(f, reads_only)?;
        answer
            .await
            .unwrap_or(Err(CommitError::Storage(LedgerError::Closed)))
    }

    /// [`Ledger::commit`] made at most once per request (AIP-155): the first time `once` is
    /// seen, `f` runs and its answer is remembered under `once.key` in the same transaction;
    /// a retry with the same fingerprint gets that answer back and writes nothing; a retry
    /// with another fingerprint gets [`CommitError::KeyReused`]. Every answer, first or
    /// remembered, is given only once the change it reports is durable (see `once.rs`).
    /// Without `once` this is a plain [`Ledger::commit`].
    pub async fn commit_once<T, E, F>(&self, once: Option<&Once>, f: F) -> Result<T, CommitError<E>>
    where
        F: Fn(&mut Txn<'_>) -> Result<T, Abort<E>> + Send + 'static,
        T: Answer,
        E: Send + 'static,
    {
        let Some(once) = once.cloned() else {
            return self.commit(f).await;
        };
        let outcome = self
            .commit(move |txn| {
                let key = once.key.to_bytes();
                if let Some(value) = txn.recall(&key)? {
                    return remembered(&once, &value);
                }
                let answer = f(txn).map_err(|abort| match abort {
                    Abort::Rejected(e) => Abort::Rejected(Refusal::Caller(e)),
                    Abort::Storage(e) => Abort::Storage(e),
                })?;
                txn.remember(
                    &key,
                    &once::encode_value(&once.fingerprint, &answer.to_bytes()),
                )?;
                Ok(answer)
            })
            .await;
        outcome.map_err(unwrap_refusal)
    }

    /// The answer remembered for `once`, if its request was made: what a retry gets back
    /// before anything else is done for it. Read by the writer like a commit, so it is given
    /// only once durable; [`CommitError::KeyReused`] when the key was used for another request.
    pub async fn replay<T, E>(&self, once: &Once) -> Result<Option<T>, CommitError<E>>
    where
        T: Answer,
        E: Send + 'static,
    {
        let once = once.clone();
        let outcome = self
            .run(
                move |txn| match txn.recall(&once.key.to_bytes())? {
                    None => Ok(None),
                    Some(value) => remembered(&once, &value).map(Some),
                },
                true,
            )
            .await;
        outcome.map_err(unwrap_refusal)
    }

    /// [`Ledger::commit`] for callers outside an async runtime.
    ///
    /// # Panics
    ///
    /// Panics when called from inside an async runtime (use `commit` there).
    pub fn commit_blocking<T, E, F>(&self, f: F) -> Result<T, CommitError<E>>
    where
        F: Fn(&mut Txn<'_>) -> Result<T, Abort<E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        let answer = self.submit(f, false)?;
        answer
            .blocking_recv()
            .unwrap_or(Err(CommitError::Storage(LedgerError::Closed)))
    }

    fn submit<T, E, F>(
        &self,
        f: F,
        reads_only: bool,
    ) -> Result<oneshot::Receiver<Result<T, CommitError<E>>>, CommitError<E>>
    where
        F: Fn(&mut Txn<'_>) -> Result<T, Abort<E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        if let Some(reason) = self.inner.shared.poisoned() {
            return Err(LedgerError::Poisoned(reason).into());
        }
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(CommitJob::new(f, reply, reads_only));
        let jobs = self.inner.jobs.read().unwrap_or_else(|e| e.into_inner());
        let sender = jobs.as_ref().ok_or(LedgerError::Closed)?;
        sender.send(job).map_err(|_| LedgerError::Closed)?;
        Ok(answer)
    }

    /// The last durable sequence and its hash; `(0, GENESIS)` when the journal is empty.
    pub fn head(&self) -> (u64, Hash) {
        self.inner.shared.head()
    }

    /// The durable record at `sequence`, if there is one.
    pub fn get(&self, sequence: u64) -> Result<Option<Record>, LedgerError> {
        if sequence == 0 || sequence > self.head().0 {
            return Ok(None);
        }
        match self.journal().get(codec::key(sequence))? {
            None => Ok(None),
            Some(value) => decode_at(sequence, &value).map(Some),
        }
    }

    /// The durable records from `from` to `to_inclusive`, in order (entries past the
    /// durable head are not returned).
    pub fn range(&self, from: u64, to_inclusive: u64) -> Records {
        let from = from.max(1);
        let to = to_inclusive.min(self.head().0);
        let inner = (from <= to).then(|| self.journal().range(codec::key(from)..=codec::key(to)));
        Records { inner }
    }

    /// Up to `limit` durable records after sequence `after` (a cursor read: pass the last
    /// sequence you saw).
    pub fn read_after(&self, after: u64, limit: usize) -> Result<Vec<Record>, LedgerError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let to = after.saturating_add(u64::try_from(limit).unwrap_or(u64::MAX));
        self.range(after.saturating_add(1), to).collect()
    }

    /// The last durable sequence, updated after every durable batch; for live tails and
    /// shippers.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.inner.shared.watch.subscribe()
    }

    /// Checks the whole chain up to the durable head and reports the first problem.
    pub fn verify(&self) -> Result<VerifyReport, LedgerError> {
        verify::verify(self.journal(), self.head())
    }

    /// The Merkle tree's hashes, if this ledger keeps one.
    fn hashes(&self) -> Result<TreeHashes<'_>, LedgerError> {
        let layout = &self.inner.layout;
        layout
            .merkle
            .map(|m| TreeHashes(&layout.trees[m]))
            .ok_or(LedgerError::NoTree)
    }

    /// `size` if the durable tree has at least that many leaves.
    fn within(&self, size: u64) -> Result<u64, LedgerError> {
        let durable = self.head().0;
        if size > durable {
            return Err(LedgerError::BeyondTree {
                asked: size,
                size: durable,
            });
        }
        Ok(size)
    }

    /// The RFC 6962 root hash of the tree of the first `size` leaves (records `1..=size`),
    /// which must all be durable.
    pub fn tree_root(&self, size: u64) -> Result<Hash, LedgerError> {
        let hashes = self.hashes()?;
        let size = self.within(size)?;
        tlog_tiles::tree_hash(size, &hashes)
            .map(|h| h.0)
            .map_err(|e| LedgerError::Tree(format!("the root of size {size}: {e}")))
    }

    /// The stored leaf hash of leaf `index` (record `index + 1`), which must be durable.
    pub fn leaf_hash(&self, index: u64) -> Result<Hash, LedgerError> {
        let hashes = self.hashes()?;
        self.within(index.saturating_add(1))?;
        hashes
            .at(0, index)?
            .ok_or_else(|| LedgerError::Tree(format!("leaf {index} has no stored hash")))
    }

    /// The RFC 6962 inclusion proof of leaf `index` in the tree of size `size`, leaf-side first.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        let hashes = self.hashes()?;
        let size = self.within(size)?;
        if index >= size {
            return Err(LedgerError::BeyondTree {
                asked: index.saturating_add(1),
                size,
            });
        }
        tlog_tiles::prove_record(size, index, &hashes)
            .map(|p| p.into_iter().map(|h| h.0).collect())
            .map_err(|e| LedgerError::Tree(format!("the proof of leaf {index} in {size}: {e}")))
    }

    /// The RFC 6962 consistency proof from the tree of size `first` to the tree of size
    /// `second` (`0 < first <= second`, both durable).
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, LedgerError> {
        let hashes = self.hashes()?;
        let second = self.within(second)?;
        if first == 0 || first > second {
            return Err(LedgerError::BeyondTree {
                asked: first,
                size: second,
            });
        }
        tlog_tiles::prove_tree(second, first, &hashes)
            .map(|p| p.into_iter().map(|h| h.0).collect())
            .map_err(|e| LedgerError::Tree(format!("the proof from {first} to {second}: {e}")))
    }

    /// Checks every stored hash of the Merkle tree up to the durable head: each leaf hash
    /// against its record's stored bytes, each subtree hash against its children. The
    /// first problem found, if any, by leaf index.
    pub fn verify_tree(&self) -> Result<Option<(u64, String)>, LedgerError> {
        let hashes = self.hashes()?;
        let head = self.head().0;
        for (n, item) in (0_u64..).zip(self.journal().range(codec::key(1)..=codec::key(head))) {
            let (_, value) = item?;
            if let Some(problem) = merkle::check_leaf(&hashes, n, &value)? {
                return Ok(Some((n, problem)));
            }
        }
        let leaves = hashes.leaves()?;
        if leaves < head {
            return Ok(Some((
                leaves,
                format!("leaf {leaves} has no stored hashes"),
            )));
        }
        Ok(None)
    }

    /// Counters of the writer's work (commits, rejections, appends, durable batches).
    pub fn stats(&self) -> LedgerStats {
        self.inner.shared.stats()
    }

    /// Stops accepting commits, lets the writer finish every queued commit and make it
    /// durable, and waits for the writer thread to end. Later commits get
    /// [`LedgerError::Closed`].
    pub async fn shutdown(&self) {
        if let Some(handle) = self.inner.stop() {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }

    /// The sled database, for read-only helpers (size on disk, ad-hoc inspection).
    pub fn db(&self) -> &sled::Db {
        &self.inner.db
    }

    /// The source this ledger stamps on its records.
    pub fn source(&self) -> &str {
        &self.inner.layout.source
    }

    /// The sled directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The configured durability level.
    pub fn durability(&self) -> Durability {
        self.inner.durability
    }

    fn journal(&self) -> &Tree {
        &self.inner.layout.trees[0]
    }
}

/// How long [`Ledger::open`] waits for the database's file lock: sled releases it from a
/// background thread a moment after the last handle is dropped, so a process (or a test) that
/// closes a ledger and opens it again at once can find it still held.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

fn open_db(config: &LedgerConfig) -> Result<sled::Db, LedgerError> {
    let deadline = std::time::Instant::now() + LOCK_PATIENCE;
    loop {
        let opened = sled::Config::new()
            .path(&config.path)
            .cache_capacity(config.cache_capacity)
            .open();
        match opened {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                tracing::debug!(path = %config.path.display(), "the database is still locked; waiting");
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return Ok(other?),
        }
    }
}

/// Why a keyed commit did not run the caller's closure, or what the closure refused.
enum Refusal<E> {
    Caller(E),
    Reused(KeyReused),
    Unreadable(String),
}

fn remembered<T: Answer, E>(once: &Once, value: &[u8]) -> Result<T, Abort<Refusal<E>>> {
    let (fingerprint, answer) =
        once::decode_value(value).map_err(|e| Abort::Rejected(Refusal::Unreadable(e)))?;
    if fingerprint != once.fingerprint {
        return Err(Abort::Rejected(Refusal::Reused(once.reused())));
    }
    T::from_bytes(answer).map_err(|e| Abort::Rejected(Refusal::Unreadable(e)))
}

fn unwrap_refusal<E>(e: CommitError<Refusal<E>>) -> CommitError<E> {
    match e {
        CommitError::Rejected(Refusal::Caller(e)) => CommitError::Rejected(e),
        CommitError::Rejected(Refusal::Reused(r)) | CommitError::KeyReused(r) => {
            CommitError::KeyReused(r)
        }
        CommitError::Rejected(Refusal::Unreadable(detail)) => {
            CommitError::Storage(LedgerError::UnreadableAnswer(detail))
        }
        CommitError::Storage(e) => CommitError::Storage(e),
    }
}

impl Inner {
    /// Closes the job channel and hands back the writer thread to join.
    fn stop(&self) -> Option<JoinHandle<()>> {
        drop(self.jobs.write().unwrap_or_else(|e| e.into_inner()).take());
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(handle) = self.stop() {
            // A commit closure holding the last clone may be dropped on the writer itself.
            if handle.thread().id() != std::thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}
