//! The `treaty.notification.v1.NotificationService` handlers: the caller, the request read
//! into a command (`request`), the peers and the store, the answer (`wire`). Nothing else
//! happens here.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use tracing::instrument;
use treaty_auth::{Rpc, Target};
use treaty_domain::Recipient;
use treaty_ledger::{Clock, Once};
use treaty_proto::notification as pb;
use treaty_proto::notification::notification_service_server::NotificationService;
use treaty_proto::{Violations, fields};
use treaty_runtime::{Caller, Shutdown, StreamLimits, answer_once};

use crate::error::NotificationError;
use crate::peers::Peers;
use crate::request::{self, PublishNotice};
use crate::store::NotificationStore;
use crate::subscribe::Subscription;
use crate::wire;

/// The `treaty.notification.v1.NotificationService` implementation.
#[derive(Clone, Debug)]
pub struct NotificationApi {
    store: NotificationStore,
    peers: Peers,
    clock: Arc<dyn Clock>,
    streams: StreamLimits,
    shutdown: Shutdown,
}

type Answer<T> = Result<Response<T>, Status>;

fn answer<T>(value: Result<T, NotificationError>) -> Answer<T> {
    value.map(Response::new).map_err(Status::from)
}

/// The one seam: who calls, and whether the rule table lets them call `rpc` (an
/// acknowledgement names its recipient: `Caller::authorize_read`).
fn authorize<T>(request: &Request<T>, rpc: Rpc, target: &Target) -> Result<Caller, Status> {
    Caller::authorize(request, &crate::SERVICE, rpc, target)
}

/// Reads a request, making its violations the INVALID_ARGUMENT answer.
fn read<T>(parsed: Result<T, Violations>) -> Result<T, Status> {
    parsed.map_err(|v| NotificationError::from(v).into())
}

type BoxStream<T> =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;

impl NotificationApi {
    /// Serves `store`, calling `peers`; `clock` gives "today" and the instants recorded; each
    /// `Subscribe` stream buffers within `streams`, and live ones end on `shutdown`.
    pub fn new(
        store: NotificationStore,
        peers: Peers,
        clock: Arc<dyn Clock>,
        streams: StreamLimits,
        shutdown: Shutdown,
    ) -> Self {
        Self {
            store,
            peers,
            clock,
            streams,
            shutdown,
        }
    }

    fn today(&self) -> jiff::civil::Date {
        treaty_domain::today(self.clock.now())
    }

    /// Publishes a notice once per request id. A retry gets the first answer before anything
    /// else; a notice id published before is answered from the store without the peers;
    /// otherwise the approvals service must confirm the case is approved and the registry
    /// names the bound states. A peer's refusal is re-checked against the remembered answers,
    /// so a retry overlapping its first attempt gets that attempt's answer, never a refusal.
    async fn publish(
        &self,
        caller: &Caller,
        once: Option<&Once>,
        cmd: PublishNotice,
    ) -> Result<pb::PublishNoticeResponse, NotificationError> {
        answer_once(self.store.ledger(), once, || async {
            if self.store.find_notice(&cmd.notice_id)?.is_some() {
                return self.store.republish(once, cmd).await;
            }
            let recipients = self.recipients(&cmd).await?;
            let now = self.clock.now();
            self.store.publish(caller, once, cmd, recipients, now).await
        })
        .await
    }

    /// Who receives `cmd`, once the approvals service confirms its case is approved: the
    /// domain's recipients among the states bound on the notice's date.
    async fn recipients(&self, cmd: &PublishNotice) -> Result<Vec<Recipient>, NotificationError> {
        self.peers.check_approved(cmd).await?;
        let bound = self
            .peers
            .bound_states(&cmd.treaty, cmd.recipients_as_of)
            .await?;
        Ok(treaty_domain::recipients(cmd.state, bound))
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationApi {
    type SubscribeStream = BoxStream<pb::SubscribeResponse>;

    #[instrument(skip_all, fields(notice_id = %request.get_ref().notice.as_ref().map_or("", |n| n.notice_id.as_str())))]
    async fn publish_notice(
        &self,
        request: Request<pb::PublishNoticeRequest>,
    ) -> Answer<pb::PublishNoticeResponse> {
        let caller = authorize(&request, Rpc::PublishNotice, &Target::none())?;
        let cmd = read(request::publish_notice(request.get_ref(), self.today()))?;
        // The proof is evidence about the notice, not part of it: a retry carrying a proof in
        // a newer checkpoint is the same request, and gets the first answer.
        let mut fingerprinted = request.get_ref().clone();
        if let Some(n) = fingerprinted.notice.as_mut() {
            n.proof = None;
        }
        let once = caller.once("PublishNotice", cmd.request_id.as_ref(), &fingerprinted);
        answer(self.publish(&caller, once.as_ref(), cmd).await)
    }

    #[instrument(skip_all, fields(recipient = %request.get_ref().recipient, after = request.get_ref().after_cursor))]
    async fn subscribe(
        &self,
        request: Request<pb::SubscribeRequest>,
    ) -> Answer<Self::SubscribeStream> {
        let caller = authorize(&request, Rpc::Subscribe, &Target::none())?;
        let q = read(request::subscribe(request.get_ref()))?;
        let receiver = treaty_auth::may_receive(&caller.principal, q.recipient).then_some(caller);
        let stream = Subscription {
            store: self.store.clone(),
            recipient: q.recipient,
            after: q.after,
            receiver,
            clock: self.clock.clone(),
            limits: self.streams,
            shutdown: self.shutdown.clone(),
        }
        .start();
        Ok(Response::new(Box::pin(stream)))
    }

    #[instrument(skip_all, fields(recipient = %request.get_ref().recipient, notice_id = %request.get_ref().notice_id))]
    async fn acknowledge(
        &self,
        request: Request<pb::AcknowledgeRequest>,
    ) -> Answer<pb::AcknowledgeResponse> {
        let cmd = read(request::acknowledge(request.get_ref()))?;
        let caller = authorize(
            &request,
            Rpc::Acknowledge,
            &Target::recipient(cmd.recipient),
        )?;
        let once = caller.once("Acknowledge", cmd.request_id.as_ref(), request.get_ref());
        let now = self.clock.now();
        answer(
            self.store
                .acknowledge(&caller, once.as_ref(), cmd, now)
                .await,
        )
    }

    #[instrument(skip_all, fields(recipient = %request.get_ref().recipient))]
    async fn register_recipient_key(
        &self,
        request: Request<pb::RegisterRecipientKeyRequest>,
    ) -> Answer<pb::RegisterRecipientKeyResponse> {
        let cmd = read(request::register_key(request.get_ref()))?;
        let caller = authorize(
            &request,
            Rpc::RegisterRecipientKey,
            &Target::recipient(cmd.recipient),
        )?;
        let once = caller.once(
            "RegisterRecipientKey",
            cmd.request_id.as_ref(),
            request.get_ref(),
        );
        let now = self.clock.now();
        answer(
            self.store
                .register_key(&caller, once.as_ref(), cmd, now)
                .await,
        )
    }

    #[instrument(skip_all, fields(notice_id = %request.get_ref().notice_id))]
    async fn get_notice(
        &self,
        request: Request<pb::GetNoticeRequest>,
    ) -> Answer<pb::GetNoticeResponse> {
        authorize(&request, Rpc::GetNotice, &Target::none())?;
        let mut v = Violations::new();
        let id = fields::notice_id(&mut v, "notice_id", &request.get_ref().notice_id);
        let id = read(v.finish(id))?;
        answer((|| {
            let notice = self.store.notice(&id)?;
            let deliveries = self.store.deliveries(&id)?;
            Ok(pb::GetNoticeResponse {
                notice: Some(wire::notice(&notice)),
                deliveries: deliveries.iter().map(wire::delivery).collect(),
            })
        })())
    }

    #[instrument(skip_all, fields(recipient = %request.get_ref().recipient, treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn list_notices(
        &self,
        request: Request<pb::ListNoticesRequest>,
    ) -> Answer<pb::ListNoticesResponse> {
        authorize(&request, Rpc::ListNotices, &Target::none())?;
        let q = read(request::notices(request.get_ref()))?;
        answer(self.store.list_notices(&q).map(|(notices, more)| {
            pb::ListNoticesResponse {
                next_page_token: q
                    .page
                    .next_token(more, notices.last().map(|(position, _)| position)),
                notices: notices.iter().map(|(_, n)| wire::notice(n)).collect(),
            }
        }))
    }
}
