//! Typed clients for the registry, the notification service and the audit log, with deadlines, their
//! answers read into domain values, their failures classified once (`PeerError`).

use jiff::civil::Date;
use tonic::transport::Channel;
use tonic::{Code, Status};
use treaty_domain::{
    ApprovalProcedure, Chamber, ConflictPeriod, RunsFrom, StateCode, Threshold, TreatyId,
    WithdrawalClause,
};
use treaty_proto::audit as apb;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_proto::notification as npb;
use treaty_proto::notification::notification_service_client::NotificationServiceClient;
use treaty_proto::registry as rpb;
use treaty_proto::registry::registry_service_client::RegistryServiceClient;
use treaty_proto::wire;
use treaty_runtime::{ClientConfig, PeerError, RetryPolicy, with_retry};

use crate::Peers;
use crate::error::ApprovalsError;

const REGISTRY: &str = "registry";

/// The most pages of armed conflicts read for one state.
const MAX_CONFLICT_PAGES: usize = 100;

/// The registry's answers the approvals service needs.
#[derive(Clone, Debug)]
pub struct Registry {
    channel: Channel,
    client: ClientConfig,
    retry: RetryPolicy,
}

/// Whether a state may give notice of withdrawal on a date, as the registry says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The domain's `may_give_notice`, answered by the registry that owns the facts: bound
    /// (party, or consented and waiting for entry into force), no notice pending.
    pub may_give_notice: bool,
    /// The registry's status name.
    pub status: String,
}

fn bad_answer(detail: impl Into<String>) -> ApprovalsError {
    PeerError::bad_answer(REGISTRY, detail).into()
}

fn failed(status: &Status) -> ApprovalsError {
    PeerError::from_status(REGISTRY, status).into()
}

fn wire_date(
    field: &str,
    date: Option<&treaty_proto::google::r#type::Date>,
) -> Result<Option<Date>, ApprovalsError> {
    date.map(|d| wire::date_from_wire(d).map_err(|e| bad_answer(format!("{field}: {e}"))))
        .transpose()
}

impl Registry {
    /// The registry behind `peers`.
    pub fn new(peers: &Peers) -> Registry {
        Registry {
            channel: peers.registry.clone(),
            client: peers.client,
            retry: RetryPolicy::default().idempotent(),
        }
    }

    fn stub(&self) -> RegistryServiceClient<Channel> {
        RegistryServiceClient::new(self.channel.clone())
    }

    /// The treaty's withdrawal clause.
    pub async fn clause(&self, treaty: &TreatyId) -> Result<WithdrawalClause, ApprovalsError> {
        let request = rpb::GetTreatyRequest {
            treaty: treaty.to_string(),
        };
        let answer = with_retry(&self.retry, || {
            let mut stub = self.stub();
            let request = self.client.request(request.clone());
            async move { stub.get_treaty(request).await }
        })
        .await;
        let treaty_msg = match answer {
            Ok(a) => a.into_inner().treaty,
            Err(s) if s.code() == Code::NotFound => {
                return Err(ApprovalsError::TreatyNotFound {
                    treaty: treaty.to_string(),
                });
            }
            Err(s) => return Err(failed(&s)),
        };
        let no_clause = |detail: &str| ApprovalsError::NoWithdrawalClause {
            treaty: treaty.to_string(),
            detail: detail.to_owned(),
        };
        let clause = treaty_msg
            .and_then(|t| t.withdrawal_clause)
            .ok_or_else(|| no_clause("no clause is recorded"))?;
        let runs_from = match rpb::RunsFrom::try_from(clause.runs_from) {
            Ok(rpb::RunsFrom::DepositaryReceipt) => RunsFrom::DepositaryReceipt,
            Ok(rpb::RunsFrom::ParliamentaryApproval) => RunsFrom::ParliamentaryApproval,
            Ok(rpb::RunsFrom::Unspecified) | Err(_) => {
                return Err(no_clause(
                    "what the notice period runs from is not recorded",
                ));
            }
        };
        let notice_months = u8::try_from(clause.notice_months)
            .map_err(|_| no_clause("the notice period is longer than 255 months"))?;
        Ok(WithdrawalClause {
            notice_months,
            runs_from,
            armed_conflict_defers: clause.armed_conflict_defers,
        })
    }

    /// The state's approval procedure (the registry's default when none was recorded).
    pub async fn procedure(&self, state: StateCode) -> Result<ApprovalProcedure, ApprovalsError> {
        let request = rpb::GetStateRequest {
            state: state.to_string(),
        };
        let answer = with_retry(&self.retry, || {
            let mut stub = self.stub();
            let request = self.client.request(request.clone());
            async move { stub.get_state(request).await }
        })
        .await;
        let procedure = match answer {
            Ok(a) => a.into_inner().state.and_then(|s| s.approval_procedure),
            Err(s) if s.code() == Code::NotFound => {
                return Err(ApprovalsError::StateNotFound {
                    state: state.to_string(),
                });
            }
            Err(s) => return Err(failed(&s)),
        };
        let procedure =
            procedure.ok_or_else(|| bad_answer("a state came without its procedure"))?;
        let chambers = procedure
            .chambers
            .iter()
            .map(|c| {
                let t = c.threshold.unwrap_or_default();
                let threshold = match rpb::ThresholdKind::try_from(t.kind) {
                    Ok(rpb::ThresholdKind::AtLeast) => Threshold::AtLeast {
                        yes: t.yes_votes,
                        of_seats: t.of_seats,
                    },
                    Ok(rpb::ThresholdKind::AbsoluteMajority) => Threshold::AbsoluteMajority {
                        of_seats: t.of_seats,
                    },
                    Ok(rpb::ThresholdKind::SimpleMajority | rpb::ThresholdKind::Unspecified)
                    | Err(_) => Threshold::SimpleMajority,
                };
                Chamber {
                    name: c.name.clone(),
                    threshold,
                }
            })
            .collect();
        Ok(ApprovalProcedure {
            chambers,
            head_of_state_assent: procedure.head_of_state_assent,
        })
    }

    /// Whether the state is bound by the treaty on `on`.
    pub async fn standing(
        &self,
        treaty: &TreatyId,
        state: StateCode,
        on: Date,
    ) -> Result<Standing, ApprovalsError> {
        let request = rpb::GetMembershipRequest {
            treaty: treaty.to_string(),
            state: state.to_string(),
            as_of: Some(wire::date_to_wire(on)),
        };
        let answer = with_retry(&self.retry, || {
            let mut stub = self.stub();
            let request = self.client.request(request.clone());
            async move { stub.get_membership(request).await }
        })
        .await;
        let membership = match answer {
            Ok(a) => a.into_inner().membership.unwrap_or_default(),
            Err(s) if s.code() == Code::NotFound => {
                return Err(ApprovalsError::TreatyNotFound {
                    treaty: treaty.to_string(),
                });
            }
            Err(s) => return Err(failed(&s)),
        };
        let status = rpb::MembershipStatus::try_from(membership.status)
            .unwrap_or(rpb::MembershipStatus::Unspecified);
        Ok(Standing {
            may_give_notice: membership.may_give_notice,
            status: status
                .as_str_name()
                .trim_start_matches("MEMBERSHIP_STATUS_")
                .to_owned(),
        })
    }

    /// Every armed-conflict period recorded for the state.
    pub async fn conflicts(&self, state: StateCode) -> Result<Vec<ConflictPeriod>, ApprovalsError> {
        let mut out = Vec::new();
        let mut token = String::new();
        for _ in 0..MAX_CONFLICT_PAGES {
            let request = rpb::ListArmedConflictsRequest {
                state: state.to_string(),
                page_size: 0,
                page_token: token.clone(),
            };
            let page = with_retry(&self.retry, || {
                let mut stub = self.stub();
                let request = self.client.request(request.clone());
                async move { stub.list_armed_conflicts(request).await }
            })
            .await
            .map_err(|s| failed(&s))?
            .into_inner();
            for c in &page.conflicts {
                let began = wire_date("began_on", c.began_on.as_ref())?
                    .ok_or_else(|| bad_answer("a conflict came without its first day"))?;
                let name = if c.conflict_id.is_empty() {
                    c.name.clone()
                } else {
                    c.conflict_id.clone()
                };
                out.push(ConflictPeriod {
                    name,
                    began,
                    ended: wire_date("ended_on", c.ended_on.as_ref())?,
                });
            }
            if page.next_page_token.is_empty() {
                return Ok(out);
            }
            token = page.next_page_token;
        }
        Err(bad_answer("the list of armed conflicts does not end"))
    }

    /// Records a deposited notice of withdrawal (one attempt).
    pub async fn record_notice(
        &self,
        request: rpb::RecordWithdrawalNoticeRequest,
    ) -> Result<rpb::RecordWithdrawalNoticeResponse, Status> {
        let mut stub = self.stub();
        Ok(stub
            .record_withdrawal_notice(self.client.request(request))
            .await?
            .into_inner())
    }

    /// Records the revocation of a notice (one attempt).
    pub async fn record_revocation(
        &self,
        request: rpb::RecordRevocationRequest,
    ) -> Result<(), Status> {
        let mut stub = self.stub();
        stub.record_revocation(self.client.request(request)).await?;
        Ok(())
    }
}

/// The notification service.
#[derive(Clone, Debug)]
pub struct Notification {
    channel: Channel,
    client: ClientConfig,
}

impl Notification {
    /// The notification service behind `peers`.
    pub fn new(peers: &Peers) -> Notification {
        Notification {
            channel: peers.notification.clone(),
            client: peers.client,
        }
    }

    /// Publishes a notice (one attempt); idempotent by notice id.
    pub async fn publish(
        &self,
        request: npb::PublishNoticeRequest,
    ) -> Result<npb::PublishNoticeResponse, Status> {
        let mut stub = NotificationServiceClient::new(self.channel.clone());
        Ok(stub
            .publish_notice(self.client.request(request))
            .await?
            .into_inner())
    }
}

/// The audit log, for the proof a notice carries.
#[derive(Clone, Debug)]
pub struct Audit {
    channel: Channel,
    client: ClientConfig,
}

impl Audit {
    /// The audit service behind `peers`.
    pub fn new(peers: &Peers) -> Audit {
        Audit {
            channel: peers.audit.clone(),
            client: peers.client,
        }
    }

    /// The proof that the approvals journal entry `sequence` is in the log, in its latest
    /// signed checkpoint (one attempt). NOT_FOUND until the entry is shipped, and
    /// FAILED_PRECONDITION until a checkpoint covers it: both mean "not yet".
    pub async fn notice_proof(&self, sequence: u64) -> Result<npb::NoticeProof, Status> {
        let mut stub = AuditServiceClient::new(self.channel.clone());
        let answer = stub
            .get_inclusion_proof(self.client.request(apb::GetInclusionProofRequest {
                tree_size: 0,
                leaf: Some(apb::get_inclusion_proof_request::Leaf::SourceEntry(
                    apb::SourceEntryRef {
                        source: crate::NAME.to_owned(),
                        sequence,
                    },
                )),
            }))
            .await?
            .into_inner();
        if answer.proof.is_empty() || answer.leaf.is_empty() {
            return Err(Status::failed_precondition(
                "the log answered the proof without its signed checkpoint or leaf",
            ));
        }
        Ok(npb::NoticeProof {
            leaf_index: answer.leaf_index,
            leaf: answer.leaf,
            proof: answer.proof,
        })
    }
}
