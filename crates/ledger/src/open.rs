//! Checks done when a ledger opens: the configuration, the journal's metadata and its head.

use sha2::{Digest, Sha256};
use sled::Tree;

use crate::codec;
use crate::config::LedgerConfig;
use crate::error::LedgerError;
use crate::ledger::{JOURNAL_TREE, META_TREE, REQUESTS_TREE};
use crate::merkle::MERKLE_TREE;
use crate::record::{GENESIS, Hash};

const RESERVED_TREES: [&str; 5] = [
    JOURNAL_TREE,
    META_TREE,
    REQUESTS_TREE,
    MERKLE_TREE,
    "__sled__default",
];

/// Refuses a configuration that cannot work.
pub(crate) fn validate(config: &LedgerConfig) -> Result<(), LedgerError> {
    let invalid = |m: String| Err(LedgerError::InvalidConfig(m));
    if config.source.is_empty() {
        return invalid("source must not be empty".into());
    }
    if config.max_batch == 0 {
        return invalid("max_batch must be at least 1".into());
    }
    for (i, name) in config.trees.iter().enumerate() {
        if RESERVED_TREES.contains(&name.as_str()) {
            return invalid(format!("tree name {name:?} is reserved"));
        }
        if config.trees[..i].contains(name) {
            return invalid(format!("tree {name:?} is listed twice"));
        }
    }
    Ok(())
}

/// Records the format and source on first open; refuses a journal of another source or
/// format afterwards.
pub(crate) fn check_meta(db: &sled::Db, source: &str) -> Result<(), LedgerError> {
    let meta = db.open_tree(META_TREE)?;
    match meta.get("format")? {
        Some(v) if v.as_ref() != [codec::FORMAT_VERSION] => {
            return Err(LedgerError::UnsupportedFormat {
                found: v.first().copied().unwrap_or(0),
                expected: codec::FORMAT_VERSION,
            });
        }
        Some(_) => {}
        None => {
            meta.insert("format", &[codec::FORMAT_VERSION][..])?;
        }
    }
    match meta.get("source")? {
        Some(v) if v.as_ref() != source.as_bytes() => Err(LedgerError::SourceMismatch {
            stored: String::from_utf8_lossy(&v).into_owned(),
            configured: source.to_owned(),
        }),
        Some(_) => Ok(()),
        None => {
            meta.insert("source", source.as_bytes())?;
            Ok(())
        }
    }
}

/// Reads the head from the last entry only (no scan).
pub(crate) fn read_head(journal: &Tree) -> Result<(u64, Hash), LedgerError> {
    let Some((key, value)) = journal.last()? else {
        return Ok((0, GENESIS));
    };
    let corrupt = |sequence, detail: &str| LedgerError::Corrupt {
        sequence,
        detail: format!("{detail}; the ledger cannot append after it"),
    };
    let sequence =
        codec::parse_key(&key).ok_or_else(|| corrupt(0, "the last key is not 8 bytes"))?;
    if value.len() < codec::FIXED_LEN || !codec::is_record_format(value[0]) {
        return Err(corrupt(sequence, "the last entry is not a stored record"));
    }
    if codec::peek_sequence(&value) != Some(sequence) {
        return Err(corrupt(
            sequence,
            "the last entry is stored at the wrong position",
        ));
    }
    let hash = codec::peek_hash(&value).expect("length checked");
    let actual: Hash = Sha256::digest(&value[codec::HEADER_LEN..]).into();
    if actual != hash {
        tracing::error!(
            sequence,
            "the last journal entry does not match its hash; run verify"
        );
    }
    Ok((sequence, hash))
}
