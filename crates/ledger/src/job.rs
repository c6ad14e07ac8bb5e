//! A type-erased commit: the caller's closure, its outcome and where to send the answer.

use sled::transaction::UnabortableTransactionError;
use tokio::sync::oneshot;

use crate::error::{Abort, CommitError, LedgerError};
use crate::txn::Txn;

/// What running a job's closure once did.
pub(crate) enum Step {
    /// The closure returned `Ok`; its value is kept until the batch is answered.
    Applied,
    /// The closure rejected the change; the rejection is kept for the answer.
    Rejected,
    /// A tree operation failed (sled retries the transaction on a conflict).
    Storage(UnabortableTransactionError),
}

/// A queued commit, as the writer sees it.
pub(crate) trait Job: Send {
    /// Runs the closure once against `txn`, keeping its value or rejection. May be called
    /// several times (sled retries, or a later job of the same transaction was rejected);
    /// each call replaces what an earlier one kept.
    fn run(&mut self, txn: &mut Txn<'_>) -> Step;
    /// Marks the job failed.
    fn fail(&mut self, error: LedgerError);
    /// Sends the answer; `durability` is the batch's durability failure, if any.
    fn answer(self: Box<Self>, durability: Option<&LedgerError>);
    /// Whether the closure only reads (a replay): a batch of such jobs alone needs no flush.
    fn reads_only(&self) -> bool;
}

/// A commit closure and where to send its answer.
pub(crate) struct CommitJob<T, E, F> {
    f: F,
    reply: oneshot::Sender<Result<T, CommitError<E>>>,
    outcome: Option<Result<T, CommitError<E>>>,
    reads_only: bool,
}

impl<T, E, F> CommitJob<T, E, F> {
    pub(crate) fn new(
        f: F,
        reply: oneshot::Sender<Result<T, CommitError<E>>>,
        reads_only: bool,
    ) -> Self {
        Self {
            f,
            reply,
            outcome: None,
            reads_only,
        }
    }
}

impl<T, E, F> Job for CommitJob<T, E, F>
where
    F: Fn(&mut Txn<'_>) -> Result<T, Abort<E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    fn run(&mut self, txn: &mut Txn<'_>) -> Step {
        self.outcome = None;
        match (self.f)(txn) {
            Ok(value) => {
                self.outcome = Some(Ok(value));
                Step::Applied
            }
            Err(Abort::Rejected(e)) => {
                self.outcome = Some(Err(CommitError::Rejected(e)));
                Step::Rejected
            }
            Err(Abort::Storage(e)) => Step::Storage(e),
        }
    }

    fn fail(&mut self, error: LedgerError) {
        self.outcome = Some(Err(CommitError::Storage(error)));
    }

    fn answer(self: Box<Self>, durability: Option<&LedgerError>) {
        let answer = match self.outcome {
            None => Err(CommitError::Storage(LedgerError::CommitPanicked)),
            Some(Ok(value)) => match durability {
                None => Ok(value),
                Some(e) => Err(CommitError::Storage(LedgerError::NotDurable(e.to_string()))),
            },
            Some(Err(e)) => Err(e),
        };
        // The caller may have stopped waiting; the commit stands either way.
        let _ = self.reply.send(answer);
    }

    fn reads_only(&self) -> bool {
        self.reads_only
    }
}
