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
use treaty_domain::{CaseId, Step};
use treaty_ledger::Clock;
use treaty_runtime::Shutdown;

use crate::Peers;
use crate::error::ApprovalsError;
use crate::peers::Registry;
use crate::store::{ApprovalsStore, NewStep};

/// The task the steps the scheduler records are recorded under (with the approvals service).
pub const TASK: &str = "scheduler";

/// At most this many steps per case per tick: a deferral, then the effect after it.
const MAX_STEPS_PER_TICK: usize = 2;

fn detail(step: &Step, state: &str) -> String {
    match step {
        Step::Deferred { on, conflict } => format!(
            "The notice period expired on {on} while {state} was engaged in the armed conflict {}; the withdrawal takes effect when it ends",
            conflict.name
        ),
        Step::TookEffect { on, .. } => format!("The withdrawal took effect on {on}"),
        Step::Recommended { .. }
        | Step::GovernmentDecided { .. }
        | Step::ChamberVoted(_)
        | Step::HeadOfStateAssented { .. }
        | Step::InstrumentDeposited { .. }
        | Step::Revoked { .. } => step.kind().to_owned(),
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
        let today = treaty_domain::today(clock.now());
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

/// Records every step the domain makes due by `today` on one case.
async fn advance(
    store: &ApprovalsStore,
    registry: &Registry,
    clock: &dyn Clock,
    case_id: &CaseId,
    today: Date,
) -> Result<(), ApprovalsError> {
    let state = case_id.state();
    let conflicts = registry.conflicts(state).await?;
    store.note_conflicts(state, conflicts.clone());
    for _ in 0..MAX_STEPS_PER_TICK {
        let (_, domain) = store.load(case_id)?;
        let Some(step) = domain.due_step(&conflicts, today) else {
            return Ok(());
        };
        let new = NewStep {
            detail: detail(&step, state.as_str()),
            step: step.clone(),
            recorded_at: clock.now(),
            actor: treaty_runtime::Caller::task(treaty_auth::ServiceName::Approvals, TASK).actor,
            sources: Vec::new(),
            known_conflicts: conflicts.clone(),
        };
        match store
            .record_step(None, case_id.clone(), new, "scheduler", |w| w)
            .await
        {
            Ok(_) => tracing::info!(%case_id, step = step.kind(), on = ?step.on(), "recorded"),
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
