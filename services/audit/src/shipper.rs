//! The journal shipper: sends a service's journal to the audit service in
//! order, resuming after a restart and waiting out an audit outage without
//! losing or duplicating anything.
//!
//! It keeps no cursor of its own. On start, and after any failure, it asks the
//! audit service where this source stands (an `Append` with no entries answers
//! with the source's head) and sends from the next sequence. The audit service
//! skips a replay by sequence and refuses a gap, so a resend after an
//! ambiguous failure never duplicates, and nothing is skipped.

use std::time::Duration;

use tokio::sync::watch;
use tonic::Code;
use tonic::transport::Channel;
use treaty_ledger::Ledger;
use treaty_proto::audit as pb;
use treaty_proto::audit::audit_service_client::AuditServiceClient;
use treaty_runtime::Shutdown;

use crate::convert::{self, MAX_ENTRIES_PER_APPEND};

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
        let result = match next {
            None => handshake(&mut client, &source).await,
            Some(from) => match ledger.read_after(from - 1, MAX_ENTRIES_PER_APPEND) {
                Err(e) => {
                    tracing::error!(error = %e, %source, "cannot read the journal to ship it");
                    Err(tonic::Status::internal("journal read failed"))
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
        match result {
            Ok(head) => {
                next = Some(head + 1);
                backoff = FIRST_BACKOFF;
                shipped.send_replace(head);
            }
            Err(status) => {
                if status.code() == Code::FailedPrecondition {
                    // The audit service names where it expects us to continue.
                    next = treaty_proto::wire::error_info_value(&status, "expected_sequence")
                        .and_then(|s| s.parse().ok());
                } else if status.code() != Code::Unavailable {
                    next = None;
                }
                tracing::warn!(code = ?status.code(), message = status.message(), %source, retry_in = ?backoff, "shipping to audit failed; will retry");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = shutdown.triggered() => return,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

async fn handshake(
    client: &mut AuditServiceClient<Channel>,
    source: &str,
) -> Result<u64, tonic::Status> {
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
    batch: &[treaty_ledger::Record],
) -> Result<u64, tonic::Status> {
    let (first, last) = (batch[0].sequence, batch[batch.len() - 1].sequence);
    let req = pb::AppendRequest {
        request_id: format!("ship-{source}-{first}-{last}"),
        source: source.to_owned(),
        entries: batch.iter().map(convert::source_entry).collect(),
    };
    Ok(client.append(req).await?.into_inner().source_head)
}
