//! Whole requests: each mutation's request becomes the store's input, or the list of
//! every wrong field.

use jiff::civil::Date;
use treaty_domain::{StateCode, TreatyId};
use treaty_proto::registry as pb;
use treaty_proto::wire::Violations;

use super::{
    as_of, case, claim, conflict_id, consent_kind, new_conflict, page, procedure, reasons, sources,
    state, status_filter, text, treaty,
};
use crate::store::{ConflictEnd, ConsentInput, MembersQuery, NoticeInput, RevocationInput};
use crate::stored::{StoredConflict, StoredProcedure, StoredSuspension};

const DEFAULT_MEMBERS_PAGE: usize = 200;
const MAX_PAGE: usize = 1000;

/// Turns the fields read into `Ok(value)`, or every violation.
fn finish<T>(v: Violations, value: Option<T>) -> Result<T, Violations> {
    match value {
        Some(value) if v.is_empty() => Ok(value),
        _ => Err(v),
    }
}

fn request_id(v: &mut Violations, id: &str) {
    text(v, "request_id", id, false, 256);
}

/// A `SetApprovalProcedure` request.
pub fn set_procedure(
    req: &pb::SetApprovalProcedureRequest,
) -> Result<(StateCode, StoredProcedure), Violations> {
    let mut v = Violations::new();
    request_id(&mut v, &req.request_id);
    let state = state(&mut v, "state", &req.state);
    let procedure = procedure(&mut v, "procedure", req.procedure.as_ref());
    finish(v, state.zip(procedure))
}

/// A `RecordConsent` request.
pub fn consent(req: &pb::RecordConsentRequest) -> Result<ConsentInput, Violations> {
    let mut v = Violations::new();
    request_id(&mut v, &req.request_id);
    let treaty = treaty(&mut v, "treaty", &req.treaty);
    let state = state(&mut v, "state", &req.state);
    let kind = consent_kind(&mut v, "kind", req.kind);
    let on = v.required_date("on", req.on.as_ref());
    let sources = sources(&mut v, "sources", &req.sources);
    let input = (|| {
        Some(ConsentInput {
            treaty: treaty?,
            state: state?,
            kind: kind?,
            on: on?,
            sources,
        })
    })();
    finish(v, input)
}

/// A `GetMembership` request: the treaty, the state and the date asked about.
pub fn membership(
    req: &pb::GetMembershipRequest,
) -> Result<(TreatyId, StateCode, Option<Date>), Violations> {
    let mut v = Violations::new();
    let treaty = treaty(&mut v, "treaty", &req.treaty);
    let state = state(&mut v, "state", &req.state);
    let as_of = as_of(&mut v, req.as_of.as_ref());
    let input = treaty.zip(state).map(|(t, s)| (t, s, as_of));
    finish(v, input)
}

/// A `ListMembers` request; `today` answers when `as_of` is unset.
pub fn members(
    req: &pb::ListMembersRequest,
    today: Date,
) -> Result<(TreatyId, MembersQuery), Violations> {
    let mut v = Violations::new();
    let treaty = treaty(&mut v, "treaty", &req.treaty);
    let as_of = as_of(&mut v, req.as_of.as_ref());
    let status = status_filter(&mut v, req.status);
    let page = page(
        &mut v,
        req.page_size,
        &req.page_token,
        DEFAULT_MEMBERS_PAGE,
        MAX_PAGE,
    );
    if let Some(after) = &page.after
        && StateCode::parse(after).is_err()
    {
        v.add(
            "page_token",
            "not a token this service issued; pass the next_page_token of the previous page",
        );
    }
    let query = MembersQuery {
        as_of: as_of.unwrap_or(today),
        status,
        parties_only: req.parties_only,
        page,
    };
    finish(v, treaty.map(|t| (t, query)))
}

/// A `RecordWithdrawalNotice` request.
pub fn notice(req: &pb::RecordWithdrawalNoticeRequest) -> Result<NoticeInput, Violations> {
    let mut v = Violations::new();
    request_id(&mut v, &req.request_id);
    let treaty = treaty(&mut v, "treaty", &req.treaty);
    let state = state(&mut v, "state", &req.state);
    let case = case(&mut v, "case_id", &req.case_id, treaty.as_ref(), state);
    let received_on = v.required_date("received_on", req.received_on.as_ref());
    let approved_on = v.optional_date("approved_on", req.approved_on.as_ref());
    let reasons = reasons(&mut v, "reasons", &req.reasons);
    let sources = sources(&mut v, "sources", &req.sources);
    let input = (|| {
        Some(NoticeInput {
            treaty: treaty?,
            state: state?,
            case: case?,
            received_on: received_on?,
            approved_on,
            reasons,
            sources,
        })
    })();
    finish(v, input)
}

/// A `RecordRevocation` request.
pub fn revocation(req: &pb::RecordRevocationRequest) -> Result<RevocationInput, Violations> {
    let mut v = Violations::new();
    request_id(&mut v, &req.request_id);
    let treaty = treaty(&mut v, "treaty", &req.treaty);
    let state = state(&mut v, "state", &req.state);
    let case = case(&mut v, "case_id", &req.case_id, treaty.as_ref(), state);
    let revoked_on = v.required_date("revoked_on", req.revoked_on.as_ref());
    let sources = sources(&mut v, "sources", &req.sources);
    let input = (|| {
        Some(RevocationInput {
            treaty: treaty?,
            state: state?,
            case: case?,
            revoked_on: revoked_on?,
            sources,
        })
    })();
    finish(v, input)
}

/// A `RecordSuspensionClaim` request.
pub fn suspension(
    req: &pb::RecordSuspensionClaimRequest,
) -> Result<(TreatyId, StateCode, StoredSuspension), Violations> {
    let mut v = Violations::new();
    request_id(&mut v, &req.request_id);
    let treaty = treaty(&mut v, "treaty", &req.treaty);
    let state = state(&mut v, "state", &req.state);
    let claim = claim(&mut v, req.claim.as_ref());
    let input = (|| Some((treaty?, state?, claim?)))();
    finish(v, input)
}

/// A `RecordArmedConflict` request.
pub fn armed_conflict(
    req: &pb::RecordArmedConflictRequest,
) -> Result<(StateCode, StoredConflict), Violations> {
    let mut v = Violations::new();
    request_id(&mut v, &req.request_id);
    let state = state(&mut v, "state", &req.state);
    let conflict = new_conflict(&mut v, req);
    finish(v, state.zip(conflict))
}

/// An `EndArmedConflict` request.
pub fn conflict_end(req: &pb::EndArmedConflictRequest) -> Result<ConflictEnd, Violations> {
    let mut v = Violations::new();
    request_id(&mut v, &req.request_id);
    let state = state(&mut v, "state", &req.state);
    let id = conflict_id(&mut v, "conflict_id", &req.conflict_id);
    let ended_on = v.required_date("ended_on", req.ended_on.as_ref());
    let sources = sources(&mut v, "sources", &req.sources);
    let input = (|| {
        Some(ConflictEnd {
            state: state?,
            id: id?,
            ended_on: ended_on?,
            sources,
        })
    })();
    finish(v, input)
}
