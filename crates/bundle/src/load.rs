//! Loads facts into a running suite through its public gRPC API, as any client
//! would: treaties, signatures and consents, domestic procedures, every step of
//! each withdrawal (through the approvals service, which tells the registry and
//! publishes the notices), and claimed suspensions. Every call carries the
//! fact's sources and a request id derived from where the fact was read, so a
//! repeated load records nothing twice.

use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use treaty_domain::{ConsentKind, StateCode};
use treaty_proto::approvals::{self as ap, approvals_service_client::ApprovalsServiceClient};
use treaty_proto::registry::{self as reg, registry_service_client::RegistryServiceClient};
use treaty_proto::wire::date_to_wire;

use treaty_auth::Permission;
use treaty_runtime::{Bearer, RetryPolicy, with_retry};

use crate::credentials::{Actor, Credentials, OneToken};

use crate::procedures::{self, Count};
use crate::{DEPOSITARY, Facts, StepFact, StepKind, TREATIES};

/// The subject of the tokens a load is made with (the principal recorded on every loaded step).
pub const LOADER_SUBJECT: &str = "treaty-data-loader";

/// The permissions a load of `facts` (and the bundled treaties) needs: the registry's
/// administrator (treaties, consents, procedures), the depositary (receipts), and each state
/// whose withdrawal steps it records — nothing more.
pub fn loader_permissions(facts: &Facts) -> Vec<Permission> {
    let states: BTreeSet<StateCode> = facts.steps.iter().map(|s| s.state).collect();
    [Permission::RegistryAdmin, Permission::DepositaryRecord]
        .into_iter()
        .chain(states.into_iter().map(Permission::StateRecord))
        .collect()
}

/// What a loader reports as it goes (the demo narrates it; `serve` logs it).
pub trait Progress: Send {
    /// A phase starts, with how many calls it will make.
    fn phase(&mut self, name: &str, calls: usize);
    /// One call of the phase is done.
    fn tick(&mut self);
    /// A withdrawal step was recorded.
    fn step(&mut self, treaty: &str, state: StateCode, what: &str, on: Option<jiff::civil::Date>) {
        let _ = (treaty, state, what, on);
    }
}

/// Reports nothing.
#[derive(Debug, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn phase(&mut self, _: &str, _: usize) {}
    fn tick(&mut self) {}
}

/// What went wrong loading.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The suite refused a fact or could not be reached.
    #[error("loading {what} failed: {status}")]
    Refused {
        /// The fact, as `file:line` or a description.
        what: String,
        /// The suite's answer.
        status: Status,
    },
}

/// The gRPC clients a load uses.
#[derive(Clone, Debug)]
pub struct Loader {
    registry: RegistryServiceClient<Channel>,
    approvals: ApprovalsServiceClient<Channel>,
    retry: RetryPolicy,
    credentials: Arc<dyn Credentials>,
}

fn refused(what: impl Into<String>) -> impl FnOnce(Status) -> LoadError {
    let what = what.into();
    move |status| LoadError::Refused { what, status }
}

fn consent_kind(k: ConsentKind) -> reg::ConsentKind {
    match k {
        ConsentKind::Signature => reg::ConsentKind::Signature,
        ConsentKind::Ratification => reg::ConsentKind::Ratification,
        ConsentKind::Acceptance => reg::ConsentKind::Acceptance,
        ConsentKind::Approval => reg::ConsentKind::Approval,
        ConsentKind::Accession => reg::ConsentKind::Accession,
        ConsentKind::Succession => reg::ConsentKind::Succession,
    }
}

impl Loader {
    /// A loader talking to the suite behind `channel` (all services on one endpoint).
    pub fn new(channel: Channel) -> Self {
        Self::with_channels(channel.clone(), channel)
    }

    /// A loader talking to a registry and an approvals service on their own endpoints.
    pub fn with_channels(registry: Channel, approvals: Channel) -> Self {
        let retry = RetryPolicy {
            max_attempts: 20,
            max_elapsed: std::time::Duration::from_secs(30),
            ..RetryPolicy::default()
        }
        .idempotent();
        Self {
            registry: RegistryServiceClient::new(registry),
            approvals: ApprovalsServiceClient::new(approvals),
            retry,
            credentials: Arc::new(OneToken(Bearer::none())),
        }
    }

    /// Makes each call with the token `credentials` gives its actor.
    pub fn with_credentials(self, credentials: impl Credentials + 'static) -> Self {
        Self {
            credentials: Arc::new(credentials),
            ..self
        }
    }

    /// Whether the bundled treaties are already in the registry.
    pub async fn has_bundled_treaties(&self) -> Result<bool, LoadError> {
        for t in TREATIES {
            let mut c = self.registry.clone();
            match c
                .get_treaty(reg::GetTreatyRequest {
                    treaty: t.id.to_owned(),
                })
                .await
            {
                Ok(_) => {}
                Err(s) if s.code() == Code::NotFound => return Ok(false),
                Err(s) => return Err(refused("the bundled treaties' presence")(s)),
            }
        }
        Ok(true)
    }

    /// Loads the bundled treaties and every bundled fact.
    pub async fn load_bundle(&self, progress: &mut (dyn Progress + Send)) -> Result<(), LoadError> {
        self.create_treaties(progress).await?;
        self.load_facts(&Facts::bundled(), progress).await
    }

    /// Registers the two bundled treaties with their clauses.
    pub async fn create_treaties(
        &self,
        progress: &mut (dyn Progress + Send),
    ) -> Result<(), LoadError> {
        progress.phase("treaties", TREATIES.len());
        for t in TREATIES {
            let treaty = reg::Treaty {
                treaty_id: t.id.to_owned(),
                title: t.title.to_owned(),
                short_title: t.short_title.to_owned(),
                depositary: DEPOSITARY.to_owned(),
                in_force_on: Some(date_to_wire(t.in_force_on)),
                entry_into_force_months: 6,
                withdrawal_clause: Some(reg::WithdrawalClause {
                    notice_months: 6,
                    runs_from: reg::RunsFrom::DepositaryReceipt.into(),
                    armed_conflict_defers: true,
                    article: "Article 20".to_owned(),
                }),
                sources: t.sources.iter().map(|s| (*s).to_owned()).collect(),
                ..Default::default()
            };
            let req = reg::CreateTreatyRequest {
                request_id: format!("bundle/treaty/{}", t.id),
                treaty: Some(treaty),
            };
            self.call_registry(format!("treaty {}", t.id), req, |mut c, r| async move {
                c.create_treaty(r).await.map(drop)
            })
            .await?;
            progress.tick();
        }
        Ok(())
    }

    /// Loads consents, the procedures of withdrawing states, every withdrawal
    /// and every claimed suspension in `facts`.
    pub async fn load_facts(
        &self,
        facts: &Facts,
        progress: &mut (dyn Progress + Send),
    ) -> Result<(), LoadError> {
        progress.phase("signatures and consents", facts.consents.len());
        for c in &facts.consents {
            let req = reg::RecordConsentRequest {
                request_id: format!(
                    "load/{}/consent/{}/{}/{}",
                    c.treaty,
                    c.state.as_str(),
                    c.kind.as_str(),
                    c.on
                ),
                treaty: c.treaty.clone(),
                state: c.state.as_str().to_owned(),
                kind: consent_kind(c.kind).into(),
                on: Some(date_to_wire(c.on)),
                sources: c.sources.clone(),
            };
            self.call_registry(c.origin.clone(), req, |mut cl, r| async move {
                cl.record_consent(r).await.map(drop)
            })
            .await?;
            progress.tick();
        }
        let cases = facts.withdrawal_cases();
        let states: BTreeSet<StateCode> = cases.iter().map(|(_, s)| *s).collect();
        progress.phase("approval procedures", states.len());
        for state in &states {
            self.set_procedure(*state).await?;
            progress.tick();
        }
        progress.phase("withdrawals", cases.len());
        let mut opened_jointly = BTreeMap::new();
        for (treaty, state) in &cases {
            self.replay_case(facts, treaty, *state, &mut opened_jointly, progress)
                .await?;
            progress.tick();
        }
        self.record_suspensions(facts, progress).await
    }

    async fn set_procedure(&self, state: StateCode) -> Result<(), LoadError> {
        let Some(p) = procedures::procedure_of(state.as_str()) else {
            return Ok(());
        };
        let chambers = p
            .chambers
            .iter()
            .map(|c| reg::Chamber {
                name: c.name.to_owned(),
                threshold: Some(match c.at_least {
                    None => reg::Threshold {
                        kind: reg::ThresholdKind::SimpleMajority.into(),
                        ..Default::default()
                    },
                    Some((yes, seats)) => reg::Threshold {
                        kind: reg::ThresholdKind::AtLeast.into(),
                        yes_votes: yes,
                        of_seats: seats,
                    },
                }),
            })
            .collect();
        let req = reg::SetApprovalProcedureRequest {
            request_id: format!("load/procedure/{}", p.state),
            state: p.state.to_owned(),
            procedure: Some(reg::ApprovalProcedure {
                chambers,
                head_of_state_assent: p.head_of_state_assent,
                sources: vec![format!(
                    "the bundled withdrawals_2024_2026.csv: {}",
                    p.evidence
                )],
            }),
        };
        self.call_registry(
            format!("the procedure of {}", p.state),
            req,
            |mut c, r| async move { c.set_approval_procedure(r).await.map(drop) },
        )
        .await
    }

    async fn replay_case(
        &self,
        facts: &Facts,
        treaty: &str,
        state: StateCode,
        opened_jointly: &mut BTreeMap<(String, StateCode), String>,
        progress: &mut (dyn Progress + Send),
    ) -> Result<(), LoadError> {
        let steps = facts.steps_of(treaty, state);
        // The case this replay opened (every call is idempotent by its request id,
        // so a repeated load reaches the same case without recording anything).
        let mut case: Option<String> = None;
        for step in steps {
            let key = format!("load/{treaty}/{}/{}", state.as_str(), step.origin);
            match step.kind {
                StepKind::Recommended => {
                    let joint: Vec<&StepFact> = facts
                        .steps
                        .iter()
                        .filter(|s| {
                            s.treaty == treaty
                                && s.kind == StepKind::Recommended
                                && s.on == step.on
                                && s.detail == step.detail
                        })
                        .collect();
                    if joint.len() > 1 && case.is_none() {
                        if !opened_jointly.contains_key(&(treaty.to_owned(), state)) {
                            for w in self.joint_statement(treaty, step, &joint).await? {
                                if let Ok(code) = StateCode::parse(&w.state) {
                                    opened_jointly
                                        .insert((w.treaty.clone(), code), w.case_id.clone());
                                }
                            }
                        }
                        case = opened_jointly.get(&(treaty.to_owned(), state)).cloned();
                        if case.is_none() {
                            return Err(no_case(step));
                        }
                    } else if let Some(id) = &case {
                        let req = ap::RecordRecommendationRequest {
                            request_id: key,
                            case_id: id.clone(),
                            recommended_on: step.on.map(date_to_wire),
                            detail: step.detail.clone(),
                            sources: step.sources.clone(),
                        };
                        self.call_approvals(
                            &Actor::State(state),
                            step.origin.clone(),
                            req,
                            |mut c, r| async move { c.record_recommendation(r).await.map(drop) },
                        )
                        .await?;
                    } else {
                        let req = ap::OpenWithdrawalRequest {
                            request_id: key,
                            treaty: treaty.to_owned(),
                            state: state.as_str().to_owned(),
                            recommended_on: step.on.map(date_to_wire),
                            detail: step.detail.clone(),
                            sources: step.sources.clone(),
                            ..Default::default()
                        };
                        case = Some(self.open(step, req).await?);
                    }
                }
                StepKind::GovernmentDecision => {
                    let id = match &case {
                        Some(id) => id.clone(),
                        None => {
                            let req = ap::OpenWithdrawalRequest {
                                request_id: format!("{key}/open"),
                                treaty: treaty.to_owned(),
                                state: state.as_str().to_owned(),
                                without_recommendation: true,
                                detail: "Case opened on the government's decision; no recommendation is recorded".to_owned(),
                                sources: step.sources.clone(),
                                ..Default::default()
                            };
                            let id = self.open(step, req).await?;
                            case = Some(id.clone());
                            id
                        }
                    };
                    let req = ap::RecordGovernmentDecisionRequest {
                        request_id: key,
                        case_id: id,
                        decided_on: step.on.map(date_to_wire),
                        undated: step.on.is_none(),
                        detail: step.detail.clone(),
                        sources: step.sources.clone(),
                    };
                    self.call_approvals(
                        &Actor::State(state),
                        step.origin.clone(),
                        req,
                        |mut c, r| async move { c.record_government_decision(r).await.map(drop) },
                    )
                    .await?;
                }
                StepKind::ParliamentApproved => {
                    let id = case.clone().ok_or_else(|| no_case(step))?;
                    for (n, vote) in procedures::votes_of(treaty, state.as_str())
                        .into_iter()
                        .enumerate()
                    {
                        let (yes, no, abstain, reported) = match vote.count {
                            Count::Counted(y, n, a) => {
                                (Some(y), Some(n), a, ap::VoteResult::Unspecified)
                            }
                            Count::ReportedPassed => (None, None, None, ap::VoteResult::Passed),
                        };
                        let req = ap::RecordChamberVoteRequest {
                            request_id: format!("{key}/vote/{n}"),
                            case_id: id.clone(),
                            vote: Some(ap::ChamberVote {
                                chamber: vote.chamber.to_owned(),
                                yes,
                                no,
                                abstain,
                                reported_result: reported.into(),
                                final_reading: vote.final_reading,
                                passed: false,
                            }),
                            voted_on: vote.on.map(date_to_wire),
                            undated: vote.on.is_none(),
                            detail: step.detail.clone(),
                            sources: step.sources.clone(),
                        };
                        self.call_approvals(
                            &Actor::State(state),
                            format!("{} (vote {n})", step.origin),
                            req,
                            |mut c, r| async move { c.record_chamber_vote(r).await.map(drop) },
                        )
                        .await?;
                        progress.step(treaty, state, &format!("{} vote", vote.chamber), vote.on);
                    }
                    continue;
                }
                StepKind::HeadOfStateSigned => {
                    let req = ap::RecordHeadOfStateAssentRequest {
                        request_id: key,
                        case_id: case.clone().ok_or_else(|| no_case(step))?,
                        assented_on: step.on.map(date_to_wire),
                        undated: step.on.is_none(),
                        detail: step.detail.clone(),
                        sources: step.sources.clone(),
                    };
                    self.call_approvals(
                        &Actor::State(state),
                        step.origin.clone(),
                        req,
                        |mut c, r| async move { c.record_head_of_state_assent(r).await.map(drop) },
                    )
                    .await?;
                }
                StepKind::Deposited => {
                    let req = ap::DepositInstrumentRequest {
                        request_id: key,
                        case_id: case.clone().ok_or_else(|| no_case(step))?,
                        received_on: step.on.map(date_to_wire),
                        reasons: step.detail.clone(),
                        sources: step.sources.clone(),
                    };
                    self.call_approvals(
                        &Actor::Depositary,
                        step.origin.clone(),
                        req,
                        |mut c, r| async move { c.deposit_instrument(r).await.map(drop) },
                    )
                    .await?;
                }
                // The effect is recorded by the approvals scheduler from the clause
                // and the dates; the suspension and circulation rows are Ukraine's.
                StepKind::Effective | StepKind::Suspended | StepKind::Circulated => continue,
            }
            progress.step(treaty, state, step_name(step.kind), step.on);
        }
        Ok(())
    }

    async fn open(
        &self,
        step: &StepFact,
        req: ap::OpenWithdrawalRequest,
    ) -> Result<String, LoadError> {
        let answer = self
            .call_approvals(
                &Actor::State(step.state),
                step.origin.clone(),
                req,
                |mut c, r| async move { c.open_withdrawal(r).await.map(|a| a.into_inner()) },
            )
            .await?;
        answer
            .withdrawal
            .map(|w| w.case_id)
            .ok_or_else(|| LoadError::Refused {
                what: step.origin.clone(),
                status: Status::internal("no case in the answer"),
            })
    }

    async fn joint_statement(
        &self,
        treaty: &str,
        step: &StepFact,
        joint: &[&StepFact],
    ) -> Result<Vec<ap::Withdrawal>, LoadError> {
        let mut sources: Vec<String> = Vec::new();
        for s in joint.iter().flat_map(|s| s.sources.iter()) {
            if !sources.contains(s) {
                sources.push(s.clone());
            }
        }
        let req = ap::IssueJointStatementRequest {
            request_id: format!(
                "load/{treaty}/joint/{}",
                step.on.map_or_else(String::new, |d| d.to_string())
            ),
            treaty: treaty.to_owned(),
            states: joint.iter().map(|s| s.state.as_str().to_owned()).collect(),
            issued_on: step.on.map(date_to_wire),
            text: step.detail.clone(),
            sources,
        };
        let actor = Actor::Joint(joint.iter().map(|s| s.state).collect());
        let answer = self
            .call_approvals(&actor, step.origin.clone(), req, |mut c, r| async move {
                c.issue_joint_statement(r).await.map(|a| a.into_inner())
            })
            .await?;
        Ok(answer.withdrawals)
    }

    async fn record_suspensions(
        &self,
        facts: &Facts,
        progress: &mut (dyn Progress + Send),
    ) -> Result<(), LoadError> {
        let suspended: Vec<&StepFact> = facts
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::Suspended)
            .collect();
        progress.phase("claimed suspensions", suspended.len());
        for claim in suspended {
            let related: Vec<&StepFact> = facts
                .steps
                .iter()
                .filter(|s| s.treaty == claim.treaty && s.state == claim.state)
                .collect();
            let mut detail = String::from(claim.detail.as_str());
            let mut sources = Vec::new();
            for s in &related {
                if s.kind != StepKind::Suspended {
                    detail.push_str(&format!(
                        " | {} {}: {}",
                        step_name(s.kind),
                        s.on.map_or_else(|| "undated".to_owned(), |d| d.to_string()),
                        s.detail
                    ));
                }
                for src in &s.sources {
                    if !sources.contains(src) {
                        sources.push(src.clone());
                    }
                }
            }
            let req = reg::RecordSuspensionClaimRequest {
                request_id: format!(
                    "load/{}/{}/{}",
                    claim.treaty,
                    claim.state.as_str(),
                    claim.origin
                ),
                treaty: claim.treaty.clone(),
                state: claim.state.as_str().to_owned(),
                claim: Some(reg::SuspensionClaim {
                    claimed_on: claim.on.map(date_to_wire),
                    detail,
                    sources,
                }),
            };
            self.call_registry(claim.origin.clone(), req, |mut c, r| async move {
                c.record_suspension_claim(r).await.map(drop)
            })
            .await?;
            progress.step(
                &claim.treaty,
                claim.state,
                "suspension claimed (not a withdrawal)",
                claim.on,
            );
            progress.tick();
        }
        Ok(())
    }

    async fn call_registry<Req, T, F, Fut>(
        &self,
        what: String,
        req: Req,
        call: F,
    ) -> Result<T, LoadError>
    where
        Req: Clone,
        F: Fn(RegistryServiceClient<Channel>, Request<Req>) -> Fut,
        Fut: Future<Output = Result<T, Status>>,
    {
        let bearer = self.credentials.bearer(&Actor::Registrar);
        with_retry(&self.retry, || {
            call(self.registry.clone(), bearer.request(req.clone()))
        })
        .await
        .map_err(refused(what))
    }

    async fn call_approvals<Req, T, F, Fut>(
        &self,
        actor: &Actor,
        what: String,
        req: Req,
        call: F,
    ) -> Result<T, LoadError>
    where
        Req: Clone,
        F: Fn(ApprovalsServiceClient<Channel>, Request<Req>) -> Fut,
        Fut: Future<Output = Result<T, Status>>,
    {
        let bearer = self.credentials.bearer(actor);
        with_retry(&self.retry, || {
            call(self.approvals.clone(), bearer.request(req.clone()))
        })
        .await
        .map_err(refused(what))
    }
}

fn no_case(step: &StepFact) -> LoadError {
    LoadError::Refused {
        what: step.origin.clone(),
        status: Status::failed_precondition(
            "no withdrawal case is open for this step; the file must list a recommendation or a government decision first",
        ),
    }
}

/// A short human name of a step kind.
pub fn step_name(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Recommended => "recommended",
        StepKind::GovernmentDecision => "government decision",
        StepKind::ParliamentApproved => "parliament approved",
        StepKind::HeadOfStateSigned => "head of state signed",
        StepKind::Deposited => "instrument deposited",
        StepKind::Effective => "took effect",
        StepKind::Suspended => "suspension claimed",
        StepKind::Circulated => "circulated by the depositary",
    }
}
