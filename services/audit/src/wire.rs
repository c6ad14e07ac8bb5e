//! Log records, verification reports, checkpoints and proofs as API messages (and, for
//! clients, a history's proof read back from its pages).

use treaty_ledger::{Problem, ProblemKind, Record};
use treaty_proto::audit as pb;
use treaty_proto::wire::{opt_date_to_wire, timestamp_to_wire};
use treaty_transparency::commitment::Head;
use treaty_transparency::history::{HistoryProof, ProvedEntry, ProvedHead};

use crate::store::{SourceReport, Verification};

/// A global log record as an API entry: its source, source sequence, source hash and
/// `recorded_at` come from its origin.
pub fn entry(r: &Record) -> pb::Entry {
    let origin = r.origin.as_ref();
    pb::Entry {
        name: format!("entries/{}", r.sequence),
        sequence: r.sequence,
        source: origin.map_or_else(|| r.source.clone(), |o| o.source.clone()),
        source_sequence: origin.map_or(0, |o| o.sequence),
        kind: r.kind.clone(),
        state: r.subject.state.clone().unwrap_or_default(),
        treaty: r.subject.treaty.clone().unwrap_or_default(),
        case_id: r.subject.case.clone().unwrap_or_default(),
        actor: r.actor.clone(),
        occurred_on: opt_date_to_wire(r.occurred_on),
        recorded_at: Some(timestamp_to_wire(
            origin.map_or(r.recorded_at, |o| o.recorded_at),
        )),
        received_at: Some(timestamp_to_wire(r.recorded_at)),
        sources: r.sources.clone(),
        details: String::from_utf8_lossy(&r.payload).into_owned(),
        hash: r.hash.to_vec(),
        prev_hash: r.prev_hash.to_vec(),
        source_hash: origin.map(|o| o.hash.to_vec()).unwrap_or_default(),
        principal: principal(&r.actor),
    }
}

/// The recorded principal an entry's `actor` holds, as the API message.
pub fn principal(actor: &str) -> Option<pb::Principal> {
    treaty_auth::Recorded::parse(actor).map(|r| pb::Principal {
        subject: r.subject.unwrap_or_default(),
        issuer: r.issuer.unwrap_or_default(),
        key_id: r.key_id.unwrap_or_default(),
        service: r.service.unwrap_or_default(),
        task: r.task.unwrap_or_default(),
        via: r.via,
    })
}

/// A source's own journal record as the entry an `Append` carries (what the shipper sends).
pub fn source_entry(r: &Record) -> pb::SourceEntry {
    pb::SourceEntry {
        sequence: r.sequence,
        prev_hash: r.prev_hash.to_vec(),
        hash: r.hash.to_vec(),
        kind: r.kind.clone(),
        state: r.subject.state.clone().unwrap_or_default(),
        treaty: r.subject.treaty.clone().unwrap_or_default(),
        case_id: r.subject.case.clone().unwrap_or_default(),
        actor: r.actor.clone(),
        occurred_on: opt_date_to_wire(r.occurred_on),
        recorded_at: Some(timestamp_to_wire(r.recorded_at)),
        sources: r.sources.clone(),
        payload: r.payload.clone(),
    }
}

fn problem_kind(k: ProblemKind) -> pb::ProblemKind {
    match k {
        ProblemKind::Altered => pb::ProblemKind::Altered,
        ProblemKind::Missing => pb::ProblemKind::Missing,
        ProblemKind::Reordered => pb::ProblemKind::Reordered,
        ProblemKind::Undecodable => pb::ProblemKind::Undecodable,
    }
}

fn problem(p: &Problem) -> pb::Problem {
    pb::Problem {
        sequence: p.sequence,
        kind: problem_kind(p.kind).into(),
        detail: p.detail.clone(),
    }
}

fn source_report(s: &SourceReport) -> pb::SourceReport {
    pb::SourceReport {
        source: s.source.clone(),
        head_sequence: s.head.0,
        head_hash: s.head.1.to_vec(),
        problem: s.problem.as_ref().map(problem),
    }
}

/// The answer of `Verify`: the global log's report and one per source.
pub fn verification(v: &Verification) -> pb::VerifyResponse {
    let global = &v.global;
    pb::VerifyResponse {
        ok: global.is_clean() && v.sources.iter().all(|s| s.problem.is_none()),
        checked: global.checked,
        head_sequence: global.head.0,
        head_hash: global.head.1.to_vec(),
        problem: global.problem.as_ref().map(problem),
        sources: v.sources.iter().map(source_report).collect(),
    }
}

/// A signed checkpoint with its cosignature lines as `GetCheckpoint` answers it; `None` when
/// the stored note does not open under the log's own key.
pub fn checkpoint(
    note: &[u8],
    cosignatures: &[Vec<u8>],
    log_key: &str,
    witnesses: &[String],
) -> Option<pb::GetCheckpointResponse> {
    let mut full = note.to_vec();
    for line in cosignatures {
        full.extend_from_slice(line);
    }
    let opened = treaty_transparency::checkpoint::open(&full, log_key, witnesses).ok()?;
    Some(pb::GetCheckpointResponse {
        checkpoint: String::from_utf8(full).ok()?,
        tree_size: opened.size,
        root_hash: opened.root.to_vec(),
        log_key: log_key.to_owned(),
        cosigned_by: opened
            .cosigned_by
            .into_iter()
            .map(|(name, _)| name)
            .collect(),
    })
}

/// An inclusion proof as `GetInclusionProof` answers it, with its C2SP tlog-proof text when
/// the log signed a checkpoint of that size.
pub fn inclusion(
    leaf_index: u64,
    tree_size: u64,
    p: &crate::store::InclusionProof,
    signed: Option<&pb::GetCheckpointResponse>,
) -> pb::GetInclusionProofResponse {
    pb::GetInclusionProofResponse {
        leaf_index,
        tree_size,
        leaf_hash: p.leaf_hash.to_vec(),
        hashes: p.hashes.iter().map(|h| h.to_vec()).collect(),
        root_hash: p.root.to_vec(),
        proof: signed.map_or_else(String::new, |c| {
            treaty_transparency::tlog_proof(leaf_index, &p.hashes, c.checkpoint.as_bytes())
        }),
        leaf: p.leaf.clone(),
    }
}

/// A consistency proof as `GetConsistencyProof` answers it.
pub fn consistency(
    first: u64,
    second: u64,
    p: crate::store::ConsistencyProof,
) -> pb::GetConsistencyProofResponse {
    pb::GetConsistencyProofResponse {
        first,
        second,
        hashes: p.hashes.iter().map(|h| h.to_vec()).collect(),
        first_root: p.first_root.to_vec(),
        second_root: p.second_root.to_vec(),
    }
}

/// A history proof as `GetHistory` answers it, with the checkpoint as `GetCheckpoint` does.
pub fn history_proof(p: HistoryProof, checkpoint: pb::GetCheckpointResponse) -> pb::HistoryProof {
    let head = |h: ProvedHead| pb::CommittedHead {
        history: h.head.key,
        count: h.head.count,
        last_sequence: h.head.last,
        index: h.index,
        proof: h.proof,
    };
    pb::HistoryProof {
        checkpoint: Some(checkpoint),
        history: p.key,
        commitment: p.commitment,
        commitment_proof: p.commitment_proof,
        head: p.head.map(head),
        neighbours: p.neighbours.into_iter().map(head).collect(),
        entries: p
            .entries
            .into_iter()
            .map(|e| pb::EntryProof {
                leaf: e.leaf,
                proof: e.proof,
            })
            .collect(),
    }
}

/// Reads the proofs of every page of one proved `GetHistory` listing into one history proof,
/// as a client receives them. `Err` says why the pages do not belong together.
pub fn read_history_proof(pages: &[pb::HistoryProof]) -> Result<HistoryProof, String> {
    let Some(first) = pages.first() else {
        return Err("the answer carries no proof".into());
    };
    let note = |p: &pb::HistoryProof| p.checkpoint.as_ref().map(|c| c.checkpoint.clone());
    let head = |h: &pb::CommittedHead| ProvedHead {
        head: Head {
            key: h.history.clone(),
            count: h.count,
            last: h.last_sequence,
        },
        index: h.index,
        proof: h.proof.clone(),
    };
    let mut entries = Vec::new();
    for (n, page) in pages.iter().enumerate() {
        let body = |p: &pb::HistoryProof| note(p).map(|n| checkpoint_body(&n).to_owned());
        let same = body(page) == body(first)
            && page.history == first.history
            && page.commitment == first.commitment
            && page.head == first.head
            && page.neighbours == first.neighbours;
        if !same {
            return Err(format!(
                "page {} is proved against another checkpoint or head than page 1",
                n + 1
            ));
        }
        entries.extend(page.entries.iter().map(|e| ProvedEntry {
            leaf: e.leaf.clone(),
            proof: e.proof.clone(),
        }));
    }
    Ok(HistoryProof {
        key: first.history.clone(),
        checkpoint: note(first)
            .ok_or("the proof carries no checkpoint")?
            .into_bytes(),
        commitment: first.commitment.clone(),
        commitment_proof: first.commitment_proof.clone(),
        head: first.head.as_ref().map(head),
        neighbours: first.neighbours.iter().map(head).collect(),
        entries,
    })
}

/// A signed note's text, without its signature lines (cosignatures may arrive between pages).
fn checkpoint_body(note: &str) -> &str {
    note.split_once("\n\n").map_or(note, |(text, _)| text)
}
