//! The effective-date scheduler: on every tick it looks at the cases awaiting their effect
//! (the `pending` index, so a tick costs what is pending, not every case), asks the
//! registry for the state's armed conflicts, and records what the rules say is due by
//! today: the deferral on the expiry date when a conflict covers it, the effect on the
//! expiry date, or the effect on the day the deferring conflict ended.
//!
//! "Today" is the clock's instant as a civil date in UTC. Dates recorded are the legal
//! dates, never today: after downtime the scheduler catches up with the right dates. Each
//! firing is a step with its journal entry (and so a notice, through the relay).

use std::sync::Arc;
use std::time::Duration;

use jiff::civil::Date;
use tokio::time::MissedTickBehavior;
use treaty_domain::{Effect, Withdrawal, WithdrawalStatus};
use treaty_ledger::Clock;
use treaty_runtime::Shutdown;

use crate::Peers;
use crate::convert;
use crate::error::ApprovalsError;
use crate::model::{Day, StoredConflict, StoredEvent};
use crate::peers::Registry;
use crate::store::ApprovalsStore;

/// The principal recorded on the steps the scheduler records.
pub const SCHEDULER_ACTOR: &str = "scheduler";

/// At most this many steps per case per tick: a deferral, then the effect after it.
const MAX_STEPS_PER_TICK: usize = 2;

/// Today's civil date in UTC, by `clock`.
pub fn today(clock: &dyn Clock) -> Date {
    clock.now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// The step the rules make due by `today` for a case awaiting its effect, given the armed
/// conflicts now recorded for the state.
pub fn due_step(
    case: &Withdrawal,
    conflicts: &[StoredConflict],
    today: Date,
) -> Option<StoredEvent> {
    let status = case.status();
    if !matches!(
        status,
        WithdrawalStatus::Notified | WithdrawalStatus::Deferred
    ) {
        return None;
    }
    let periods: Vec<_> = conflicts.iter().map(StoredConflict::to_domain).collect();
    let took_effect = |on: Date| StoredEvent::TookEffect {
        on: Day(on),
        conflicts: conflicts.to_vec(),
    };
    match case.expected_effect(&periods)? {
        Effect::Effective { on } if on <= today => Some(took_effect(on)),
        Effect::Deferred {
            expiry, conflict, ..
        } if status == WithdrawalStatus::Notified && expiry <= today => {
            Some(StoredEvent::Deferred {
                on: Day(expiry),
                conflict: StoredConflict::from_domain(&conflict),
            })
        }
        Effect::Deferred {
            until: Some(end), ..
        } if status == WithdrawalStatus::Deferred && end <= today => Some(took_effect(end)),
        Effect::Effective { .. } | Effect::Deferred { .. } => None,
    }
}

fn detail(event: &StoredEvent, state: &str) -> String {
    match event {
        StoredEvent::Deferred { on, conflict } => format!(
            "The notice period expired on {} while {state} was engaged in the armed conflict {}; the withdrawal takes effect when it ends",
            on.0, conflict.name
        ),
        StoredEvent::TookEffect { on, .. } => format!("The withdrawal took effect on {}", on.0),
        other => other.to_string(),
    }
}

/// Runs the scheduler, ticking every `tick`, until `shutdown` triggers.
pub async fn run(
    store: ApprovalsStore,
    peers: Peers,
    clock: Arc<dyn Clock>,
    tick: Duration,
    shutdown: Shutdown,
) {
    let registry = Registry::new(&peers);
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = shutdown.triggered() => return,
        }
        let today = today(clock.as_ref());
        let pending = match store.pending() {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the cases awaiting effect");
                continue;
            }
        };
        for case_id in pending {
            if shutdown.is_triggered() {
                return;
            }
            let advanced = tokio::select! {
                advanced = advance(&store, &registry, clock.as_ref(), &case_id, today) => advanced,
                () = shutdown.triggered() => return,
            };
            if let Err(e) = advanced {
                tracing::warn!(%case_id, error = %e, "the scheduler could not advance the case; will retry on the next tick");
            }
        }
    }
}

/// Records every step due by `today` on one case.
async fn advance(
    store: &ApprovalsStore,
    registry: &Registry,
    clock: &dyn Clock,
    case_id: &str,
    today: Date,
) -> Result<(), ApprovalsError> {
    let (case, _) = store.load(case_id)?;
    let conflicts = registry.conflicts(&case.state).await?;
    store.note_conflicts(&case.state, conflicts.clone());
    for _ in 0..MAX_STEPS_PER_TICK {
        let (case, domain) = store.load(case_id)?;
        let Some(event) = due_step(&domain, &conflicts, today) else {
            return Ok(());
        };
        let step = convert::new_step(
            event.clone(),
            clock.now(),
            SCHEDULER_ACTOR.to_owned(),
            detail(&event, &case.state),
            Vec::new(),
        );
        match store
            .record_step(None, case_id.to_owned(), step, "scheduler", |w| w)
            .await
        {
            Ok(_) => tracing::info!(%case_id, step = %event, on = ?event.on(), "recorded"),
            // The case moved meanwhile (a revocation, say); the next tick looks again.
            Err(ApprovalsError::Refused { error, .. }) => {
                tracing::debug!(%case_id, %error, "the due step no longer applies");
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
