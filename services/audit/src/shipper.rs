//! The journal shipper: sends a service's journal to the audit service in order, resuming
//! after a restart and waiting out an audit outage without losing or duplicating anything.
//!
//! It keeps no cursor of its own. On start, and after a refusal, it asks the audit service
//! where this source stands (an `Append` with no entries answers with the source's head) and
//! sends from the next sequence; when the audit service refuses a gap or a broken link it
//! names the sequence it expects (`expectedSequence`), and the shipper resumes there. A
//! failure worth retrying ([`PeerFailure::is_transient`]) resends the same batch under the
//! same `request_id`. The audit service skips a replay by sequence, so a resend after an
//! ambiguous failure never duplicates, and nothing is skipped.

use std::time::Duration;

use tokio::sync::watch;
use tonic::Status;
use tonic::transport::Channel;
use treaty_ledger::{Ledger, Record};
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_runtime::{PeerError, PeerFailure, Shutdown};

use crate::request::MAX_ENTRIES_PER_APPEND;
use crate::wire;

const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// A running shipper's progress.
#[derive(Debug)]
pub struct ShipperHandle {
    shipped: watch::Receiver<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl ShipperHandle {
    /// The last journal sequence the audit service has acknowledged.
    pub fn shipped(&self) -> u64 {
        *self.shipped.borrow()
    }

    /// Waits until the audit service has acknowledged `sequence`, or the shipper stops.
    pub async fn wait_for(&self, sequence: u64) -> bool {
        let mut rx = self.shipped.clone();
        rx.wait_for(|s| *s >= sequence).await.is_ok()
    }

    /// Whether the shipper task has ended (it only ends on shutdown).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// The shipper's task, to await after shutdown.
    pub fn into_task(self) -> tokio::task::JoinHandle<()> {
        self.task
    }
}

/// Starts shipping `ledger`'s journal (whose source name is `source`) to the audit service
/// behind `channel`, until `shutdown` triggers.
pub fn spawn(
    ledger: Ledger,
    source: String,
    channel: Channel,
    shutdown: Shutdown,
) -> ShipperHandle {
    let (tx, rx) = watch::channel(0);
    let task = tokio::spawn(run(
        ledger,
        source,
        AuditServiceClient::new(channel),
        shutdown,
        tx,
    ));
    ShipperHandle { shipped: rx, task }
}

async fn run(
    ledger: Ledger,
    source: String,
    mut client: AuditServiceClient<Channel>,
    shutdown: Shutdown,
    shipped: watch::Sender<u64>,
) {
    let mut durable = ledger.watch();
    let mut backoff = FIRST_BACKOFF;
    let mut next: Option<u64> = None;
    loop {
        if shutdown.is_triggered() {
            return;
        }
        let answer = match next {
            None => handshake(&mut client, &source).await,
            Some(from) => match ledger.read_after(from - 1, MAX_ENTRIES_PER_APPEND) {
                Err(error) => {
                    tracing::error!(%error, %source, retry_in = ?backoff, "cannot read the journal to ship it; will retry");
                    if !pause(&shutdown, &mut backoff).await {
                        return;
                    }
                    continue;
                }
                Ok(batch) if batch.is_empty() => {
                    tokio::select! {
                        changed = durable.changed() => if changed.is_err() { return },
                        () = shutdown.triggered() => return,
                    }
                    continue;
                }
                Ok(batch) => send(&mut client, &source, &batch).await,
            },
        };
        match answer {
            Ok(head) => {
                next = Some(head + 1);
                backoff = FIRST_BACKOFF;
                shipped.send_replace(head);
            }
            Err(status) => {
                let error = PeerError::from_status(crate::NAME, &status);
                next = resume_at(&status, next);
                if error.failure.is_transient() {
                    tracing::warn!(%error, %source, retry_in = ?backoff, "the audit service is unavailable; will resend");
                } else {
                    tracing::error!(%error, %source, resume_at = ?next, retry_in = ?backoff, "the audit service refused a batch; will resume where it says");
                }
                if !pause(&shutdown, &mut backoff).await {
                    return;
                }
            }
        }
    }
}

/// Where to go on after a failed call that was to send from `next` (`None`: ask the audit
/// service where this source stands).
fn resume_at(status: &Status, next: Option<u64>) -> Option<u64> {
    if PeerFailure::of(status).is_transient() {
        return next;
    }
    treaty_proto::status::metadata(status, "expectedSequence").and_then(|s| s.parse().ok())
}

/// Waits out `backoff` and doubles it; `false` when shutdown came first.
async fn pause(shutdown: &Shutdown, backoff: &mut Duration) -> bool {
    let wait = *backoff;
    *backoff = (wait * 2).min(MAX_BACKOFF);
    tokio::select! {
        () = tokio::time::sleep(wait) => true,
        () = shutdown.triggered() => false,
    }
}

async fn handshake(client: &mut AuditServiceClient<Channel>, source: &str) -> Result<u64, Status> {
    let req = pb::AppendRequest {
        request_id: String::new(),
        source: source.to_owned(),
        entries: Vec::new(),
    };
    Ok(client.append(req).await?.into_inner().source_head)
}

async fn send(
    client: &mut AuditServiceClient<Channel>,
    source: &str,
    batch: &[Record],
) -> Result<u64, Status> {
    let (first, last) = (batch[0].sequence, batch[batch.len() - 1].sequence);
    let req = pb::AppendRequest {
        request_id: format!("ship-{source}-{first}-{last}"),
        source: source.to_owned(),
        entries: batch.iter().map(wire::source_entry).collect(),
    };
    Ok(client.append(req).await?.into_inner().source_head)
}
