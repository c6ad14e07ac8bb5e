//! Memberships: signatures and consents, suspension claims, and standings as of any date
//! (notices of withdrawal are in `notices.rs`).

use jiff::civil::Date;
use treaty_domain::{ConflictPeriod, StateCode, TreatyId};
use treaty_ledger::{Once, Subject, Txn};
use treaty_proto::registry as pb;
use treaty_runtime::Caller;

use super::{RegistryStore, Step, refuse, txn_conflicts, txn_treaty};
use crate::error::RegistryError;
use crate::journal::{self, Entry, Kind};
use crate::request::{MembersQuery, RecordConsent, RecordSuspension};
use crate::stored::{
    MEMBERSHIPS, StoredConsent, StoredMembership, StoredPeriod, StoredSuspension, StoredTreaty,
    membership_key,
};
use crate::wire::{self, Subject as Member};

/// What a membership change reads: the treaty, the state's conflicts and its record.
pub(super) struct Context {
    pub(super) treaty: StoredTreaty,
    pub(super) state: StateCode,
    pub(super) conflicts: Vec<ConflictPeriod>,
    pub(super) membership: StoredMembership,
    pub(super) key: Vec<u8>,
}

impl Context {
    pub(super) fn read(txn: &Txn<'_>, treaty: &TreatyId, state: StateCode) -> Step<Context> {
        let treaty = txn_treaty(txn, treaty)?;
        let conflicts = txn_conflicts(txn, state)?.periods(state.as_str());
        let key = membership_key(&treaty.id, state.as_str());
        let membership = MEMBERSHIPS.read(txn, &key)?.unwrap_or_default();
        Ok(Context {
            treaty,
            state,
            conflicts,
            membership,
            key,
        })
    }

    /// Writes the membership back.
    pub(super) fn write(&self, txn: &Txn<'_>) -> Step<()> {
        MEMBERSHIPS.write(txn, &self.key, &self.membership)
    }

    /// The journal subject of a change to this membership.
    pub(super) fn subject(&self, case: Option<&str>) -> Subject {
        Subject::of(Some(self.state.as_str()), Some(&self.treaty.id), case)
    }

    /// The membership as of `as_of`, as answered.
    pub(super) fn answer(&self, as_of: Date) -> Step<pb::Membership> {
        let member = Member {
            treaty: &self.treaty,
            state: self.state,
            membership: &self.membership,
            conflicts: &self.conflicts,
        };
        wire::membership(member, as_of)
            .map(|(m, _)| m)
            .or_else(refuse)
    }

    /// The rules' refusal, about the request field `field`.
    pub(super) fn refused(
        field: &'static str,
    ) -> impl Fn(treaty_domain::MembershipError) -> treaty_ledger::Abort<RegistryError> {
        move |e| treaty_ledger::Abort::Rejected(RegistryError::membership(field)(e))
    }
}

impl RegistryStore {
    /// Records a signature or a consent to be bound.
    pub async fn record_consent(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: RecordConsent,
    ) -> Result<pb::RecordConsentResponse, RegistryError> {
        let caller = caller.clone();
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let mut cx = Context::read(txn, &cmd.treaty, cmd.state)?;
            let rules = cx.treaty.rules();
            let facts = cx.membership.facts().or_else(refuse)?;
            facts
                .check_consent(cmd.kind, cmd.on, &rules, &cx.conflicts)
                .map_err(Context::refused("on"))?;
            let (in_force_on, period) = match StoredConsent::from_domain(cmd.kind) {
                None => {
                    cx.membership.signed_on = Some(cmd.on);
                    cx.membership.signature_sources = cmd.sources.clone();
                    (None, None)
                }
                Some(consent) => {
                    let in_force_on = rules
                        .entry_into_force
                        .in_force_for(cmd.on)
                        .map_err(|e| Context::refused("on")(e.into()))?;
                    cx.membership.periods.push(StoredPeriod {
                        consent,
                        deposited_on: cmd.on,
                        sources: cmd.sources.clone(),
                        notices: Vec::new(),
                    });
                    (Some(in_force_on), Some(cx.membership.periods.len()))
                }
            };
            cx.write(txn)?;
            journal::append(
                txn,
                &caller,
                Entry {
                    kind: Kind::ConsentRecorded.as_str(),
                    subject: cx.subject(None),
                    occurred_on: Some(cmd.on),
                    sources: &cmd.sources,
                    event: &journal::ConsentRecorded {
                        treaty: cmd.treaty.as_str(),
                        state: cmd.state.as_str(),
                        kind: cmd.kind.as_str(),
                        on: cmd.on,
                        in_force_on,
                        period,
                    },
                },
            );
            Ok(pb::RecordConsentResponse {
                membership: Some(cx.answer(cmd.on)?),
            })
        })
        .await
    }

    /// A state's membership of a treaty as of a date; NOT_FOUND only for an unknown treaty.
    pub fn membership(
        &self,
        treaty: &TreatyId,
        state: StateCode,
        as_of: Date,
    ) -> Result<pb::Membership, RegistryError> {
        let treaty = self.treaty(treaty)?;
        let conflicts = self.conflict_periods(state)?;
        let membership = MEMBERSHIPS
            .get(&self.ledger, &membership_key(&treaty.id, state.as_str()))?
            .unwrap_or_default();
        let member = Member {
            treaty: &treaty,
            state,
            membership: &membership,
            conflicts: &conflicts,
        };
        Ok(wire::membership(member, as_of)?.0)
    }

    /// A treaty's members as of a date, filtered and paged by state code.
    pub fn list_members(&self, q: &MembersQuery) -> Result<pb::ListMembersResponse, RegistryError> {
        let treaty = self.treaty(&q.treaty)?;
        let prefix = membership_key(&treaty.id, "");
        let mut out = pb::ListMembersResponse::default();
        let mut total = 0_i32;
        let mut more = false;
        let mut last = None;
        for item in MEMBERSHIPS.scan(&self.ledger, &prefix, &prefix) {
            let (k, membership) = item?;
            let code = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            let state = StateCode::parse(&code)
                .map_err(|_| RegistryError::Corrupt(format!("a membership key names {code:?}")))?;
            let conflicts = self.conflict_periods(state)?;
            let member = Member {
                treaty: &treaty,
                state,
                membership: &membership,
                conflicts: &conflicts,
            };
            let (m, standing) = wire::membership(member, q.as_of)?;
            let wanted = q.status.is_none_or(|s| i32::from(s) == m.status)
                && (!q.parties_only || standing.is_party());
            if !wanted {
                continue;
            }
            total += 1;
            if q.page.after.is_some_and(|after| state <= after) {
                continue;
            }
            if out.members.len() < q.page.size {
                out.members.push(m);
                last = Some(state);
            } else {
                more = true;
            }
        }
        out.next_page_token = q.page.next_token(more, last.as_ref());
        out.total_size = total;
        Ok(out)
    }

    /// Records a claimed suspension, which never changes the standing.
    pub async fn record_suspension(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: RecordSuspension,
    ) -> Result<pb::RecordSuspensionClaimResponse, RegistryError> {
        let caller = caller.clone();
        let claim = StoredSuspension {
            claimed_on: cmd.claimed_on,
            detail: cmd.detail.clone(),
            sources: cmd.sources.clone(),
        };
        treaty_runtime::commit_once(&self.ledger, once, move |txn| {
            let mut cx = Context::read(txn, &cmd.treaty, cmd.state)?;
            let rules = cx.treaty.rules();
            let facts = cx.membership.facts().or_else(refuse)?;
            facts
                .check_suspension_claim(claim.claimed_on, &rules, &cx.conflicts)
                .map_err(Context::refused("claim.claimed_on"))?;
            let same =
                |s: &StoredSuspension| s.claimed_on == claim.claimed_on && s.detail == claim.detail;
            if cx.membership.suspensions.iter().any(same) {
                return refuse(RegistryError::SuspensionAlreadyRecorded {
                    claimed_on: claim.claimed_on,
                });
            }
            cx.membership.suspensions.push(claim.clone());
            cx.write(txn)?;
            journal::append(
                txn,
                &caller,
                Entry {
                    kind: Kind::SuspensionClaimRecorded.as_str(),
                    subject: cx.subject(None),
                    occurred_on: Some(claim.claimed_on),
                    sources: &claim.sources,
                    event: &journal::SuspensionClaimRecorded {
                        treaty: cmd.treaty.as_str(),
                        state: cmd.state.as_str(),
                        claim: &claim,
                    },
                },
            );
            Ok(pb::RecordSuspensionClaimResponse {
                membership: Some(cx.answer(claim.claimed_on)?),
            })
        })
        .await
    }
}
