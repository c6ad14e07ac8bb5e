//! Memberships: signatures and consents, suspension claims, and standings as of any
//! date (notices of withdrawal are in `notices.rs`).

use jiff::civil::Date;
use treaty_domain::{ConsentKind, StateCode, TreatyId};
use treaty_ledger::{Abort, Txn};
use treaty_proto::registry as pb;

use super::{
    Change, Entry, MEMBERSHIPS, RegistryStore, journal, membership_key, storage, txn_conflicts,
    txn_get, txn_put, txn_treaty,
};
use crate::error::RegistryError;
use crate::events;
use crate::stored::{
    self, StoredConsent, StoredMembership, StoredPeriod, StoredSuspension, StoredTreaty,
};
use crate::validate::Page;
use crate::wire::{self, Subject};

/// A validated `RecordConsent`.
#[derive(Clone, Debug)]
pub struct ConsentInput {
    /// The treaty.
    pub treaty: TreatyId,
    /// The state.
    pub state: StateCode,
    /// Signature or kind of consent.
    pub kind: ConsentKind,
    /// The day of signature or deposit.
    pub on: Date,
    /// Sources.
    pub sources: Vec<String>,
}

/// A validated `ListMembers`.
#[derive(Clone, Debug)]
pub struct MembersQuery {
    /// The day to answer for.
    pub as_of: Date,
    /// Only this status.
    pub status: Option<pb::MembershipStatus>,
    /// Only parties.
    pub parties_only: bool,
    /// The page.
    pub page: Page,
}

/// What a membership change reads: the treaty, the state's conflicts and its record.
pub(super) struct Context {
    pub(super) treaty: StoredTreaty,
    pub(super) conflicts: Vec<treaty_domain::ConflictPeriod>,
    pub(super) membership: StoredMembership,
    pub(super) key: Vec<u8>,
}

pub(super) fn context(
    txn: &Txn<'_>,
    treaty: &TreatyId,
    state: StateCode,
) -> Result<Context, Abort<RegistryError>> {
    let treaty = txn_treaty(txn, treaty.as_str())?;
    let conflicts = txn_conflicts(txn, state)?.periods(state.as_str());
    let key = membership_key(&treaty.id, state.as_str());
    let membership = txn_get(txn, MEMBERSHIPS, &key)?.unwrap_or_default();
    Ok(Context {
        treaty,
        conflicts,
        membership,
        key,
    })
}

impl Context {
    pub(super) fn answer(
        &self,
        state: StateCode,
        as_of: Date,
    ) -> Result<pb::Membership, Abort<RegistryError>> {
        let subject = Subject {
            treaty: &self.treaty,
            state,
            membership: &self.membership,
            conflicts: &self.conflicts,
        };
        wire::membership(subject, as_of)
            .map(|(m, _)| m)
            .map_err(Abort::Rejected)
    }
}

pub(super) fn refused(
    field: &'static str,
) -> impl Fn(treaty_domain::MembershipError) -> Abort<RegistryError> {
    move |e| Abort::Rejected(RegistryError::membership(field)(e))
}

impl RegistryStore {
    /// Records a signature or a consent to be bound.
    pub async fn record_consent(
        &self,
        change: &Change,
        input: ConsentInput,
    ) -> Result<pb::RecordConsentResponse, RegistryError> {
        self.mutate("RecordConsent", change, move |txn, actor| {
            let ConsentInput {
                treaty,
                state,
                kind,
                on,
                sources,
            } = &input;
            let mut cx = context(txn, treaty, *state)?;
            let rules = cx.treaty.rules();
            let facts = cx.membership.facts().map_err(Abort::Rejected)?;
            facts
                .check_consent(*kind, *on, &rules, &cx.conflicts)
                .map_err(refused("on"))?;
            let (in_force_on, period) = match StoredConsent::from_domain(*kind) {
                None => {
                    cx.membership.signed_on = Some(*on);
                    cx.membership.signature_sources = sources.clone();
                    (None, None)
                }
                Some(consent) => {
                    let in_force_on = rules
                        .entry_into_force
                        .in_force_for(*on)
                        .map_err(|e| refused("on")(e.into()))?;
                    cx.membership.periods.push(StoredPeriod {
                        consent,
                        deposited_on: *on,
                        sources: sources.clone(),
                        notices: Vec::new(),
                    });
                    (Some(in_force_on), Some(cx.membership.periods.len()))
                }
            };
            txn_put(txn, MEMBERSHIPS, &cx.key, &cx.membership)?;
            let event = events::ConsentRecorded {
                treaty: treaty.as_str(),
                state: state.as_str(),
                kind: kind.as_str(),
                on: *on,
                in_force_on,
                period,
            };
            journal(
                txn,
                actor,
                Entry {
                    kind: events::CONSENT_RECORDED,
                    state: Some(state.as_str()),
                    treaty: Some(treaty.as_str()),
                    case: None,
                    occurred_on: Some(*on),
                    sources,
                    payload: events::payload(&event),
                },
            );
            Ok(pb::RecordConsentResponse {
                membership: Some(cx.answer(*state, *on)?),
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
        let treaty = self.treaty(treaty.as_str())?;
        let conflicts = self.conflict_periods(state)?;
        let membership: StoredMembership = self
            .get(MEMBERSHIPS, &membership_key(&treaty.id, state.as_str()))?
            .unwrap_or_default();
        let subject = Subject {
            treaty: &treaty,
            state,
            membership: &membership,
            conflicts: &conflicts,
        };
        Ok(wire::membership(subject, as_of)?.0)
    }

    /// A treaty's members as of a date, filtered and paged by state code.
    pub fn list_members(
        &self,
        treaty: &TreatyId,
        q: &MembersQuery,
    ) -> Result<pb::ListMembersResponse, RegistryError> {
        let treaty = self.treaty(treaty.as_str())?;
        let prefix = membership_key(&treaty.id, "");
        let mut out = pb::ListMembersResponse::default();
        let mut total = 0_i32;
        for item in self.ledger.tree(MEMBERSHIPS).scan_prefix(&prefix) {
            let (k, v) = item.map_err(storage)?;
            let code = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            let state = StateCode::parse(&code)
                .map_err(|_| RegistryError::Corrupt(format!("a membership key names {code:?}")))?;
            let membership: StoredMembership = stored::decode(MEMBERSHIPS, &v)?;
            let conflicts = self.conflict_periods(state)?;
            let subject = Subject {
                treaty: &treaty,
                state,
                membership: &membership,
                conflicts: &conflicts,
            };
            let (m, standing) = wire::membership(subject, q.as_of)?;
            let wanted = q.status.is_none_or(|s| i32::from(s) == m.status)
                && (!q.parties_only || standing.is_party());
            if !wanted {
                continue;
            }
            total += 1;
            if q.page
                .after
                .as_deref()
                .is_some_and(|after| code.as_str() <= after)
            {
                continue;
            }
            if out.members.len() < q.page.size {
                out.members.push(m);
            } else if let Some(last) = out
                .members
                .last()
                .filter(|_| out.next_page_token.is_empty())
            {
                out.next_page_token = format!("after-{}", last.state);
            }
        }
        out.total_size = total;
        Ok(out)
    }

    /// Records a claimed suspension, which never changes the standing.
    pub async fn record_suspension(
        &self,
        change: &Change,
        treaty: TreatyId,
        state: StateCode,
        claim: StoredSuspension,
    ) -> Result<pb::RecordSuspensionClaimResponse, RegistryError> {
        self.mutate("RecordSuspensionClaim", change, move |txn, actor| {
            let mut cx = context(txn, &treaty, state)?;
            let rules = cx.treaty.rules();
            let facts = cx.membership.facts().map_err(Abort::Rejected)?;
            facts
                .check_suspension_claim(claim.claimed_on, &rules, &cx.conflicts)
                .map_err(refused("claim.claimed_on"))?;
            let same =
                |s: &StoredSuspension| s.claimed_on == claim.claimed_on && s.detail == claim.detail;
            if cx.membership.suspensions.iter().any(same) {
                return Err(Abort::Rejected(RegistryError::SuspensionAlreadyRecorded {
                    claimed_on: claim.claimed_on,
                }));
            }
            cx.membership.suspensions.push(claim.clone());
            txn_put(txn, MEMBERSHIPS, &cx.key, &cx.membership)?;
            let event = events::SuspensionClaimRecorded {
                treaty: treaty.as_str(),
                state: state.as_str(),
                claim: &claim,
            };
            journal(
                txn,
                actor,
                Entry {
                    kind: events::SUSPENSION_CLAIM_RECORDED,
                    state: Some(state.as_str()),
                    treaty: Some(treaty.as_str()),
                    case: None,
                    occurred_on: Some(claim.claimed_on),
                    sources: &claim.sources,
                    payload: events::payload(&event),
                },
            );
            Ok(pb::RecordSuspensionClaimResponse {
                membership: Some(cx.answer(state, claim.claimed_on)?),
            })
        })
        .await
    }
}
