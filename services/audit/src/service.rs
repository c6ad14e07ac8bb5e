//! The gRPC handlers: convert the request, call the store, convert the answer.

use tonic::{Request, Response, Status};
use tracing::instrument;
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_server::AuditService;
use treaty_proto::wire::{self, Violations};
use treaty_runtime::Shutdown;

use crate::convert;
use crate::error::AuditError;
use crate::store::{AuditStore, Filter};

const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;
const TAIL_BATCH: usize = 256;

/// The `treaty.audit.v1.AuditService` implementation.
#[derive(Clone, Debug)]
pub struct AuditApi {
    store: AuditStore,
    shutdown: Shutdown,
}

impl AuditApi {
    /// Serves `store`; live `Tail` streams end when `shutdown` triggers.
    pub fn new(store: AuditStore, shutdown: Shutdown) -> Self {
        Self { store, shutdown }
    }
}

fn page_token(token: &str) -> Result<u64, Violations> {
    if token.is_empty() {
        return Ok(0);
    }
    token
        .strip_prefix("after-")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            Violations::one(
                "page_token",
                "not a token this service issued; pass the next_page_token of the previous page",
            )
        })
}

fn page(
    store: &AuditStore,
    filter: &Filter,
    token: &str,
    size: i32,
) -> Result<(Vec<pb::Entry>, String), AuditError> {
    let mut v = Violations::new();
    let after = page_token(token).unwrap_or_else(|e| {
        v.add("page_token", e.to_string());
        0
    });
    let limit = wire::page_size(size, DEFAULT_PAGE, MAX_PAGE).unwrap_or_else(|e| {
        v.add("page_size", e.to_string());
        DEFAULT_PAGE
    });
    if !v.is_empty() {
        return Err(AuditError::InvalidArgument(v));
    }
    let (records, more) = store.list(filter, after, limit)?;
    let next = match records.last() {
        Some(last) if more => format!("after-{}", last.sequence),
        _ => String::new(),
    };
    Ok((records.iter().map(convert::entry_to_wire).collect(), next))
}

/// A boxed server stream.
type BoxStream<T> =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl AuditService for AuditApi {
    type TailStream = BoxStream<pb::TailResponse>;

    #[instrument(skip_all, fields(source = %request.get_ref().source, entries = request.get_ref().entries.len()))]
    async fn append(
        &self,
        request: Request<pb::AppendRequest>,
    ) -> Result<Response<pb::AppendResponse>, Status> {
        let req = request.into_inner();
        let records = convert::append_request(&req).map_err(AuditError::InvalidArgument)?;
        if let Some(bad) = records.iter().find(|r| r.compute_hash() != r.hash) {
            return Err(AuditError::HashMismatch {
                source_name: req.source,
                sequence: bad.sequence,
            }
            .into());
        }
        let o = self
            .store
            .append(req.request_id, req.source, records)
            .await?;
        Ok(Response::new(pb::AppendResponse {
            accepted: o.accepted,
            duplicates: o.duplicates,
            source_head: o.source_head,
            log_head: o.log_head,
        }))
    }

    #[instrument(skip_all, fields(state = %request.get_ref().state, treaty = %request.get_ref().treaty))]
    async fn get_history(
        &self,
        request: Request<pb::GetHistoryRequest>,
    ) -> Result<Response<pb::GetHistoryResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let state = match req.state.as_str() {
            "" => {
                v.add("state", "required: an ISO 3166-1 alpha-2 code, e.g. LT");
                None
            }
            s => convert::check_state(&mut v, "state", &s.to_ascii_uppercase()),
        };
        let treaty = convert::check_treaty(&mut v, "treaty", &req.treaty);
        if !v.is_empty() {
            return Err(AuditError::InvalidArgument(v).into());
        }
        let filter = Filter {
            state,
            treaty,
            ..Filter::default()
        };
        let (entries, next_page_token) =
            page(&self.store, &filter, &req.page_token, req.page_size)?;
        Ok(Response::new(pb::GetHistoryResponse {
            entries,
            next_page_token,
        }))
    }

    #[instrument(skip_all)]
    async fn list_entries(
        &self,
        request: Request<pb::ListEntriesRequest>,
    ) -> Result<Response<pb::ListEntriesResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let source = (!req.source.is_empty()).then(|| {
            convert::check_source_name(&mut v, "source", &req.source);
            req.source.clone()
        });
        let filter = Filter {
            source,
            state: convert::check_state(&mut v, "state", &req.state.to_ascii_uppercase()),
            treaty: convert::check_treaty(&mut v, "treaty", &req.treaty),
            case: convert::check_case(&mut v, "case_id", &req.case_id),
        };
        if !v.is_empty() {
            return Err(AuditError::InvalidArgument(v).into());
        }
        let token = if req.page_token.is_empty() && req.after_sequence > 0 {
            format!("after-{}", req.after_sequence)
        } else {
            req.page_token
        };
        let (entries, next_page_token) = page(&self.store, &filter, &token, req.page_size)?;
        Ok(Response::new(pb::ListEntriesResponse {
            entries,
            next_page_token,
        }))
    }

    #[instrument(skip_all, fields(after = request.get_ref().after_sequence))]
    async fn tail(
        &self,
        request: Request<pb::TailRequest>,
    ) -> Result<Response<Self::TailStream>, Status> {
        let mut after = request.into_inner().after_sequence;
        let ledger = self.store.ledger().clone();
        let shutdown = self.shutdown.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(TAIL_BATCH);
        tokio::spawn(async move {
            let mut durable = ledger.watch();
            loop {
                let batch = match ledger.read_after(after, TAIL_BATCH) {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = tx.send(Err(AuditError::from(e).into())).await;
                        return;
                    }
                };
                if batch.is_empty() {
                    tokio::select! {
                        changed = durable.changed() => if changed.is_err() { return },
                        () = shutdown.triggered() => return,
                        () = tx.closed() => return,
                    }
                    continue;
                }
                for record in &batch {
                    after = record.sequence;
                    let entry = convert::entry_to_wire(record);
                    if tx
                        .send(Ok(pb::TailResponse { entry: Some(entry) }))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }

    #[instrument(skip_all)]
    async fn verify(
        &self,
        _request: Request<pb::VerifyRequest>,
    ) -> Result<Response<pb::VerifyResponse>, Status> {
        let store = self.store.clone();
        let (global, sources) = tokio::task::spawn_blocking(move || -> Result<_, AuditError> {
            Ok((store.ledger().verify()?, store.verify_sources()?))
        })
        .await
        .map_err(|e| Status::internal(format!("verification stopped: {e}")))??;
        let ok = global.problem.is_none() && sources.iter().all(|s| s.problem.is_none());
        Ok(Response::new(pb::VerifyResponse {
            ok,
            checked: global.checked,
            head_sequence: global.head.0,
            head_hash: global.head.1.to_vec(),
            problem: global.problem.map(|p| pb::Problem {
                sequence: p.sequence,
                kind: convert::problem_kind(p.kind).into(),
                detail: p.detail,
            }),
            sources: sources
                .into_iter()
                .map(|s| pb::SourceReport {
                    source: s.source,
                    head_sequence: s.head.0,
                    head_hash: s.head.1.to_vec(),
                    problem: s.problem.map(|p| pb::Problem {
                        sequence: p.sequence,
                        kind: convert::problem_kind(p.kind).into(),
                        detail: p.detail,
                    }),
                })
                .collect(),
        }))
    }
}
