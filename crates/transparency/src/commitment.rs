//! The subject commitment: what makes a history provably complete.
//!
//! Every entry of the log links into each history it belongs to (a [`Link`]: the subject's
//! running count and the sequence of its previous entry). Before each checkpoint the log
//! appends a commitment entry whose payload is the RFC 6962 root over every subject's head —
//! (key, count, last sequence), sorted by key — as of the entry just before it. A client given
//! a history checks the links back from the committed head: an entry left out in the middle
//! breaks a link, one withheld at the end disagrees with the committed head.
//!
//! A head's leaf is `u32 BE key length ‖ key ‖ u64 BE count ‖ u64 BE last sequence`.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use tlog_tiles::HashReader;
use treaty_ledger::{Hash, Link, Record};

use crate::proof::{self, ProofError};

/// The journal kind of a commitment entry.
pub const COMMITMENT_KIND: &str = "audit.subjects_committed";

/// One subject's head: how many entries its history has and where the last one is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The history's key (`state/LT`, …).
    pub key: String,
    /// How many entries it has.
    pub count: u64,
    /// The sequence of its last entry.
    pub last: u64,
}

impl Head {
    /// The head's leaf bytes in the commitment tree.
    pub fn leaf(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.key.len() + 16);
        out.extend_from_slice(
            &u32::try_from(self.key.len())
                .expect("a key shorter than 4 GiB")
                .to_be_bytes(),
        );
        out.extend_from_slice(self.key.as_bytes());
        out.extend_from_slice(&self.count.to_be_bytes());
        out.extend_from_slice(&self.last.to_be_bytes());
        out
    }
}

/// Every subject's head as of some sequence: the fold of the log's links.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Heads {
    /// Key → (count, last sequence).
    heads: BTreeMap<String, (u64, u64)>,
    /// The last sequence folded in.
    covers: u64,
}

impl Heads {
    /// No subjects, as of the empty log.
    pub fn new() -> Heads {
        Heads::default()
    }

    /// Heads as stored (key, count, last), as of sequence `covers`.
    pub fn from_parts(covers: u64, heads: impl IntoIterator<Item = (String, u64, u64)>) -> Heads {
        Heads {
            heads: heads.into_iter().map(|(k, c, l)| (k, (c, l))).collect(),
            covers,
        }
    }

    /// The last sequence folded in.
    pub fn covers(&self) -> u64 {
        self.covers
    }

    /// How many subjects there are.
    pub fn len(&self) -> usize {
        self.heads.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    /// The head of `key`, if it has entries.
    pub fn get(&self, key: &str) -> Option<Head> {
        self.heads.get(key).map(|&(count, last)| Head {
            key: key.to_owned(),
            count,
            last,
        })
    }

    /// Folds in the entry at `sequence` with `links`, which must be the next one. `Err`
    /// names what does not continue: a link whose count or back-pointer disagrees with the
    /// head so far.
    pub fn fold(&mut self, sequence: u64, links: &[Link]) -> Result<(), String> {
        if sequence != self.covers + 1 {
            return Err(format!(
                "entry {sequence} folded after entry {}",
                self.covers
            ));
        }
        for link in links {
            let (count, last) = self.heads.get(&link.key).copied().unwrap_or((0, 0));
            if link.count != count + 1 || link.prev != last {
                return Err(format!(
                    "entry {sequence} says it is entry {} of {} after entry {}, but the log has {count} before it, the last at {last}",
                    link.count, link.key, link.prev
                ));
            }
            self.heads.insert(link.key.clone(), (link.count, sequence));
        }
        self.covers = sequence;
        Ok(())
    }

    /// The commitment over these heads.
    pub fn commit(&self) -> Commitment {
        Commitment::new(self)
    }

    /// Every head, in key order.
    pub fn iter(&self) -> impl Iterator<Item = Head> + '_ {
        self.heads.iter().map(|(key, &(count, last))| Head {
            key: key.clone(),
            count,
            last,
        })
    }
}

/// In-memory hashes of a small tree, in the tlog layout.
#[derive(Clone)]
struct Hashes(Vec<tlog_tiles::Hash>);

impl HashReader for Hashes {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.0.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

/// The Merkle tree over every head, sorted by key.
#[derive(Clone)]
pub struct Commitment {
    keys: Vec<String>,
    hashes: Hashes,
    root: Hash,
    covers: u64,
}

impl std::fmt::Debug for Commitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commitment")
            .field("subjects", &self.keys.len())
            .field("covers", &self.covers)
            .finish_non_exhaustive()
    }
}

impl Commitment {
    fn new(heads: &Heads) -> Commitment {
        let mut hashes = Hashes(Vec::with_capacity(heads.len() * 2));
        let mut keys = Vec::with_capacity(heads.len());
        for (n, head) in (0_u64..).zip(heads.iter()) {
            let new = tlog_tiles::stored_hashes(n, &head.leaf(), &hashes)
                .expect("the earlier hashes are all in memory");
            hashes.0.extend(new);
            keys.push(head.key);
        }
        let root = tlog_tiles::tree_hash(keys.len() as u64, &hashes)
            .expect("every hash is in memory")
            .0;
        Commitment {
            keys,
            hashes,
            root,
            covers: heads.covers,
        }
    }

    /// The root over every head.
    pub fn root(&self) -> Hash {
        self.root
    }

    /// How many subjects it commits to.
    pub fn subjects(&self) -> u64 {
        self.keys.len() as u64
    }

    /// The last sequence it covers.
    pub fn covers(&self) -> u64 {
        self.covers
    }

    /// The index of `key`'s head and its inclusion proof, if the key has entries.
    pub fn prove(&self, key: &str) -> Option<(u64, Vec<Hash>)> {
        let index = self.keys.binary_search_by(|k| k.as_str().cmp(key)).ok()? as u64;
        Some((index, self.prove_index(index)))
    }

    /// For a key with no entries: the indexes and proofs of the heads on either side of where
    /// it would be (one at either end, none in an empty commitment), which prove it absent.
    /// `None` when the key has entries.
    pub fn prove_absent(&self, key: &str) -> Option<Vec<(String, u64, Vec<Hash>)>> {
        let at = self.keys.binary_search_by(|k| k.as_str().cmp(key)).err()?;
        let around = at
            .checked_sub(1)
            .into_iter()
            .chain((at < self.keys.len()).then_some(at));
        Some(
            around
                .map(|i| (self.keys[i].clone(), i as u64, self.prove_index(i as u64)))
                .collect(),
        )
    }

    fn prove_index(&self, index: u64) -> Vec<Hash> {
        tlog_tiles::prove_record(self.subjects(), index, &self.hashes)
            .expect("every hash is in memory")
            .into_iter()
            .map(|h| h.0)
            .collect()
    }

    /// The payload of the commitment entry.
    pub fn payload(&self) -> Vec<u8> {
        serde_json::to_vec(&Payload {
            format: 1,
            covers: self.covers,
            subjects: self.subjects(),
            root: STANDARD.encode(self.root),
        })
        .expect("a payload serializes")
    }
}

/// What a commitment entry's payload says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    format: u8,
    covers: u64,
    subjects: u64,
    root: String,
}

/// A commitment entry read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The last sequence it covers (the entry before it).
    pub covers: u64,
    /// How many subjects it commits to.
    pub subjects: u64,
    /// The root over their heads.
    pub root: Hash,
}

/// Reads a commitment entry; `None` when `record` is not one, `Err` when it is one that
/// cannot be read.
pub fn committed(record: &Record) -> Option<Result<Committed, String>> {
    if record.kind != COMMITMENT_KIND || record.origin.is_some() {
        return None;
    }
    Some(read_payload(record))
}

fn read_payload(record: &Record) -> Result<Committed, String> {
    let p: Payload = serde_json::from_slice(&record.payload)
        .map_err(|e| format!("the commitment at {} is unreadable: {e}", record.sequence))?;
    if p.format != 1 {
        return Err(format!(
            "the commitment at {} has format {}",
            record.sequence, p.format
        ));
    }
    let root = STANDARD
        .decode(&p.root)
        .ok()
        .and_then(|r| Hash::try_from(r.as_slice()).ok())
        .ok_or_else(|| format!("the commitment at {} has no 32-byte root", record.sequence))?;
    if p.covers + 1 != record.sequence {
        return Err(format!(
            "the commitment at {} covers up to {}, not the entry before it",
            record.sequence, p.covers
        ));
    }
    Ok(Committed {
        covers: p.covers,
        subjects: p.subjects,
        root,
    })
}

/// Checks that `head` is leaf `index` of a commitment of `subjects` heads with `root`.
pub fn verify_head(
    head: &Head,
    index: u64,
    subjects: u64,
    proof: &[impl AsRef<[u8]>],
    root: &Hash,
) -> Result<(), ProofError> {
    proof::verify_inclusion(
        index,
        subjects,
        &proof::leaf_hash(&head.leaf()),
        proof,
        root,
    )
}
