//! The single writer thread and group commit.
//!
//! Callers send boxed jobs through a channel. The writer takes every queued job (up to
//! `max_batch`), runs them in order in one sled transaction over the journal and the
//! caller's trees (splitting it around a rejected job), makes the whole batch durable once,
//! publishes the new durable head and only then answers every job of the batch. One sled
//! transaction per batch matters: each sled transaction writes the log buffer to disk
//! twice, whatever its size.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use sled::Tree;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Durability;
use crate::durable::SyncTargets;
use crate::error::LedgerError;
use crate::job::{Job, Step};
use crate::record::Hash;
use crate::txn::Txn;

/// The trees a commit runs over and what stamps its records.
#[derive(Debug)]
pub(crate) struct Layout {
    /// `trees[0]` is the journal; the caller's trees follow.
    pub(crate) trees: Vec<Tree>,
    /// Caller tree name → index in `trees`.
    pub(crate) names: BTreeMap<String, usize>,
    pub(crate) source: String,
    pub(crate) clock: Arc<dyn Clock>,
    /// The index in `trees` of the Merkle tree's hashes, if the ledger keeps one.
    pub(crate) merkle: Option<usize>,
}

/// Counters of the writer's work, see [`Ledger::stats`](crate::Ledger::stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerStats {
    /// Commits applied (their closure returned `Ok`).
    pub commits: u64,
    /// Commits whose closure rejected the change.
    pub rejected: u64,
    /// Records appended to the journal by applied commits.
    pub appended: u64,
    /// Batches made durable, i.e. flush (and fsync) rounds.
    pub batches: u64,
}

/// State shared by the ledger handle and the writer.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The last durable sequence and its hash.
    pub(crate) durable: Mutex<(u64, Hash)>,
    pub(crate) watch: watch::Sender<u64>,
    pub(crate) poisoned: Mutex<Option<String>>,
    commits: AtomicU64,
    rejected: AtomicU64,
    appended: AtomicU64,
    batches: AtomicU64,
}

impl Shared {
    pub(crate) fn new(head: (u64, Hash)) -> Self {
        Self {
            durable: Mutex::new(head),
            watch: watch::Sender::new(head.0),
            poisoned: Mutex::new(None),
            commits: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            appended: AtomicU64::new(0),
            batches: AtomicU64::new(0),
        }
    }

    pub(crate) fn head(&self) -> (u64, Hash) {
        *self.durable.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn poisoned(&self) -> Option<String> {
        self.poisoned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn poison(&self, reason: String) {
        tracing::error!(%reason, "treaty-ledger stops accepting commits");
        self.poisoned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(reason);
    }

    fn publish(&self, head: (u64, Hash)) {
        *self.durable.lock().unwrap_or_else(|e| e.into_inner()) = head;
        self.watch.send_replace(head.0);
    }

    pub(crate) fn stats(&self) -> LedgerStats {
        LedgerStats {
            commits: self.commits.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            appended: self.appended.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
        }
    }
}

/// The writer thread's state.
pub(crate) struct Writer {
    pub(crate) db: sled::Db,
    pub(crate) layout: Arc<Layout>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) durability: Durability,
    pub(crate) sync: Option<SyncTargets>,
    pub(crate) max_batch: usize,
    /// The applied head (durable once the current batch is).
    pub(crate) head: (u64, Hash),
}

/// Where a job of the current batch stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Not yet committed, rejected or failed.
    Pending,
    /// Resolved; its outcome is kept in the job.
    Done,
}

/// Why a transaction over several jobs stopped early.
struct Halt {
    /// The batch index of the job that was rejected or panicked.
    at: usize,
    panicked: bool,
}

/// What one transaction over several jobs did.
enum Window {
    Committed {
        head: (u64, Hash),
        commits: u64,
        /// Commits that may have written (every one but the read-only replays).
        writing: u64,
        appended: u64,
    },
    /// Nothing was written; the job at `at` was rejected or panicked.
    Halted { at: usize, panicked: bool },
    /// sled failed; whether anything was written is unknown.
    Failed(sled::Error),
}

impl Writer {
    /// Runs until every sender is dropped, then returns after the last batch is durable.
    pub(crate) fn run(mut self, jobs: mpsc::Receiver<Box<dyn Job>>) {
        let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(self.max_batch);
        while let Ok(first) = jobs.recv() {
            batch.push(first);
            while batch.len() < self.max_batch {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let durability = self.process(&mut batch);
            for job in batch.drain(..) {
                job.answer(durability.as_ref());
            }
        }
        tracing::debug!(head = self.head.0, "treaty-ledger writer stopped");
    }

    /// Applies a batch and makes it durable; returns the durability failure, if any.
    fn process(&mut self, batch: &mut [Box<dyn Job>]) -> Option<LedgerError> {
        let mut status = vec![Status::Pending; batch.len()];
        let mut wrote = false;
        let mut start = 0;
        while start < batch.len() {
            if status[start] != Status::Pending {
                start += 1;
                continue;
            }
            if let Some(reason) = self.shared.poisoned() {
                for job in &mut batch[start..] {
                    job.fail(LedgerError::Poisoned(reason.clone()));
                }
                break;
            }
            // Commit the pending jobs of start..end in one sled transaction. A rejected (or
            // panicking) job aborts it; the jobs before it are then re-run and committed
            // without it, so a rejection changes nothing and costs one extra transaction.
            let mut end = batch.len();
            loop {
                match self.apply(batch, &status, start, end) {
                    Window::Committed {
                        head,
                        commits,
                        writing,
                        appended,
                    } => {
                        self.head = head;
                        // A batch that only read remembered answers changed nothing: what it
                        // read is durable already, or was written by a job of this batch.
                        wrote |= writing > 0;
                        self.shared.commits.fetch_add(commits, Ordering::Relaxed);
                        self.shared.appended.fetch_add(appended, Ordering::Relaxed);
                        status[start..end].fill(Status::Done);
                        start = end;
                        break;
                    }
                    Window::Halted { at, panicked } => {
                        status[at] = Status::Done;
                        if panicked {
                            batch[at].fail(LedgerError::CommitPanicked);
                        } else {
                            self.shared.rejected.fetch_add(1, Ordering::Relaxed);
                        }
                        end = at;
                        if !status[start..end].contains(&Status::Pending) {
                            start = at + 1;
                            break;
                        }
                    }
                    Window::Failed(e) => {
                        // Whether sled wrote part of it is unknown: stop accepting commits.
                        wrote = true;
                        let reason = format!("a commit failed in sled: {e}");
                        self.shared.poison(reason.clone());
                        for (job, s) in batch[start..end].iter_mut().zip(&mut status[start..end]) {
                            if *s == Status::Pending {
                                job.fail(LedgerError::Storage(e.clone()));
                                *s = Status::Done;
                            }
                        }
                        start = end;
                        break;
                    }
                }
            }
        }
        if !wrote {
            return None;
        }
        match self.make_durable() {
            Ok(()) => {
                self.shared.publish(self.head);
                None
            }
            Err(e) => {
                self.shared
                    .poison(format!("making a batch durable failed: {e}"));
                Some(e)
            }
        }
    }

    /// Runs the pending jobs of `batch[start..end]` in order in one sled transaction, each
    /// seeing the writes and appends of the ones before it.
    fn apply(
        &self,
        batch: &mut [Box<dyn Job>],
        status: &[Status],
        start: usize,
        end: usize,
    ) -> Window {
        let layout = &*self.layout;
        let jobs = RefCell::new(&mut batch[start..end]);
        let result = <[Tree] as Transactional<Halt>>::transaction(&layout.trees[..], |views| {
            // sled may run this more than once: everything is rebuilt per attempt.
            let mut jobs = jobs.borrow_mut();
            let mut head = self.head;
            let (mut commits, mut writing, mut appended) = (0, 0, 0);
            for (i, job) in jobs.iter_mut().enumerate() {
                let at = start + i;
                if status[at] != Status::Pending {
                    continue;
                }
                let halt = |panicked| ConflictableTransactionError::Abort(Halt { at, panicked });
                let mut txn = Txn::new(
                    views,
                    layout.merkle,
                    &layout.names,
                    &layout.source,
                    &*layout.clock,
                    head,
                );
                let Ok(step) = catch_unwind(AssertUnwindSafe(|| job.run(&mut txn))) else {
                    return Err(halt(true));
                };
                if let Some(e) = txn.take_failure() {
                    return Err(e.into());
                }
                match step {
                    Step::Applied => {
                        head = txn.last_appended();
                        commits += 1;
                        writing += u64::from(!job.reads_only());
                        appended += txn.appended();
                    }
                    Step::Rejected => return Err(halt(false)),
                    Step::Storage(e) => return Err(e.into()),
                }
            }
            Ok((head, commits, writing, appended))
        });
        match result {
            Ok((head, commits, writing, appended)) => Window::Committed {
                head,
                commits,
                writing,
                appended,
            },
            Err(TransactionError::Abort(Halt { at, panicked })) => Window::Halted { at, panicked },
            Err(TransactionError::Storage(e)) => Window::Failed(e),
        }
    }

    fn make_durable(&mut self) -> Result<(), LedgerError> {
        self.db.flush()?;
        if self.durability == Durability::Fsync
            && let Some(targets) = &mut self.sync
        {
            targets
                .sync()
                .map_err(|e| LedgerError::io("fsync of sled's files failed", e))?;
        }
        self.shared.batches.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
