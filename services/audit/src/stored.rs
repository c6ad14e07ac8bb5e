//! The trees the audit service keeps beside the global log, and their bytes. They hold raw
//! keys and big-endian `u64`s, not serde records: each is read by a prefix scan whose byte
//! order must be log order.
//!
//! | tree | key | value |
//! | --- | --- | --- |
//! | `sources` | source name | its head: [`head_value`] of its last sequence and hash |
//! | `by_source` | [`index_key`] `[source]`, source sequence | [`head_value`] of the global sequence and the source's hash |
//! | `by_state` | [`index_key`] `[state]`, global sequence | empty |
//! | `by_state_treaty` | [`index_key`] `[state, treaty]`, global sequence | empty |
//! | `by_treaty` | [`index_key`] `[treaty]`, global sequence | empty |
//! | `by_case` | [`index_key`] `[case]`, global sequence | empty |
//! | `subjects` | a history's key (`state/LT`, see `treaty_domain::histories`) | [`subject_value`]: its entry count and last sequence |
//! | `checkpoints` | tree size as big-endian `u64` | the signed checkpoint note (the log's signature only) |
//! | `cosignatures` | tree size as big-endian `u64`, then the witness's key name | its note signature line |

use treaty_ledger::Hash;

pub const SOURCES: &str = "sources";
pub const BY_SOURCE: &str = "by_source";
pub const BY_STATE: &str = "by_state";
pub const BY_STATE_TREATY: &str = "by_state_treaty";
pub const BY_TREATY: &str = "by_treaty";
pub const BY_CASE: &str = "by_case";
pub const SUBJECTS: &str = "subjects";
pub const CHECKPOINTS: &str = "checkpoints";
pub const COSIGNATURES: &str = "cosignatures";

/// Every tree the audit service keeps beside the global log.
pub const TREES: [&str; 9] = [
    SOURCES,
    BY_SOURCE,
    BY_STATE,
    BY_STATE_TREATY,
    BY_TREATY,
    BY_CASE,
    SUBJECTS,
    CHECKPOINTS,
    COSIGNATURES,
];

/// `[count: u64 BE][last sequence: u64 BE]`.
pub fn subject_value(count: u64, last: u64) -> [u8; 16] {
    let mut v = [0; 16];
    v[..8].copy_from_slice(&count.to_be_bytes());
    v[8..].copy_from_slice(&last.to_be_bytes());
    v
}

/// Reads a [`subject_value`]; `None` when it is not one.
pub fn read_subject(value: &[u8]) -> Option<(u64, u64)> {
    let value: &[u8; 16] = value.try_into().ok()?;
    Some((
        u64::from_be_bytes(value[..8].try_into().ok()?),
        u64::from_be_bytes(value[8..].try_into().ok()?),
    ))
}

/// A `cosignatures` key: the size, then the witness's name.
pub fn cosignature_key(size: u64, witness: &str) -> Vec<u8> {
    let mut k = size.to_be_bytes().to_vec();
    k.extend_from_slice(witness.as_bytes());
    k
}

/// `part \0 part \0 …`: the prefix shared by every index key of one subject.
pub fn index_prefix(parts: &[&str]) -> Vec<u8> {
    let mut k = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 8);
    for p in parts {
        k.extend_from_slice(p.as_bytes());
        k.push(0);
    }
    k
}

/// [`index_prefix`] then `sequence` as big-endian `u64`, so a prefix scan returns one
/// subject's entries in sequence order.
pub fn index_key(parts: &[&str], sequence: u64) -> Vec<u8> {
    let mut k = index_prefix(parts);
    k.extend_from_slice(&sequence.to_be_bytes());
    k
}

/// The sequence an index key ends with.
pub fn index_sequence(key: &[u8]) -> Option<u64> {
    let tail = key.get(key.len().checked_sub(8)?..)?;
    Some(u64::from_be_bytes(tail.try_into().ok()?))
}

/// `[sequence: u64 BE][hash: 32 bytes]`.
pub fn head_value(sequence: u64, hash: &Hash) -> Vec<u8> {
    let mut v = Vec::with_capacity(40);
    v.extend_from_slice(&sequence.to_be_bytes());
    v.extend_from_slice(hash);
    v
}

/// Reads a [`head_value`]; `None` when it is not one.
pub fn read_head(value: &[u8]) -> Option<(u64, Hash)> {
    if value.len() != 40 {
        return None;
    }
    let sequence = u64::from_be_bytes(value[..8].try_into().ok()?);
    let hash: Hash = value[8..].try_into().ok()?;
    Some((sequence, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_keys_sort_by_sequence_within_a_subject() {
        let a = index_key(&["LT", "apmbc"], 2);
        let b = index_key(&["LT", "apmbc"], 256);
        assert!(a < b);
        assert!(a.starts_with(&index_prefix(&["LT", "apmbc"])));
        assert_eq!(index_sequence(&b), Some(256));
    }

    #[test]
    fn a_head_round_trips_and_anything_else_is_refused() {
        let v = head_value(7, &[9; 32]);
        assert_eq!(read_head(&v), Some((7, [9; 32])));
        assert_eq!(read_head(&v[..39]), None);
        assert_eq!(read_head(&[]), None);
    }
}
