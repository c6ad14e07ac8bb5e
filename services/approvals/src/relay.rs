//! The outbox relay: reads the approvals journal from its cursor and performs, in order,
//! the external effects of each entry — tell the registry about a deposit or a revocation,
//! publish the notice of a deposit, a deferral, an effect or a revocation — before moving
//! the cursor past it.
//!
//! A notice carries the proof that its step is in the audit log (the entry's leaf and its
//! inclusion proof in a signed checkpoint), so the relay first waits for the shipper and the
//! checkpointer to have covered the entry.
//!
//! Each effect is retried until it succeeds or the service shuts down, with the same
//! request id (derived from the journal sequence) and the same notice id every time, so a
//! crash between a state change and its publication loses nothing (the journal entry is
//! durable before the relay sees it) and publishes nothing twice (the registry deduplicates
//! by request id, the notification service by notice id).

use std::future::Future;
use std::time::Duration;

use tonic::Status;
use treaty_domain::{NoticeKind, StateCode};
use treaty_ledger::Record;
use treaty_proto::google::r#type::Date as WireDate;
use treaty_proto::notification as npb;
use treaty_proto::registry as rpb;
use treaty_proto::wire::{self, opt_date_to_wire};
use treaty_runtime::{PeerFailure, Shutdown};

use crate::Peers;
use crate::journal::{self, Kind};
use crate::peers::{Audit, Notification, Registry};
use crate::store::ApprovalsStore;
use crate::stored::StoredEvent;

/// The id of the notice of `kind` the relay publishes for a case, e.g. `apmbc-LT-1-deposit`.
pub fn notice_id(case_id: &str, kind: NoticeKind) -> String {
    let suffix = match kind {
        NoticeKind::Deposit => "deposit",
        NoticeKind::Effect => "effect",
        NoticeKind::Deferral => "deferral",
        NoticeKind::Revocation => "revocation",
    };
    format!("{case_id}-{suffix}")
}

const BATCH: usize = 64;
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest wait between attempts when the peer is down or slow.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How long a notice waits for its proof before the wait is logged as a warning: the
/// shipper and the next checkpoint normally take about a second.
const PROOF_PATIENCE: Duration = Duration::from_secs(5);
/// The longest wait between asking again for a proof not yet there.
const NOT_YET_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between attempts when the peer refuses (an operator must look).
const MAX_REFUSED_BACKOFF: Duration = Duration::from_secs(30);

/// One external effect of a journal entry.
#[derive(Debug)]
enum Effect {
    /// Tell the registry about the deposit; the effective date the approvals service expects.
    RecordNotice(rpb::RecordWithdrawalNoticeRequest, Option<WireDate>),
    /// Tell the registry about the revocation.
    RecordRevocation(rpb::RecordRevocationRequest),
    /// Publish a notice.
    Publish(npb::PublishNoticeRequest),
}

/// Runs the relay until `shutdown` triggers.
pub async fn run(store: ApprovalsStore, peers: Peers, shutdown: Shutdown) {
    let relay = Relay {
        registry: Registry::new(&peers),
        notification: Notification::new(&peers),
        audit: Audit::new(&peers),
        shutdown: shutdown.clone(),
    };
    let ledger = store.ledger().clone();
    let mut durable = ledger.watch();
    let mut cursor = loop {
        match store.relay_cursor() {
            Ok(c) => break c,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the relay cursor; retrying");
                if !relay.pause(MAX_BACKOFF).await {
                    return;
                }
            }
        }
    };
    loop {
        if shutdown.is_triggered() {
            return;
        }
        let batch = match ledger.read_after(cursor, BATCH) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the journal to relay it; retrying");
                if !relay.pause(MAX_BACKOFF).await {
                    return;
                }
                continue;
            }
        };
        if batch.is_empty() {
            tokio::select! {
                changed = durable.changed() => if changed.is_err() { return },
                () = shutdown.triggered() => return,
            }
            continue;
        }
        for record in &batch {
            for effect in effects(record) {
                if !relay.perform(record.sequence, effect).await {
                    return;
                }
            }
            cursor = record.sequence;
            if let Err(e) = store.set_relay_cursor(cursor) {
                // Only bookkeeping: after a restart the relay replays from the old cursor.
                tracing::warn!(error = %e, cursor, "cannot save the relay cursor");
            }
        }
    }
}

struct Relay {
    registry: Registry,
    notification: Notification,
    audit: Audit,
    shutdown: Shutdown,
}

impl Relay {
    /// Waits `delay`; false when shutdown came first.
    async fn pause(&self, delay: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(delay) => true,
            () = self.shutdown.triggered() => false,
        }
    }

    /// Performs `effect` until it succeeds; false when shutdown came first.
    async fn perform(&self, sequence: u64, effect: Effect) -> bool {
        match effect {
            Effect::RecordNotice(req, expected) => {
                self.until_done(sequence, "record the notice in the registry", || async {
                    let answer = self.registry.record_notice(req.clone()).await?;
                    if answer.effective_on.is_some() && answer.effective_on != expected {
                        tracing::warn!(case_id = %req.case_id, registry = ?answer.effective_on, approvals = ?expected, "the registry computes another effective date than the approvals service");
                    }
                    Ok(())
                })
                .await
            }
            Effect::RecordRevocation(req) => {
                self.until_done(sequence, "record the revocation in the registry", || {
                    self.registry.record_revocation(req.clone())
                })
                .await
            }
            Effect::Publish(mut req) => {
                let Some(proof) = self.proof(sequence).await else {
                    return false;
                };
                if let Some(notice) = req.notice.as_mut() {
                    notice.proof = Some(proof);
                }
                self.until_done(sequence, "publish the notice", || async {
                    self.notification.publish(req.clone()).await.map(|_| ())
                })
                .await
            }
        }
    }

    /// The proof the notice of journal entry `sequence` carries: its leaf in the audit log
    /// and the inclusion proof in a signed checkpoint. The entry reaches the log with the
    /// shipper and a checkpoint within about a second, so "not yet" is asked again soon;
    /// `None` when shutdown came first.
    async fn proof(&self, sequence: u64) -> Option<npb::NoticeProof> {
        let started = tokio::time::Instant::now();
        // The log signs soon when a proof is waited for: ask again soon.
        let mut backoff = Duration::from_millis(2);
        loop {
            if self.shutdown.is_triggered() {
                return None;
            }
            let answer = tokio::select! {
                answer = self.audit.notice_proof(sequence) => answer,
                () = self.shutdown.triggered() => return None,
            };
            let status = match answer {
                Ok(proof) => return Some(proof),
                Err(status) => status,
            };
            let not_yet = matches!(
                status.code(),
                tonic::Code::NotFound | tonic::Code::FailedPrecondition
            );
            let waited = started.elapsed();
            let cap = if not_yet {
                NOT_YET_BACKOFF
            } else if PeerFailure::of(&status).is_transient() {
                MAX_BACKOFF
            } else {
                MAX_REFUSED_BACKOFF
            };
            if !not_yet || waited > PROOF_PATIENCE {
                tracing::warn!(sequence, code = ?status.code(), message = status.message(), waited = ?waited, "the notice waits for the proof that its step is in the audit log (is the shipper or the checkpointer behind?)");
            }
            if !self.pause(backoff).await {
                return None;
            }
            // Not there yet within the first second: the log signs within milliseconds when
            // asked, so keep asking as often; after that, back off.
            if !(not_yet && waited < Duration::from_secs(1)) {
                backoff = (backoff * 2).min(cap);
            }
        }
    }

    async fn until_done<F, Fut>(&self, sequence: u64, what: &str, mut call: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), Status>>,
    {
        let mut backoff = FIRST_BACKOFF;
        loop {
            if self.shutdown.is_triggered() {
                return false;
            }
            let answer = tokio::select! {
                answer = call() => answer,
                () = self.shutdown.triggered() => return false,
            };
            let status = match answer {
                Ok(()) => return true,
                Err(status) => status,
            };
            let transient = PeerFailure::of(&status).is_transient();
            let cap = if transient {
                tracing::warn!(sequence, code = ?status.code(), message = status.message(), retry_in = ?backoff, "cannot {what} yet; will retry");
                MAX_BACKOFF
            } else {
                tracing::error!(sequence, code = ?status.code(), message = status.message(), retry_in = ?backoff, "the peer refused to {what}; the relay waits and retries (later notices wait too)");
                MAX_REFUSED_BACKOFF
            };
            if !self.pause(backoff).await {
                return false;
            }
            backoff = (backoff * 2).min(cap);
        }
    }
}

/// The external effects of a journal entry, in the order they must happen.
fn effects(record: &Record) -> Vec<Effect> {
    match Kind::parse(&record.kind) {
        Some(
            Kind::InstrumentDeposited
            | Kind::WithdrawalRevoked
            | Kind::WithdrawalDeferred
            | Kind::WithdrawalTookEffect,
        ) => {}
        Some(
            Kind::JointStatementIssued
            | Kind::WithdrawalOpened
            | Kind::RecommendationRecorded
            | Kind::GovernmentDecisionRecorded
            | Kind::ChamberVoteRecorded
            | Kind::HeadOfStateAssentRecorded,
        )
        | None => return Vec::new(),
    }
    let event = match journal::read_case_event(&record.payload) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(sequence = record.sequence, error = %e, "a journal entry's payload is unreadable; its notice cannot be sent");
            return Vec::new();
        }
    };
    let id = |what: &str| format!("approvals/{}/{}/{what}", event.case_id, record.sequence);
    let name = StateCode::parse(&event.state).map_or(event.state.clone(), |s| s.name().to_owned());
    let who = format!("{name} ({})", event.state);
    let notice = |kind: NoticeKind, circulated: Option<jiff::civil::Date>, text: String| {
        let wire_kind = match kind {
            NoticeKind::Deposit => npb::NoticeKind::Deposit,
            NoticeKind::Effect => npb::NoticeKind::Effect,
            NoticeKind::Deferral => npb::NoticeKind::Deferral,
            NoticeKind::Revocation => npb::NoticeKind::Revocation,
        };
        npb::PublishNoticeRequest {
            request_id: id("notice"),
            notice: Some(npb::Notice {
                notice_id: notice_id(&event.case_id, kind),
                kind: wire_kind.into(),
                treaty: event.treaty.clone(),
                state: event.state.clone(),
                case_id: event.case_id.clone(),
                received_on: opt_date_to_wire(event.received_on),
                circulated_on: opt_date_to_wire(circulated),
                effective_on: opt_date_to_wire(event.effective_on),
                reasons: event.reasons.clone().unwrap_or_default(),
                text,
                ..npb::Notice::default()
            }),
        }
    };
    let treaty = &event.treaty;
    let Some(step) = &event.step else {
        return Vec::new();
    };
    match &step.event {
        StoredEvent::InstrumentDeposited {
            received_on,
            reasons,
            ..
        } => {
            let received = *received_on;
            let effect = match event.effective_on {
                Some(on) => format!("it takes effect on {on}"),
                None => "an armed conflict defers its effect".to_owned(),
            };
            let text = format!(
                "{who} deposited an instrument of withdrawal from {treaty}, received by the depositary on {received}; {effect}. Statement of reasons: {reasons}"
            );
            vec![
                Effect::RecordNotice(
                    rpb::RecordWithdrawalNoticeRequest {
                        request_id: id("record-notice"),
                        treaty: treaty.clone(),
                        state: event.state.clone(),
                        case_id: event.case_id.clone(),
                        received_on: Some(wire::date_to_wire(received)),
                        approved_on: opt_date_to_wire(event.approved_on),
                        reasons: reasons.clone(),
                        sources: step.sources.clone(),
                    },
                    opt_date_to_wire(event.effective_on),
                ),
                Effect::Publish(notice(NoticeKind::Deposit, Some(received), text)),
            ]
        }
        StoredEvent::Revoked { on } if event.received_on.is_some() => {
            let text = format!(
                "{who} revoked on {on} its notice of withdrawal from {treaty} (notice {}); it remains a party",
                notice_id(&event.case_id, NoticeKind::Deposit)
            );
            vec![
                Effect::RecordRevocation(rpb::RecordRevocationRequest {
                    request_id: id("record-revocation"),
                    treaty: treaty.clone(),
                    state: event.state.clone(),
                    case_id: event.case_id.clone(),
                    revoked_on: Some(wire::date_to_wire(*on)),
                    sources: step.sources.clone(),
                }),
                Effect::Publish(notice(NoticeKind::Revocation, Some(*on), text)),
            ]
        }
        StoredEvent::Deferred { on, conflict } => {
            let text = format!(
                "The withdrawal of {who} from {treaty} did not take effect on {on}: the state was engaged in the armed conflict {} on that day; it takes effect when that conflict ends",
                conflict.name
            );
            vec![Effect::Publish(notice(
                NoticeKind::Deferral,
                Some(*on),
                text,
            ))]
        }
        StoredEvent::TookEffect { on, .. } => {
            let text = format!(
                "The withdrawal of {who} from {treaty} took effect on {on}; it is no longer a party"
            );
            vec![Effect::Publish(notice(NoticeKind::Effect, Some(*on), text))]
        }
        // A case revoked before its deposit told nobody; the other steps tell nobody either.
        StoredEvent::Revoked { .. }
        | StoredEvent::Recommended { .. }
        | StoredEvent::GovernmentDecided { .. }
        | StoredEvent::ChamberVoted { .. }
        | StoredEvent::HeadOfStateAssented { .. } => Vec::new(),
    }
}
