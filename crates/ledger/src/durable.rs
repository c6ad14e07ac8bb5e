//! Making a batch durable: sled's flush, then (for `fsync`) `fdatasync` of sled's files.
//!
//! sled 0.34 keeps its log and pages in `<path>/db`, values too big for a log segment in
//! `<path>/blobs/<lsn>` (written without fsync), its configuration in `<path>/conf` and
//! recovery snapshots in `<path>/snap.<lsn>` (sled fsyncs those itself).

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Files to `fdatasync` after each `sled::Db::flush` under [`Durability::Fsync`](crate::Durability::Fsync).
#[derive(Debug)]
pub(crate) struct SyncTargets {
    db_file: File,
    blobs_dir: PathBuf,
    known_blobs: HashSet<OsString>,
}

impl SyncTargets {
    /// Opens sled's data file once and makes everything already on disk durable (the
    /// directory entries, `conf`, existing blobs).
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let db_file = File::open(path.join("db"))?;
        db_file.sync_data()?;
        let conf = path.join("conf");
        if conf.exists() {
            File::open(conf)?.sync_all()?;
        }
        let mut targets = Self {
            db_file,
            blobs_dir: path.join("blobs"),
            known_blobs: HashSet::new(),
        };
        targets.sync_new_blobs()?;
        sync_dir(&targets.blobs_dir)?;
        sync_dir(path)?;
        Ok(targets)
    }

    /// `fdatasync` of the data file and of blob files not synced before.
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        self.db_file.sync_data()?;
        if self.sync_new_blobs()? {
            sync_dir(&self.blobs_dir)?;
        }
        Ok(())
    }

    /// Syncs blobs that appeared since the last call; returns whether there were any.
    /// Listing an empty or small directory costs a few microseconds; blobs are rare (only
    /// values larger than a fraction of a log segment).
    fn sync_new_blobs(&mut self) -> io::Result<bool> {
        let mut present = HashSet::new();
        let mut found_new = false;
        for entry in std::fs::read_dir(&self.blobs_dir)? {
            let name = entry?.file_name();
            if !self.known_blobs.contains(&name) {
                match File::open(self.blobs_dir.join(&name)) {
                    Ok(f) => f.sync_data()?,
                    // sled removed it (garbage collection) between listing and opening.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                }
                found_new = true;
            }
            present.insert(name);
        }
        self.known_blobs = present;
        Ok(found_new)
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
