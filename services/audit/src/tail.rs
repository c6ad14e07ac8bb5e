//! The `Tail` stream: the durable log after a sequence, then each entry as its batch becomes
//! durable, until the client goes away, stops reading or the service shuts down.
//!
//! What waits for the client is bounded in bytes ([`treaty_runtime::stream`]): a client that
//! reads slowly slows the reading of the log down, and one that stops reading is cut off with
//! RESOURCE_EXHAUSTED once its buffer is full; it can tail again after the last entry it got.

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::Status;
use treaty_ledger::Ledger;
use treaty_proto::audit as pb;
use treaty_runtime::{Shutdown, StreamLimits, StreamSender};

use crate::SERVICE;
use crate::error::AuditError;
use crate::wire;

/// The most entries read from the log at a time.
const BATCH: usize = 256;
/// The most bytes read from the log at a time (beyond one entry), counted as the stream's
/// buffer counts them, so what the reader holds besides that buffer stays small whatever the
/// entries weigh.
const BATCH_BYTES: usize = 64 * 1024;

pub type TailStream = Pin<Box<dyn Stream<Item = Result<pb::TailResponse, Status>> + Send>>;

/// The log of `ledger` after global sequence `after`, then live, within `limits`, until
/// `shutdown`.
pub fn stream(ledger: Ledger, after: u64, limits: StreamLimits, shutdown: Shutdown) -> TailStream {
    let (tx, rx) = treaty_runtime::stream::bounded(SERVICE, limits);
    tokio::spawn(produce(ledger, after, tx, shutdown));
    Box::pin(rx)
}

async fn produce(
    ledger: Ledger,
    mut after: u64,
    mut tx: StreamSender<pb::TailResponse>,
    shutdown: Shutdown,
) {
    let mut durable = ledger.watch();
    loop {
        let batch = match read(&ledger, after) {
            Ok(batch) => batch,
            Err(e) => {
                tx.fail(e.into());
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
        for (sequence, message) in batch {
            tokio::select! {
                sent = tx.send(message) => if sent.is_err() { return },
                () = shutdown.triggered() => return,
            }
            after = sequence;
        }
    }
}

/// The next durable entries after `after`: up to [`BATCH`] of them, and no more than
/// [`BATCH_BYTES`] past the first.
fn read(ledger: &Ledger, after: u64) -> Result<Vec<(u64, pb::TailResponse)>, AuditError> {
    let mut batch = Vec::new();
    let mut bytes = 0;
    for record in ledger.range(after.saturating_add(1), u64::MAX) {
        let record = record?;
        let message = pb::TailResponse {
            entry: Some(wire::entry(&record)),
        };
        bytes += treaty_runtime::stream::footprint(&message);
        batch.push((record.sequence, message));
        if batch.len() == BATCH || bytes >= BATCH_BYTES {
            break;
        }
    }
    Ok(batch)
}
