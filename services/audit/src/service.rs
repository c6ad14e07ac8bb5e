//! The `treaty.audit.v1.AuditService` handlers: the caller, the request read into a command
//! (`request`), the store, the answer (`wire`). Nothing else happens here.

use tonic::{Request, Response, Status};
use tracing::instrument;
use treaty_auth::{Rpc, Target};
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_server::AuditService;
use treaty_runtime::{Caller, Shutdown, StreamLimits};

use crate::error::AuditError;
use crate::request;
use crate::store::AuditStore;
use crate::tail::{self, TailStream};
use crate::wire;

/// The `treaty.audit.v1.AuditService` implementation.
#[derive(Clone, Debug)]
pub struct AuditApi {
    store: AuditStore,
    streams: StreamLimits,
    shutdown: Shutdown,
}

impl AuditApi {
    /// Serves `store`; each `Tail` stream buffers within `streams`, and live ones end when
    /// `shutdown` triggers.
    pub fn new(store: AuditStore, streams: StreamLimits, shutdown: Shutdown) -> Self {
        Self {
            store,
            streams,
            shutdown,
        }
    }
}

type Answer<T> = Result<Response<T>, Status>;

fn answer<T>(value: Result<T, AuditError>) -> Answer<T> {
    value.map(Response::new).map_err(Status::from)
}

/// The one seam for a read RPC: public, so nothing about the request matters to the rule
/// (`Append` names its source: `Caller::authorize_read`).
fn authorize<T>(request: &Request<T>, rpc: Rpc, target: &Target) -> Result<Caller, Status> {
    Caller::authorize(request, &crate::SERVICE, rpc, target)
}

/// Reads a request, making its violations the INVALID_ARGUMENT answer.
fn read<T>(parsed: Result<T, treaty_proto::Violations>) -> Result<T, Status> {
    parsed.map_err(|v| AuditError::from(v).into())
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    type TailStream = TailStream;

    #[instrument(skip_all, fields(source = %request.get_ref().source, entries = request.get_ref().entries.len()))]
    async fn append(&self, request: Request<pb::AppendRequest>) -> Answer<pb::AppendResponse> {
        let (caller, cmd) = Caller::authorize_read(
            &request,
            &crate::SERVICE,
            Rpc::Append,
            |r| request::append(r).map_err(Status::from),
            |c| Target::source(&c.source),
        )?;
        let once = caller.once("Append", cmd.request_id.as_ref(), request.get_ref());
        answer(self.store.append(once.as_ref(), cmd).await)
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state, treaty = %request.get_ref().treaty))]
    async fn get_history(
        &self,
        request: Request<pb::GetHistoryRequest>,
    ) -> Answer<pb::GetHistoryResponse> {
        authorize(&request, Rpc::GetHistory, &Target::none())?;
        let q = read(request::history(request.get_ref()))?;
        answer(
            self.store
                .list_entries(&q)
                .map(|(records, more)| pb::GetHistoryResponse {
                    next_page_token: q.page.next_token(more, records.last().map(|r| &r.sequence)),
                    entries: records.iter().map(wire::entry).collect(),
                }),
        )
    }

    #[instrument(skip_all)]
    async fn list_entries(
        &self,
        request: Request<pb::ListEntriesRequest>,
    ) -> Answer<pb::ListEntriesResponse> {
        authorize(&request, Rpc::ListEntries, &Target::none())?;
        let q = read(request::entries(request.get_ref()))?;
        answer(
            self.store
                .list_entries(&q)
                .map(|(records, more)| pb::ListEntriesResponse {
                    next_page_token: q.page.next_token(more, records.last().map(|r| &r.sequence)),
                    entries: records.iter().map(wire::entry).collect(),
                }),
        )
    }

    #[instrument(skip_all, fields(after = request.get_ref().after_sequence))]
    async fn tail(&self, request: Request<pb::TailRequest>) -> Answer<Self::TailStream> {
        authorize(&request, Rpc::Tail, &Target::none())?;
        Ok(Response::new(tail::stream(
            self.store.ledger().clone(),
            request.get_ref().after_sequence,
            self.streams,
            self.shutdown.clone(),
        )))
    }

    #[instrument(skip_all)]
    async fn verify(&self, request: Request<pb::VerifyRequest>) -> Answer<pb::VerifyResponse> {
        authorize(&request, Rpc::Verify, &Target::none())?;
        answer(self.store.verify().await.map(|v| wire::verification(&v)))
    }
}
