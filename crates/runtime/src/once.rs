//! Who makes a request, and the request made once: the seam between a gRPC handler and the
//! ledger's [`commit_once`](treaty_ledger::Ledger::commit_once).
//!
//! [`Caller::of`] reads the principal a request's steps are recorded under; [`Caller::once`]
//! turns a request's `request_id` and the request itself into the ledger's [`Once`] (its key,
//! scoped to the caller, and a fingerprint of the whole request), and [`commit_once`] /
//! [`replay`] carry protobuf answers through the ledger. Every service uses these three, so
//! idempotency is written once.

use std::future::Future;

use prost::Message;
use treaty_ledger::{
    Abort, Answer, CommitError, Fingerprint, KeyReused, Ledger, LedgerError, Once, RequestKey, Txn,
};
use treaty_proto::fields::RequestId;

use crate::actor::actor;

/// The principal of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The principal recorded on every step the request causes.
    pub actor: String,
}

impl Caller {
    /// The caller of `request`.
    pub fn of<T>(request: &tonic::Request<T>) -> Caller {
        Caller {
            actor: actor(request.metadata()),
        }
    }

    /// A caller known by name, for steps a service records on its own (its scheduler).
    pub fn named(actor: impl Into<String>) -> Caller {
        Caller {
            actor: actor.into(),
        }
    }

    /// The scope of this caller's request ids. Empty while callers are not authenticated: a
    /// claimed name is no scope. The trust boundary scopes keys to the authenticated principal.
    fn scope(&self) -> &str {
        ""
    }

    /// The request `request` of `operation` made at most once under `request_id` (none without
    /// one): its key scoped to this caller, and the fingerprint of the whole request.
    pub fn once<M: Message>(
        &self,
        operation: &str,
        request_id: Option<&RequestId>,
        request: &M,
    ) -> Option<Once> {
        request_id.map(|id| Once {
            key: RequestKey::new(self.scope(), operation, id.as_str()),
            fingerprint: Fingerprint::of(&request.encode_to_vec()),
        })
    }
}

/// A protobuf message remembered as a ledger answer.
struct Proto<M>(M);

impl<M: Message + Default + Send + 'static> Answer for Proto<M> {
    fn to_bytes(&self) -> Vec<u8> {
        self.0.encode_to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        M::decode(bytes).map(Proto).map_err(|e| e.to_string())
    }
}

/// [`Ledger::commit_once`] for a closure answering with a protobuf message, failing with the
/// service's own error (its refusal, a reused key or a storage failure).
pub async fn commit_once<M, E, F>(ledger: &Ledger, once: Option<&Once>, f: F) -> Result<M, E>
where
    M: Message + Default + Send + 'static,
    E: From<LedgerError> + From<KeyReused> + Send + 'static,
    F: Fn(&mut Txn<'_>) -> Result<M, Abort<E>> + Send + 'static,
{
    ledger
        .commit_once(once, move |txn| f(txn).map(Proto))
        .await
        .map(|Proto(m)| m)
        .map_err(CommitError::into_error)
}

/// [`Ledger::replay`] of a protobuf answer, failing with the service's own error.
pub async fn replay<M, E>(ledger: &Ledger, once: Option<&Once>) -> Result<Option<M>, E>
where
    M: Message + Default + Send + 'static,
    E: From<LedgerError> + From<KeyReused> + Send + 'static,
{
    match once {
        None => Ok(None),
        Some(once) => Ok(ledger
            .replay::<Proto<M>, E>(once)
            .await
            .map_err(CommitError::into_error)?
            .map(|Proto(m)| m)),
    }
}

/// A request made once whose commit needs work first (peer calls, checks outside the commit):
/// a retry gets the remembered answer before any of that work, and a refusal from the work
/// is checked against the remembered answer again, because an overlapping copy of the same
/// request may have committed meanwhile — an overlapping retry gets the first answer, never a
/// refusal. `work` ends in [`commit_once`] with the same `once`.
pub async fn answer_once<M, E, Fut>(
    ledger: &Ledger,
    once: Option<&Once>,
    work: impl FnOnce() -> Fut,
) -> Result<M, E>
where
    M: Message + Default + Send + 'static,
    E: From<LedgerError> + From<KeyReused> + Send + 'static,
    Fut: Future<Output = Result<M, E>>,
{
    if let Some(first) = replay::<M, E>(ledger, once).await? {
        return Ok(first);
    }
    match work().await {
        Ok(answer) => Ok(answer),
        Err(refusal) => match replay::<M, E>(ledger, once).await? {
            Some(first) => Ok(first),
            None => Err(refusal),
        },
    }
}
