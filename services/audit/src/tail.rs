//! The `Tail` stream: the durable log after a sequence, then each entry as its batch becomes
//! durable, until the client goes away or the service shuts down.

use std::pin::Pin;

use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use treaty_ledger::Ledger;
use treaty_proto::audit as pb;
use treaty_runtime::Shutdown;

use crate::error::AuditError;
use crate::wire;

/// How many entries are read, and buffered for a slow client, at a time.
const BATCH: usize = 256;

pub type TailStream = Pin<Box<dyn Stream<Item = Result<pb::TailResponse, Status>> + Send>>;

/// The log of `ledger` after global sequence `after`, then live, until `shutdown`.
pub fn stream(ledger: Ledger, mut after: u64, shutdown: Shutdown) -> TailStream {
    let (tx, rx) = mpsc::channel(BATCH);
    tokio::spawn(async move {
        let mut durable = ledger.watch();
        loop {
            let batch = match ledger.read_after(after, BATCH) {
                Ok(batch) => batch,
                Err(e) => {
                    // The client may be gone already; then there is no one to tell.
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
                let entry = Some(wire::entry(record));
                if tx.send(Ok(pb::TailResponse { entry })).await.is_err() {
                    return;
                }
            }
        }
    });
    Box::pin(ReceiverStream::new(rx))
}
