//! The gRPC handlers: validate the request, ask the registry what the case needs, let the
//! store apply the step through the domain rules, convert the answer.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use tracing::instrument;
use treaty_domain::{StateCode, TreatyId};
use treaty_ledger::Clock;
use treaty_proto::approvals as pb;
use treaty_proto::approvals::approvals_service_server::ApprovalsService;
use treaty_runtime::actor;

use crate::Peers;
use crate::convert;
use crate::error::ApprovalsError;
use crate::model::{Day, Instant, StoredClause, StoredEvent, StoredOpening, StoredStep};
use crate::peers::Registry;
use crate::requests;
use crate::store::{ApprovalsStore, NewCase, NewStatement};

/// The `treaty.approvals.v1.ApprovalsService` implementation.
#[derive(Clone, Debug)]
pub struct ApprovalsApi {
    store: ApprovalsStore,
    registry: Registry,
    clock: Arc<dyn Clock>,
}

impl ApprovalsApi {
    /// Serves `store`, calling `peers`.
    pub fn new(store: ApprovalsStore, peers: Peers, clock: Arc<dyn Clock>) -> Self {
        Self {
            registry: Registry::new(&peers),
            store,
            clock,
        }
    }

    /// Refuses a second open case for the state and treaty.
    fn check_no_open_case(
        &self,
        treaty: &TreatyId,
        state: StateCode,
    ) -> Result<(), ApprovalsError> {
        match self.store.open_case_of(treaty.as_str(), state.as_str())? {
            None => Ok(()),
            Some(case_id) => Err(ApprovalsError::CaseAlreadyOpen {
                treaty: treaty.to_string(),
                state: state.to_string(),
                case_id,
            }),
        }
    }

    /// Refuses a step for a state the registry does not hold bound by the treaty on `on`.
    async fn check_bound(
        &self,
        treaty: &TreatyId,
        state: StateCode,
        on: jiff::civil::Date,
    ) -> Result<(), ApprovalsError> {
        let standing = self.registry.standing(treaty, state, on).await?;
        if standing.bound {
            Ok(())
        } else {
            Err(ApprovalsError::NotBound {
                state: state.to_string(),
                treaty: treaty.to_string(),
                on,
                status: standing.status,
            })
        }
    }

    /// Everything a new case needs from the registry: the state's procedure, and its
    /// membership on the date of the recommendation `step`, if the case has one (a case
    /// opened without one is checked at the deposit).
    async fn new_case(
        &self,
        treaty: &TreatyId,
        clause: StoredClause,
        state: StateCode,
        opening: StoredOpening,
        step: Option<StoredStep>,
    ) -> Result<NewCase, ApprovalsError> {
        let procedure = self.registry.procedure(state).await?;
        if let Some(on) = step.as_ref().and_then(|s| s.event.on()) {
            self.check_bound(treaty, state, on).await?;
        }
        Ok(NewCase {
            treaty: treaty.clone(),
            state,
            procedure,
            clause,
            opening,
            step,
        })
    }

    /// Who opens a case, now, and why.
    fn opening(&self, actor: &str, detail: &str, sources: &[String]) -> StoredOpening {
        StoredOpening {
            recorded_at: Instant(self.clock.now()),
            actor: actor.to_owned(),
            detail: detail.to_owned(),
            sources: sources.to_vec(),
        }
    }

    /// The recommendation that opens a case.
    fn recommendation(&self, on: jiff::civil::Date, opening: &StoredOpening) -> StoredStep {
        let event = StoredEvent::Recommended { on: Some(Day(on)) };
        convert::new_step(
            event,
            opening.recorded_at.0,
            opening.actor.clone(),
            opening.detail.clone(),
            opening.sources.clone(),
        )
    }

    /// Records one validated step on its case.
    async fn record<M, F>(
        &self,
        actor: String,
        cmd: requests::RecordStep,
        answer: F,
    ) -> Result<Response<M>, Status>
    where
        M: prost::Message + Default + Send + 'static,
        F: Fn(pb::Withdrawal) -> M + Send + Sync + 'static,
    {
        if let Some(first) = self.store.recall::<M>(cmd.key.as_deref())? {
            return Ok(Response::new(first));
        }
        let step = convert::new_step(cmd.event, self.clock.now(), actor, cmd.detail, cmd.sources);
        let response = self
            .store
            .record_step(cmd.key, cmd.case_id, step, cmd.field, answer)
            .await?;
        Ok(Response::new(response))
    }
}

fn invalid(v: treaty_proto::wire::Violations) -> Status {
    ApprovalsError::InvalidArgument(v).into()
}

#[tonic::async_trait]
impl ApprovalsService for ApprovalsApi {
    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, states = request.get_ref().states.len()))]
    async fn issue_joint_statement(
        &self,
        request: Request<pb::IssueJointStatementRequest>,
    ) -> Result<Response<pb::IssueJointStatementResponse>, Status> {
        let actor = actor(request.metadata());
        let cmd = requests::statement(request.get_ref()).map_err(invalid)?;
        if let Some(first) = self.store.recall(cmd.key.as_deref())? {
            return Ok(Response::new(first));
        }
        for state in &cmd.states {
            self.check_no_open_case(&cmd.treaty, *state)?;
        }
        let clause = self.registry.clause(&cmd.treaty).await?;
        let mut cases = Vec::with_capacity(cmd.states.len());
        for state in &cmd.states {
            let detail = format!(
                "Recommended by a joint statement of {} states",
                cmd.states.len()
            );
            let opening = self.opening(&actor, &detail, &cmd.sources);
            let step = self.recommendation(cmd.issued_on, &opening);
            let case = self
                .new_case(&cmd.treaty, clause, *state, opening, Some(step))
                .await?;
            cases.push(case);
        }
        let statement = NewStatement {
            treaty: cmd.treaty.clone(),
            issued_on: cmd.issued_on,
            text: cmd.text,
            actor,
            sources: cmd.sources,
        };
        let response = self
            .store
            .open_cases(cmd.key, Some(statement), cases, |id, withdrawals| {
                pb::IssueJointStatementResponse {
                    joint_statement: id
                        .map(|id| format!("jointStatements/{id}"))
                        .unwrap_or_default(),
                    withdrawals,
                }
            })
            .await?;
        Ok(Response::new(response))
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn open_withdrawal(
        &self,
        request: Request<pb::OpenWithdrawalRequest>,
    ) -> Result<Response<pb::OpenWithdrawalResponse>, Status> {
        let actor = actor(request.metadata());
        let cmd = requests::open(request.get_ref()).map_err(invalid)?;
        if let Some(first) = self.store.recall(cmd.key.as_deref())? {
            return Ok(Response::new(first));
        }
        self.check_no_open_case(&cmd.treaty, cmd.state)?;
        let clause = self.registry.clause(&cmd.treaty).await?;
        let opening = self.opening(&actor, &cmd.detail, &cmd.sources);
        let step = cmd.on.map(|on| self.recommendation(on, &opening));
        let case = self
            .new_case(&cmd.treaty, clause, cmd.state, opening, step)
            .await?;
        let response = self
            .store
            .open_cases(cmd.key, None, vec![case], |_, withdrawals| {
                pb::OpenWithdrawalResponse {
                    withdrawal: withdrawals.into_iter().next(),
                }
            })
            .await?;
        Ok(Response::new(response))
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn record_recommendation(
        &self,
        request: Request<pb::RecordRecommendationRequest>,
    ) -> Result<Response<pb::RecordRecommendationResponse>, Status> {
        let actor = actor(request.metadata());
        let cmd = requests::recommendation(request.get_ref()).map_err(invalid)?;
        self.record(actor, cmd, |w| pb::RecordRecommendationResponse {
            withdrawal: Some(w),
        })
        .await
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn record_government_decision(
        &self,
        request: Request<pb::RecordGovernmentDecisionRequest>,
    ) -> Result<Response<pb::RecordGovernmentDecisionResponse>, Status> {
        let actor = actor(request.metadata());
        let cmd = requests::government_decision(request.get_ref()).map_err(invalid)?;
        self.record(actor, cmd, |w| pb::RecordGovernmentDecisionResponse {
            withdrawal: Some(w),
        })
        .await
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn record_chamber_vote(
        &self,
        request: Request<pb::RecordChamberVoteRequest>,
    ) -> Result<Response<pb::RecordChamberVoteResponse>, Status> {
        let actor = actor(request.metadata());
        let cmd = requests::chamber_vote(request.get_ref()).map_err(invalid)?;
        self.record(actor, cmd, |w| pb::RecordChamberVoteResponse {
            withdrawal: Some(w),
        })
        .await
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn record_head_of_state_assent(
        &self,
        request: Request<pb::RecordHeadOfStateAssentRequest>,
    ) -> Result<Response<pb::RecordHeadOfStateAssentResponse>, Status> {
        let actor = actor(request.metadata());
        let cmd = requests::assent(request.get_ref()).map_err(invalid)?;
        self.record(actor, cmd, |w| pb::RecordHeadOfStateAssentResponse {
            withdrawal: Some(w),
        })
        .await
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn deposit_instrument(
        &self,
        request: Request<pb::DepositInstrumentRequest>,
    ) -> Result<Response<pb::DepositInstrumentResponse>, Status> {
        let actor = actor(request.metadata());
        let cmd = requests::deposit(request.get_ref()).map_err(invalid)?;
        if let Some(first) = self.store.recall(cmd.key.as_deref())? {
            return Ok(Response::new(first));
        }
        // Ask the rules first, so a deposit out of order is refused without a registry call;
        // the commit asks them again against the case as it then stands.
        let (case, domain) = self.store.load(&cmd.case_id)?;
        let deposited = StoredEvent::InstrumentDeposited {
            received_on: Day(cmd.received_on),
            reasons: cmd.reasons.clone(),
            conflicts: Vec::new(),
        };
        domain
            .apply(&deposited.to_domain())
            .map_err(|error| ApprovalsError::Refused {
                case_id: cmd.case_id.clone(),
                field: "received_on",
                error,
            })?;
        let treaty =
            TreatyId::parse(&case.treaty).map_err(|e| ApprovalsError::Corrupt(e.to_string()))?;
        let state =
            StateCode::parse(&case.state).map_err(|e| ApprovalsError::Corrupt(e.to_string()))?;
        self.check_bound(&treaty, state, cmd.received_on).await?;
        let conflicts = self.registry.conflicts(&case.state).await?;
        self.store.note_conflicts(&case.state, conflicts.clone());
        let event = StoredEvent::InstrumentDeposited {
            received_on: Day(cmd.received_on),
            reasons: cmd.reasons,
            conflicts,
        };
        let step = requests::RecordStep {
            key: cmd.key,
            case_id: cmd.case_id,
            event,
            field: "received_on",
            detail:
                "The depositary received the instrument of withdrawal with its statement of reasons"
                    .to_owned(),
            sources: cmd.sources,
        };
        self.record(actor, step, |w| pb::DepositInstrumentResponse {
            withdrawal: Some(w),
        })
        .await
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn revoke_withdrawal(
        &self,
        request: Request<pb::RevokeWithdrawalRequest>,
    ) -> Result<Response<pb::RevokeWithdrawalResponse>, Status> {
        let actor = actor(request.metadata());
        let cmd = requests::revoke(request.get_ref()).map_err(invalid)?;
        self.record(actor, cmd, |w| pb::RevokeWithdrawalResponse {
            withdrawal: Some(w),
        })
        .await
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn get_withdrawal(
        &self,
        request: Request<pb::GetWithdrawalRequest>,
    ) -> Result<Response<pb::GetWithdrawalResponse>, Status> {
        let case_id = requests::get(request.get_ref()).map_err(invalid)?;
        let (case, domain) = self.store.load(&case_id)?;
        Ok(Response::new(pb::GetWithdrawalResponse {
            withdrawal: Some(self.store.to_wire(&case, &domain)),
        }))
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn list_withdrawals(
        &self,
        request: Request<pb::ListWithdrawalsRequest>,
    ) -> Result<Response<pb::ListWithdrawalsResponse>, Status> {
        let cmd = requests::list(request.get_ref()).map_err(invalid)?;
        let (cases, more) = self
            .store
            .list(&cmd.filter, cmd.after.as_deref(), cmd.limit)?;
        let next_page_token = match cases.last() {
            Some((last, _)) if more => requests::next_page_token(&last.id),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListWithdrawalsResponse {
            withdrawals: cases
                .iter()
                .map(|(case, domain)| self.store.to_wire(case, domain))
                .collect(),
            next_page_token,
        }))
    }
}
