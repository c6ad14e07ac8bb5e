//! How soon an acknowledged step is covered by a signed checkpoint: on a fresh suite (so the
//! registry's journal entry of the `k`-th step is its sequence `k`), each step is answered,
//! then the audit log is asked for that entry's inclusion proof in its latest checkpoint until
//! it has one. The proof's leaf is read back to be sure it is that step.

use std::time::{Duration, Instant};

use treaty_auth::Permission;
use treaty_node::LocalNode;
use treaty_proto::audit::{self as au, audit_service_client::AuditServiceClient};
use treaty_proto::registry::registry_service_client::RegistryServiceClient;

use super::{BenchError, Figure, Scale, fig, percentile, target};

/// The p50 and p99 of the time from a step's answer to its first signed checkpoint: on the
/// log's schedule, and when its proof is waited for (as the relay does for a notice).
pub(super) async fn measure(scale: Scale) -> Result<Vec<Figure>, BenchError> {
    let (scheduled, every) = measure_one(scale, false).await?;
    let (waited, _) = measure_one(scale, true).await?;
    let ms = |w: &[Duration], p: usize| percentile(w, p).as_secs_f64() * 1e3;
    let spacing = treaty_audit::checkpointer::MIN_SPACING.as_secs_f64() * 1e3;
    Ok(vec![
        fig(
            "acknowledged step → signed checkpoint p50",
            ms(&scheduled, 50),
            "ms",
            "checkpoint interval",
            every,
        ),
        target(
            fig(
                "acknowledged step → signed checkpoint p99",
                ms(&scheduled, 99),
                "ms",
                "checkpoint interval",
                every,
            ),
            "≤ 1 s",
            ms(&scheduled, 99) <= 1000.0,
        ),
        fig(
            "acknowledged step → signed checkpoint when its proof is waited for (a notice) p99",
            ms(&waited, 99),
            "ms",
            "least spacing of checkpoints",
            spacing,
        ),
    ])
}

/// When the `k`-th registry entry is first in a signed checkpoint: its proof's leaf. Waited
/// for, the latest checkpoint's proof is asked for (which asks the log to sign soon); else
/// the checkpoints are watched and the proof asked in each new one.
async fn covered(
    audit: &mut AuditServiceClient<tonic::transport::Channel>,
    k: u64,
    waited_for: bool,
    answered: Instant,
) -> Result<Vec<u8>, BenchError> {
    let mut seen = 0;
    loop {
        let tree_size = if waited_for {
            0
        } else {
            let size = audit
                .get_checkpoint(au::GetCheckpointRequest::default())
                .await
                .map_or(0, |c| c.into_inner().tree_size);
            if size == seen {
                0
            } else {
                seen = size;
                size
            }
        };
        if waited_for || tree_size > 0 {
            let asked = audit
                .get_inclusion_proof(au::GetInclusionProofRequest {
                    tree_size,
                    leaf: Some(au::get_inclusion_proof_request::Leaf::SourceEntry(
                        au::SourceEntryRef {
                            source: "registry".into(),
                            sequence: k,
                        },
                    )),
                })
                .await;
            match asked {
                Ok(p) if !p.get_ref().proof.is_empty() => return Ok(p.into_inner().leaf),
                Ok(_) => {}
                Err(s)
                    if matches!(
                        s.code(),
                        tonic::Code::NotFound | tonic::Code::FailedPrecondition
                    ) => {}
                Err(s) => return Err(format!("the audit log failed: {s}").into()),
            }
        }
        if answered.elapsed() > Duration::from_secs(30) {
            return Err(format!("step {k} was not in a signed checkpoint after 30 s").into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The waits of one run of steps on a fresh suite, sorted, and its checkpoint interval (ms).
async fn measure_one(scale: Scale, waited_for: bool) -> Result<(Vec<Duration>, f64), BenchError> {
    let mut interval = Duration::ZERO;
    let suite = LocalNode::builder()
        .configure(|c| {
            c.durability = treaty_runtime::Durability::Fsync;
            interval = c.audit_log.interval;
        })
        .start()
        .await?;
    let bearer = suite
        .dev()?
        .bearer("treaty-bench", &[Permission::RegistryAdmin])?;
    let mut registry = RegistryServiceClient::new(suite.channel());
    let mut audit = AuditServiceClient::new(suite.channel());
    let samples = scale.repeats;
    let mut waits = Vec::with_capacity(samples);
    for k in 1..=samples as u64 {
        // Steps at every phase of the checkpoint schedule, not in step with it.
        let offset = interval.mul_f64((k as f64 * 0.618_034).fract());
        tokio::time::sleep(offset).await;
        let state = ["FR", "DE", "NO", "SE"][(k % 4) as usize];
        registry
            .set_approval_procedure(bearer.request(super::approval_procedure(
                format!("bench-checkpoint-{k}"),
                state,
                k % 2 == 0,
            )))
            .await
            .map_err(|e| format!("a step failed: {e}"))?;
        let answered = Instant::now();
        let leaf = covered(&mut audit, k, waited_for, answered).await?;
        waits.push(answered.elapsed());
        let entry = treaty_ledger::Record::decode(&leaf)
            .map_err(|e| format!("the proved leaf is not an entry: {e}"))?;
        let step = entry
            .origin_record()
            .ok_or("the proved leaf is the log's own")?;
        if step.source != "registry"
            || step.sequence != k
            || step.subject.state.as_deref() != Some(state)
        {
            return Err(format!(
                "the proved leaf is not step {k}: {} {} {:?}",
                step.source, step.sequence, step.subject.state
            )
            .into());
        }
    }
    suite.stop().await?;
    waits.sort();
    Ok((waits, interval.as_secs_f64() * 1e3))
}
