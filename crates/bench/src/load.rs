//! Load generation and latency statistics.

use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one timed run measured.
#[derive(Clone, Debug)]
pub struct Sample {
    /// Operations completed in the timed window.
    pub count: u64,
    /// The timed window.
    pub elapsed: Duration,
    /// Every operation's latency, sorted.
    pub latencies: Vec<Duration>,
    /// Operations that failed (reported, never hidden).
    pub errors: u64,
}

impl Sample {
    /// Operations per second.
    pub fn rate(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`-th percentile latency in milliseconds (`p` in 0..=100).
    pub fn percentile_ms(&self, p: usize) -> f64 {
        percentile(&self.latencies, p).as_secs_f64() * 1e3
    }
}

/// The `p`-th percentile of sorted durations.
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = (sorted.len() * p / 100).min(sorted.len() - 1);
    sorted[i]
}

/// Runs `op` from `concurrency` async tasks: first for `warmup` (discarded), then
/// for `duration`, timing every call.
pub async fn run_async<F, Fut>(
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    op: F,
) -> Sample
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let op = Arc::new(op);
    let mut total = Sample {
        count: 0,
        elapsed: duration,
        latencies: Vec::new(),
        errors: 0,
    };
    for (round, (window, keep)) in [(warmup, false), (duration, true)].into_iter().enumerate() {
        let end = Instant::now() + window;
        let mut tasks = Vec::new();
        for t in 0..concurrency {
            let op = op.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0;
                // Every operation of the run gets its own number (and so its own request id):
                // the measured window must not replay the warm-up's requests.
                let mut i = ((round as u64) << 56) | ((t as u64) << 40);
                while Instant::now() < end {
                    let t0 = Instant::now();
                    match op(i).await {
                        Ok(()) => lat.push(t0.elapsed()),
                        Err(_) => errors += 1,
                    }
                    i += 1;
                }
                (lat, errors)
            }));
        }
        let started = Instant::now();
        for task in tasks {
            if let Ok((lat, errors)) = task.await
                && keep
            {
                total.latencies.extend(lat);
                total.errors += errors;
            }
        }
        if keep {
            total.elapsed = started.elapsed().max(window);
        }
    }
    total.count = total.latencies.len() as u64;
    total.latencies.sort_unstable();
    total
}

/// Runs blocking `op` from `concurrency` OS threads, like [`run_async`].
pub fn run_threads<F>(concurrency: usize, warmup: Duration, duration: Duration, op: F) -> Sample
where
    F: Fn(u64) -> Result<(), String> + Send + Sync + 'static,
{
    let op = Arc::new(op);
    let mut total = Sample {
        count: 0,
        elapsed: duration,
        latencies: Vec::new(),
        errors: 0,
    };
    for (window, keep) in [(warmup, false), (duration, true)] {
        let end = Instant::now() + window;
        let started = Instant::now();
        let handles: Vec<_> = (0..concurrency)
            .map(|t| {
                let op = op.clone();
                std::thread::spawn(move || {
                    let mut lat = Vec::new();
                    let mut errors = 0;
                    let mut i = (t as u64) << 40 | u64::from(keep) << 39;
                    while Instant::now() < end {
                        let t0 = Instant::now();
                        match op(i) {
                            Ok(()) => lat.push(t0.elapsed()),
                            Err(_) => errors += 1,
                        }
                        i += 1;
                    }
                    (lat, errors)
                })
            })
            .collect();
        for h in handles {
            if let Ok((lat, errors)) = h.join()
                && keep
            {
                total.latencies.extend(lat);
                total.errors += errors;
            }
        }
        if keep {
            total.elapsed = started.elapsed().max(window);
        }
    }
    total.count = total.latencies.len() as u64;
    total.latencies.sort_unstable();
    total
}
