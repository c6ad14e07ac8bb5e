//! The calls this service makes to its peers: the approvals service (is the
//! case approved?) and the registry (who are the parties on the notice's
//! date?). Reads only, retried on UNAVAILABLE and expired deadlines.

use tonic::transport::Channel;
use tonic::{Code, Status};
use treaty_domain::{Date, StateCode};
use treaty_proto::approvals::GetWithdrawalRequest;
use treaty_proto::approvals::approvals_service_client::ApprovalsServiceClient;
use treaty_proto::registry::registry_service_client::RegistryServiceClient;
use treaty_proto::registry::{ListMembersRequest, MembershipStatus};
use treaty_proto::wire;
use treaty_runtime::{ClientConfig, RetryPolicy, is_timeout, with_retry};

use crate::error::NotificationError;
use crate::stored::NoticeDraft;

/// The services the notification service calls.
#[derive(Clone, Debug)]
pub struct Peers {
    /// The registry (recipients: the parties as of the notice date).
    pub registry: Channel,
    /// The approvals service (is the case approved?).
    pub approvals: Channel,
    /// Deadlines for calls to them.
    pub client: ClientConfig,
}

const APPROVALS: &str = "approvals";
const REGISTRY: &str = "registry";
/// The most pages of members read for one notice (a runaway guard).
const MAX_MEMBER_PAGES: usize = 1000;

fn peer_error(peer: &'static str, status: Status) -> NotificationError {
    if status.code() == Code::Unavailable || is_timeout(&status) {
        NotificationError::PeerUnavailable {
            peer,
            detail: status.message().to_owned(),
        }
    } else {
        NotificationError::PeerFailed {
            peer,
            code: status.code(),
            detail: status.message().to_owned(),
        }
    }
}

impl Peers {
    fn policy() -> RetryPolicy {
        RetryPolicy::default().idempotent()
    }

    /// Asks the approvals service, on its own, whether the notice's case is
    /// approved, and for the notice's state and treaty (DESIGN invariant 1).
    pub async fn check_approved(&self, draft: &NoticeDraft) -> Result<(), NotificationError> {
        let answer = with_retry(&Self::policy(), || {
            let mut client = ApprovalsServiceClient::new(self.approvals.clone());
            let request = self.client.request(GetWithdrawalRequest {
                case_id: draft.case_id.clone(),
            });
            async move { client.get_withdrawal(request).await }
        })
        .await;
        let case = match answer {
            Ok(r) => r.into_inner().withdrawal,
            Err(s) if s.code() == Code::NotFound => {
                return Err(NotificationError::CaseNotFound {
                    case_id: draft.case_id.clone(),
                });
            }
            Err(s) => return Err(peer_error(APPROVALS, s)),
        };
        let Some(case) = case else {
            return Err(NotificationError::PeerFailed {
                peer: APPROVALS,
                code: Code::Internal,
                detail: "GetWithdrawal answered without a withdrawal".into(),
            });
        };
        if case.state != draft.state || case.treaty != draft.treaty {
            return Err(NotificationError::CaseMismatch {
                case_id: draft.case_id.clone(),
                expected: format!("{} from {}", draft.state, draft.treaty),
                found: format!("{} from {}", case.state, case.treaty),
            });
        }
        if !case.approved {
            return Err(NotificationError::NotApproved {
                case_id: draft.case_id.clone(),
                status: case.status().as_str_name().to_owned(),
            });
        }
        Ok(())
    }

    /// The states that receive a notice about `treaty` dated `as_of`: every
    /// member the registry says is `bound` on that date (consented or a party,
    /// its withdrawal not yet in effect: the domain's rule), over all pages.
    pub async fn parties(
        &self,
        treaty: &str,
        as_of: Date,
    ) -> Result<Vec<StateCode>, NotificationError> {
        let mut parties = Vec::new();
        let mut token = String::new();
        for _ in 0..MAX_MEMBER_PAGES {
            let page = with_retry(&Self::policy(), || {
                let mut client = RegistryServiceClient::new(self.registry.clone());
                let request = self.client.request(ListMembersRequest {
                    treaty: treaty.to_owned(),
                    as_of: Some(wire::date_to_wire(as_of)),
                    status: MembershipStatus::Unspecified.into(),
                    page_size: 1000,
                    page_token: token.clone(),
                    // Every member: CONSENTED states are notified too (the registry's `bound`, a domain rule).
                    parties_only: false,
                });
                async move { client.list_members(request).await }
            })
            .await
            .map_err(|s| match s.code() {
                Code::NotFound => NotificationError::TreatyNotFound {
                    treaty: treaty.to_owned(),
                },
                _ => peer_error(REGISTRY, s),
            })?
            .into_inner();
            for m in &page.members {
                if m.bound {
                    let code =
                        StateCode::parse(&m.state).map_err(|e| NotificationError::PeerFailed {
                            peer: REGISTRY,
                            code: Code::Internal,
                            detail: format!("ListMembers named a member that is not a state: {e}"),
                        })?;
                    parties.push(code);
                }
            }
            if page.next_page_token.is_empty() || page.next_page_token == token {
                return Ok(parties);
            }
            token = page.next_page_token;
        }
        Err(NotificationError::PeerFailed {
            peer: REGISTRY,
            code: Code::Internal,
            detail: format!("ListMembers did not end after {MAX_MEMBER_PAGES} pages"),
        })
    }
}
