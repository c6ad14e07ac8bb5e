//! Offline verification of a `tlog-tiles` export, trusting nothing in it but what the log's
//! key signed.
//!
//! Every leaf is rehashed from its bytes and the tree rebuilt ([`Tiler`]); every hash tile
//! of the export must be exactly the rebuilt one, and the checkpoint's root the rebuilt
//! root. Every checkpoint the export carries besides (`treaty/checkpoints/<size>`) must
//! verify under the key and have the root of the first `size` leaves — so the log grew only
//! by appending — and end on a commitment entry. Each entry must be the next of the global
//! chain (sequence, back-link and hash) and of its source's journal chain, link into exactly
//! the histories its subject belongs to, each continuing that history's count and
//! back-pointer, and each commitment entry must commit to the heads the entries before it
//! give. Every signed receipt of a notice (`notification.acknowledged` with a `receipt`) must
//! verify under the key the log last registered for its recipient before it
//! (`notification.recipient_key_registered`), and name its own notice and recipient, a leaf
//! before it holding an approvals entry of the same case, and a checkpoint the log signed
//! (the root of that many entries, ending on a commitment). An error names the file (and
//! entry) where the check failed.

use std::collections::BTreeMap;

use treaty_ledger::{GENESIS, Hash, Record, Subject};

use crate::checkpoint::{self, Checkpoint};
use crate::commitment::{self, Heads};
use crate::receipt;
use crate::tiles::{TileFile, Tiler, WIDTH, entries_path, read_bundle};

/// The directory of the extra checkpoints in an export.
pub const CHECKPOINTS_DIR: &str = "treaty/checkpoints";

/// The files of an export, wherever they are.
pub trait Files {
    /// The bytes at `path` (relative, `/`-separated); `Ok(None)` when there is no such file.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String>;
    /// The names of the files directly in directory `path`; empty when there is none.
    fn list(&self, path: &str) -> Result<Vec<String>, String>;
}

/// What a verified export holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Its checkpoint.
    pub checkpoint: Checkpoint,
    /// The sources whose journal chains it holds, with each one's last sequence.
    pub sources: BTreeMap<String, u64>,
    /// The commitment entries checked.
    pub commitments: u64,
    /// The earlier checkpoints checked for consistency.
    pub checkpoints: usize,
    /// The hash tiles compared.
    pub tiles: u64,
    /// The leaf bytes rehashed.
    pub bytes: u64,
    /// The recipients' signed receipts checked.
    pub receipts: u64,
}

/// Where an export fails, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {reason}")]
pub struct ExportError {
    /// The file (and entry) where the check failed, e.g. `tile/entries/000.p/7 entry 3 (log entry 4)`.
    pub at: String,
    /// What is wrong.
    pub reason: String,
}

fn fail<T>(at: impl Into<String>, reason: impl Into<String>) -> Result<T, ExportError> {
    Err(ExportError {
        at: at.into(),
        reason: reason.into(),
    })
}

/// Verifies the export in `files` against the log's verifier key, requiring `needed` of
/// `witnesses` to have cosigned its checkpoint. `histories` names the histories an entry
/// about `subject` belongs to (the domain's one function).
pub fn verify(
    files: &dyn Files,
    log_key: &str,
    witnesses: &[String],
    needed: usize,
    histories: &dyn Fn(&Subject) -> Vec<String>,
) -> Result<Verified, ExportError> {
    let note = files
        .read("checkpoint")
        .or_else(|e| fail("checkpoint", e))?
        .map_or_else(|| fail("checkpoint", "missing"), Ok)?;
    let signed = checkpoint::open_witnessed(&note, log_key, witnesses, needed)
        .or_else(|e| fail("checkpoint", e.to_string()))?;
    let earlier = earlier_checkpoints(files, log_key, signed.size)?;
    let mut walk = Walk::new(files, histories);
    let mut at_checkpoint = earlier.iter().peekable();
    let bundles = signed.size.div_ceil(WIDTH);
    for b in 0..bundles {
        let width = (signed.size - b * WIDTH).min(WIDTH);
        let path = entries_path(b, width);
        let data = files
            .read(&path)
            .or_else(|e| fail(&path, e))?
            .map_or_else(|| fail(&path, "missing"), Ok)?;
        let leaves = read_bundle(&data).or_else(|e| fail(&path, e))?;
        if leaves.len() as u64 != width {
            return fail(
                &path,
                format!("holds {} entries; this bundle holds {width}", leaves.len()),
            );
        }
        for (j, leaf) in leaves.into_iter().enumerate() {
            let index = b * WIDTH + j as u64;
            let at = format!("{path} entry {j} (log entry {})", index + 1);
            walk.entry(&at, index, leaf)?;
            while let Some((size, (cp_path, root))) = at_checkpoint.peek() {
                if **size != index + 1 {
                    break;
                }
                if walk.tiler.root() != *root {
                    return fail(
                        cp_path.as_str(),
                        format!(
                            "its root is not the root of the first {size} entries of the export: the log did not grow from it by appending"
                        ),
                    );
                }
                if !walk.last_was_commitment {
                    return fail(
                        cp_path.as_str(),
                        format!("its last entry, log entry {size}, is not a commitment entry"),
                    );
                }
                at_checkpoint.next();
            }
        }
    }
    for file in walk.tiler.partial() {
        walk.compare(&file)?;
    }
    if walk.tiler.root() != signed.root {
        return fail(
            "checkpoint",
            format!(
                "its root is not the root of the {} entries of the export",
                signed.size
            ),
        );
    }
    if signed.size > 0 && !walk.last_was_commitment {
        return fail(
            "checkpoint",
            format!(
                "its last entry, log entry {}, is not a commitment entry",
                signed.size
            ),
        );
    }
    Ok(Verified {
        checkpoint: signed,
        sources: walk.sources.into_iter().map(|(s, (n, _))| (s, n)).collect(),
        commitments: walk.commitments,
        checkpoints: earlier.len(),
        tiles: walk.tiles,
        bytes: walk.bytes,
        receipts: walk.receipts,
    })
}

/// The export's earlier checkpoints by size, each verified under the log's key, with its
/// path and root.
fn earlier_checkpoints(
    files: &dyn Files,
    log_key: &str,
    size: u64,
) -> Result<BTreeMap<u64, (String, Hash)>, ExportError> {
    let mut out = BTreeMap::new();
    let names = files
        .list(CHECKPOINTS_DIR)
        .or_else(|e| fail(CHECKPOINTS_DIR, e))?;
    for name in names {
        let path = format!("{CHECKPOINTS_DIR}/{name}");
        let Ok(named) = name.parse::<u64>() else {
            return fail(&path, "is not named by a tree size");
        };
        let note = files
            .read(&path)
            .or_else(|e| fail(&path, e))?
            .map_or_else(|| fail(&path, "missing"), Ok)?;
        let cp = checkpoint::open(&note, log_key, &[]).or_else(|e| fail(&path, e.to_string()))?;
        if cp.size != named {
            return fail(&path, format!("is a checkpoint of {}", cp.size));
        }
        if cp.size > size {
            return fail(
                &path,
                format!("is of a larger tree than the export's checkpoint of {size}"),
            );
        }
        out.insert(cp.size, (path, cp.root));
    }
    Ok(out)
}

/// The state of the walk over the leaves.
struct Walk<'f> {
    files: &'f dyn Files,
    histories: &'f dyn Fn(&Subject) -> Vec<String>,
    tiler: Tiler,
    /// The previous entry's hash.
    prev: Hash,
    /// Each source's (last sequence, last hash).
    sources: BTreeMap<String, (u64, Hash)>,
    heads: Heads,
    commitments: u64,
    last_was_commitment: bool,
    tiles: u64,
    bytes: u64,
    /// The root of the tree at each commitment entry (where the log signs checkpoints).
    roots: BTreeMap<u64, Hash>,
    /// The case of each approvals entry, by leaf index: what a receipt's leaf must be.
    steps: BTreeMap<u64, Option<String>>,
    /// Each recipient's registered receipt key, as the log last recorded it.
    recipient_keys: BTreeMap<String, String>,
    receipts: u64,
}

impl<'f> Walk<'f> {
    fn new(files: &'f dyn Files, histories: &'f dyn Fn(&Subject) -> Vec<String>) -> Walk<'f> {
        Walk {
            files,
            histories,
            tiler: Tiler::new(),
            prev: GENESIS,
            sources: BTreeMap::new(),
            heads: Heads::new(),
            commitments: 0,
            last_was_commitment: false,
            tiles: 0,
            bytes: 0,
            roots: BTreeMap::new(),
            steps: BTreeMap::new(),
            recipient_keys: BTreeMap::new(),
            receipts: 0,
        }
    }

    /// Checks the leaf at `index` and adds it to the rebuilt tree.
    fn entry(&mut self, at: &str, index: u64, leaf: &[u8]) -> Result<(), ExportError> {
        self.bytes += leaf.len() as u64;
        for file in self.tiler.push(leaf).or_else(|e| fail(at, e.to_string()))? {
            self.compare(&file)?;
        }
        let record = Record::decode(leaf)
            .or_else(|e| fail(at, format!("its bytes are not a log entry: {e}")))?;
        let sequence = index + 1;
        if record.sequence != sequence {
            return fail(
                at,
                format!(
                    "holds log entry {} where log entry {sequence} belongs: entries are reordered, missing or repeated",
                    record.sequence
                ),
            );
        }
        if record.compute_hash() != record.hash {
            return fail(at, "its content does not match its hash");
        }
        if record.prev_hash != self.prev {
            return fail(
                at,
                format!("it does not link to log entry {}", sequence - 1),
            );
        }
        self.prev = record.hash;
        if let Some(origin) = record.origin_record() {
            let (last, hash) = self
                .sources
                .get(&origin.source)
                .copied()
                .unwrap_or((0, GENESIS));
            let of = |what: String| {
                format!(
                    "entry {} of {}'s journal {what}",
                    origin.sequence, origin.source
                )
            };
            if origin.sequence != last + 1 {
                return fail(at, of(format!("comes after its entry {last}")));
            }
            if origin.compute_hash() != origin.hash {
                return fail(at, of("does not match the hash its source gave it".into()));
            }
            if origin.prev_hash != hash {
                return fail(at, of(format!("does not link to its entry {last}")));
            }
            self.sources
                .insert(origin.source.clone(), (origin.sequence, origin.hash));
            self.notification(at, index, &origin)?;
        }
        match commitment::committed(&record) {
            Some(committed) => {
                let committed = committed.or_else(|e| fail(at, e))?;
                let heads = self.heads.commit();
                if committed.covers != self.heads.covers()
                    || committed.subjects != heads.subjects()
                    || committed.root != heads.root()
                {
                    return fail(
                        at,
                        format!(
                            "the commitment says {} histories up to log entry {}, root {}; the entries before it give {} histories, root {}",
                            committed.subjects,
                            committed.covers,
                            hex(&committed.root),
                            heads.subjects(),
                            hex(&heads.root())
                        ),
                    );
                }
                if !record.links.is_empty() {
                    return fail(at, "a commitment entry links into histories");
                }
                self.commitments += 1;
                self.last_was_commitment = true;
                self.roots.insert(sequence, self.tiler.root());
            }
            None => {
                let keys: Vec<&str> = record.links.iter().map(|l| l.key.as_str()).collect();
                let want = (self.histories)(&record.subject);
                if keys != want {
                    return fail(
                        at,
                        format!(
                            "it links into [{}], but its subject belongs to [{}]",
                            keys.join(", "),
                            want.join(", ")
                        ),
                    );
                }
                self.last_was_commitment = false;
            }
        }
        self.heads
            .fold(sequence, &record.links)
            .or_else(|e| fail(at, e))?;
        Ok(())
    }

    /// Follows what notices and receipts need: approvals entries' cases, recipients' keys,
    /// and checks each signed receipt.
    fn notification(&mut self, at: &str, index: u64, step: &Record) -> Result<(), ExportError> {
        match (step.source.as_str(), step.kind.as_str()) {
            ("approvals", _) => {
                self.steps.insert(index, step.subject.case.clone());
            }
            ("notification", "notification.recipient_key_registered") => {
                let p = json(at, &step.payload)?;
                let (Some(recipient), Some(key)) =
                    (p["recipient"].as_str(), p["verifier_key"].as_str())
                else {
                    return fail(at, "a key registration without its recipient and key");
                };
                receipt::check_key(key, recipient).or_else(|e| fail(at, e.to_string()))?;
                self.recipient_keys
                    .insert(recipient.to_owned(), key.to_owned());
            }
            ("notification", "notification.acknowledged") => {
                let p = json(at, &step.payload)?;
                let Some(signed) = p["receipt"].as_str() else {
                    return Ok(());
                };
                let recipient = p["recipient"].as_str().unwrap_or_default();
                let notice = p["notice_id"].as_str().unwrap_or_default();
                let Some(key) = self.recipient_keys.get(recipient) else {
                    return fail(
                        at,
                        format!("a receipt by {recipient}, who registered no key before it"),
                    );
                };
                let said = receipt::open(signed, key)
                    .or_else(|e| fail(at, format!("{recipient}'s receipt of {notice}: {e}")))?;
                let mut wrong = Vec::new();
                if said.recipient != recipient || said.notice_id != notice {
                    wrong.push(format!(
                        "it is {}'s receipt of {}",
                        said.recipient, said.notice_id
                    ));
                }
                match self.steps.get(&said.leaf_index) {
                    Some(case) if *case == step.subject.case => {}
                    Some(_) => wrong.push(format!(
                        "its leaf {} is a step of another case",
                        said.leaf_index
                    )),
                    None => wrong.push(format!(
                        "its leaf {} is no approvals step before it",
                        said.leaf_index
                    )),
                }
                if self.roots.get(&said.tree_size) != Some(&said.root) {
                    wrong.push(format!(
                        "the log signed no checkpoint of {} with the root it names",
                        said.tree_size
                    ));
                }
                if !wrong.is_empty() {
                    return fail(
                        at,
                        format!("{recipient}'s receipt of {notice}: {}", wrong.join("; ")),
                    );
                }
                self.receipts += 1;
            }
            _ => {}
        }
        Ok(())
    }

    /// Compares a rebuilt hash tile with the export's.
    fn compare(&mut self, file: &TileFile) -> Result<(), ExportError> {
        if file.entries {
            return Ok(());
        }
        self.tiles += 1;
        let given = self
            .files
            .read(&file.path)
            .or_else(|e| fail(&file.path, e))?
            .map_or_else(|| fail(&file.path, "missing"), Ok)?;
        if given == file.data {
            return Ok(());
        }
        if given.len() != file.data.len() {
            return fail(
                &file.path,
                format!(
                    "holds {} bytes; the rebuilt tile holds {} hashes",
                    given.len(),
                    file.data.len() / 32
                ),
            );
        }
        let k = given
            .chunks(32)
            .zip(file.data.chunks(32))
            .position(|(a, b)| a != b)
            .unwrap_or_default();
        fail(
            &file.path,
            format!("hash {k} is not the hash the exported entries give"),
        )
    }
}

fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// A journal payload as JSON.
fn json(at: &str, payload: &[u8]) -> Result<serde_json::Value, ExportError> {
    serde_json::from_slice(payload).or_else(|e| fail(at, format!("its payload is not JSON: {e}")))
}
