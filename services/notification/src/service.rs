//! The gRPC handlers: convert the request, call the peers and the store,
//! convert the answer.

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use prost::Message;
use tonic::{Request, Response, Status};
use tracing::instrument;
use treaty_ledger::Clock;
use treaty_proto::notification as pb;
use treaty_proto::notification::notification_service_server::NotificationService;
use treaty_proto::wire::{self, Violations};
use treaty_runtime::{Shutdown, actor};

use crate::convert::{self, ListFilter};
use crate::error::NotificationError;
use crate::peers::Peers;
use crate::recipient::recipients_of;
use crate::store::{ListPosition, NotificationStore};
use crate::stored::NoticeDraft;
use crate::subscribe::Subscription;
use crate::writes::{Published, StepContext, publish_response};

const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// The `treaty.notification.v1.NotificationService` implementation.
#[derive(Clone, Debug)]
pub struct NotificationApi {
    store: NotificationStore,
    peers: Peers,
    clock: Arc<dyn Clock>,
    shutdown: Shutdown,
}

/// The civil date of `now` in the depositary's calendar (UTC).
pub fn today(now: Timestamp) -> Date {
    now.to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// The idempotency key of a request: `<Rpc>/<request_id>`, none when the
/// request carries no `request_id`.
fn request_key(rpc: &str, request_id: &str) -> Option<Vec<u8>> {
    (!request_id.is_empty()).then(|| format!("{rpc}/{request_id}").into_bytes())
}

fn page_token(token: &str, recipient_filter: bool) -> Result<ListPosition, Violations> {
    let bad = || {
        Violations::one(
            "page_token",
            "not a token this service issued for these filters; pass the next_page_token of the previous page with the same filters",
        )
    };
    if token.is_empty() {
        return Ok(if recipient_filter {
            ListPosition::Cursor(0)
        } else {
            ListPosition::Publication(0)
        });
    }
    let (kind, n) = token.split_once('-').ok_or_else(bad)?;
    let n: u64 = n.parse().map_err(|_| bad())?;
    match (kind, recipient_filter) {
        ("c", true) => Ok(ListPosition::Cursor(n)),
        ("p", false) => Ok(ListPosition::Publication(n)),
        _ => Err(bad()),
    }
}

fn merge(into: &mut Violations, from: Violations) {
    for x in from.iter() {
        into.add(x.field.clone(), x.description.clone());
    }
}

fn token_of(position: ListPosition) -> String {
    match position {
        ListPosition::Cursor(n) => format!("c-{n}"),
        ListPosition::Publication(n) => format!("p-{n}"),
    }
}

/// A boxed server stream.
type BoxStream<T> =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;

impl NotificationApi {
    /// Serves `store`, calling `peers`; live `Subscribe` streams end on `shutdown`.
    pub fn new(
        store: NotificationStore,
        peers: Peers,
        clock: Arc<dyn Clock>,
        shutdown: Shutdown,
    ) -> Self {
        Self {
            store,
            peers,
            clock,
            shutdown,
        }
    }

    fn context(&self, actor: String, request_key: Option<Vec<u8>>) -> StepContext {
        let now = self.clock.now();
        StepContext {
            actor,
            now,
            today: today(now),
            request_key,
        }
    }

    /// Publishes a validated notice: the approvals service must confirm the
    /// case is approved, the registry names the parties on the notice's date,
    /// and one commit stores the notice and every recipient's inbox entry.
    async fn publish(
        &self,
        draft: NoticeDraft,
        ctx: StepContext,
    ) -> Result<pb::PublishNoticeResponse, NotificationError> {
        if let Some(first) = ctx
            .request_key
            .as_deref()
            .map(|k| self.store.recall(k))
            .transpose()?
            .flatten()
        {
            return pb::PublishNoticeResponse::decode(first.as_slice()).map_err(|e| {
                NotificationError::Corrupt(format!("a remembered answer is unreadable: {e}"))
            });
        }
        if let Some(notice) = self.store.notice(&draft.notice_id)? {
            if !notice.matches(&draft) {
                return Err(NotificationError::NoticeConflict {
                    notice_id: draft.notice_id,
                });
            }
            return Ok(publish_response(&Published {
                notice,
                already_published: true,
            }));
        }
        self.peers.check_approved(&draft).await?;
        // Circulation never precedes receipt (VCLT Art. 78).
        let circulated_on = draft
            .circulated_on
            .unwrap_or_else(|| draft.received_on.map_or(ctx.today, |r| r.max(ctx.today)));
        let as_of = draft.recipients_as_of(circulated_on);
        let parties = self.peers.parties(&draft.treaty, as_of).await?;
        let recipients = recipients_of(&draft.state, parties);
        self.store
            .publish(draft, circulated_on, as_of, recipients, ctx)
            .await
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationApi {
    type SubscribeStream = BoxStream<pb::SubscribeResponse>;

    #[instrument(skip_all, fields(notice_id = %request.get_ref().notice.as_ref().map_or("", |n| n.notice_id.as_str())))]
    async fn publish_notice(
        &self,
        request: Request<pb::PublishNoticeRequest>,
    ) -> Result<Response<pb::PublishNoticeResponse>, Status> {
        let actor = actor(request.metadata());
        let req = request.into_inner();
        let draft = convert::publish_request(&req).map_err(NotificationError::from)?;
        let ctx = self.context(actor, request_key("PublishNotice", &req.request_id));
        Ok(Response::new(self.publish(draft, ctx).await?))
    }

    #[instrument(skip_all, fields(recipient = %request.get_ref().recipient, after = request.get_ref().after_cursor))]
    async fn subscribe(
        &self,
        request: Request<pb::SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let actor = actor(request.metadata());
        let req = request.into_inner();
        let mut v = Violations::new();
        let recipient = convert::recipient(&mut v, "recipient", &req.recipient);
        let Some(recipient) = recipient else {
            return Err(NotificationError::from(v).into());
        };
        let stream = Subscription {
            store: self.store.clone(),
            recipient,
            after: req.after_cursor,
            actor,
            clock: self.clock.clone(),
            shutdown: self.shutdown.clone(),
        }
        .start();
        Ok(Response::new(Box::pin(stream)))
    }

    #[instrument(skip_all, fields(recipient = %request.get_ref().recipient, notice_id = %request.get_ref().notice_id))]
    async fn acknowledge(
        &self,
        request: Request<pb::AcknowledgeRequest>,
    ) -> Result<Response<pb::AcknowledgeResponse>, Status> {
        let actor = actor(request.metadata());
        let req = request.into_inner();
        let mut v = Violations::new();
        convert::check_request_id(&mut v, &req.request_id);
        let recipient = convert::recipient(&mut v, "recipient", &req.recipient);
        convert::check_notice_id(&mut v, "notice_id", &req.notice_id);
        let (Some(recipient), true) = (recipient, v.is_empty()) else {
            return Err(NotificationError::from(v).into());
        };
        let ctx = self.context(actor, request_key("Acknowledge", &req.request_id));
        Ok(Response::new(
            self.store
                .acknowledge(recipient, req.notice_id, ctx)
                .await?,
        ))
    }

    #[instrument(skip_all, fields(notice_id = %request.get_ref().notice_id))]
    async fn get_notice(
        &self,
        request: Request<pb::GetNoticeRequest>,
    ) -> Result<Response<pb::GetNoticeResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        convert::check_notice_id(&mut v, "notice_id", &req.notice_id);
        if !v.is_empty() {
            return Err(NotificationError::from(v).into());
        }
        let notice =
            self.store
                .notice(&req.notice_id)?
                .ok_or(NotificationError::NoticeNotFound {
                    notice_id: req.notice_id.clone(),
                })?;
        let deliveries = self.store.deliveries(&req.notice_id)?;
        Ok(Response::new(pb::GetNoticeResponse {
            notice: Some(convert::notice_to_wire(&notice)),
            deliveries: deliveries.iter().map(convert::delivery_to_wire).collect(),
        }))
    }

    #[instrument(skip_all, fields(recipient = %request.get_ref().recipient, treaty = %request.get_ref().treaty, state = %request.get_ref().state))]
    async fn list_notices(
        &self,
        request: Request<pb::ListNoticesRequest>,
    ) -> Result<Response<pb::ListNoticesResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let filter: ListFilter = convert::list_filter(&mut v, &req);
        let limit = wire::page_size(req.page_size, DEFAULT_PAGE, MAX_PAGE).unwrap_or_else(|e| {
            merge(&mut v, e);
            DEFAULT_PAGE
        });
        let from = page_token(&req.page_token, !req.recipient.is_empty()).unwrap_or_else(|e| {
            merge(&mut v, e);
            ListPosition::Publication(0)
        });
        if !v.is_empty() {
            return Err(NotificationError::from(v).into());
        }
        let page = self.store.list(&filter, from, limit)?;
        Ok(Response::new(pb::ListNoticesResponse {
            notices: page.notices.iter().map(convert::notice_to_wire).collect(),
            next_page_token: page.next.map(token_of).unwrap_or_default(),
        }))
    }
}
