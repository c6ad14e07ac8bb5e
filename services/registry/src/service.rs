//! The `treaty.registry.v1.RegistryService` handlers: the caller, the request read into a
//! command (`request`), the store, the answer (`wire`). Nothing else happens here.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use tracing::instrument;
use treaty_auth::{Rpc, Target};
use treaty_domain::{StateCode, TreatyId};
use treaty_ledger::Clock;
use treaty_proto::registry as pb;
use treaty_proto::registry::registry_service_server::RegistryService;
use treaty_runtime::Caller;

use crate::error::RegistryError;
use crate::request;
use crate::store::RegistryStore;
use crate::wire;

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

    fn today(&self) -> jiff::civil::Date {
        treaty_domain::today(self.clock.now())
    }
}

type Answer<T> = Result<Response<T>, Status>;

fn answer<T>(value: Result<T, RegistryError>) -> Answer<T> {
    value.map(Response::new).map_err(Status::from)
}

/// The one seam: who calls, and whether the rule table lets them call `rpc` (nothing the
/// registry records is about one state's own acts, so no RPC here has a target).
fn authorize<T>(request: &Request<T>, rpc: Rpc) -> Result<Caller, Status> {
    Caller::authorize(request, &crate::SERVICE, rpc, &Target::none())
}

/// Reads a request, making its violations the INVALID_ARGUMENT answer.
fn read<T>(parsed: Result<T, treaty_proto::Violations>) -> Result<T, Status> {
    parsed.map_err(|v| RegistryError::from(v).into())
}

#[tonic::async_trait]
impl RegistryService for RegistryApi {
    #[instrument(skip_all, fields(treaty = request.get_ref().treaty.as_ref().map(|t| t.treaty_id.as_str())))]
    async fn create_treaty(
        &self,
        request: Request<pb::CreateTreatyRequest>,
    ) -> Answer<pb::CreateTreatyResponse> {
        let caller = authorize(&request, Rpc::CreateTreaty)?;
        let cmd = read(request::create_treaty(request.get_ref()))?;
        let once = caller.once("CreateTreaty", cmd.request_id.as_ref(), request.get_ref());
        answer(self.store.create_treaty(&caller, once.as_ref(), cmd).await)
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty))]
    async fn get_treaty(
        &self,
        request: Request<pb::GetTreatyRequest>,
    ) -> Answer<pb::GetTreatyResponse> {
        authorize(&request, Rpc::GetTreaty)?;
        let mut v = treaty_proto::Violations::new();
        let id = treaty_proto::fields::treaty(&mut v, "treaty", &request.get_ref().treaty);
        let id = read(v.finish(id))?;
        answer(self.store.treaty(&id).map(|t| pb::GetTreatyResponse {
            treaty: Some(wire::treaty(&t)),
        }))
    }

    #[instrument(skip_all)]
    async fn list_treaties(
        &self,
        request: Request<pb::ListTreatiesRequest>,
    ) -> Answer<pb::ListTreatiesResponse> {
        authorize(&request, Rpc::ListTreaties)?;
        let page = read(request::treaties(request.get_ref()))?;
        answer(self.store.list_treaties(&page).map(|(treaties, more)| {
            pb::ListTreatiesResponse {
                next_page_token: page.next_token(
                    more,
                    treaties
                        .last()
                        .and_then(|t| TreatyId::parse(&t.id).ok())
                        .as_ref(),
                ),
                treaties: treaties.iter().map(wire::treaty).collect(),
            }
        }))
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state))]
    async fn get_state(
        &self,
        request: Request<pb::GetStateRequest>,
    ) -> Answer<pb::GetStateResponse> {
        authorize(&request, Rpc::GetState)?;
        let mut v = treaty_proto::Violations::new();
        let state = treaty_proto::fields::state(&mut v, "state", &request.get_ref().state);
        let state = read(v.finish(state))?;
        answer(
            self.store
                .procedure(state)
                .map(|procedure| pb::GetStateResponse {
                    state: Some(wire::state(state, procedure.as_ref())),
                }),
        )
    }

    #[instrument(skip_all)]
    async fn list_states(
        &self,
        request: Request<pb::ListStatesRequest>,
    ) -> Answer<pb::ListStatesResponse> {
        authorize(&request, Rpc::ListStates)?;
        let page = read(request::states(request.get_ref()))?;
        let mut codes = StateCode::all()
            .into_iter()
            .filter(|c| page.after.is_none_or(|after| *c > after))
            .peekable();
        let mut states = Vec::new();
        let mut last = None;
        while states.len() < page.size {
            let Some(code) = codes.next() else { break };
            let procedure = self.store.procedure(code).map_err(Status::from)?;
            states.push(wire::state(code, procedure.as_ref()));
            last = Some(code);
        }
        let more = codes.peek().is_some();
        Ok(Response::new(pb::ListStatesResponse {
            next_page_token: page.next_token(more, last.as_ref()),
            states,
        }))
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state))]
    async fn set_approval_procedure(
        &self,
        request: Request<pb::SetApprovalProcedureRequest>,
    ) -> Answer<pb::SetApprovalProcedureResponse> {
        let caller = authorize(&request, Rpc::SetApprovalProcedure)?;
        let cmd = read(request::set_procedure(request.get_ref()))?;
        let once = caller.once(
            "SetApprovalProcedure",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(self.store.set_procedure(&caller, once.as_ref(), cmd).await)
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn record_consent(
        &self,
        request: Request<pb::RecordConsentRequest>,
    ) -> Answer<pb::RecordConsentResponse> {
        let caller = authorize(&request, Rpc::RecordConsent)?;
        let cmd = read(request::consent(request.get_ref()))?;
        let once = caller.once("RecordConsent", cmd.request_id.as_ref(), request.get_ref());
        answer(self.store.record_consent(&caller, once.as_ref(), cmd).await)
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn get_membership(
        &self,
        request: Request<pb::GetMembershipRequest>,
    ) -> Answer<pb::GetMembershipResponse> {
        authorize(&request, Rpc::GetMembership)?;
        let q = read(request::membership(request.get_ref()))?;
        let as_of = q.as_of.unwrap_or_else(|| self.today());
        answer(self.store.membership(&q.treaty, q.state, as_of).map(|m| {
            pb::GetMembershipResponse {
                membership: Some(m),
            }
        }))
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty))]
    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Answer<pb::ListMembersResponse> {
        authorize(&request, Rpc::ListMembers)?;
        let q = read(request::members(request.get_ref(), self.today()))?;
        answer(self.store.list_members(&q))
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state, case = %request.get_ref().case_id))]
    async fn record_withdrawal_notice(
        &self,
        request: Request<pb::RecordWithdrawalNoticeRequest>,
    ) -> Answer<pb::RecordWithdrawalNoticeResponse> {
        let caller = authorize(&request, Rpc::RecordWithdrawalNotice)?;
        let cmd = read(request::notice(request.get_ref()))?;
        let once = caller.once(
            "RecordWithdrawalNotice",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(self.store.record_notice(&caller, once.as_ref(), cmd).await)
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state, case = %request.get_ref().case_id))]
    async fn record_revocation(
        &self,
        request: Request<pb::RecordRevocationRequest>,
    ) -> Answer<pb::RecordRevocationResponse> {
        let caller = authorize(&request, Rpc::RecordRevocation)?;
        let cmd = read(request::revocation(request.get_ref()))?;
        let once = caller.once(
            "RecordRevocation",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(
            self.store
                .record_revocation(&caller, once.as_ref(), cmd)
                .await,
        )
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn record_suspension_claim(
        &self,
        request: Request<pb::RecordSuspensionClaimRequest>,
    ) -> Answer<pb::RecordSuspensionClaimResponse> {
        let caller = authorize(&request, Rpc::RecordSuspensionClaim)?;
        let cmd = read(request::suspension(request.get_ref()))?;
        let once = caller.once(
            "RecordSuspensionClaim",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(
            self.store
                .record_suspension(&caller, once.as_ref(), cmd)
                .await,
        )
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state))]
    async fn record_armed_conflict(
        &self,
        request: Request<pb::RecordArmedConflictRequest>,
    ) -> Answer<pb::RecordArmedConflictResponse> {
        let caller = authorize(&request, Rpc::RecordArmedConflict)?;
        let cmd = read(request::armed_conflict(request.get_ref()))?;
        let once = caller.once(
            "RecordArmedConflict",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(
            self.store
                .record_conflict(&caller, once.as_ref(), cmd)
                .await,
        )
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state, conflict = %request.get_ref().conflict_id))]
    async fn end_armed_conflict(
        &self,
        request: Request<pb::EndArmedConflictRequest>,
    ) -> Answer<pb::EndArmedConflictResponse> {
        let caller = authorize(&request, Rpc::EndArmedConflict)?;
        let cmd = read(request::conflict_end(request.get_ref()))?;
        let once = caller.once(
            "EndArmedConflict",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(self.store.end_conflict(&caller, once.as_ref(), cmd).await)
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state))]
    async fn list_armed_conflicts(
        &self,
        request: Request<pb::ListArmedConflictsRequest>,
    ) -> Answer<pb::ListArmedConflictsResponse> {
        authorize(&request, Rpc::ListArmedConflicts)?;
        let q = read(request::conflicts(request.get_ref()))?;
        let all = self.store.conflicts(q.state).map_err(Status::from)?;
        let mut rest = all
            .conflicts
            .iter()
            .filter(|c| q.page.after.is_none_or(|after| c.id > after));
        let page: Vec<_> = rest.by_ref().take(q.page.size).collect();
        let more = rest.next().is_some();
        Ok(Response::new(pb::ListArmedConflictsResponse {
            next_page_token: q.page.next_token(more, page.last().map(|c| &c.id)),
            conflicts: page
                .iter()
                .map(|c| wire::conflict(q.state.as_str(), c))
                .collect(),
        }))
    }
}
