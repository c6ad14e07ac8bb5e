//! Notices of withdrawal, recorded for the approvals service, and their revocation.

use jiff::civil::Date;
use treaty_domain::{CaseFact, CaseId, NoticeFacts, StateCode, TreatyId};
use treaty_ledger::Abort;
use treaty_proto::registry as pb;
use treaty_proto::wire::date_to_wire;

use super::members::{context, refused};
use super::{Change, Entry, MEMBERSHIPS, RegistryStore, journal, txn_put};
use crate::error::RegistryError;
use crate::events;
use crate::stored::StoredNotice;

/// A validated `RecordWithdrawalNotice`.
#[derive(Clone, Debug)]
pub struct NoticeInput {
    /// The treaty.
    pub treaty: TreatyId,
    /// The state.
    pub state: StateCode,
    /// The case.
    pub case: CaseId,
    /// The depositary's receipt.
    pub received_on: Date,
    /// Parliament's approval, if given.
    pub approved_on: Option<Date>,
    /// The statement of reasons.
    pub reasons: String,
    /// Sources.
    pub sources: Vec<String>,
}

/// A validated `RecordRevocation`.
#[derive(Clone, Debug)]
pub struct RevocationInput {
    /// The treaty.
    pub treaty: TreatyId,
    /// The state.
    pub state: StateCode,
    /// The case.
    pub case: CaseId,
    /// The day of the revocation.
    pub revoked_on: Date,
    /// Sources.
    pub sources: Vec<String>,
}

impl RegistryStore {
    /// Records a notice of withdrawal; recording the same case's notice again answers
    /// the same and records nothing.
    pub async fn record_notice(
        &self,
        change: &Change,
        input: NoticeInput,
    ) -> Result<pb::RecordWithdrawalNoticeResponse, RegistryError> {
        self.mutate("RecordWithdrawalNotice", change, move |txn, actor| {
            let n = &input;
            let mut cx = context(txn, &n.treaty, n.state)?;
            let rules = cx.treaty.rules();
            let facts = cx.membership.facts().map_err(Abort::Rejected)?;
            let notice = NoticeFacts {
                case: n.case.clone(),
                received_on: n.received_on,
                approved_on: n.approved_on,
                revoked_on: None,
            };
            let fact = facts
                .check_notice(&notice, &rules, &cx.conflicts)
                .map_err(refused("received_on"))?;
            let effect = notice
                .effect(&rules.withdrawal, &cx.conflicts)
                .map_err(|e| refused("received_on")(e.into()))?;
            if let CaseFact::New { period, .. } = fact {
                cx.membership.periods[period].notices.push(StoredNotice {
                    case: n.case.to_string(),
                    received_on: n.received_on,
                    approved_on: n.approved_on,
                    reasons: n.reasons.clone(),
                    sources: n.sources.clone(),
                    revoked_on: None,
                    revocation_sources: Vec::new(),
                });
                txn_put(txn, MEMBERSHIPS, &cx.key, &cx.membership)?;
                let case = n.case.to_string();
                let event = events::WithdrawalNoticeRecorded {
                    treaty: n.treaty.as_str(),
                    state: n.state.as_str(),
                    case_id: &case,
                    received_on: n.received_on,
                    approved_on: n.approved_on,
                    reasons: &n.reasons,
                    expires_on: effect.expiry(),
                    effective_on: effect.effective_on(),
                };
                journal(
                    txn,
                    actor,
                    Entry {
                        kind: events::WITHDRAWAL_NOTICE_RECORDED,
                        state: Some(n.state.as_str()),
                        treaty: Some(n.treaty.as_str()),
                        case: Some(&case),
                        occurred_on: Some(n.received_on),
                        sources: &n.sources,
                        payload: events::payload(&event),
                    },
                );
            }
            Ok(pb::RecordWithdrawalNoticeResponse {
                membership: Some(cx.answer(n.state, n.received_on)?),
                effective_on: effect.effective_on().map(date_to_wire),
            })
        })
        .await
    }

    /// Records the revocation of a notice, only before its withdrawal takes effect;
    /// revoking it again on the same day answers the same and records nothing.
    pub async fn record_revocation(
        &self,
        change: &Change,
        input: RevocationInput,
    ) -> Result<pb::RecordRevocationResponse, RegistryError> {
        self.mutate("RecordRevocation", change, move |txn, actor| {
            let r = &input;
            let mut cx = context(txn, &r.treaty, r.state)?;
            let rules = cx.treaty.rules();
            let facts = cx.membership.facts().map_err(Abort::Rejected)?;
            let fact = facts
                .check_revocation(&r.case, r.revoked_on, &rules, &cx.conflicts)
                .map_err(refused("revoked_on"))?;
            if let CaseFact::New { period, notice } = fact {
                let stored = &mut cx.membership.periods[period].notices[notice];
                stored.revoked_on = Some(r.revoked_on);
                stored.revocation_sources = r.sources.clone();
                txn_put(txn, MEMBERSHIPS, &cx.key, &cx.membership)?;
                let case = r.case.to_string();
                let event = events::RevocationRecorded {
                    treaty: r.treaty.as_str(),
                    state: r.state.as_str(),
                    case_id: &case,
                    revoked_on: r.revoked_on,
                };
                journal(
                    txn,
                    actor,
                    Entry {
                        kind: events::REVOCATION_RECORDED,
                        state: Some(r.state.as_str()),
                        treaty: Some(r.treaty.as_str()),
                        case: Some(&case),
                        occurred_on: Some(r.revoked_on),
                        sources: &r.sources,
                        payload: events::payload(&event),
                    },
                );
            }
            Ok(pb::RecordRevocationResponse {
                membership: Some(cx.answer(r.state, r.revoked_on)?),
            })
        })
        .await
    }
}
