//! The C2SP `tlog-tiles` layout: the log as static files any web server, bucket or CDN can
//! serve. Hash tiles `tile/<L>/<N>[.p/<W>]` hold the 256 (or, for the partial tile at the
//! right edge, `W`) hashes of level `8·L` from node `256·N`; entry bundles
//! `tile/entries/<N>[.p/<W>]` hold the leaves themselves, each a big-endian `u16` length and
//! the bytes; `N` is written in three-digit path elements, all but the last prefixed `x`
//! (`1234067` is `x001/x234/067`).
//!
//! [`Tiler`] turns leaves, in order, into exactly those files: an exporter writes them, an
//! offline verifier recomputes them from the leaves and compares, so a tile it was given
//! never stands in for the hashes it rebuilt.

use treaty_ledger::Hash;

use crate::proof::{EMPTY_ROOT, leaf_hash, node_hash};

/// The tile height: 2⁸ = 256 hashes per full tile.
pub const HEIGHT: u8 = 8;
/// Hashes (and entries) in a full tile (bundle).
pub const WIDTH: u64 = 1 << HEIGHT;

/// One file of the layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileFile {
    /// Its path, e.g. `tile/0/x001/234` or `tile/entries/000.p/17`.
    pub path: String,
    /// Its bytes.
    pub data: Vec<u8>,
    /// Whether it is an entry bundle (else a hash tile).
    pub entries: bool,
}

/// `n` in three-digit path elements: `1234067` → `x001/x234/067`.
fn index_path(n: u64) -> String {
    let mut out = format!("{:03}", n % 1000);
    let mut rest = n / 1000;
    while rest > 0 {
        out = format!("x{:03}/{out}", rest % 1000);
        rest /= 1000;
    }
    out
}

fn width_suffix(width: u64) -> String {
    if width == WIDTH {
        String::new()
    } else {
        format!(".p/{width}")
    }
}

/// The path of hash tile `n` of level `level`, `width` hashes wide.
pub fn tile_path(level: u8, n: u64, width: u64) -> String {
    format!("tile/{level}/{}{}", index_path(n), width_suffix(width))
}

/// The path of entry bundle `n`, holding `width` entries.
pub fn entries_path(n: u64, width: u64) -> String {
    format!("tile/entries/{}{}", index_path(n), width_suffix(width))
}

/// Why a leaf cannot go into a bundle.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("entry {index} is {len} bytes; an entry bundle holds entries of at most 65535")]
pub struct TooLong {
    /// The leaf's index.
    pub index: u64,
    /// Its length.
    pub len: usize,
}

/// Reads an entry bundle: its entries, or why it is not one.
pub fn read_bundle(data: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let Some(len) = data.get(at..at + 2) else {
            return Err(format!("a length prefix is cut off at byte {at}"));
        };
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let start = at + 2;
        let Some(entry) = data.get(start..start + len) else {
            return Err(format!(
                "entry {} claims {len} bytes at byte {start}, but the bundle ends at {}",
                out.len(),
                data.len()
            ));
        };
        out.push(entry);
        at = start + len;
    }
    Ok(out)
}

/// Builds the layout's files from the leaves, in order.
#[derive(Clone, Debug, Default)]
pub struct Tiler {
    /// The leaves so far.
    size: u64,
    /// Per level, the hashes of the tile being filled.
    levels: Vec<Vec<Hash>>,
    /// Per level, how many full tiles are done.
    done: Vec<u64>,
    /// The entry bundle being filled, and how many entries it holds.
    bundle: Vec<u8>,
    in_bundle: u64,
    /// The right edge of the tree: the roots of its perfect subtrees, largest first, with
    /// their sizes.
    edge: Vec<(Hash, u64)>,
}

impl Tiler {
    /// No leaves yet.
    pub fn new() -> Tiler {
        Tiler::default()
    }

    /// How many leaves were pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the next leaf; returns the files it completes (full tiles and bundles).
    pub fn push(&mut self, leaf: &[u8]) -> Result<Vec<TileFile>, TooLong> {
        let len = u16::try_from(leaf.len()).map_err(|_| TooLong {
            index: self.size,
            len: leaf.len(),
        })?;
        let mut out = Vec::new();
        self.bundle.extend_from_slice(&len.to_be_bytes());
        self.bundle.extend_from_slice(leaf);
        self.in_bundle += 1;
        if self.in_bundle == WIDTH {
            out.push(TileFile {
                path: entries_path(self.size / WIDTH, WIDTH),
                data: std::mem::take(&mut self.bundle),
                entries: true,
            });
            self.in_bundle = 0;
        }
        let hash = leaf_hash(leaf);
        self.size += 1;
        // The right edge: merge equal-sized subtrees.
        self.edge.push((hash, 1));
        while let [.., (left, l), (right, r)] = self.edge[..] {
            if l != r {
                break;
            }
            self.edge.truncate(self.edge.len() - 2);
            self.edge.push((node_hash(&left, &right), l + r));
        }
        self.add(0, hash, &mut out);
        Ok(out)
    }

    fn add(&mut self, level: usize, hash: Hash, out: &mut Vec<TileFile>) {
        if self.levels.len() == level {
            self.levels.push(Vec::with_capacity(WIDTH as usize));
            self.done.push(0);
        }
        self.levels[level].push(hash);
        if self.levels[level].len() as u64 == WIDTH {
            let hashes = std::mem::take(&mut self.levels[level]);
            let n = self.done[level];
            self.done[level] += 1;
            out.push(TileFile {
                path: tile_path(level as u8, n, WIDTH),
                data: hashes.concat(),
                entries: false,
            });
            self.add(level + 1, subtree(&hashes), out);
        }
    }

    /// The partial tiles and bundle of the tree as it is now (what an export of this size
    /// publishes besides the full ones).
    pub fn partial(&self) -> Vec<TileFile> {
        let mut out = Vec::new();
        if self.in_bundle > 0 {
            out.push(TileFile {
                path: entries_path(self.size / WIDTH, self.in_bundle),
                data: self.bundle.clone(),
                entries: true,
            });
        }
        for (level, hashes) in self.levels.iter().enumerate() {
            if !hashes.is_empty() {
                out.push(TileFile {
                    path: tile_path(level as u8, self.done[level], hashes.len() as u64),
                    data: hashes.concat(),
                    entries: false,
                });
            }
        }
        out
    }

    /// The RFC 6962 root of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut edge = self.edge.iter().rev();
        let Some((last, _)) = edge.next() else {
            return EMPTY_ROOT;
        };
        edge.fold(*last, |right, (left, _)| node_hash(left, &right))
    }
}

/// The root of a perfect subtree over `hashes` (a power of two of them).
fn subtree(hashes: &[Hash]) -> Hash {
    match hashes {
        [one] => *one,
        _ => {
            let (l, r) = hashes.split_at(hashes.len() / 2);
            node_hash(&subtree(l), &subtree(r))
        }
    }
}
