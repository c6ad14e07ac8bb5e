//! The audit store: the global log (a [`Ledger`]) plus, in the same sled
//! database and the same transactions, each source's head and the indexes by
//! state, treaty, case and source sequence.
//!
//! Index keys are `part \0 part \0 … global-sequence(u64 BE)`, so a prefix scan
//! returns one subject's entries in log order and a history query reads only
//! the entries it returns.

use std::sync::Arc;

use sled::transaction::TransactionalTree;
use treaty_ledger::{Abort, CommitError, Hash, Ledger, LedgerConfig, NewRecord, Origin, Record};

use crate::error::AuditError;

const SOURCES: &str = "sources";
const BY_SOURCE: &str = "by_source";
const BY_STATE: &str = "by_state";
const BY_STATE_TREATY: &str = "by_state_treaty";
const BY_TREATY: &str = "by_treaty";
const BY_CASE: &str = "by_case";

/// Every tree the audit store keeps beside the global log.
pub const TREES: [&str; 6] = [
    SOURCES,
    BY_SOURCE,
    BY_STATE,
    BY_STATE_TREATY,
    BY_TREATY,
    BY_CASE,
];

/// What an `Append` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Entries newly added to the global log.
    pub accepted: u64,
    /// Entries already present (a replay), skipped.
    pub duplicates: u64,
    /// The source's last sequence in the log.
    pub source_head: u64,
    /// The global log's last sequence.
    pub log_head: u64,
}

impl AppendOutcome {
    fn encode(&self) -> [u8; 32] {
        let mut out = [0; 32];
        for (i, v) in [
            self.accepted,
            self.duplicates,
            self.source_head,
            self.log_head,
        ]
        .into_iter()
        .enumerate()
        {
            out[i * 8..i * 8 + 8].copy_from_slice(&v.to_be_bytes());
        }
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let v = |i: usize| {
            Some(u64::from_be_bytes(
                bytes.get(i * 8..i * 8 + 8)?.try_into().ok()?,
            ))
        };
        Some(Self {
            accepted: v(0)?,
            duplicates: v(1)?,
            source_head: v(2)?,
            log_head: v(3)?,
        })
    }
}

/// Which entries a listing wants; empty fields match everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// The source service.
    pub source: Option<String>,
    /// The state code.
    pub state: Option<String>,
    /// The treaty id.
    pub treaty: Option<String>,
    /// The withdrawal case.
    pub case: Option<String>,
}

impl Filter {
    fn matches(&self, r: &Record) -> bool {
        let origin_source = r
            .origin
            .as_ref()
            .map_or(r.source.as_str(), |o| o.source.as_str());
        self.source.as_deref().is_none_or(|s| s == origin_source)
            && self
                .state
                .as_deref()
                .is_none_or(|s| r.subject.state.as_deref() == Some(s))
            && self
                .treaty
                .as_deref()
                .is_none_or(|t| r.subject.treaty.as_deref() == Some(t))
            && self
                .case
                .as_deref()
                .is_none_or(|c| r.subject.case.as_deref() == Some(c))
    }
}

/// The first problem in one source's chain inside the global log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceProblem {
    /// The source sequence at which the chain goes wrong.
    pub sequence: u64,
    /// What is wrong.
    pub kind: treaty_ledger::ProblemKind,
    /// A sentence.
    pub detail: String,
}

/// The verification of one source's chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceReport {
    /// The source.
    pub source: String,
    /// Its last sequence in the log and that entry's hash.
    pub head: (u64, Hash),
    /// The first problem, if any.
    pub problem: Option<SourceProblem>,
}

/// The audit service's storage.
#[derive(Clone, Debug)]
pub struct AuditStore {
    ledger: Ledger,
}

fn key(parts: &[&str], seq: u64) -> Vec<u8> {
    let mut k = prefix(parts);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn prefix(parts: &[&str]) -> Vec<u8> {
    let mut k = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 8);
    for p in parts {
        k.extend_from_slice(p.as_bytes());
        k.push(0);
    }
    k
}

fn seq_suffix(k: &[u8]) -> Option<u64> {
    let tail = k.get(k.len().checked_sub(8)?..)?;
    Some(u64::from_be_bytes(tail.try_into().ok()?))
}

fn head_value(seq: u64, hash: &Hash) -> Vec<u8> {
    let mut v = seq.to_be_bytes().to_vec();
    v.extend_from_slice(hash);
    v
}

fn parse_head(v: &[u8]) -> Option<(u64, Hash)> {
    let seq = u64::from_be_bytes(v.get(..8)?.try_into().ok()?);
    let hash: Hash = v.get(8..40)?.try_into().ok()?;
    Some((seq, hash))
}

fn txn_head(tree: &TransactionalTree, source: &str) -> Result<(u64, Hash), Abort<AuditError>> {
    match tree.get(source.as_bytes())? {
        None => Ok((0, treaty_ledger::GENESIS)),
        Some(v) => parse_head(&v).ok_or_else(|| {
            Abort::Rejected(AuditError::Corrupt(format!(
                "head of source {source} is unreadable"
            )))
        }),
    }
}

impl AuditStore {
    /// Opens (or creates) the store described by `config`; its `trees` are replaced by the
    /// audit trees.
    pub fn open(mut config: LedgerConfig) -> Result<Self, AuditError> {
        config.trees = TREES.iter().map(|t| (*t).to_owned()).collect();
        Ok(Self {
            ledger: Ledger::open(config)?,
        })
    }

    /// The global log.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Appends consecutive, already validated and hash-checked entries of one source.
    ///
    /// Entries at or below the source's head are a replay: they must carry the hash the
    /// log holds for that sequence, and are skipped. The first new entry must be the
    /// head's successor and link to its hash.
    pub async fn append(
        &self,
        request_id: String,
        source: String,
        entries: Vec<Record>,
    ) -> Result<AppendOutcome, AuditError> {
        if entries.is_empty() {
            // A handshake: where does this source stand? Nothing to write.
            let (log_head, _) = self.ledger.head();
            let source_head = self.source_head(&source)?;
            return Ok(AppendOutcome {
                accepted: 0,
                duplicates: 0,
                source_head,
                log_head,
            });
        }
        let entries = Arc::new(entries);
        let request_key = if request_id.is_empty() {
            None
        } else {
            Some(format!("Append/{source}/{request_id}").into_bytes())
        };
        let outcome = self
            .ledger
            .commit(move |txn| {
                if let Some(k) = &request_key
                    && let Some(first) = txn.recall(k)?
                {
                    return AppendOutcome::decode(&first).ok_or_else(|| {
                        Abort::Rejected(AuditError::Corrupt("a stored answer is unreadable".into()))
                    });
                }
                let (mut head, mut head_hash) = txn_head(txn.tree(SOURCES), &source)?;
                let (mut accepted, mut duplicates) = (0, 0);
                for e in entries.iter() {
                    if e.sequence <= head {
                        let stored = txn.tree(BY_SOURCE).get(key(&[&source], e.sequence))?;
                        let same = stored
                            .as_deref()
                            .and_then(parse_head)
                            .is_some_and(|(_, h)| h == e.hash);
                        if !same {
                            return Err(Abort::Rejected(AuditError::ConflictingReplay {
                                source_name: source.clone(),
                                sequence: e.sequence,
                            }));
                        }
                        duplicates += 1;
                        continue;
                    }
                    if e.sequence != head + 1 {
                        return Err(Abort::Rejected(AuditError::Gap {
                            source_name: source.clone(),
                            expected: head + 1,
                            got: e.sequence,
                        }));
                    }
                    if e.prev_hash != head_hash {
                        return Err(Abort::Rejected(AuditError::BrokenChain {
                            source_name: source.clone(),
                            expected: head + 1,
                        }));
                    }
                    let global = txn.append(NewRecord {
                        kind: e.kind.clone(),
                        subject: e.subject.clone(),
                        actor: e.actor.clone(),
                        occurred_on: e.occurred_on,
                        sources: e.sources.clone(),
                        payload: e.payload.clone(),
                        origin: Some(Origin {
                            source: source.clone(),
                            sequence: e.sequence,
                            prev_hash: e.prev_hash,
                            hash: e.hash,
                            recorded_at: e.recorded_at,
                        }),
                    });
                    index(txn, &source, e, global)?;
                    (head, head_hash) = (e.sequence, e.hash);
                    accepted += 1;
                }
                txn.tree(SOURCES)
                    .insert(source.as_bytes(), head_value(head, &head_hash))?;
                let outcome = AppendOutcome {
                    accepted,
                    duplicates,
                    source_head: head,
                    log_head: txn.last_appended().0,
                };
                if let Some(k) = &request_key {
                    txn.remember(k, &outcome.encode())?;
                }
                Ok(outcome)
            })
            .await;
        match outcome {
            Ok(o) => Ok(o),
            Err(CommitError::Rejected(e)) => Err(e),
            Err(CommitError::Storage(e)) => Err(AuditError::Storage(e)),
        }
    }

    /// The last sequence of `source` in the log (0 when none).
    pub fn source_head(&self, source: &str) -> Result<u64, AuditError> {
        let v = self
            .ledger
            .tree(SOURCES)
            .get(source.as_bytes())
            .map_err(storage)?;
        Ok(v.as_deref().and_then(parse_head).map_or(0, |(s, _)| s))
    }

    /// Up to `limit` entries matching `filter` with a global sequence above `after`, in log
    /// order, and whether more may follow.
    ///
    /// The most selective index for the filter is scanned (case, then state and treaty,
    /// state, treaty, source, else the log itself), so the cost follows the answer.
    pub fn list(
        &self,
        filter: &Filter,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<Record>, bool), AuditError> {
        let (tree, pre) = match (&filter.case, &filter.state, &filter.treaty, &filter.source) {
            (Some(c), ..) => (BY_CASE, prefix(&[c])),
            (None, Some(s), Some(t), _) => (BY_STATE_TREATY, prefix(&[s, t])),
            (None, Some(s), None, _) => (BY_STATE, prefix(&[s])),
            (None, None, Some(t), _) => (BY_TREATY, prefix(&[t])),
            (None, None, None, Some(_)) | (None, None, None, None) => {
                return self.list_from_log(filter, after, limit);
            }
        };
        let mut start = pre.clone();
        start.extend_from_slice(&after.saturating_add(1).to_be_bytes());
        // Indexes are written in the same transaction as the log, but a batch's
        // index entries are visible before the batch is durable; answer only up
        // to the durable head, which the log's reads also stop at.
        let (durable, _) = self.ledger.head();
        let mut out = Vec::new();
        for item in self.ledger.tree(tree).range(start..) {
            let (k, _) = item.map_err(storage)?;
            if !k.starts_with(&pre) || k.len() != pre.len() + 8 {
                if !k.starts_with(&pre) {
                    break;
                }
                continue;
            }
            let seq = seq_suffix(&k)
                .ok_or_else(|| AuditError::Corrupt("an index key is short".into()))?;
            if seq > durable {
                continue;
            }
            let record = self
                .ledger
                .get(seq)?
                .ok_or_else(|| AuditError::Corrupt(format!("index names missing entry {seq}")))?;
            if filter.matches(&record) {
                if out.len() == limit {
                    return Ok((out, true));
                }
                out.push(record);
            }
        }
        Ok((out, false))
    }

    fn list_from_log(
        &self,
        filter: &Filter,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<Record>, bool), AuditError> {
        let (head, _) = self.ledger.head();
        let mut out = Vec::new();
        for record in self.ledger.range(after.saturating_add(1), head) {
            let record = record?;
            if filter.matches(&record) {
                if out.len() == limit {
                    return Ok((out, true));
                }
                out.push(record);
            }
        }
        Ok((out, false))
    }

    /// Verifies every source's chain inside the global log, in one pass over it:
    /// each source's entries are contiguous from 1, each hashes to what its
    /// source said, and each links to its predecessor.
    pub fn verify_sources(&self) -> Result<Vec<SourceReport>, AuditError> {
        use std::collections::BTreeMap;
        use treaty_ledger::ProblemKind;
        // Up to the durable head, as the global log's own check does.
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
                .or_insert_with(|| SourceReport {
                    source: origin.source.clone(),
                    head: (0, treaty_ledger::GENESIS),
                    problem: None,
                });
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
                Some((
                    head + 1,
                    kind,
                    format!(
                        "expected entry {} next, found {} (global entry {})",
                        head + 1,
                        origin.sequence,
                        record.sequence
                    ),
                ))
            } else if origin.compute_hash() != origin.hash {
                Some((
                    origin.sequence,
                    ProblemKind::Altered,
                    "its content does not match its hash".to_owned(),
                ))
            } else if origin.prev_hash != prev {
                Some((
                    origin.sequence,
                    ProblemKind::Reordered,
                    "it does not link to its predecessor".to_owned(),
                ))
            } else {
                None
            };
            match problem {
                Some((sequence, kind, detail)) => {
                    chain.problem = Some(SourceProblem {
                        sequence,
                        kind,
                        detail,
                    })
                }
                None => chain.head = (origin.sequence, origin.hash),
            }
        }
        // A source whose head the log records beyond what the pass found lost its tail.
        for item in self.ledger.tree(SOURCES).iter() {
            let (name, value) = item.map_err(storage)?;
            let source = String::from_utf8_lossy(&name).into_owned();
            let recorded = parse_head(&value).map_or(0, |(seq, _)| seq);
            let chain = chains
                .entry(source.clone())
                .or_insert_with(|| SourceReport {
                    source,
                    head: (0, treaty_ledger::GENESIS),
                    problem: None,
                });
            if chain.problem.is_none()
                && recorded > chain.head.0
                && !self.in_flight(&chain.source, chain.head.0 + 1, durable)?
            {
                let missing = chain.head.0 + 1;
                chain.problem = Some(SourceProblem {
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

    /// Whether `source`'s entry `sequence` is indexed at a global position beyond
    /// `durable` (a batch in flight), rather than missing.
    fn in_flight(&self, source: &str, sequence: u64, durable: u64) -> Result<bool, AuditError> {
        let v = self
            .ledger
            .tree(BY_SOURCE)
            .get(key(&[source], sequence))
            .map_err(storage)?;
        Ok(v.as_deref()
            .and_then(parse_head)
            .is_some_and(|(global, _)| global > durable))
    }
}

fn index(
    txn: &mut treaty_ledger::Txn<'_>,
    source: &str,
    e: &Record,
    global: u64,
) -> Result<(), Abort<AuditError>> {
    txn.tree(BY_SOURCE)
        .insert(key(&[source], e.sequence), head_value(global, &e.hash))?;
    let s = &e.subject;
    if let Some(state) = &s.state {
        txn.tree(BY_STATE).insert(key(&[state], global), &[])?;
        if let Some(treaty) = &s.treaty {
            txn.tree(BY_STATE_TREATY)
                .insert(key(&[state, treaty], global), &[])?;
        }
    }
    if let Some(treaty) = &s.treaty {
        txn.tree(BY_TREATY).insert(key(&[treaty], global), &[])?;
    }
    if let Some(case) = &s.case {
        txn.tree(BY_CASE).insert(key(&[case], global), &[])?;
    }
    Ok(())
}

fn storage(e: sled::Error) -> AuditError {
    AuditError::Storage(treaty_ledger::LedgerError::from(e))
}
