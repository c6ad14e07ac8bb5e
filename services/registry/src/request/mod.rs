//! Every request, validated into a command of domain values: each wrong field becomes one
//! field violation (the validators and limits of `treaty_proto::fields`), and a request with
//! any violation changes nothing. Mutations are here; `treaty.rs` reads treaties and approval
//! procedures, `query.rs` the reads and their pages.

mod query;
mod treaty;

pub use query::{
    ConflictsQuery, MembersQuery, MembershipQuery, conflicts, members, membership, states, treaties,
};
pub use treaty::{CreateTreaty, SetProcedure, create_treaty, set_procedure};
pub use treaty_proto::page::Paged;

use jiff::civil::Date;
use treaty_domain::{CaseId, ConsentKind, StateCode, TreatyId};
use treaty_proto::Violations;
use treaty_proto::fields::{self, RequestId};
use treaty_proto::registry as pb;

/// A validated `RecordConsent`.
#[derive(Clone, Debug)]
pub struct RecordConsent {
    pub request_id: Option<RequestId>,
    pub treaty: TreatyId,
    pub state: StateCode,
    pub kind: ConsentKind,
    /// The day of signature or deposit.
    pub on: Date,
    pub sources: Vec<String>,
}

/// A validated `RecordWithdrawalNotice`.
#[derive(Clone, Debug)]
pub struct RecordNotice {
    pub request_id: Option<RequestId>,
    pub treaty: TreatyId,
    pub state: StateCode,
    pub case: CaseId,
    pub received_on: Date,
    /// Parliament's approval, when the clause counts from it.
    pub approved_on: Option<Date>,
    pub reasons: String,
    pub sources: Vec<String>,
}

/// A validated `RecordRevocation`.
#[derive(Clone, Debug)]
pub struct RecordRevocation {
    pub request_id: Option<RequestId>,
    pub treaty: TreatyId,
    pub state: StateCode,
    pub case: CaseId,
    pub revoked_on: Date,
    pub sources: Vec<String>,
}

/// A validated `RecordSuspensionClaim`.
#[derive(Clone, Debug)]
pub struct RecordSuspension {
    pub request_id: Option<RequestId>,
    pub treaty: TreatyId,
    pub state: StateCode,
    pub claimed_on: Date,
    /// What was claimed, and the objections.
    pub detail: String,
    pub sources: Vec<String>,
}

/// A validated `RecordArmedConflict`.
#[derive(Clone, Debug)]
pub struct RecordConflict {
    pub request_id: Option<RequestId>,
    pub state: StateCode,
    pub description: String,
    pub began_on: Date,
    pub sources: Vec<String>,
}

/// A validated `EndArmedConflict`.
#[derive(Clone, Debug)]
pub struct EndConflict {
    pub request_id: Option<RequestId>,
    pub state: StateCode,
    /// The conflict's id within the state, from 1.
    pub id: u32,
    pub ended_on: Date,
    pub sources: Vec<String>,
}

fn consent_kind(v: &mut Violations, raw: i32) -> Option<ConsentKind> {
    let kind: pb::ConsentKind = fields::required_enum(
        v,
        "kind",
        raw,
        "CONSENT_KIND_SIGNATURE, _RATIFICATION, _ACCEPTANCE, _APPROVAL, _ACCESSION or _SUCCESSION",
    )?;
    match kind {
        pb::ConsentKind::Signature => Some(ConsentKind::Signature),
        pb::ConsentKind::Ratification => Some(ConsentKind::Ratification),
        pb::ConsentKind::Acceptance => Some(ConsentKind::Acceptance),
        pb::ConsentKind::Approval => Some(ConsentKind::Approval),
        pb::ConsentKind::Accession => Some(ConsentKind::Accession),
        pb::ConsentKind::Succession => Some(ConsentKind::Succession),
        pb::ConsentKind::Unspecified => None,
    }
}

/// Reads a conflict id: a whole number from 1, as `ListArmedConflicts` gives it.
fn conflict_id(v: &mut Violations, field: &str, input: &str) -> Option<u32> {
    match input.trim().parse::<u32>() {
        Ok(n) if n > 0 && !input.trim().starts_with('0') => Some(n),
        _ => {
            v.add(
                field,
                "required: the conflict's id, a whole number from 1 as ListArmedConflicts gives it",
            );
            None
        }
    }
}

/// Reads the statement of reasons of a notice (Art. 20(2)).
fn reasons(v: &mut Violations, field: &str, input: &str) -> String {
    if input.trim().is_empty() {
        v.add(
            field,
            "required: the full explanation of the reasons for withdrawing (Art. 20(2))",
        );
    }
    fields::long_text(v, field, input)
}

/// A `RecordConsent` request.
pub fn consent(req: &pb::RecordConsentRequest) -> Result<RecordConsent, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let treaty = fields::treaty(&mut v, "treaty", &req.treaty);
    let state = fields::state(&mut v, "state", &req.state);
    let kind = consent_kind(&mut v, req.kind);
    let on = fields::required_date(&mut v, "on", req.on.as_ref());
    let sources = fields::sources(&mut v, "sources", &req.sources);
    let command = (|| {
        Some(RecordConsent {
            request_id,
            treaty: treaty?,
            state: state?,
            kind: kind?,
            on: on?,
            sources,
        })
    })();
    v.finish(command)
}

/// A `RecordWithdrawalNotice` request.
pub fn notice(req: &pb::RecordWithdrawalNoticeRequest) -> Result<RecordNotice, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let treaty = fields::treaty(&mut v, "treaty", &req.treaty);
    let state = fields::state(&mut v, "state", &req.state);
    let case = fields::case_of(&mut v, "case_id", &req.case_id, treaty.as_ref(), state);
    let received_on = fields::required_date(&mut v, "received_on", req.received_on.as_ref());
    let approved_on = fields::optional_date(&mut v, "approved_on", req.approved_on.as_ref());
    let reasons = reasons(&mut v, "reasons", &req.reasons);
    let sources = fields::sources(&mut v, "sources", &req.sources);
    let command = (|| {
        Some(RecordNotice {
            request_id,
            treaty: treaty?,
            state: state?,
            case: case?,
            received_on: received_on?,
            approved_on,
            reasons,
            sources,
        })
    })();
    v.finish(command)
}

/// A `RecordRevocation` request.
pub fn revocation(req: &pb::RecordRevocationRequest) -> Result<RecordRevocation, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let treaty = fields::treaty(&mut v, "treaty", &req.treaty);
    let state = fields::state(&mut v, "state", &req.state);
    let case = fields::case_of(&mut v, "case_id", &req.case_id, treaty.as_ref(), state);
    let revoked_on = fields::required_date(&mut v, "revoked_on", req.revoked_on.as_ref());
    let sources = fields::sources(&mut v, "sources", &req.sources);
    let command = (|| {
        Some(RecordRevocation {
            request_id,
            treaty: treaty?,
            state: state?,
            case: case?,
            revoked_on: revoked_on?,
            sources,
        })
    })();
    v.finish(command)
}

/// A `RecordSuspensionClaim` request.
pub fn suspension(req: &pb::RecordSuspensionClaimRequest) -> Result<RecordSuspension, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let treaty = fields::treaty(&mut v, "treaty", &req.treaty);
    let state = fields::state(&mut v, "state", &req.state);
    let Some(claim) = req.claim.as_ref() else {
        v.add("claim", "required: the claim, with its date and detail");
        return Err(v);
    };
    let claimed_on = fields::required_date(&mut v, "claim.claimed_on", claim.claimed_on.as_ref());
    let detail = fields::required_long_text(&mut v, "claim.detail", &claim.detail);
    let sources = fields::sources(&mut v, "claim.sources", &claim.sources);
    let command = (|| {
        Some(RecordSuspension {
            request_id,
            treaty: treaty?,
            state: state?,
            claimed_on: claimed_on?,
            detail,
            sources,
        })
    })();
    v.finish(command)
}

/// A `RecordArmedConflict` request.
pub fn armed_conflict(req: &pb::RecordArmedConflictRequest) -> Result<RecordConflict, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let state = fields::state(&mut v, "state", &req.state);
    let description = fields::required_text(&mut v, "description", &req.description);
    let began_on = fields::required_date(&mut v, "began_on", req.began_on.as_ref());
    let sources = fields::sources(&mut v, "sources", &req.sources);
    let command = (|| {
        Some(RecordConflict {
            request_id,
            state: state?,
            description,
            began_on: began_on?,
            sources,
        })
    })();
    v.finish(command)
}

/// An `EndArmedConflict` request.
pub fn conflict_end(req: &pb::EndArmedConflictRequest) -> Result<EndConflict, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let state = fields::state(&mut v, "state", &req.state);
    let id = conflict_id(&mut v, "conflict_id", &req.conflict_id);
    let ended_on = fields::required_date(&mut v, "ended_on", req.ended_on.as_ref());
    let sources = fields::sources(&mut v, "sources", &req.sources);
    let command = (|| {
        Some(EndConflict {
            request_id,
            state: state?,
            id: id?,
            ended_on: ended_on?,
            sources,
        })
    })();
    v.finish(command)
}
