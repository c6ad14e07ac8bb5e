//! Every request, validated into a command: each wrong field becomes one field violation (the
//! validators and limits of `treaty_proto::fields`), and a request with any violation changes
//! nothing.
//!
//! An `Append`'s entries are rebuilt as the records their source stored and checked against
//! the hashes it gave them. Their bytes are hashed as sent, so identifiers must already be
//! canonical (`fields::exact`) and text is checked against the shared limits but kept exactly
//! as sent. The filters of the reads are read like any other request's (trimmed, state codes
//! in either case).

use jiff::Timestamp;
use treaty_domain::{CaseId, HistoryKey, StateCode, TreatyId};
use treaty_ledger::{Hash, Record, Subject};
use treaty_proto::Violations;
use treaty_proto::audit as pb;
use treaty_proto::fields::{self, RequestId};
use treaty_proto::page::{Listing, Paged, Position};
use treaty_proto::wire;

use crate::error::AuditError;

/// The most entries one `Append` may carry.
pub const MAX_ENTRIES_PER_APPEND: usize = 1000;
/// The largest payload one entry may carry, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;
/// The longest source name, in bytes.
pub const MAX_SOURCE_NAME: usize = 64;
/// The longest entry kind, in bytes.
pub const MAX_KIND: usize = 128;

/// A validated `Append`: consecutive records of one source, each matching its hash. Without
/// records it asks where the source stands.
#[derive(Clone, Debug)]
pub struct Append {
    pub request_id: Option<RequestId>,
    pub source: String,
    pub records: Vec<Record>,
}

/// Which entries a listing wants; unset filters match every entry.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub source: Option<String>,
    pub state: Option<StateCode>,
    pub treaty: Option<TreatyId>,
    pub case: Option<CaseId>,
}

/// A `GetHistory` or `ListEntries`: the entries wanted and the page.
#[derive(Clone, Debug)]
pub struct EntriesQuery {
    pub filter: Filter,
    /// The page; its position is a global sequence.
    pub page: Paged<u64>,
    /// Only entries up to this sequence (a checkpoint's); `None`: up to the durable head.
    pub until: Option<u64>,
}

/// Checks a source name: a service's short name of lowercase letters, digits and dashes.
fn source_name(v: &mut Violations, field: &str, source: &str) {
    let ok = !source.is_empty()
        && source.len() <= MAX_SOURCE_NAME
        && source.starts_with(|c: char| c.is_ascii_lowercase())
        && source
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        v.add(
            field,
            format!("a source is a service name of at most {MAX_SOURCE_NAME} lowercase letters, digits and dashes, e.g. `registry`"),
        );
    }
}

fn kind(v: &mut Violations, field: &str, kind: &str) {
    let ok = !kind.is_empty()
        && kind.len() <= MAX_KIND
        && kind
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        v.add(
            field,
            format!("a kind is a dotted name of at most {MAX_KIND} letters, digits and `_`, e.g. `withdrawal.instrument_deposited`"),
        );
    }
}

fn hash(v: &mut Violations, field: &str, bytes: &[u8]) -> Option<Hash> {
    let hash = bytes.try_into().ok();
    if hash.is_none() {
        v.add(
            field,
            format!("a SHA-256 hash is 32 bytes, got {}", bytes.len()),
        );
    }
    hash
}

fn recorded_at(
    v: &mut Violations,
    field: &str,
    ts: Option<&prost_types::Timestamp>,
) -> Option<Timestamp> {
    match ts.map(wire::timestamp_from_wire) {
        Some(Some(ts)) => Some(ts),
        Some(None) => {
            v.add(field, "not a valid instant");
            None
        }
        None => {
            v.add(field, "required: the instant the source stored the entry");
            None
        }
    }
}

/// Reads entry `i` of `source` back into the record its source stored, with the hash the
/// source gave it (checked by [`append`] once every entry is readable).
fn entry(v: &mut Violations, source: &str, i: usize, e: &pb::SourceEntry) -> Option<Record> {
    let f = |name: &str| format!("entries[{i}].{name}");
    if e.sequence == 0 {
        v.add(f("sequence"), "sequences start at 1");
    }
    let prev_hash = hash(v, &f("prev_hash"), &e.prev_hash);
    let own_hash = hash(v, &f("hash"), &e.hash);
    kind(v, &f("kind"), &e.kind);
    let state = fields::exact::optional_state(v, &f("state"), &e.state);
    let treaty = fields::exact::optional_treaty(v, &f("treaty"), &e.treaty);
    let case = fields::exact::optional_case(v, &f("case_id"), &e.case_id);
    // Checked against the shared limits, but kept as sent: the source's hash covers them.
    fields::required_text(v, &f("actor"), &e.actor);
    let occurred_on = fields::optional_date(v, &f("occurred_on"), e.occurred_on.as_ref());
    let recorded_at = recorded_at(v, &f("recorded_at"), e.recorded_at.as_ref());
    fields::sources(v, &f("sources"), &e.sources);
    if e.payload.len() > MAX_PAYLOAD_BYTES {
        v.add(
            f("payload"),
            format!("at most {MAX_PAYLOAD_BYTES} bytes, got {}", e.payload.len()),
        );
    }
    // A field given but unreadable left a violation, so the record below is never used.
    let case = case.map(|c| c.to_string());
    Some(Record {
        sequence: e.sequence,
        prev_hash: prev_hash?,
        hash: own_hash?,
        source: source.to_owned(),
        kind: e.kind.clone(),
        subject: Subject::of(
            state.map(|s| s.as_str()),
            treaty.as_ref().map(TreatyId::as_str),
            case.as_deref(),
        ),
        actor: e.actor.clone(),
        occurred_on,
        recorded_at: recorded_at?,
        sources: e.sources.clone(),
        payload: e.payload.clone(),
        origin: None,
        links: Vec::new(),
    })
}

/// An `Append` request: INVALID_ARGUMENT for a malformed one, DATA_LOSS naming the first
/// entry that does not match its hash.
pub fn append(req: &pb::AppendRequest) -> Result<Append, AuditError> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    source_name(&mut v, "source", &req.source);
    if req.entries.len() > MAX_ENTRIES_PER_APPEND {
        v.add(
            "entries",
            format!("at most {MAX_ENTRIES_PER_APPEND} entries per request, got {}; send the rest in the next request", req.entries.len()),
        );
    }
    let entries = &req.entries[..req.entries.len().min(MAX_ENTRIES_PER_APPEND)];
    // Every entry is read (not only up to the first wrong one), so each gets its violations.
    let read: Vec<Option<Record>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| entry(&mut v, &req.source, i, e))
        .collect();
    let records: Option<Vec<Record>> = read.into_iter().collect();
    for (i, pair) in entries.windows(2).enumerate() {
        let expected = pair[0].sequence.wrapping_add(1);
        if pair[1].sequence != expected {
            v.add(
                format!("entries[{}].sequence", i + 1),
                format!("entries must be consecutive: expected {expected}"),
            );
        }
    }
    let records = v.finish(records)?;
    if let Some(altered) = records.iter().find(|r| r.compute_hash() != r.hash) {
        return Err(AuditError::HashMismatch {
            source_name: req.source.clone(),
            sequence: altered.sequence,
        });
    }
    Ok(Append {
        request_id,
        source: req.source.clone(),
        records,
    })
}

/// A `GetHistory` request: one state's entries, optionally only one treaty's, optionally
/// with their proof.
#[derive(Clone, Debug)]
pub struct HistoryQuery {
    /// The entries wanted; with a proof, its page continues after the pinned position.
    pub entries: EntriesQuery,
    /// The history's key in the commitment (`state/LT`, `state/LT/treaty/apmbc`).
    pub key: String,
    /// With `with_proof`: the page as its tokens pin it.
    pub proof: Option<Paged<Pinned>>,
}

/// Where a proved history listing stands: the checkpoint its pages are proved against, and
/// the sequence it continues after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pinned {
    pub tree_size: u64,
    pub after: u64,
}

/// 16 bytes: the tree size and the sequence, big-endian.
impl Position for Pinned {
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.tree_size.to_be_bytes().to_vec();
        out.extend_from_slice(&self.after.to_be_bytes());
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (size, after) = bytes.split_at_checked(8)?;
        Some(Pinned {
            tree_size: u64::from_be_bytes(size.try_into().ok()?),
            after: u64::from_be_bytes(after.try_into().ok()?),
        })
    }
}

pub fn history(req: &pb::GetHistoryRequest) -> Result<HistoryQuery, Violations> {
    let mut v = Violations::new();
    let state = fields::state(&mut v, "state", &req.state);
    let treaty = fields::optional_treaty(&mut v, "treaty", &req.treaty);
    let filters = [
        state.map_or("", |s| s.as_str()),
        treaty.as_ref().map_or("", TreatyId::as_str),
    ];
    // A proved listing's tokens carry its checkpoint too: they are another listing's.
    let (page, proof) = if req.with_proof {
        let pinned: Paged<Pinned> = Listing::new("GetHistory.proof", &filters).paged(
            &mut v,
            req.page_size,
            &req.page_token,
        );
        let page = Paged {
            size: pinned.size,
            after: pinned.after.map(|p| p.after),
            listing: pinned.listing,
        };
        (page, Some(pinned))
    } else {
        let page =
            Listing::new("GetHistory", &filters).paged(&mut v, req.page_size, &req.page_token);
        (page, None)
    };
    let query = state.map(|state| HistoryQuery {
        key: HistoryKey::of_state(state.as_str(), treaty.as_ref().map(TreatyId::as_str)).key(),
        entries: EntriesQuery {
            filter: Filter {
                state: Some(state),
                treaty,
                ..Filter::default()
            },
            page,
            until: None,
        },
        proof,
    });
    v.finish(query)
}

/// A `ListEntries` request. `after_sequence` is a filter like the others: a page continues
/// after its token's position or after `after_sequence`, whichever is later.
pub fn entries(req: &pb::ListEntriesRequest) -> Result<EntriesQuery, Violations> {
    let mut v = Violations::new();
    let source = (!req.source.is_empty()).then(|| {
        source_name(&mut v, "source", &req.source);
        req.source.clone()
    });
    let state = fields::optional_state(&mut v, "state", &req.state);
    let treaty = fields::optional_treaty(&mut v, "treaty", &req.treaty);
    let case = fields::optional_case(&mut v, "case_id", &req.case_id);
    let listing = Listing::new(
        "ListEntries",
        &[
            source.as_deref().unwrap_or(""),
            state.map_or("", |s| s.as_str()),
            treaty.as_ref().map_or("", TreatyId::as_str),
            &case.as_ref().map(CaseId::to_string).unwrap_or_default(),
        ],
    );
    let mut page = listing.paged::<u64>(&mut v, req.page_size, &req.page_token);
    page.after = page
        .after
        .max(Some(req.after_sequence))
        .filter(|&after| after > 0);
    let query = EntriesQuery {
        filter: Filter {
            source,
            state,
            treaty,
            case,
        },
        page,
        until: None,
    };
    v.into_result(query)
}

/// The most leaves one `GetEntries` returns.
pub const MAX_LEAVES: usize = 1000;
/// The leaves `GetEntries` returns when `count` is 0.
pub const DEFAULT_LEAVES: usize = 100;

/// A `GetEntries` request: leaves from `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaves {
    pub start: u64,
    pub count: usize,
}

/// A `GetEntries` request.
pub fn leaves(req: &pb::GetEntriesRequest) -> Result<Leaves, Violations> {
    let mut v = Violations::new();
    let count = match usize::try_from(req.count) {
        Ok(0) => DEFAULT_LEAVES,
        Ok(n) if n <= MAX_LEAVES => n,
        _ => {
            v.add(
                "count",
                format!("from 0 (meaning {DEFAULT_LEAVES}) to {MAX_LEAVES}"),
            );
            0
        }
    };
    v.into_result(Leaves {
        start: req.start,
        count,
    })
}

/// A `GetInclusionProof` request: a leaf, in a tree size (`None`: the latest checkpoint's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inclusion {
    pub tree_size: Option<u64>,
    pub leaf: LeafRef,
}

/// Which leaf an inclusion proof is of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeafRef {
    /// By its index in the tree.
    Index(u64),
    /// The leaf the log made of a source's journal entry.
    Source { source: String, sequence: u64 },
}

/// A `GetInclusionProof` request.
pub fn inclusion(req: &pb::GetInclusionProofRequest) -> Result<Inclusion, Violations> {
    use pb::get_inclusion_proof_request::Leaf;
    let mut v = Violations::new();
    let leaf = match &req.leaf {
        Some(Leaf::LeafIndex(i)) => Some(LeafRef::Index(*i)),
        Some(Leaf::Entry(name)) => match name
            .trim()
            .strip_prefix("entries/")
            .and_then(|n| n.parse::<u64>().ok())
        {
            Some(sequence) if sequence > 0 => Some(LeafRef::Index(sequence - 1)),
            _ => {
                v.add(
                    "entry",
                    "an entry name such as entries/42 (sequences start at 1)",
                );
                None
            }
        },
        Some(Leaf::SourceEntry(e)) => {
            let source = e.source.trim();
            source_name(&mut v, "source_entry.source", source);
            if e.sequence == 0 {
                v.add(
                    "source_entry.sequence",
                    "required: journal sequences start at 1",
                );
            }
            Some(LeafRef::Source {
                source: source.to_owned(),
                sequence: e.sequence,
            })
        }
        None => {
            v.add(
                "leaf_index",
                "required: the leaf index, the entry's name in `entry`, or a source's entry in `source_entry`",
            );
            None
        }
    };
    let query = leaf.map(|leaf| Inclusion {
        tree_size: (req.tree_size > 0).then_some(req.tree_size),
        leaf,
    });
    v.finish(query)
}

/// A `GetConsistencyProof` request: from `first` to `second` (`None`: the latest
/// checkpoint's size).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consistency {
    pub first: u64,
    pub second: Option<u64>,
}

/// A `GetConsistencyProof` request.
pub fn consistency(req: &pb::GetConsistencyProofRequest) -> Result<Consistency, Violations> {
    let mut v = Violations::new();
    if req.first == 0 {
        v.add(
            "first",
            "at least 1: every tree extends the empty one, so a proof from 0 proves nothing",
        );
    }
    if req.second != 0 && req.first > req.second {
        v.add(
            "second",
            format!(
                "at least first ({}): a larger tree cannot be a prefix of a smaller one",
                req.first
            ),
        );
    }
    v.into_result(Consistency {
        first: req.first,
        second: (req.second > 0).then_some(req.second),
    })
}

/// An `AddCosignature` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosignature {
    pub request_id: Option<RequestId>,
    pub tree_size: u64,
    /// The signature line, ending with a newline.
    pub line: Vec<u8>,
}

/// An `AddCosignature` request (the signature itself is checked against the checkpoint).
pub fn cosignature(req: &pb::AddCosignatureRequest) -> Result<Cosignature, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    if req.tree_size == 0 {
        v.add("tree_size", "required: the size of the checkpoint cosigned");
    }
    let line = req.cosignature.trim_end_matches('\n');
    if !line.starts_with("— ") || line.contains('\n') || line.len() > 1024 {
        v.add(
            "cosignature",
            "one note signature line, `— <witness name> <base64>`",
        );
    }
    let mut line = line.as_bytes().to_vec();
    line.push(b'\n');
    v.into_result(Cosignature {
        request_id,
        tree_size: req.tree_size,
        line,
    })
}
