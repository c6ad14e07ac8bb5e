//! `Append`: one source's entries continue its chain in the log.

use treaty_ledger::{Link, NewRecord, Once, Origin, Record, Txn};
use treaty_proto::audit as pb;

use super::{AuditStore, Step, refuse, txn_head};
use crate::error::AuditError;
use crate::request::Append;
use crate::stored::{
    BY_CASE, BY_SOURCE, BY_STATE, BY_STATE_TREATY, BY_TREATY, SOURCES, SUBJECTS, head_value,
    index_key, read_head, read_subject, subject_value,
};

impl AuditStore {
    /// Appends one source's consecutive, hash-checked entries, made once per `once`.
    ///
    /// Entries at or below the source's head are a replay: each must carry the hash the log
    /// holds for its sequence, and is skipped. The first new entry must be the head's
    /// successor and link to its hash. Without entries this only reads where the source
    /// stands (the shipper's handshake), and writes and remembers nothing.
    pub async fn append(
        &self,
        once: Option<&Once>,
        cmd: Append,
    ) -> Result<pb::AppendResponse, AuditError> {
        if cmd.records.is_empty() {
            return Ok(pb::AppendResponse {
                accepted: 0,
                duplicates: 0,
                source_head: self.source_head(&cmd.source)?,
                log_head: self.ledger.head().0,
            });
        }
        let Append {
            source, records, ..
        } = cmd;
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            continue_chain(txn, &source, &records)
        })
        .await
    }
}

fn continue_chain(txn: &mut Txn<'_>, source: &str, records: &[Record]) -> Step<pb::AppendResponse> {
    let (mut head, mut head_hash) = txn_head(txn, source)?;
    let (mut accepted, mut duplicates) = (0, 0);
    for e in records {
        if e.sequence <= head {
            let held = txn.tree(BY_SOURCE).get(index_key(&[source], e.sequence))?;
            let Some((_, held_hash)) = held.as_deref().and_then(read_head) else {
                return refuse(AuditError::Corrupt(format!(
                    "entry {} of source {source} is below its head but not indexed",
                    e.sequence
                )));
            };
            if held_hash != e.hash {
                return refuse(AuditError::ConflictingReplay {
                    source_name: source.to_owned(),
                    sequence: e.sequence,
                });
            }
            duplicates += 1;
            continue;
        }
        if e.sequence != head + 1 {
            return refuse(AuditError::Gap {
                source_name: source.to_owned(),
                expected: head + 1,
                got: e.sequence,
            });
        }
        if e.prev_hash != head_hash {
            return refuse(AuditError::BrokenChain {
                source_name: source.to_owned(),
                expected: head + 1,
            });
        }
        let links = link(txn, e)?;
        let global = txn.append(copy(source, e).links(links));
        index(txn, source, e, global)?;
        (head, head_hash) = (e.sequence, e.hash);
        accepted += 1;
    }
    txn.tree(SOURCES)
        .insert(source.as_bytes(), head_value(head, &head_hash))?;
    Ok(pb::AppendResponse {
        accepted,
        duplicates,
        source_head: head,
        log_head: txn.last_appended().0,
    })
}

/// The log's copy of a source entry: its content, and its place in its source's chain as
/// the origin.
fn copy(source: &str, e: &Record) -> NewRecord {
    NewRecord {
        origin: Some(Origin {
            source: source.to_owned(),
            sequence: e.sequence,
            prev_hash: e.prev_hash,
            hash: e.hash,
            recorded_at: e.recorded_at,
        }),
        ..NewRecord::new(e.kind.clone(), e.subject.clone(), e.actor.clone())
            .on(e.occurred_on)
            .sources(e.sources.clone())
            .payload(e.payload.clone())
    }
}

/// Where the entry `e` stands in each history it belongs to (`treaty_domain::histories`):
/// its count and the sequence of the history's previous entry, and the history's head moves
/// to the sequence it is about to get.
fn link(txn: &Txn<'_>, e: &Record) -> Step<Vec<Link>> {
    let s = &e.subject;
    let sequence = txn.last_appended().0 + 1;
    let mut links = Vec::new();
    for key in treaty_domain::histories(s.state.as_deref(), s.treaty.as_deref(), s.case.as_deref())
    {
        let (count, last) = match txn.tree(SUBJECTS).get(key.as_bytes())? {
            None => (0, 0),
            Some(v) => read_subject(&v).map_or_else(
                || {
                    refuse(AuditError::Corrupt(format!(
                        "the head of history {key} is unreadable"
                    )))
                },
                Ok,
            )?,
        };
        txn.tree(SUBJECTS)
            .insert(key.as_bytes(), &subject_value(count + 1, sequence)[..])?;
        links.push(Link {
            key,
            count: count + 1,
            prev: last,
        });
    }
    Ok(links)
}

/// Indexes the source entry `e`, copied at global sequence `global`.
fn index(txn: &Txn<'_>, source: &str, e: &Record, global: u64) -> Step<()> {
    txn.tree(BY_SOURCE).insert(
        index_key(&[source], e.sequence),
        head_value(global, &e.hash),
    )?;
    let s = &e.subject;
    if let Some(state) = &s.state {
        txn.tree(BY_STATE)
            .insert(index_key(&[state], global), &[])?;
        if let Some(treaty) = &s.treaty {
            txn.tree(BY_STATE_TREATY)
                .insert(index_key(&[state, treaty], global), &[])?;
        }
    }
    if let Some(treaty) = &s.treaty {
        txn.tree(BY_TREATY)
            .insert(index_key(&[treaty], global), &[])?;
    }
    if let Some(case) = &s.case {
        txn.tree(BY_CASE).insert(index_key(&[case], global), &[])?;
    }
    Ok(())
}
