//! Verification of the whole chain, straight from the stored bytes (no decoding).

use sha2::{Digest, Sha256};
use sled::Tree;

use crate::codec;
use crate::error::LedgerError;
use crate::record::{GENESIS, Hash};

/// The result of [`Ledger::verify`](crate::Ledger::verify).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries checked and found sound before the first problem (all of them when clean).
    pub checked: u64,
    /// The durable head the check ran up to.
    pub head: (u64, Hash),
    /// The first problem, in sequence order; `None` when the chain is sound.
    pub problem: Option<Problem>,
}

impl VerifyReport {
    /// Whether the chain is sound.
    pub fn is_clean(&self) -> bool {
        self.problem.is_none()
    }
}

/// The first thing wrong with a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The sequence of the entry that is altered, missing, out of place or undecodable.
    pub sequence: u64,
    /// What kind of problem it is.
    pub kind: ProblemKind,
    /// A sentence for an operator.
    pub detail: String,
}

/// Kinds of chain problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The entry's stored hash does not match its contents, or its `prev_hash` does not
    /// match the previous entry's hash (it was rewritten and re-hashed).
    Altered,
    /// There is no entry at this sequence although later ones (or the head) exist.
    Missing,
    /// The entry at this position is internally sound but says it is another sequence.
    Reordered,
    /// The stored value is too short or has an unknown format version.
    Undecodable,
}

/// Below this many entries verification runs on the calling thread only.
const PARALLEL_FROM: u64 = 50_000;

/// Checks entries `1..=head.0`: contiguous keys, a known format, each stored hash against
/// SHA-256 of its body, each body's sequence against its key, each `prev_hash` against the
/// previous entry's hash, and the last hash against `head.1`.
///
/// Large logs are split into contiguous segments checked on parallel threads; the links
/// between segments are checked afterwards, so the report is the same as a sequential
/// scan's.
pub(crate) fn verify(journal: &Tree, head: (u64, Hash)) -> Result<VerifyReport, LedgerError> {
    let threads = if head.0 < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8)) as u64
    };
    verify_in(journal, head, threads)
}

/// [`verify`] with `threads` segments.
fn verify_in(journal: &Tree, head: (u64, Hash), threads: u64) -> Result<VerifyReport, LedgerError> {
    let per = head.0.div_ceil(threads).max(1);
    let bounds: Vec<(u64, u64)> = (0..threads)
        .map(|i| (i * per + 1, ((i + 1) * per).min(head.0)))
        .filter(|(from, to)| from <= to)
        .collect();
    let segments: Vec<Result<Segment, LedgerError>> = if bounds.len() <= 1 {
        bounds
            .iter()
            .map(|&(from, to)| check_segment(journal, from, to))
            .collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = bounds
                .iter()
                .map(|&(from, to)| scope.spawn(move || check_segment(journal, from, to)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a verify thread panicked"))
                .collect()
        })
    };

    let mut checked = 0;
    let mut prev = GENESIS;
    let report = |checked: u64, problem: Problem| VerifyReport {
        checked,
        head,
        problem: Some(problem),
    };
    for (segment, &(from, _)) in segments.into_iter().zip(&bounds) {
        let segment = segment?;
        if let Some(first_prev) = segment.first_prev
            && first_prev != prev
        {
            return Ok(report(checked, broken_link(from)));
        }
        if let Some(problem) = segment.problem {
            return Ok(report(checked + segment.sound, problem));
        }
        checked += segment.sound;
        prev = segment.last;
    }
    if head.0 > 0 && prev != head.1 {
        let problem = Problem {
            sequence: head.0,
            kind: ProblemKind::Altered,
            detail: format!(
                "entry {}'s hash differs from the head this ledger recorded",
                head.0
            ),
        };
        return Ok(report(checked - 1, problem));
    }
    Ok(VerifyReport {
        checked,
        head,
        problem: None,
    })
}

/// What checking `from..=to` found.
struct Segment {
    /// Entries found sound before the first problem.
    sound: u64,
    /// The first entry's `prev_hash`, if that entry is sound on its own (its link to the
    /// previous segment is checked by the caller).
    first_prev: Option<Hash>,
    /// The hash of the last sound entry.
    last: Hash,
    /// The first problem inside the segment.
    problem: Option<Problem>,
}

fn broken_link(sequence: u64) -> Problem {
    Problem {
        sequence,
        kind: ProblemKind::Altered,
        detail: format!(
            "entry {sequence}'s prev_hash does not match the hash of entry {}",
            sequence - 1
        ),
    }
}

fn missing(sequence: u64) -> String {
    format!("entry {sequence} is missing, though later entries or the durable head exist")
}

fn check_segment(journal: &Tree, from: u64, to: u64) -> Result<Segment, LedgerError> {
    let mut segment = Segment {
        sound: 0,
        first_prev: None,
        last: GENESIS,
        problem: None,
    };
    let mut expected = from;
    let problem = |sequence, kind, detail| {
        Some(Problem {
            sequence,
            kind,
            detail,
        })
    };
    for item in journal.range(codec::key(from)..=codec::key(to)) {
        let (key, value) = item?;
        let Some(sequence) = codec::parse_key(&key) else {
            let detail = format!("a journal key is {} bytes long, not 8", key.len());
            segment.problem = problem(expected, ProblemKind::Undecodable, detail);
            return Ok(segment);
        };
        if sequence != expected {
            let detail = missing(expected);
            segment.problem = problem(expected, ProblemKind::Missing, detail);
            return Ok(segment);
        }
        if value.len() < codec::FIXED_LEN || !codec::is_record_format(value[0]) {
            let detail = format!(
                "entry {sequence} is not a stored record ({} bytes, version byte {:?})",
                value.len(),
                value.first()
            );
            segment.problem = problem(sequence, ProblemKind::Undecodable, detail);
            return Ok(segment);
        }
        let stored = codec::peek_hash(&value).expect("length checked");
        let actual: Hash = Sha256::digest(&value[codec::HEADER_LEN..]).into();
        if actual != stored {
            let detail = format!("entry {sequence}'s contents do not match its stored hash");
            segment.problem = problem(sequence, ProblemKind::Altered, detail);
            return Ok(segment);
        }
        let claimed = codec::peek_sequence(&value).expect("length checked");
        if claimed != sequence {
            let detail = format!("the entry stored at position {sequence} is entry {claimed}");
            segment.problem = problem(sequence, ProblemKind::Reordered, detail);
            return Ok(segment);
        }
        let prev_hash = codec::peek_prev_hash(&value).expect("length checked");
        if sequence == from {
            segment.first_prev = Some(prev_hash);
        } else if prev_hash != segment.last {
            segment.problem = Some(broken_link(sequence));
            return Ok(segment);
        }
        segment.last = stored;
        segment.sound += 1;
        expected += 1;
    }
    if expected <= to {
        let detail = missing(expected);
        segment.problem = problem(expected, ProblemKind::Missing, detail);
    }
    Ok(segment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;

    fn journal(n: u64) -> (sled::Db, Tree, (u64, Hash)) {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("journal").unwrap();
        let mut prev = GENESIS;
        for sequence in 1..=n {
            let mut record = Record {
                sequence,
                prev_hash: prev,
                hash: GENESIS,
                source: "test".into(),
                kind: "k".into(),
                subject: Default::default(),
                actor: "a".into(),
                occurred_on: None,
                recorded_at: jiff::Timestamp::UNIX_EPOCH,
                sources: vec![],
                payload: sequence.to_be_bytes().to_vec(),
                origin: None,
                links: Vec::new(),
            };
            tree.insert(codec::key(sequence), record.seal()).unwrap();
            prev = record.hash;
        }
        (db, tree, (n, prev))
    }

    /// Every segmentation reports what a sequential scan reports.
    fn assert_same_for_all_segmentations(tree: &Tree, head: (u64, Hash)) -> VerifyReport {
        let sequential = verify_in(tree, head, 1).unwrap();
        for threads in 2..=7 {
            assert_eq!(
                verify_in(tree, head, threads).unwrap(),
                sequential,
                "{threads} segments"
            );
        }
        sequential
    }

    #[test]
    fn parallel_segments_report_what_a_sequential_scan_reports() {
        let n = 24;
        let (_db, tree, head) = journal(n);
        assert!(assert_same_for_all_segmentations(&tree, head).is_clean());
        for seq in 1..=n {
            let original = tree.get(codec::key(seq)).unwrap().unwrap();

            // One altered byte in the body.
            let mut altered = original.to_vec();
            *altered.last_mut().unwrap() ^= 1;
            tree.insert(codec::key(seq), altered).unwrap();
            let report = assert_same_for_all_segmentations(&tree, head);
            let problem = report.problem.unwrap();
            assert_eq!(
                (problem.sequence, problem.kind),
                (seq, ProblemKind::Altered)
            );
            assert_eq!(report.checked, seq - 1);

            // Re-hashed with a broken link.
            let mut relinked = Record::decode(&original).unwrap();
            relinked.prev_hash = [7; 32];
            tree.insert(codec::key(seq), relinked.seal()).unwrap();
            let problem = assert_same_for_all_segmentations(&tree, head)
                .problem
                .unwrap();
            assert_eq!(
                (problem.sequence, problem.kind),
                (seq, ProblemKind::Altered)
            );

            // Removed.
            tree.remove(codec::key(seq)).unwrap();
            let problem = assert_same_for_all_segmentations(&tree, head)
                .problem
                .unwrap();
            assert_eq!(
                (problem.sequence, problem.kind),
                (seq, ProblemKind::Missing)
            );

            tree.insert(codec::key(seq), original).unwrap();
        }
        // Swapped neighbours.
        for seq in 1..n {
            let (a, b) = (
                tree.get(codec::key(seq)).unwrap().unwrap(),
                tree.get(codec::key(seq + 1)).unwrap().unwrap(),
            );
            tree.insert(codec::key(seq), b.clone()).unwrap();
            tree.insert(codec::key(seq + 1), a.clone()).unwrap();
            let problem = assert_same_for_all_segmentations(&tree, head)
                .problem
                .unwrap();
            assert_eq!(
                (problem.sequence, problem.kind),
                (seq, ProblemKind::Reordered)
            );
            tree.insert(codec::key(seq), a).unwrap();
            tree.insert(codec::key(seq + 1), b).unwrap();
        }
        assert!(assert_same_for_all_segmentations(&tree, head).is_clean());
    }
}
