//! `treaty bench`: every target of DESIGN.md §6, each next to a baseline
//! measured in the same run on the same machine, because absolute numbers on
//! shared 2-core machines move from run to run. Targets are ratios.
//!
//! [`run`] measures and returns the figures; the binary prints them. Progress
//! goes to stderr unless `--json`.

#![forbid(unsafe_code)]

mod checkpoint;
mod error;
mod fanout;
mod history;
mod load;

use std::path::Path;
use std::time::Duration;

use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use treaty_auth::Permission;
use treaty_node::LocalNode;
use treaty_proto::registry::{self as reg, registry_service_client::RegistryServiceClient};
use treaty_runtime::Bearer;

pub use error::BenchError;
pub use load::{Sample, percentile, run_async, run_threads};

/// `treaty bench` options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// A scaled-down smoke run: short windows, a 10k-entry log instead of 1M, few repeats.
    #[arg(long)]
    pub quick: bool,
    /// Print one JSON object with every figure, its baseline and the ratio.
    #[arg(long)]
    pub json: bool,
    /// Seconds per timed window (default 3, or 1 with --quick).
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Entries in the large log (default 1,000,000, or 10,000 with --quick).
    #[arg(long)]
    pub log_entries: Option<u64>,
}

/// How big the run is.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// Discarded warm-up before each window.
    pub warmup: Duration,
    /// Each timed window.
    pub window: Duration,
    /// Entries in the large log.
    pub big_log: u64,
    /// Entries in the small log.
    pub small_log: u64,
    /// Fan-out repeats.
    pub repeats: usize,
}

impl Scale {
    fn from(args: &BenchArgs) -> Scale {
        let window =
            Duration::from_secs_f64(args.seconds.unwrap_or(if args.quick { 1.0 } else { 3.0 }));
        Scale {
            warmup: window / 3,
            window,
            big_log: args
                .log_entries
                .unwrap_or(if args.quick { 10_000 } else { 1_000_000 }),
            small_log: 1_000,
            repeats: if args.quick { 5 } else { 30 },
        }
    }
}

/// One reported figure.
#[derive(Clone, Debug)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    /// What it is compared with.
    pub baseline_name: String,
    /// The baseline's value, same run.
    pub baseline: f64,
    /// The target, in words, if DESIGN.md §6 sets one.
    pub target: Option<String>,
    /// Whether the target is met.
    pub met: Option<bool>,
}

impl Figure {
    /// The value over the baseline (0 without a baseline).
    pub fn ratio(&self) -> f64 {
        if self.baseline == 0.0 {
            0.0
        } else {
            self.value / self.baseline
        }
    }
}

fn fig(
    name: impl Into<String>,
    value: f64,
    unit: &'static str,
    baseline_name: impl Into<String>,
    baseline: f64,
) -> Figure {
    Figure {
        name: name.into(),
        value,
        unit,
        baseline_name: baseline_name.into(),
        baseline,
        target: None,
        met: None,
    }
}

fn target(mut f: Figure, target: impl Into<String>, met: bool) -> Figure {
    f.target = Some(target.into());
    f.met = Some(met);
    f
}

/// Starts the suite the benchmark measures, every service in this process, with `durability`.
async fn start_suite(durability: treaty_runtime::Durability) -> Result<LocalNode, BenchError> {
    let suite = LocalNode::builder()
        .configure(|c| {
            c.durability = durability;
            c.scheduler_tick = Duration::from_millis(200);
        })
        .start()
        .await?;
    Ok(suite)
}

/// The same suite without its trust boundary (plaintext, every call allowed): the baseline
/// of what TLS and tokens cost, measured in the same run.
async fn start_unchecked_suite() -> Result<LocalNode, BenchError> {
    let suite = LocalNode::builder()
        .configure(|c| {
            c.durability = treaty_runtime::Durability::Fsync;
            c.scheduler_tick = Duration::from_millis(200);
        })
        .unchecked_baseline()
        .start()
        .await?;
    Ok(suite)
}

/// The registry administrator's token for the durable steps, from `suite`'s own issuer.
fn administrator(suite: &LocalNode) -> Result<Bearer, BenchError> {
    Ok(suite
        .dev()?
        .bearer("treaty-bench", &[Permission::RegistryAdmin])?)
}

fn progress(json: bool, what: &str) {
    if !json {
        eprintln!("  measuring {what} …");
    }
}

/// What a run measured, at which scale.
#[derive(Clone, Debug)]
pub struct Report {
    /// The scale of the run.
    pub scale: Scale,
    /// Every figure, in the order measured.
    pub figures: Vec<Figure>,
}

/// Runs the benchmark. `treaty` is the `treaty` binary, whose cold start and
/// memory are measured as a `treaty serve audit` child process.
pub async fn run(args: &BenchArgs, treaty: &Path) -> Result<Report, BenchError> {
    let scale = Scale::from(args);
    let q = args.json;
    let mut figures = Vec::new();
    if !q {
        eprintln!(
            "treaty bench: {} s windows, {} s warm-up, a {}-entry log (use --quick for a smoke run)",
            scale.window.as_secs_f64(),
            scale.warmup.as_secs_f64(),
            scale.big_log
        );
    }

    let fsync = start_suite(treaty_runtime::Durability::Fsync).await?;
    let flush = start_suite(treaty_runtime::Durability::Flush).await?;
    let mut ping = Vec::new();
    let mut sled_raw = Vec::new();
    for c in [1, 64] {
        progress(q, &format!("bare grpc.health.v1 Check at concurrency {c}"));
        let health = HealthClient::new(fsync.channel());
        let s = run_async(c, scale.warmup, scale.window, move |_| {
            let mut h = health.clone();
            async move {
                h.check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(drop)
                .map_err(|e| e.to_string())
            }
        })
        .await;
        figures.push(fig(
            format!("bare ping c={c} throughput"),
            s.rate(),
            "req/s",
            "—",
            0.0,
        ));
        figures.push(fig(
            format!("bare ping c={c} p50"),
            s.percentile_ms(50),
            "ms",
            "—",
            0.0,
        ));
        figures.push(fig(
            format!("bare ping c={c} p99"),
            s.percentile_ms(99),
            "ms",
            "—",
            0.0,
        ));
        ping.push(s);

        progress(q, &format!("raw sled insert+flush at concurrency {c}"));
        let dir = tempfile::tempdir()?;
        let db = sled::open(dir.path())?;
        let value = vec![7_u8; 200];
        let s = run_threads(c, scale.warmup, scale.window, move |i| {
            db.insert(i.to_be_bytes(), value.as_slice())
                .map_err(|e| e.to_string())?;
            db.flush().map(drop).map_err(|e| e.to_string())
        });
        figures.push(fig(
            format!("raw sled insert+flush c={c} throughput"),
            s.rate(),
            "ops/s",
            "—",
            0.0,
        ));
        figures.push(fig(
            format!("raw sled insert+flush c={c} p50"),
            s.percentile_ms(50),
            "ms",
            "—",
            0.0,
        ));
        sled_raw.push(s);
    }

    for (level, suite) in [("fsync", &fsync), ("flush", &flush)] {
        for (i, c) in [1, 64].into_iter().enumerate() {
            progress(
                q,
                &format!("durable recorded steps ({level}) at concurrency {c}"),
            );
            let s = durable_steps(suite.channel(), administrator(suite)?, c, scale, level).await;
            if s.errors > 0 {
                return Err(
                    format!("{} recorded steps failed during the benchmark", s.errors).into(),
                );
            }
            let rate = fig(
                format!("durable steps ({level}) c={c} throughput"),
                s.rate(),
                "steps/s",
                format!("bare ping c={c}"),
                ping[i].rate(),
            );
            if c == 64 {
                let vs_ping = s.rate() / ping[i].rate();
                let vs_sled = s.rate() / sled_raw[i].rate();
                figures.push(target(rate, "≥ 30% of bare ping", vs_ping >= 0.30));
                figures.push(target(
                    fig(
                        format!("durable steps ({level}) c=64 vs raw sled"),
                        s.rate(),
                        "steps/s",
                        "raw sled insert+flush c=64",
                        sled_raw[i].rate(),
                    ),
                    "≥ 1.5× raw sled insert+flush",
                    vs_sled >= 1.5,
                ));
            } else {
                figures.push(rate);
                let budget = sled_raw[0].percentile_ms(50) + 2.0 * ping[0].percentile_ms(50);
                figures.push(target(
                    fig(
                        format!("durable step ({level}) c=1 p50"),
                        s.percentile_ms(50),
                        "ms",
                        "raw sled p50 + 2 × ping p50",
                        budget,
                    ),
                    "≤ baseline",
                    s.percentile_ms(50) <= budget,
                ));
            }
        }
    }

    progress(
        q,
        "durable steps (fsync) at concurrency 64 over TLS with a token, and without the trust boundary",
    );
    let unchecked = start_unchecked_suite().await?;
    let tls = fsync.tls_channel(&fsync.dev()?.client_tls()).await?;
    let with = durable_steps(tls, administrator(&fsync)?, 64, scale, "tls").await;
    let without = durable_steps(unchecked.channel(), Bearer::none(), 64, scale, "plain").await;
    unchecked.stop().await?;
    if with.errors > 0 || without.errors > 0 {
        return Err(format!(
            "{} recorded steps failed during the trust-boundary comparison",
            with.errors + without.errors
        )
        .into());
    }
    let ratio = with.rate() / without.rate();
    figures.push(target(
        fig(
            "durable steps (fsync) c=64, TLS and tokens",
            with.rate(),
            "steps/s",
            "plaintext without TLS or tokens c=64",
            without.rate(),
        ),
        "≥ 0.8× without the trust boundary",
        ratio >= 0.8,
    ));
    figures.push(fig(
        "durable step (fsync) c=64 p50, TLS and tokens",
        with.percentile_ms(50),
        "ms",
        "plaintext without TLS or tokens c=64 p50",
        without.percentile_ms(50),
    ));

    progress(q, "how soon an acknowledged step is in a signed checkpoint");
    figures.extend(checkpoint::measure(scale).await?);

    progress(q, "a notice fanned out to every other party's live stream");
    figures.extend(fanout::measure(&fsync, scale, ping[0].percentile_ms(50)).await?);
    fsync.stop().await?;
    flush.stop().await?;

    figures.extend(history::measure(treaty, scale, q).await?);
    Ok(Report { scale, figures })
}

/// Durable recorded steps: `SetApprovalProcedure` on the registry, a real
/// mutation (state change + journal entry, durable, answered) whose stored
/// state does not grow as the benchmark runs.
async fn durable_steps(
    channel: Channel,
    bearer: Bearer,
    concurrency: usize,
    scale: Scale,
    run: &str,
) -> Sample {
    let client = RegistryServiceClient::new(channel);
    let states = ["FR", "DE", "NO", "SE", "DK", "NL", "BE", "AT"];
    let run = run.to_owned();
    run_async(concurrency, scale.warmup, scale.window, move |i| {
        let mut c = client.clone();
        let req = approval_procedure(
            format!("bench-{run}-{concurrency}-{i}"),
            states[(i as usize) % states.len()],
            i % 2 == 0,
        );
        let req = bearer.request(req);
        async move {
            c.set_approval_procedure(req)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    })
    .await
}

/// A `SetApprovalProcedure` of `state` (one chamber, simple majority, with or without the head
/// of state's assent): the benchmark's durable step.
fn approval_procedure(
    request_id: String,
    state: &str,
    head_of_state_assent: bool,
) -> reg::SetApprovalProcedureRequest {
    reg::SetApprovalProcedureRequest {
        request_id,
        state: state.to_owned(),
        procedure: Some(reg::ApprovalProcedure {
            chambers: vec![reg::Chamber {
                name: "parliament".to_owned(),
                threshold: Some(reg::Threshold {
                    kind: reg::ThresholdKind::SimpleMajority.into(),
                    ..Default::default()
                }),
            }],
            head_of_state_assent,
            sources: vec!["treaty bench".to_owned()],
        }),
    }
}
