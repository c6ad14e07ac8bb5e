//! Who makes a request, and the request made once: the seam between a gRPC handler and the
//! ledger's [`commit_once`](treaty_ledger::Ledger::commit_once).
//!
//! [`Caller::authorize`](crate::Caller::authorize) names the principal a request's steps are
//! recorded under; [`Caller::once`](crate::Caller::once) turns a request's `request_id` and the request itself into the ledger's [`Once`] (its key,
//! scoped to the caller, and a fingerprint of the whole request), and [`commit_once`] /
//! [`replay`] carry protobuf answers through the ledger. Every service uses these three, so
//! idempotency is written once.

use std::future::Future;

use prost::Message;
use treaty_ledger::{Abort, Answer, CommitError, KeyReused, Ledger, LedgerError, Once, Txn};

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
