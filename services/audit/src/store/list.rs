//! The listings of `GetHistory` and `ListEntries`: the most selective index for the filter
//! is scanned (case, then state and treaty, state, treaty, else the log itself), so the cost
//! follows the answer.

use treaty_domain::{CaseId, TreatyId};
use treaty_ledger::{LedgerError, Record};

use super::AuditStore;
use crate::error::AuditError;
use crate::request::{EntriesQuery, Filter};
use crate::stored::{BY_CASE, BY_STATE, BY_STATE_TREATY, BY_TREATY, index_prefix, index_sequence};

/// A [`Filter`] as the text the log's records hold.
struct Wanted<'a> {
    source: Option<&'a str>,
    state: Option<&'a str>,
    treaty: Option<&'a str>,
    case: Option<String>,
}

impl<'a> Wanted<'a> {
    fn of(filter: &'a Filter) -> Self {
        Wanted {
            source: filter.source.as_deref(),
            state: filter.state.map(|s| s.as_str()),
            treaty: filter.treaty.as_ref().map(TreatyId::as_str),
            case: filter.case.as_ref().map(CaseId::to_string),
        }
    }

    fn matches(&self, r: &Record) -> bool {
        let source = r.origin.as_ref().map_or(r.source.as_str(), |o| &o.source);
        let s = &r.subject;
        self.source.is_none_or(|want| want == source)
            && self
                .state
                .is_none_or(|want| s.state.as_deref() == Some(want))
            && self
                .treaty
                .is_none_or(|want| s.treaty.as_deref() == Some(want))
            && self
                .case
                .as_deref()
                .is_none_or(|want| s.case.as_deref() == Some(want))
    }
}

impl AuditStore {
    /// The last sequence a listing may answer: the durable head, or `until` if lower.
    fn readable(&self, until: Option<u64>) -> u64 {
        let (durable, _) = self.ledger.head();
        until.map_or(durable, |u| u.min(durable))
    }

    /// A page of the entries `q` wants, in log order, and whether more follow.
    pub fn list_entries(&self, q: &EntriesQuery) -> Result<(Vec<Record>, bool), AuditError> {
        let wanted = Wanted::of(&q.filter);
        let Some(first) = q.page.after.unwrap_or(0).checked_add(1) else {
            return Ok((Vec::new(), false));
        };
        let (tree, prefix) = match (&wanted.case, wanted.state, wanted.treaty) {
            (Some(c), ..) => (BY_CASE, index_prefix(&[c])),
            (None, Some(s), Some(t)) => (BY_STATE_TREATY, index_prefix(&[s, t])),
            (None, Some(s), None) => (BY_STATE, index_prefix(&[s])),
            (None, None, Some(t)) => (BY_TREATY, index_prefix(&[t])),
            (None, None, None) => return self.list_from_log(&wanted, first, q.page.size, q.until),
        };
        let mut start = prefix.clone();
        start.extend_from_slice(&first.to_be_bytes());
        // An index is written in the same transaction as the log, but a batch's index entries
        // are visible before the batch is durable: answer only up to the durable head.
        let durable = self.readable(q.until);
        let mut out = Vec::new();
        for item in self.ledger.tree(tree).range(start..) {
            let (k, _) = item.map_err(LedgerError::from)?;
            if !k.starts_with(&prefix) {
                break;
            }
            if k.len() != prefix.len() + 8 {
                continue;
            }
            let seq = index_sequence(&k)
                .ok_or_else(|| AuditError::Corrupt("an index key is short".into()))?;
            if seq > durable {
                break;
            }
            let record = self.ledger.get(seq)?.ok_or_else(|| {
                AuditError::Corrupt(format!("an index names the missing entry {seq}"))
            })?;
            if wanted.matches(&record) {
                if out.len() == q.page.size {
                    return Ok((out, true));
                }
                out.push(record);
            }
        }
        Ok((out, false))
    }

    fn list_from_log(
        &self,
        wanted: &Wanted<'_>,
        first: u64,
        size: usize,
        until: Option<u64>,
    ) -> Result<(Vec<Record>, bool), AuditError> {
        let durable = self.readable(until);
        let mut out = Vec::new();
        for record in self.ledger.range(first, durable) {
            let record = record?;
            if wanted.matches(&record) {
                if out.len() == size {
                    return Ok((out, true));
                }
                out.push(record);
            }
        }
        Ok((out, false))
    }
}
