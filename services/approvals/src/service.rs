//! The `treaty.approvals.v1.ApprovalsService` handlers: the caller, the request read into a
//! command (`request`), what the registry must confirm first (`peers`), the store (where the
//! domain decides), the answer (`wire`). A mutation that calls a peer before its commit runs
//! under [`treaty_runtime::answer_once`], so a retry — even one overlapping the first request
//! — gets the first answer, never a refusal.

use std::sync::Arc;

use jiff::civil::Date;
use tonic::{Request, Response, Status};
use tracing::instrument;
use treaty_auth::{Rpc, Target};
use treaty_domain::{StateCode, TreatyId, WithdrawalClause};
use treaty_ledger::{Clock, Once};
use treaty_proto::approvals as pb;
use treaty_proto::approvals::approvals_service_server::ApprovalsService;
use treaty_runtime::{Caller, answer_once};

use crate::Peers;
use crate::error::ApprovalsError;
use crate::peers::Registry;
use crate::request::{self, RecordStep};
use crate::store::{ApprovalsStore, NewCase, NewStatement, NewStep};
use crate::stored::StoredOpening;

/// The `treaty.approvals.v1.ApprovalsService` implementation.
#[derive(Clone, Debug)]
pub struct ApprovalsApi {
    store: ApprovalsStore,
    registry: Registry,
    clock: Arc<dyn Clock>,
}

type Answer<T> = Result<Response<T>, Status>;

fn answer<T>(value: Result<T, ApprovalsError>) -> Answer<T> {
    value.map(Response::new).map_err(Status::from)
}

/// The one seam: who calls, and whether the rule table lets them call `rpc` for what the
/// request is about (the states it acts for): no credentials is UNAUTHENTICATED before the
/// request is read; then the request is read and the rule applied to its target.
fn authorize<T, C>(
    request: &Request<T>,
    rpc: Rpc,
    read: impl FnOnce(&T) -> Result<C, Status>,
    target: impl FnOnce(&C) -> Target,
) -> Result<(Caller, C), Status> {
    Caller::authorize_read(request, &crate::SERVICE, rpc, read, target)
}

/// A read RPC: public, so nothing about the request matters to the rule.
fn public<T>(request: &Request<T>, rpc: Rpc) -> Result<Caller, Status> {
    Caller::authorize(request, &crate::SERVICE, rpc, &Target::none())
}

/// Reads a request, making its violations the INVALID_ARGUMENT answer.
fn read<T>(parsed: Result<T, treaty_proto::Violations>) -> Result<T, Status> {
    parsed.map_err(|v| ApprovalsError::from(v).into())
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

    /// Refuses a second open case for the state and treaty, before asking the registry
    /// anything (the commit checks again).
    fn check_no_open_case(
        &self,
        treaty: &TreatyId,
        state: StateCode,
    ) -> Result<(), ApprovalsError> {
        match self.store.open_case_of(treaty, state)? {
            None => Ok(()),
            Some(case_id) => Err(ApprovalsError::CaseAlreadyOpen {
                treaty: treaty.to_string(),
                state: state.to_string(),
                case_id,
            }),
        }
    }

    /// Refuses a step for a state the registry does not hold able to give notice on `on`.
    async fn check_may_give_notice(
        &self,
        treaty: &TreatyId,
        state: StateCode,
        on: Date,
    ) -> Result<(), ApprovalsError> {
        let standing = self.registry.standing(treaty, state, on).await?;
        if standing.may_give_notice {
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

    /// Everything a new case needs from the registry: the state's procedure, and, for a case
    /// with a recommendation, that the state may give notice on its date (a case opened
    /// without one is checked at the deposit).
    async fn new_case(
        &self,
        treaty: &TreatyId,
        clause: WithdrawalClause,
        state: StateCode,
        opening: StoredOpening,
        recommended_on: Option<Date>,
    ) -> Result<NewCase, ApprovalsError> {
        let procedure = self.registry.procedure(state).await?;
        if let Some(on) = recommended_on {
            self.check_may_give_notice(treaty, state, on).await?;
        }
        Ok(NewCase {
            treaty: treaty.clone(),
            state,
            procedure,
            clause,
            opening,
            recommended_on,
        })
    }

    /// Who opens a case, now, and why.
    fn opening(&self, caller: &Caller, detail: &str, sources: &[String]) -> StoredOpening {
        StoredOpening {
            recorded_at: self.clock.now(),
            actor: caller.actor.clone(),
            detail: detail.to_owned(),
            sources: sources.to_vec(),
        }
    }

    /// Records one validated step on its case.
    async fn record<M, F>(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: RecordStep,
        answer: F,
    ) -> Result<M, ApprovalsError>
    where
        M: prost::Message + Default + Send + 'static,
        F: Fn(pb::Withdrawal) -> M + Send + Sync + 'static,
    {
        let new = NewStep {
            step: cmd.step,
            recorded_at: self.clock.now(),
            actor: caller.actor.clone(),
            detail: cmd.detail,
            sources: cmd.sources,
            known_conflicts: Vec::new(),
        };
        self.store
            .record_step(once, cmd.case, new, cmd.field, answer)
            .await
    }

    /// The deposit of an instrument of withdrawal: the rules asked first (so a deposit out of
    /// order is refused without a registry call), the registry asked whether the state may
    /// give notice and which armed conflicts it holds, then the step recorded (the commit asks
    /// the rules again against the case as it then stands).
    async fn deposit(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: request::DepositInstrument,
    ) -> Result<pb::DepositInstrumentResponse, ApprovalsError> {
        let (_, domain) = self.store.load(&cmd.case)?;
        domain
            .apply(&cmd.step())
            .map_err(|error| ApprovalsError::Refused {
                case_id: cmd.case.to_string(),
                field: "received_on",
                error,
            })?;
        let (treaty, state) = (cmd.case.treaty().clone(), cmd.case.state());
        self.check_may_give_notice(&treaty, state, cmd.received_on)
            .await?;
        let conflicts = self.registry.conflicts(state).await?;
        self.store.note_conflicts(state, conflicts.clone());
        let new = NewStep {
            step: cmd.step(),
            recorded_at: self.clock.now(),
            actor: caller.actor.clone(),
            detail:
                "The depositary received the instrument of withdrawal with its statement of reasons"
                    .to_owned(),
            sources: cmd.sources,
            known_conflicts: conflicts,
        };
        self.store
            .record_step(once, cmd.case, new, "received_on", |w| {
                pb::DepositInstrumentResponse {
                    withdrawal: Some(w),
                }
            })
            .await
    }
}

#[tonic::async_trait]
impl ApprovalsService for ApprovalsApi {
    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, states = request.get_ref().states.len()))]
    async fn issue_joint_statement(
        &self,
        request: Request<pb::IssueJointStatementRequest>,
    ) -> Answer<pb::IssueJointStatementResponse> {
        let (caller, cmd) = authorize(
            &request,
            Rpc::IssueJointStatement,
            |r| read(request::statement(r)),
            |c| Target::states(c.states.iter().copied()),
        )?;
        let once = caller.once(
            "IssueJointStatement",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(
            answer_once(self.store.ledger(), once.as_ref(), || async {
                for state in &cmd.states {
                    self.check_no_open_case(&cmd.treaty, *state)?;
                }
                let clause = self.registry.clause(&cmd.treaty).await?;
                let detail = format!(
                    "Recommended by a joint statement of {} states",
                    cmd.states.len()
                );
                let mut cases = Vec::with_capacity(cmd.states.len());
                for state in &cmd.states {
                    let opening = self.opening(&caller, &detail, &cmd.sources);
                    let case = self
                        .new_case(&cmd.treaty, clause, *state, opening, Some(cmd.issued_on))
                        .await?;
                    cases.push(case);
                }
                let statement = NewStatement {
                    treaty: cmd.treaty.clone(),
                    issued_on: cmd.issued_on,
                    text: cmd.text.clone(),
                    actor: caller.actor.clone(),
                    sources: cmd.sources.clone(),
                };
                self.store
                    .open_cases(once.as_ref(), Some(statement), cases, |id, withdrawals| {
                        pb::IssueJointStatementResponse {
                            joint_statement: id
                                .map(|id| format!("jointStatements/{id}"))
                                .unwrap_or_default(),
                            withdrawals,
                        }
                    })
                    .await
            })
            .await,
        )
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn open_withdrawal(
        &self,
        request: Request<pb::OpenWithdrawalRequest>,
    ) -> Answer<pb::OpenWithdrawalResponse> {
        let (caller, cmd) = authorize(
            &request,
            Rpc::OpenWithdrawal,
            |r| read(request::open(r)),
            |c| Target::state(c.state),
        )?;
        let once = caller.once("OpenWithdrawal", cmd.request_id.as_ref(), request.get_ref());
        answer(
            answer_once(self.store.ledger(), once.as_ref(), || async {
                self.check_no_open_case(&cmd.treaty, cmd.state)?;
                let clause = self.registry.clause(&cmd.treaty).await?;
                let opening = self.opening(&caller, &cmd.detail, &cmd.sources);
                let case = self
                    .new_case(&cmd.treaty, clause, cmd.state, opening, cmd.recommended_on)
                    .await?;
                self.store
                    .open_cases(once.as_ref(), None, vec![case], |_, withdrawals| {
                        pb::OpenWithdrawalResponse {
                            withdrawal: withdrawals.into_iter().next(),
                        }
                    })
                    .await
            })
            .await,
        )
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn record_recommendation(
        &self,
        request: Request<pb::RecordRecommendationRequest>,
    ) -> Answer<pb::RecordRecommendationResponse> {
        let (caller, cmd) = authorize(
            &request,
            Rpc::RecordRecommendation,
            |r| read(request::recommendation(r)),
            |c| Target::state(c.case.state()),
        )?;
        let once = caller.once(
            "RecordRecommendation",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(
            self.record(&caller, once.as_ref(), cmd, |w| {
                pb::RecordRecommendationResponse {
                    withdrawal: Some(w),
                }
            })
            .await,
        )
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn record_government_decision(
        &self,
        request: Request<pb::RecordGovernmentDecisionRequest>,
    ) -> Answer<pb::RecordGovernmentDecisionResponse> {
        let (caller, cmd) = authorize(
            &request,
            Rpc::RecordGovernmentDecision,
            |r| read(request::government_decision(r)),
            |c| Target::state(c.case.state()),
        )?;
        let once = caller.once(
            "RecordGovernmentDecision",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(
            self.record(&caller, once.as_ref(), cmd, |w| {
                pb::RecordGovernmentDecisionResponse {
                    withdrawal: Some(w),
                }
            })
            .await,
        )
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn record_chamber_vote(
        &self,
        request: Request<pb::RecordChamberVoteRequest>,
    ) -> Answer<pb::RecordChamberVoteResponse> {
        let (caller, cmd) = authorize(
            &request,
            Rpc::RecordChamberVote,
            |r| read(request::chamber_vote(r)),
            |c| Target::state(c.case.state()),
        )?;
        let once = caller.once(
            "RecordChamberVote",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(
            self.record(&caller, once.as_ref(), cmd, |w| {
                pb::RecordChamberVoteResponse {
                    withdrawal: Some(w),
                }
            })
            .await,
        )
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn record_head_of_state_assent(
        &self,
        request: Request<pb::RecordHeadOfStateAssentRequest>,
    ) -> Answer<pb::RecordHeadOfStateAssentResponse> {
        let (caller, cmd) = authorize(
            &request,
            Rpc::RecordHeadOfStateAssent,
            |r| read(request::assent(r)),
            |c| Target::state(c.case.state()),
        )?;
        let once = caller.once(
            "RecordHeadOfStateAssent",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(
            self.record(&caller, once.as_ref(), cmd, |w| {
                pb::RecordHeadOfStateAssentResponse {
                    withdrawal: Some(w),
                }
            })
            .await,
        )
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn deposit_instrument(
        &self,
        request: Request<pb::DepositInstrumentRequest>,
    ) -> Answer<pb::DepositInstrumentResponse> {
        let (caller, cmd) = authorize(
            &request,
            Rpc::DepositInstrument,
            |r| read(request::deposit(r)),
            |c| Target::state(c.case.state()),
        )?;
        let once = caller.once(
            "DepositInstrument",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(
            answer_once(self.store.ledger(), once.as_ref(), || {
                self.deposit(&caller, once.as_ref(), cmd)
            })
            .await,
        )
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn revoke_withdrawal(
        &self,
        request: Request<pb::RevokeWithdrawalRequest>,
    ) -> Answer<pb::RevokeWithdrawalResponse> {
        let (caller, cmd) = authorize(
            &request,
            Rpc::RevokeWithdrawal,
            |r| read(request::revoke(r)),
            |c| Target::state(c.case.state()),
        )?;
        let once = caller.once(
            "RevokeWithdrawal",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        answer(
            self.record(&caller, once.as_ref(), cmd, |w| {
                pb::RevokeWithdrawalResponse {
                    withdrawal: Some(w),
                }
            })
            .await,
        )
    }

    #[instrument(skip_all, fields(case_id = %request.get_ref().case_id))]
    async fn get_withdrawal(
        &self,
        request: Request<pb::GetWithdrawalRequest>,
    ) -> Answer<pb::GetWithdrawalResponse> {
        public(&request, Rpc::GetWithdrawal)?;
        let case = read(request::get(request.get_ref()))?;
        answer(
            self.store
                .load(&case)
                .map(|(case, domain)| pb::GetWithdrawalResponse {
                    withdrawal: Some(self.store.to_wire(&case, &domain)),
                }),
        )
    }

    #[instrument(skip_all, fields(treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn list_withdrawals(
        &self,
        request: Request<pb::ListWithdrawalsRequest>,
    ) -> Answer<pb::ListWithdrawalsResponse> {
        public(&request, Rpc::ListWithdrawals)?;
        let q = read(request::list(request.get_ref()))?;
        answer(self.store.list(&q).map(|(cases, more)| {
            pb::ListWithdrawalsResponse {
                next_page_token: q
                    .page
                    .next_token(more, cases.last().map(|(_, domain)| domain.id())),
                withdrawals: cases
                    .iter()
                    .map(|(case, domain)| self.store.to_wire(case, domain))
                    .collect(),
            }
        }))
    }
}
