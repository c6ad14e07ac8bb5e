//! The gRPC handlers: validate the request, call the store, return its answer.

use std::sync::Arc;

use jiff::civil::Date;
use tonic::{Request, Response, Status};
use tracing::instrument;
use treaty_domain::StateCode;
use treaty_ledger::Clock;
use treaty_proto::registry as pb;
use treaty_proto::registry::registry_service_server::RegistryService;
use treaty_proto::wire::Violations;

use crate::error::RegistryError;
use crate::store::{Change, RegistryStore};
use crate::validate::{self as check, Page};
use crate::wire;

const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// The `treaty.registry.v1.RegistryService` implementation.
#[derive(Clone, Debug)]
pub struct RegistryApi {
    store: RegistryStore,
    clock: Arc<dyn Clock>,
}

impl RegistryApi {
    /// Serves `store`; `clock` gives "today" for queries without `as_of`.
    pub fn new(store: RegistryStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Today's civil date in UTC, by the injected clock.
    fn today(&self) -> Date {
        self.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date()
    }
}

/// The principal and idempotency key of a mutation.
fn change<T>(request: &Request<T>, request_id: &str) -> Change {
    Change {
        actor: treaty_runtime::actor(request.metadata()),
        request_id: request_id.to_owned(),
    }
}

/// The INVALID_ARGUMENT answer for `v`.
fn invalid(v: Violations) -> Status {
    RegistryError::InvalidArgument(v).into()
}

/// Fails with every violation found, or passes.
fn valid(v: Violations) -> Result<(), Status> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(invalid(v))
    }
}

/// Unwraps a field that validation passed (present when `v` was empty).
fn ok<T>(value: Option<T>) -> Result<T, Status> {
    value.ok_or_else(|| Status::internal("a validated field is missing; report this"))
}

fn next_token(more: bool, last: Option<&str>) -> String {
    match last {
        Some(last) if more => format!("after-{last}"),
        _ => String::new(),
    }
}

#[tonic::async_trait]
impl RegistryService for RegistryApi {
    #[instrument(skip_all, fields(treaty = request.get_ref().treaty.as_ref().map(|t| t.treaty_id.as_str())))]
    async fn create_treaty(
        &self,
        request: Request<pb::CreateTreatyRequest>,
    ) -> Result<Response<pb::CreateTreatyResponse>, Status> {
        let change = change(&request, &request.get_ref().request_id);
        let treaty = check::create_treaty(request.get_ref()).map_err(invalid)?;
        Ok(Response::new(
            self.store.create_treaty(&change, treaty).await?,
        ))
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty))]
    async fn get_treaty(
        &self,
        request: Request<pb::GetTreatyRequest>,
    ) -> Result<Response<pb::GetTreatyResponse>, Status> {
        let mut v = Violations::new();
        let id = check::treaty(&mut v, "treaty", &request.get_ref().treaty);
        valid(v)?;
        let treaty = self.store.treaty(ok(id)?.as_str())?;
        Ok(Response::new(pb::GetTreatyResponse {
            treaty: Some(wire::treaty(&treaty)),
        }))
    }

    #[instrument(skip_all)]
    async fn list_treaties(
        &self,
        request: Request<pb::ListTreatiesRequest>,
    ) -> Result<Response<pb::ListTreatiesResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let page = check::page(
            &mut v,
            req.page_size,
            &req.page_token,
            DEFAULT_PAGE,
            MAX_PAGE,
        );
        valid(v)?;
        let (treaties, more) = self.store.list_treaties(&page)?;
        Ok(Response::new(pb::ListTreatiesResponse {
            next_page_token: next_token(more, treaties.last().map(|t| t.id.as_str())),
            treaties: treaties.iter().map(wire::treaty).collect(),
        }))
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state))]
    async fn get_state(
        &self,
        request: Request<pb::GetStateRequest>,
    ) -> Result<Response<pb::GetStateResponse>, Status> {
        let mut v = Violations::new();
        let state = check::state(&mut v, "state", &request.get_ref().state);
        valid(v)?;
        let state = ok(state)?;
        let procedure = self.store.procedure(state)?;
        Ok(Response::new(pb::GetStateResponse {
            state: Some(wire::state(state, procedure.as_ref())),
        }))
    }

    #[instrument(skip_all)]
    async fn list_states(
        &self,
        request: Request<pb::ListStatesRequest>,
    ) -> Result<Response<pb::ListStatesResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let Page { size, after } = check::page(
            &mut v,
            req.page_size,
            &req.page_token,
            DEFAULT_PAGE,
            MAX_PAGE,
        );
        valid(v)?;
        let mut codes = StateCode::all()
            .into_iter()
            .filter(|c| after.as_deref().is_none_or(|after| c.as_str() > after))
            .peekable();
        let mut states = Vec::new();
        while states.len() < size {
            let Some(code) = codes.next() else { break };
            let procedure = self.store.procedure(code)?;
            states.push(wire::state(code, procedure.as_ref()));
        }
        let more = codes.peek().is_some();
        Ok(Response::new(pb::ListStatesResponse {
            next_page_token: next_token(more, states.last().map(|s| s.code.as_str())),
            states,
        }))
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state))]
    async fn set_approval_procedure(
        &self,
        request: Request<pb::SetApprovalProcedureRequest>,
    ) -> Result<Response<pb::SetApprovalProcedureResponse>, Status> {
        let change = change(&request, &request.get_ref().request_id);
        let (state, procedure) = check::set_procedure(request.get_ref()).map_err(invalid)?;
        let answer = self.store.set_procedure(&change, state, procedure).await?;
        Ok(Response::new(answer))
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn record_consent(
        &self,
        request: Request<pb::RecordConsentRequest>,
    ) -> Result<Response<pb::RecordConsentResponse>, Status> {
        let change = change(&request, &request.get_ref().request_id);
        let input = check::consent(request.get_ref()).map_err(invalid)?;
        Ok(Response::new(
            self.store.record_consent(&change, input).await?,
        ))
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn get_membership(
        &self,
        request: Request<pb::GetMembershipRequest>,
    ) -> Result<Response<pb::GetMembershipResponse>, Status> {
        let (treaty, state, as_of) = check::membership(request.get_ref()).map_err(invalid)?;
        let as_of = as_of.unwrap_or_else(|| self.today());
        let membership = self.store.membership(&treaty, state, as_of)?;
        Ok(Response::new(pb::GetMembershipResponse {
            membership: Some(membership),
        }))
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty))]
    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        let (treaty, query) = check::members(request.get_ref(), self.today()).map_err(invalid)?;
        Ok(Response::new(self.store.list_members(&treaty, &query)?))
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state, case = %request.get_ref().case_id))]
    async fn record_withdrawal_notice(
        &self,
        request: Request<pb::RecordWithdrawalNoticeRequest>,
    ) -> Result<Response<pb::RecordWithdrawalNoticeResponse>, Status> {
        let change = change(&request, &request.get_ref().request_id);
        let input = check::notice(request.get_ref()).map_err(invalid)?;
        Ok(Response::new(
            self.store.record_notice(&change, input).await?,
        ))
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state, case = %request.get_ref().case_id))]
    async fn record_revocation(
        &self,
        request: Request<pb::RecordRevocationRequest>,
    ) -> Result<Response<pb::RecordRevocationResponse>, Status> {
        let change = change(&request, &request.get_ref().request_id);
        let input = check::revocation(request.get_ref()).map_err(invalid)?;
        Ok(Response::new(
            self.store.record_revocation(&change, input).await?,
        ))
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn record_suspension_claim(
        &self,
        request: Request<pb::RecordSuspensionClaimRequest>,
    ) -> Result<Response<pb::RecordSuspensionClaimResponse>, Status> {
        let change = change(&request, &request.get_ref().request_id);
        let (treaty, state, claim) = check::suspension(request.get_ref()).map_err(invalid)?;
        let answer = self
            .store
            .record_suspension(&change, treaty, state, claim)
            .await?;
        Ok(Response::new(answer))
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state))]
    async fn record_armed_conflict(
        &self,
        request: Request<pb::RecordArmedConflictRequest>,
    ) -> Result<Response<pb::RecordArmedConflictResponse>, Status> {
        let change = change(&request, &request.get_ref().request_id);
        let (state, conflict) = check::armed_conflict(request.get_ref()).map_err(invalid)?;
        Ok(Response::new(
            self.store.record_conflict(&change, state, conflict).await?,
        ))
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state, conflict = %request.get_ref().conflict_id))]
    async fn end_armed_conflict(
        &self,
        request: Request<pb::EndArmedConflictRequest>,
    ) -> Result<Response<pb::EndArmedConflictResponse>, Status> {
        let change = change(&request, &request.get_ref().request_id);
        let end = check::conflict_end(request.get_ref()).map_err(invalid)?;
        Ok(Response::new(self.store.end_conflict(&change, end).await?))
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state))]
    async fn list_armed_conflicts(
        &self,
        request: Request<pb::ListArmedConflictsRequest>,
    ) -> Result<Response<pb::ListArmedConflictsResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let state = check::state(&mut v, "state", &req.state);
        let page = check::page(
            &mut v,
            req.page_size,
            &req.page_token,
            DEFAULT_PAGE,
            MAX_PAGE,
        );
        let after = match page.after.as_deref().map(str::parse::<u32>) {
            None => 0,
            Some(Ok(n)) => n,
            Some(Err(_)) => {
                v.add("page_token", "not a token this service issued; pass the next_page_token of the previous page");
                0
            }
        };
        valid(v)?;
        let state = ok(state)?;
        let all = self.store.conflicts(state)?;
        let mut rest = all.conflicts.iter().filter(|c| c.id > after);
        let conflicts: Vec<_> = rest
            .by_ref()
            .take(page.size)
            .map(|c| wire::conflict(state.as_str(), c))
            .collect();
        let more = rest.next().is_some();
        Ok(Response::new(pb::ListArmedConflictsResponse {
            next_page_token: next_token(more, conflicts.last().map(|c| c.conflict_id.as_str())),
            conflicts,
        }))
    }
}
