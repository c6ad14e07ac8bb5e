//! RFC 6962 / RFC 9162 proofs, checked from bytes as a client receives them.
//!
//! The hashing and the proof arithmetic are `tlog_tiles`' (a port of Go's `sumdb/tlog`); this
//! module reads untrusted inputs into it: every hash must be exactly 32 bytes, sizes must make
//! sense, and every refusal says which part is wrong.

use treaty_ledger::Hash;

/// Why a proof does not hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A hash in the input is not 32 bytes long.
    #[error("the {what} is {len} bytes long, not 32")]
    HashLength {
        /// Which hash (`root`, `leaf hash`, `proof hash 2`, …).
        what: String,
        /// Its length.
        len: usize,
    },
    /// The sizes or indexes cannot be proved at all.
    #[error("{0}")]
    Impossible(String),
    /// The proof does not lead to the root it should.
    #[error("the proof does not match the root: {0}")]
    Mismatch(String),
}

/// A 32-byte hash from untrusted bytes.
pub fn hash(what: &str, bytes: &[u8]) -> Result<Hash, ProofError> {
    bytes.try_into().map_err(|_| ProofError::HashLength {
        what: what.to_owned(),
        len: bytes.len(),
    })
}

fn hashes(proof: &[impl AsRef<[u8]>]) -> Result<Vec<tlog_tiles::Hash>, ProofError> {
    proof
        .iter()
        .enumerate()
        .map(|(i, h)| hash(&format!("proof hash {}", i + 1), h.as_ref()).map(tlog_tiles::Hash))
        .collect()
}

/// The RFC 6962 leaf hash of `data`: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    tlog_tiles::record_hash(data).0
}

/// The RFC 6962 hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    tlog_tiles::node_hash(tlog_tiles::Hash(*left), tlog_tiles::Hash(*right)).0
}

/// The root of the empty tree: SHA-256 of nothing.
pub const EMPTY_ROOT: Hash = tlog_tiles::EMPTY_HASH.0;

/// Checks that `proof` shows the leaf with hash `leaf` at `index` in the tree of `size`
/// leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[impl AsRef<[u8]>],
    root: &[u8],
) -> Result<(), ProofError> {
    let root = hash("root", root)?;
    let leaf = hash("leaf hash", leaf)?;
    let proof = hashes(proof)?;
    if index >= size {
        return Err(ProofError::Impossible(format!(
            "leaf {index} is not in a tree of {size} leaves"
        )));
    }
    tlog_tiles::check_record(
        &proof,
        size,
        tlog_tiles::Hash(root),
        index,
        tlog_tiles::Hash(leaf),
    )
    .map_err(|e| ProofError::Mismatch(format!("leaf {index} in the tree of {size}: {e}")))
}

/// Checks that `proof` shows the tree of `first` leaves with root `first_root` to be a prefix
/// of the tree of `second` leaves with root `second_root`. A first size of 0 proves nothing
/// (every tree extends the empty one) and is refused, as is a proof that is not empty
/// between equal sizes.
pub fn verify_consistency(
    first: u64,
    second: u64,
    proof: &[impl AsRef<[u8]>],
    first_root: &[u8],
    second_root: &[u8],
) -> Result<(), ProofError> {
    let first_root = hash("first root", first_root)?;
    let second_root = hash("second root", second_root)?;
    let proof = hashes(proof)?;
    if first == 0 {
        return Err(ProofError::Impossible(
            "a consistency proof from the empty tree proves nothing".into(),
        ));
    }
    if first > second {
        return Err(ProofError::Impossible(format!(
            "a tree of {first} leaves cannot be a prefix of one of {second}"
        )));
    }
    if first == second {
        if !proof.is_empty() {
            return Err(ProofError::Mismatch(
                "between equal sizes the proof must be empty".into(),
            ));
        }
        if first_root != second_root {
            return Err(ProofError::Mismatch(format!(
                "two different roots for the same size {first}"
            )));
        }
        return Ok(());
    }
    tlog_tiles::check_tree(
        &proof,
        second,
        tlog_tiles::Hash(second_root),
        first,
        tlog_tiles::Hash(first_root),
    )
    .map_err(|e| ProofError::Mismatch(format!("from {first} to {second} leaves: {e}")))
}

/// The first line of a C2SP `tlog-proof`.
const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// An inclusion proof as C2SP `tlog-proof` text: the header line, `index <n>`, one base64
/// hash per line, a blank line, then the signed checkpoint the proof is relative to.
pub fn tlog_proof(index: u64, proof: &[Hash], checkpoint: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = format!("{TLOG_PROOF_HEADER}\nindex {index}\n");
    for h in proof {
        out.push_str(&b64.encode(h));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&String::from_utf8_lossy(checkpoint));
    out
}

/// A C2SP `tlog-proof` read back: the leaf index, the proof hashes and the signed checkpoint.
pub fn read_tlog_proof(text: &str) -> Result<(u64, Vec<Hash>, Vec<u8>), ProofError> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let bad = |why: &str| ProofError::Impossible(format!("not a tlog-proof: {why}"));
    let (head, checkpoint) = text
        .split_once("\n\n")
        .ok_or_else(|| bad("no blank line before the checkpoint"))?;
    let mut lines = head.lines();
    if lines.next() != Some(TLOG_PROOF_HEADER) {
        return Err(bad("the first line is not c2sp.org/tlog-proof@v1"));
    }
    let index = lines
        .next()
        .and_then(|l| l.strip_prefix("index "))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| bad("the second line is not `index <n>`"))?;
    let mut hashes = Vec::new();
    for (i, line) in lines.enumerate() {
        let bytes = b64
            .decode(line)
            .map_err(|_| bad(&format!("proof line {} is not base64", i + 1)))?;
        hashes.push(hash(&format!("proof hash {}", i + 1), &bytes)?);
    }
    Ok((index, hashes, checkpoint.as_bytes().to_vec()))
}
