//! Notices of withdrawal, recorded for the approvals service, and their revocation.

use treaty_domain::{CaseFact, NoticeFacts};
use treaty_ledger::Once;
use treaty_proto::registry as pb;
use treaty_proto::wire::date_to_wire;
use treaty_runtime::Caller;

use super::members::Context;
use super::{RegistryStore, refuse};
use crate::error::RegistryError;
use crate::journal::{self, Entry, Kind};
use crate::request::{RecordNotice, RecordRevocation};
use crate::stored::StoredNotice;

impl RegistryStore {
    /// Records a notice of withdrawal; recording the same case's notice again answers the
    /// same and records nothing.
    pub async fn record_notice(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: RecordNotice,
    ) -> Result<pb::RecordWithdrawalNoticeResponse, RegistryError> {
        let caller = caller.clone();
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let mut cx = Context::read(txn, &cmd.treaty, cmd.state)?;
            let rules = cx.treaty.rules();
            let facts = cx.membership.facts().or_else(refuse)?;
            let notice = NoticeFacts {
                case: cmd.case.clone(),
                received_on: cmd.received_on,
                approved_on: cmd.approved_on,
                revoked_on: None,
            };
            let fact = facts
                .check_notice(&notice, &rules, &cx.conflicts)
                .map_err(Context::refused("received_on"))?;
            let effect = notice
                .effect(&rules.withdrawal, &cx.conflicts)
                .map_err(|e| Context::refused("received_on")(e.into()))?;
            if let CaseFact::New { period, .. } = fact {
                let case = cmd.case.to_string();
                cx.membership.periods[period].notices.push(StoredNotice {
                    case: case.clone(),
                    received_on: cmd.received_on,
                    approved_on: cmd.approved_on,
                    reasons: cmd.reasons.clone(),
                    sources: cmd.sources.clone(),
                    revoked_on: None,
                    revocation_sources: Vec::new(),
                });
                cx.write(txn)?;
                journal::append(
                    txn,
                    &caller,
                    Entry {
                        kind: Kind::WithdrawalNoticeRecorded.as_str(),
                        subject: cx.subject(Some(&case)),
                        occurred_on: Some(cmd.received_on),
                        sources: &cmd.sources,
                        event: &journal::WithdrawalNoticeRecorded {
                            treaty: cmd.treaty.as_str(),
                            state: cmd.state.as_str(),
                            case_id: &case,
                            received_on: cmd.received_on,
                            approved_on: cmd.approved_on,
                            reasons: &cmd.reasons,
                            expires_on: effect.expiry(),
                            effective_on: effect.effective_on(),
                        },
                    },
                );
            }
            Ok(pb::RecordWithdrawalNoticeResponse {
                membership: Some(cx.answer(cmd.received_on)?),
                effective_on: effect.effective_on().map(date_to_wire),
            })
        })
        .await
    }

    /// Records the revocation of a notice, only before its withdrawal takes effect; revoking
    /// it again on the same day answers the same and records nothing.
    pub async fn record_revocation(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: RecordRevocation,
    ) -> Result<pb::RecordRevocationResponse, RegistryError> {
        let caller = caller.clone();
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let mut cx = Context::read(txn, &cmd.treaty, cmd.state)?;
            let rules = cx.treaty.rules();
            let facts = cx.membership.facts().or_else(refuse)?;
            let fact = facts
                .check_revocation(&cmd.case, cmd.revoked_on, &rules, &cx.conflicts)
                .map_err(Context::refused("revoked_on"))?;
            if let CaseFact::New { period, notice } = fact {
                let stored = &mut cx.membership.periods[period].notices[notice];
                stored.revoked_on = Some(cmd.revoked_on);
                stored.revocation_sources = cmd.sources.clone();
                cx.write(txn)?;
                let case = cmd.case.to_string();
                journal::append(
                    txn,
                    &caller,
                    Entry {
                        kind: Kind::RevocationRecorded.as_str(),
                        subject: cx.subject(Some(&case)),
                        occurred_on: Some(cmd.revoked_on),
                        sources: &cmd.sources,
                        event: &journal::RevocationRecorded {
                            treaty: cmd.treaty.as_str(),
                            state: cmd.state.as_str(),
                            case_id: &case,
                            revoked_on: cmd.revoked_on,
                        },
                    },
                );
            }
            Ok(pb::RecordRevocationResponse {
                membership: Some(cx.answer(cmd.revoked_on)?),
            })
        })
        .await
    }
}
