//! Typed clients for the services the notification service calls: the approvals service (is
//! the case approved?) and the registry (which states are bound on the notice's date?). Reads
//! only, retried while the peer is down; failures are classified once by
//! [`treaty_runtime::PeerError`].

use jiff::civil::Date;
use tonic::transport::Channel;
use tonic::{Code, Status};
use treaty_domain::{StateCode, TreatyId};
use treaty_proto::approvals::GetWithdrawalRequest;
use treaty_proto::approvals::approvals_service_client::ApprovalsServiceClient;
use treaty_proto::registry::registry_service_client::RegistryServiceClient;
use treaty_proto::registry::{ListMembersRequest, MembershipStatus};
use treaty_proto::wire::date_to_wire;
use treaty_runtime::{ClientConfig, PeerError, RetryPolicy, with_retry};

use crate::error::NotificationError;
use crate::request::PublishNotice;

/// The services the notification service calls.
#[derive(Clone, Debug)]
pub struct Peers {
    pub registry: Channel,
    pub approvals: Channel,
    /// Deadlines for calls to them.
    pub client: ClientConfig,
}

const APPROVALS: &str = "approvals";
const REGISTRY: &str = "registry";
/// The most pages of members read for one notice (a runaway guard).
const MAX_MEMBER_PAGES: usize = 1000;
/// Members asked for per page.
const MEMBER_PAGE: i32 = 1000;

fn policy() -> RetryPolicy {
    RetryPolicy::default().idempotent()
}

fn failed(peer: &'static str) -> impl Fn(Status) -> NotificationError {
    move |status| NotificationError::Peer(PeerError::from_status(peer, &status))
}

impl Peers {
    /// Asks the approvals service, on this service's own call, whether the notice's case is
    /// approved, and for the notice's state and treaty (DESIGN invariant 1).
    pub async fn check_approved(&self, cmd: &PublishNotice) -> Result<(), NotificationError> {
        let case_id = cmd.case.to_string();
        let answer = with_retry(&policy(), || {
            let mut client = ApprovalsServiceClient::new(self.approvals.clone());
            let request = self.client.request(GetWithdrawalRequest {
                case_id: case_id.clone(),
            });
            async move { client.get_withdrawal(request).await }
        })
        .await;
        let case = match answer {
            Ok(r) => r.into_inner().withdrawal,
            Err(s) if s.code() == Code::NotFound => {
                return Err(NotificationError::CaseNotFound { case: case_id });
            }
            Err(s) => return Err(failed(APPROVALS)(s)),
        };
        let Some(case) = case else {
            return Err(PeerError::bad_answer(
                APPROVALS,
                "GetWithdrawal answered without a withdrawal",
            )
            .into());
        };
        if case.state != cmd.state.as_str() || case.treaty != cmd.treaty.as_str() {
            return Err(NotificationError::CaseMismatch {
                case: case_id,
                expected: format!("{} from {}", cmd.state, cmd.treaty),
                found: format!("{} from {}", case.state, case.treaty),
            });
        }
        if !case.approved {
            return Err(NotificationError::NotApproved {
                case: case_id,
                status: case.status().as_str_name().to_owned(),
            });
        }
        Ok(())
    }

    /// The states the registry says are `bound` to `treaty` on `as_of` (consented or a party,
    /// the withdrawal not yet in effect: the domain's rule), over all pages.
    pub async fn bound_states(
        &self,
        treaty: &TreatyId,
        as_of: Date,
    ) -> Result<Vec<StateCode>, NotificationError> {
        let mut bound = Vec::new();
        let mut token = String::new();
        for _ in 0..MAX_MEMBER_PAGES {
            let page = with_retry(&policy(), || {
                let mut client = RegistryServiceClient::new(self.registry.clone());
                let request = self.client.request(ListMembersRequest {
                    treaty: treaty.to_string(),
                    as_of: Some(date_to_wire(as_of)),
                    status: MembershipStatus::Unspecified.into(),
                    page_size: MEMBER_PAGE,
                    page_token: token.clone(),
                    // Every member: consented states are notified too.
                    parties_only: false,
                });
                async move { client.list_members(request).await }
            })
            .await
            .map_err(|s| match s.code() {
                Code::NotFound => NotificationError::TreatyNotFound {
                    treaty: treaty.to_string(),
                },
                _ => failed(REGISTRY)(s),
            })?
            .into_inner();
            for m in page.members.iter().filter(|m| m.bound) {
                let code = StateCode::parse(&m.state).map_err(|e| {
                    PeerError::bad_answer(
                        REGISTRY,
                        format!("ListMembers named a member that is not a state: {e}"),
                    )
                })?;
                bound.push(code);
            }
            if page.next_page_token.is_empty() || page.next_page_token == token {
                return Ok(bound);
            }
            token = page.next_page_token;
        }
        Err(PeerError::bad_answer(
            REGISTRY,
            format!("ListMembers did not end after {MAX_MEMBER_PAGES} pages"),
        )
        .into())
    }
}
