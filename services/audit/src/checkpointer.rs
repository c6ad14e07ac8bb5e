//! The checkpointer: after the tree grows (at once when a proof is waited for, at most every
//! `MIN_SPACING`; else after the interval), it commits to every history's head and signs the
//! checkpoint that ends with that commitment (`store/checkpoint.rs`), keeps it outside the
//! database too (the rollback guard), and publishes it to `GetCheckpoint` and the proofs.
//!
//! It runs while the service runs and never skips: a failure stops it with an error in the
//! log (the log then keeps accepting entries, but no new checkpoint is signed).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use treaty_runtime::Shutdown;
use treaty_transparency::LogKey;
use treaty_transparency::commitment::Heads;

use crate::error::AuditError;
use crate::store::{AuditStore, Signed};

/// The task's name in the journal's `actor`.
pub const TASK: &str = "checkpointer";

/// How the log signs and guards its checkpoints.
#[derive(Clone, Debug)]
pub struct LogSettings {
    /// The signing key; its name is the origin.
    pub key: LogKey,
    /// The witnesses' verifier keys whose cosignatures are accepted.
    pub witnesses: Vec<String>,
    /// The rollback guard: the last signed checkpoint, kept outside the database.
    pub guard: PathBuf,
    /// How long after the tree grows the checkpoint is made.
    pub interval: Duration,
}

/// The latest signed checkpoint, as the API serves it.
pub type Latest = watch::Receiver<Option<Arc<Signed>>>;

/// The least time between two checkpoints, however often one is wanted: each adds a
/// commitment entry and a durable commit.
pub const MIN_SPACING: Duration = Duration::from_millis(20);

/// How many of the latest checkpoints stay in memory to prove histories against: a proved
/// listing's later pages are pinned to its first page's checkpoint.
pub const RECENT: usize = 16;

/// The latest [`RECENT`] checkpoints, newest last.
#[derive(Clone, Debug, Default)]
pub struct Recent(Arc<Mutex<VecDeque<Arc<Signed>>>>);

impl Recent {
    fn keep(&self, signed: Arc<Signed>) {
        let mut recent = self
            .0
            .lock()
            .expect("the checkpoint list is never poisoned");
        if recent.len() == RECENT {
            recent.pop_front();
        }
        recent.push_back(signed);
    }

    fn get(&self, size: u64) -> Option<Arc<Signed>> {
        let recent = self
            .0
            .lock()
            .expect("the checkpoint list is never poisoned");
        recent.iter().rev().find(|s| s.size == size).cloned()
    }
}

/// What the API needs of the checkpoints: the latest one (and a few before it), the log's
/// verifier key, and the witnesses whose cosignatures it keeps.
#[derive(Clone, Debug)]
pub struct Checkpoints {
    pub latest: Latest,
    pub recent: Recent,
    /// Someone waits for a leaf to be in a checkpoint: sign soon (see [`Checkpoints::want`]).
    pub wanted: Arc<tokio::sync::Notify>,
    pub log_key: String,
    pub witnesses: Vec<String>,
}

impl Checkpoints {
    /// Asks for the next checkpoint as soon as the tree has grown, instead of after the
    /// interval: a notice waits for its step's proof. Never more often than once every
    /// [`MIN_SPACING`], whoever asks.
    pub fn want(&self) {
        self.wanted.notify_one();
    }

    /// The latest signed checkpoint, if any.
    pub fn latest(&self) -> Option<Arc<Signed>> {
        self.latest.borrow().clone()
    }

    /// The checkpoint a proved history is pinned to: the latest for a first page (`None`), or
    /// the one its token names while it is one of the [`RECENT`] latest.
    pub fn pinned(&self, size: Option<u64>) -> Result<Arc<Signed>, AuditError> {
        match size {
            None => self.latest().ok_or(AuditError::NoCheckpoint),
            Some(size) => self.recent.get(size).ok_or_else(|| AuditError::ProofGone {
                size,
                latest: self.latest().map_or(0, |s| s.size),
            }),
        }
    }

    /// `size`, or the latest checkpoint's size when `None`.
    pub fn size_or_latest(&self, size: Option<u64>) -> Result<u64, AuditError> {
        match size {
            Some(size) => Ok(size),
            None => self
                .latest()
                .map(|s| s.size)
                .ok_or(AuditError::NoCheckpoint),
        }
    }

    /// The signed note of the checkpoint of `size` (0: the latest) and its size.
    pub fn signed(&self, store: &AuditStore, size: u64) -> Result<(u64, Vec<u8>), AuditError> {
        if size == 0 {
            let latest = self.latest().ok_or(AuditError::NoCheckpoint)?;
            return Ok((latest.size, latest.note.clone()));
        }
        match store.checkpoint_at(size)? {
            Some(note) => Ok((size, note)),
            None => Err(AuditError::NoCheckpointOfSize {
                size,
                latest: self.latest().map_or(0, |s| s.size),
            }),
        }
    }

    /// The checkpoint of `size` (0: the latest) with its cosignatures, as served.
    pub fn answer(
        &self,
        store: &AuditStore,
        size: u64,
    ) -> Result<treaty_proto::audit::GetCheckpointResponse, AuditError> {
        let (size, note) = self.signed(store, size)?;
        let cosignatures = store.cosignatures(size)?;
        crate::wire::checkpoint(&note, &cosignatures, &self.log_key, &self.witnesses).ok_or_else(
            || {
                AuditError::Corrupt(format!(
                    "the stored checkpoint of {size} does not verify under the log's key"
                ))
            },
        )
    }

    /// Checks a witness's cosignature line over the checkpoint of `size`: the witness's name.
    pub fn check_cosignature(
        &self,
        store: &AuditStore,
        size: u64,
        line: &[u8],
    ) -> Result<String, AuditError> {
        let (_, note) = self.signed(store, size)?;
        let text = match note.windows(2).position(|w| w == b"\n\n") {
            Some(at) => &note[..=at],
            None => {
                return Err(AuditError::Corrupt(format!(
                    "the stored checkpoint of {size} is not a signed note"
                )));
            }
        };
        treaty_transparency::checkpoint::check_cosignature(text, line, &self.witnesses)
            .map(|(name, _)| name)
            .map_err(|e| AuditError::Cosignature {
                unknown_witness: matches!(e, treaty_transparency::CheckpointError::Key(_)),
                reason: e.to_string(),
            })
    }
}

/// Why the audit log does not start.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The tree is smaller than the last checkpoint the log signed.
    #[error(
        "the audit log holds {size} entries, but it signed a checkpoint of {signed} (kept in {guard}): its database was restored from before that checkpoint, and serving it would fork the log that others have verified. Recover by moving this database aside, starting the audit service on an empty data directory with a new log key and origin, and letting the services' shippers re-ship their journals from the start"
    )]
    RolledBack {
        size: u64,
        signed: u64,
        guard: String,
    },
    /// The tree at the guarded size has another root: a different history.
    #[error(
        "the audit log's tree of {size} entries is not the one it signed (kept in {guard}): its database holds another history. Move it aside and recover as for a rollback"
    )]
    Forked { size: u64, guard: String },
    /// The guard file is unreadable or not signed by this log's key.
    #[error("the checkpoint kept in {guard} cannot be read as one this log signed: {reason}")]
    Unreadable { guard: String, reason: String },
    /// The log could not be read.
    #[error(transparent)]
    Store(#[from] AuditError),
}

/// Refuses a log smaller than, or different from, the checkpoint kept in the guard file.
pub fn check_guard(store: &AuditStore, settings: &LogSettings) -> Result<(), GuardError> {
    let guard = settings.guard.display().to_string();
    let note = match std::fs::read(&settings.guard) {
        Ok(note) => note,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(GuardError::Unreadable {
                guard,
                reason: e.to_string(),
            });
        }
    };
    let signed = treaty_transparency::checkpoint::open(&note, settings.key.verifier_key(), &[])
        .map_err(|e| GuardError::Unreadable {
            guard: guard.clone(),
            reason: e.to_string(),
        })?;
    let (size, _) = store.ledger().head();
    if size < signed.size {
        return Err(GuardError::RolledBack {
            size,
            signed: signed.size,
            guard,
        });
    }
    let root = store
        .ledger()
        .tree_root(signed.size)
        .map_err(AuditError::from)?;
    if root != signed.root {
        return Err(GuardError::Forked {
            size: signed.size,
            guard,
        });
    }
    Ok(())
}

/// Writes `note` to `path` atomically and durably (a temporary file, fsync, rename, fsync of
/// the directory).
fn keep(path: &Path, note: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(note)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

/// Starts the checkpointer over `store`; the latest checkpoint is on the returned watch.
pub fn spawn(
    store: AuditStore,
    settings: LogSettings,
    shutdown: Shutdown,
) -> Result<(Checkpoints, tokio::task::JoinHandle<()>), AuditError> {
    let heads = store.heads()?;
    let latest = match store.latest_checkpoint()? {
        // The heads as of the durable head are those of its commitment when it is the last entry.
        Some((size, note)) if size == heads.covers() => {
            Some(Arc::new(Signed::new(size, note, Arc::new(heads.clone()))))
        }
        _ => None,
    };
    let recent = Recent::default();
    if let Some(latest) = &latest {
        recent.keep(latest.clone());
    }
    let (publish, watch) = watch::channel(latest);
    let wanted = Arc::new(tokio::sync::Notify::new());
    let checkpoints = Checkpoints {
        latest: watch,
        recent: recent.clone(),
        wanted: wanted.clone(),
        log_key: settings.key.verifier_key().to_owned(),
        witnesses: settings.witnesses.clone(),
    };
    let task = tokio::spawn(async move {
        if let Err(e) = run(store, settings, heads, publish, recent, wanted, shutdown).await {
            tracing::error!(error = %e, "the checkpointer stopped: no new checkpoint will be signed until the audit service restarts");
        }
    });
    Ok((checkpoints, task))
}

async fn run(
    store: AuditStore,
    settings: LogSettings,
    mut heads: Heads,
    publish: watch::Sender<Option<Arc<Signed>>>,
    recent: Recent,
    wanted: Arc<tokio::sync::Notify>,
    shutdown: Shutdown,
) -> Result<(), AuditError> {
    let mut last_signed = tokio::time::Instant::now();
    let actor = treaty_runtime::Caller::task(treaty_auth::ServiceName::Audit, TASK).actor;
    let mut grown = store.ledger().watch();
    loop {
        let signed = publish.borrow().as_ref().map_or(0, |s| s.size);
        // Wait for an entry after the last checkpoint.
        if *grown.borrow_and_update() <= signed {
            tokio::select! {
                changed = grown.changed() => if changed.is_err() { return Ok(()) },
                () = shutdown.triggered() => return Ok(()),
            }
            continue;
        }
        tokio::select! {
            () = tokio::time::sleep(settings.interval) => {}
            () = wanted.notified() => {
                tokio::select! {
                    () = tokio::time::sleep_until(last_signed + MIN_SPACING) => {}
                    () = shutdown.triggered() => return Ok(()),
                }
            }
            () = shutdown.triggered() => return Ok(()),
        }
        last_signed = tokio::time::Instant::now();
        store.fold_durable(&mut heads)?;
        let Some(new) = store.checkpoint(&settings.key, &actor, &heads).await? else {
            continue;
        };
        heads = (*new.heads).clone();
        keep(&settings.guard, &new.note).map_err(|e| {
            AuditError::Corrupt(format!(
                "the checkpoint of {} could not be kept in {}: {e}",
                new.size,
                settings.guard.display()
            ))
        })?;
        tracing::debug!(size = new.size, "checkpoint signed");
        let new = Arc::new(new);
        recent.keep(new.clone());
        publish.send_replace(Some(new));
    }
}
