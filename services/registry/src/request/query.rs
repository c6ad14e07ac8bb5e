//! The reads: what they ask for, and their pages (one token format, bound to each listing's
//! filters; see `treaty_proto::page`).

use jiff::civil::Date;
use treaty_domain::{StateCode, TreatyId};
use treaty_proto::Violations;
use treaty_proto::fields;
use treaty_proto::page::{Listing, Paged};
use treaty_proto::registry as pb;

/// A `GetMembership`: the treaty, the state and the date asked about (today when unset).
#[derive(Clone, Debug)]
pub struct MembershipQuery {
    pub treaty: TreatyId,
    pub state: StateCode,
    pub as_of: Option<Date>,
}

/// A `ListMembers`.
#[derive(Clone, Debug)]
pub struct MembersQuery {
    pub treaty: TreatyId,
    /// The day to answer for.
    pub as_of: Date,
    /// Only members with this status.
    pub status: Option<pb::MembershipStatus>,
    pub parties_only: bool,
    pub page: Paged<StateCode>,
}

/// A `ListArmedConflicts`.
#[derive(Clone, Debug)]
pub struct ConflictsQuery {
    pub state: StateCode,
    pub page: Paged<u32>,
}

/// A `GetMembership` request.
pub fn membership(req: &pb::GetMembershipRequest) -> Result<MembershipQuery, Violations> {
    let mut v = Violations::new();
    let treaty = fields::treaty(&mut v, "treaty", &req.treaty);
    let state = fields::state(&mut v, "state", &req.state);
    let as_of = fields::optional_date(&mut v, "as_of", req.as_of.as_ref());
    let query = (|| {
        Some(MembershipQuery {
            treaty: treaty?,
            state: state?,
            as_of,
        })
    })();
    v.finish(query)
}

fn status_filter(v: &mut Violations, status: i32) -> Option<pb::MembershipStatus> {
    match pb::MembershipStatus::try_from(status) {
        Ok(pb::MembershipStatus::Unspecified) => None,
        Ok(s) => Some(s),
        Err(_) => {
            v.add(
                "status",
                format!("{status} is not a MembershipStatus; leave it unset for every status"),
            );
            None
        }
    }
}

/// A `ListMembers` request; `today` answers when `as_of` is unset.
pub fn members(req: &pb::ListMembersRequest, today: Date) -> Result<MembersQuery, Violations> {
    let mut v = Violations::new();
    let treaty = fields::treaty(&mut v, "treaty", &req.treaty);
    let asked = fields::optional_date(&mut v, "as_of", req.as_of.as_ref());
    let status = status_filter(&mut v, req.status);
    let listing = Listing::new(
        "ListMembers",
        &[
            treaty.as_ref().map_or("", TreatyId::as_str),
            &asked.map(|d| d.to_string()).unwrap_or_default(),
            &req.status.to_string(),
            if req.parties_only { "parties" } else { "" },
        ],
    );
    let page = listing.paged(&mut v, req.page_size, &req.page_token);
    let query = treaty.map(|treaty| MembersQuery {
        treaty,
        as_of: asked.unwrap_or(today),
        status,
        parties_only: req.parties_only,
        page,
    });
    v.finish(query)
}

/// A `ListTreaties` request's page.
pub fn treaties(req: &pb::ListTreatiesRequest) -> Result<Paged<TreatyId>, Violations> {
    let mut v = Violations::new();
    let listing = Listing::new("ListTreaties", &[]);
    let page = listing.paged(&mut v, req.page_size, &req.page_token);
    v.into_result(page)
}

/// A `ListStates` request's page.
pub fn states(req: &pb::ListStatesRequest) -> Result<Paged<StateCode>, Violations> {
    let mut v = Violations::new();
    let listing = Listing::new("ListStates", &[]);
    let page = listing.paged(&mut v, req.page_size, &req.page_token);
    v.into_result(page)
}

/// A `ListArmedConflicts` request.
pub fn conflicts(req: &pb::ListArmedConflictsRequest) -> Result<ConflictsQuery, Violations> {
    let mut v = Violations::new();
    let state = fields::state(&mut v, "state", &req.state);
    let listing = Listing::new("ListArmedConflicts", &[state.map_or("", |s| s.as_str())]);
    let page = listing.paged(&mut v, req.page_size, &req.page_token);
    let query = state.map(|state| ConflictsQuery { state, page });
    v.finish(query)
}
