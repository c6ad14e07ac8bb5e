//! `Verify`: the global log's own chain, and every source's chain inside it, up to the
//! durable head.

use std::collections::BTreeMap;

use treaty_ledger::{GENESIS, Hash, LedgerError, Problem, ProblemKind, VerifyReport};

use super::AuditStore;
use crate::error::AuditError;
use crate::stored::{BY_SOURCE, SOURCES, index_key, read_head};

/// The verification of one source's chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceReport {
    pub source: String,
    /// Its last sound sequence in the log and that entry's hash.
    pub head: (u64, Hash),
    /// The first problem, at a sequence of the source's own journal.
    pub problem: Option<Problem>,
}

/// What `Verify` found: the global log's report and one per source, by source name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub global: VerifyReport,
    pub sources: Vec<SourceReport>,
}

impl SourceReport {
    fn new(source: String) -> Self {
        SourceReport {
            source,
            head: (0, GENESIS),
            problem: None,
        }
    }
}

impl AuditStore {
    /// Verifies the global log and every source chain in it, on a blocking thread.
    pub async fn verify(&self) -> Result<Verification, AuditError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            Ok(Verification {
                global: store.ledger.verify()?,
                sources: store.verify_sources()?,
            })
        })
        .await
        .map_err(|e| AuditError::VerificationInterrupted(e.to_string()))?
    }

    /// Verifies every source's chain inside the global log, in one pass over it: each
    /// source's entries are contiguous from 1, each hashes to what its source said, and each
    /// links to its predecessor.
    pub fn verify_sources(&self) -> Result<Vec<SourceReport>, AuditError> {
        let (durable, _) = self.ledger.head();
        let mut chains: BTreeMap<String, SourceReport> = BTreeMap::new();
        for record in self.ledger.range(1, durable) {
            let Ok(record) = record else {
                // The global check reports an undecodable entry with its position.
                continue;
            };
            let Some(origin) = record.origin_record() else {
                continue;
            };
            let chain = chains
                .entry(origin.source.clone())
                .or_insert_with(|| SourceReport::new(origin.source.clone()));
            if chain.problem.is_some() {
                continue;
            }
            let (head, prev) = chain.head;
            let problem = if origin.sequence != head + 1 {
                let kind = if origin.sequence > head + 1 {
                    ProblemKind::Missing
                } else {
                    ProblemKind::Reordered
                };
                Some(Problem {
                    sequence: head + 1,
                    kind,
                    detail: format!(
                        "expected entry {} next, found {} (global entry {})",
                        head + 1,
                        origin.sequence,
                        record.sequence
                    ),
                })
            } else if origin.compute_hash() != origin.hash {
                Some(Problem {
                    sequence: origin.sequence,
                    kind: ProblemKind::Altered,
                    detail: "its content does not match its hash".to_owned(),
                })
            } else if origin.prev_hash != prev {
                Some(Problem {
                    sequence: origin.sequence,
                    kind: ProblemKind::Reordered,
                    detail: "it does not link to its predecessor".to_owned(),
                })
            } else {
                None
            };
            match problem {
                Some(problem) => chain.problem = Some(problem),
                None => chain.head = (origin.sequence, origin.hash),
            }
        }
        // A source whose head the log records beyond what the pass found lost its tail.
        for item in self.ledger.tree(SOURCES).iter() {
            let (name, value) = item.map_err(LedgerError::from)?;
            let source = String::from_utf8_lossy(&name).into_owned();
            let recorded = read_head(&value).map_or(0, |(sequence, _)| sequence);
            let chain = chains
                .entry(source.clone())
                .or_insert_with(|| SourceReport::new(source));
            if chain.problem.is_none()
                && recorded > chain.head.0
                && !self.in_flight(&chain.source, chain.head.0 + 1, durable)?
            {
                let missing = chain.head.0 + 1;
                chain.problem = Some(Problem {
                    sequence: missing,
                    kind: ProblemKind::Missing,
                    detail: format!(
                        "entry {missing} is missing; the log records {recorded} entries"
                    ),
                });
            }
        }
        Ok(chains.into_values().collect())
    }

    /// Whether `source`'s entry `sequence` is indexed at a global position beyond `durable`
    /// (a batch in flight), rather than missing.
    fn in_flight(&self, source: &str, sequence: u64, durable: u64) -> Result<bool, AuditError> {
        let indexed = self
            .ledger
            .tree(BY_SOURCE)
            .get(index_key(&[source], sequence))
            .map_err(LedgerError::from)?;
        Ok(indexed
            .as_deref()
            .and_then(read_head)
            .is_some_and(|(global, _)| global > durable))
    }
}
