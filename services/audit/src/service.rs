//! The `treaty.audit.v1.AuditService` handlers: the caller, the request read into a command
//! (`request`), the store, the answer (`wire`). Nothing else happens here.

use tonic::{Request, Response, Status};
use tracing::instrument;
use treaty_auth::{Rpc, Target};
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_server::AuditService;
use treaty_runtime::{Caller, Shutdown, StreamLimits};

use crate::checkpointer::Checkpoints;
use crate::error::AuditError;
use crate::request;
use crate::store::AuditStore;
use crate::tail::{self, TailStream};
use crate::wire;

/// The `treaty.audit.v1.AuditService` implementation.
#[derive(Clone, Debug)]
pub struct AuditApi {
    store: AuditStore,
    checkpoints: Checkpoints,
    streams: StreamLimits,
    shutdown: Shutdown,
}

impl AuditApi {
    /// Serves `store` and its `checkpoints`; each `Tail` stream buffers within `streams`, and
    /// live ones end when `shutdown` triggers.
    pub fn new(
        store: AuditStore,
        checkpoints: Checkpoints,
        streams: StreamLimits,
        shutdown: Shutdown,
    ) -> Self {
        Self {
            store,
            checkpoints,
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
        let mut q = read(request::history(request.get_ref()))?;
        let Some(proved) = q.proof.take() else {
            return answer(self.store.list_entries(&q.entries).map(|(records, more)| {
                pb::GetHistoryResponse {
                    next_page_token: q
                        .entries
                        .page
                        .next_token(more, records.last().map(|r| &r.sequence)),
                    entries: records.iter().map(wire::entry).collect(),
                    proof: None,
                }
            }));
        };
        // Every page of a proved listing is answered as of its first page's checkpoint.
        let signed = self.checkpoints.pinned(proved.after.map(|p| p.tree_size))?;
        q.entries.until = Some(signed.size - 1);
        let (records, more) = self.store.list_entries(&q.entries)?;
        let proof = self.store.history_proof(&signed, &q.key, &records)?;
        let checkpoint = self.checkpoints.answer(&self.store, signed.size)?;
        let next = records.last().map(|r| request::Pinned {
            tree_size: signed.size,
            after: r.sequence,
        });
        Ok(Response::new(pb::GetHistoryResponse {
            next_page_token: proved.next_token(more, next.as_ref()),
            entries: records.iter().map(wire::entry).collect(),
            proof: Some(wire::history_proof(proof, checkpoint)),
        }))
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

    #[instrument(skip_all, fields(tree_size = request.get_ref().tree_size))]
    async fn get_checkpoint(
        &self,
        request: Request<pb::GetCheckpointRequest>,
    ) -> Answer<pb::GetCheckpointResponse> {
        authorize(&request, Rpc::GetCheckpoint, &Target::none())?;
        answer(
            self.checkpoints
                .answer(&self.store, request.get_ref().tree_size),
        )
    }

    #[instrument(skip_all, fields(start = request.get_ref().start))]
    async fn get_entries(
        &self,
        request: Request<pb::GetEntriesRequest>,
    ) -> Answer<pb::GetEntriesResponse> {
        authorize(&request, Rpc::GetEntries, &Target::none())?;
        let q = read(request::leaves(request.get_ref()))?;
        answer(
            self.store
                .leaves(q.start, q.count)
                .map(|(leaves, tree_size)| pb::GetEntriesResponse { leaves, tree_size }),
        )
    }

    #[instrument(skip_all, fields(tree_size = request.get_ref().tree_size))]
    async fn get_inclusion_proof(
        &self,
        request: Request<pb::GetInclusionProofRequest>,
    ) -> Answer<pb::GetInclusionProofResponse> {
        authorize(&request, Rpc::GetInclusionProof, &Target::none())?;
        let q = read(request::inclusion(request.get_ref()))?;
        let proved = self
            .checkpoints
            .size_or_latest(q.tree_size)
            .and_then(|size| {
                let index = self.store.leaf_index(&q.leaf)?;
                let p = self.store.inclusion(index, size)?;
                let signed = self.checkpoints.answer(&self.store, size).ok();
                Ok(wire::inclusion(index, size, &p, signed.as_ref()))
            });
        // Asked for in the latest checkpoint but not there yet (or not even logged): it is
        // wanted in the next one, which the log then signs soon.
        if q.tree_size.is_none()
            && matches!(
                proved,
                Err(AuditError::NoCheckpoint
                    | AuditError::SourceEntryNotLogged { .. }
                    | AuditError::BeyondTree { .. })
            )
        {
            self.checkpoints.want();
        }
        answer(proved)
    }

    #[instrument(skip_all, fields(first = request.get_ref().first, second = request.get_ref().second))]
    async fn get_consistency_proof(
        &self,
        request: Request<pb::GetConsistencyProofRequest>,
    ) -> Answer<pb::GetConsistencyProofResponse> {
        authorize(&request, Rpc::GetConsistencyProof, &Target::none())?;
        let q = read(request::consistency(request.get_ref()))?;
        let proved = self
            .checkpoints
            .size_or_latest(q.second)
            .and_then(|second| {
                let p = self.store.consistency(q.first, second)?;
                Ok(wire::consistency(q.first, second, p))
            });
        answer(proved)
    }

    #[instrument(skip_all, fields(tree_size = request.get_ref().tree_size))]
    async fn add_cosignature(
        &self,
        request: Request<pb::AddCosignatureRequest>,
    ) -> Answer<pb::AddCosignatureResponse> {
        authorize(&request, Rpc::AddCosignature, &Target::none())?;
        let q = read(request::cosignature(request.get_ref()))?;
        let witness = self
            .checkpoints
            .check_cosignature(&self.store, q.tree_size, &q.line)?;
        self.store
            .add_cosignature(q.tree_size, &witness, q.line)
            .await?;
        answer(self.checkpoints.answer(&self.store, q.tree_size).map(|c| {
            pb::AddCosignatureResponse {
                checkpoint: Some(c),
            }
        }))
    }
}
