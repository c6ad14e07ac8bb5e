//! Retrying calls to peers on UNAVAILABLE, with capped exponential backoff and no jitter.

use std::error::Error as _;
use std::time::Duration;

use tokio::time::Instant;
use tonic::{Code, Status, TimeoutExpired};

/// When and how often [`with_retry`] tries a call again.
///
/// Delays are deterministic (`initial_backoff`, doubled per retry, capped at `max_backoff`), so
/// tests and logs are reproducible; our peers are few, so there is no thundering herd to spread.
/// Retrying stops after `max_attempts` attempts in all, or when the next delay would end past
/// `max_elapsed` from the first attempt, whichever comes first; the last error is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retry, and 0 counts as 1.
    pub max_attempts: u32,
    /// The delay before the first retry.
    pub initial_backoff: Duration,
    /// The largest delay between two attempts.
    pub max_backoff: Duration,
    /// The time budget from the first attempt; no retry starts after it.
    pub max_elapsed: Duration,
    /// Whether a deadline that expired is retried too.
    ///
    /// Only for idempotent calls: the first attempt may have taken effect on the server. Our
    /// mutations qualify when every attempt sends the same `request_id` (AIP-155), because the
    /// server then answers a repeat with the first answer and records nothing twice.
    pub retry_deadline_exceeded: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(10),
            retry_deadline_exceeded: false,
        }
    }
}

impl RetryPolicy {
    /// Returns this policy with expired deadlines retried too, for calls that carry a `request_id`.
    pub fn idempotent(self) -> RetryPolicy {
        RetryPolicy {
            retry_deadline_exceeded: true,
            ..self
        }
    }

    /// Returns the delay before retry number `retry` (1 for the first retry).
    pub fn backoff(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }

    /// Tells whether a call that failed with `status` may be tried again under this policy.
    pub fn is_retryable(&self, status: &Status) -> bool {
        status.code() == Code::Unavailable || (self.retry_deadline_exceeded && is_timeout(status))
    }
}

/// Tells whether `status` reports an expired deadline.
///
/// That is DEADLINE_EXCEEDED from the server, or the CANCELLED that tonic's channel reports when
/// its own per-request timeout fires (its source is a [`TimeoutExpired`]).
pub fn is_timeout(status: &Status) -> bool {
    match status.code() {
        Code::DeadlineExceeded => true,
        Code::Cancelled => {
            let mut source = status.source();
            while let Some(err) = source {
                if err.is::<TimeoutExpired>() {
                    return true;
                }
                source = err.source();
            }
            false
        }
        _ => false,
    }
}

/// Runs `call` until it succeeds, fails with a code the policy does not retry, or the policy gives up.
///
/// `call` builds a fresh request each time; a mutation must put the same `request_id` in every
/// attempt so a retry of an attempt that did take effect changes nothing.
pub async fn with_retry<T, F, Fut>(policy: &RetryPolicy, mut call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    let start = Instant::now();
    let mut attempt = 1;
    loop {
        let status = match call().await {
            Ok(value) => return Ok(value),
            Err(status) => status,
        };
        if !policy.is_retryable(&status) || attempt >= policy.max_attempts {
            return Err(status);
        }
        let delay = policy.backoff(attempt);
        if start.elapsed() + delay > policy.max_elapsed {
            return Err(status);
        }
        tracing::debug!(
            attempt,
            code = ?status.code(),
            message = status.message(),
            ?delay,
            "call failed; retrying"
        );
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn quick(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(4),
            max_elapsed: Duration::from_secs(10),
            retry_deadline_exceeded: false,
        }
    }

    /// Calls `with_retry` with a fake that fails with `code` `failures` times, then succeeds.
    async fn attempts_until(
        policy: &RetryPolicy,
        code: Code,
        failures: u32,
    ) -> (u32, Result<u32, Status>) {
        let count = Cell::new(0);
        let result = with_retry(policy, || {
            count.set(count.get() + 1);
            let n = count.get();
            async move {
                if n <= failures {
                    Err(Status::new(code, "fake"))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        (count.get(), result)
    }

    #[tokio::test]
    async fn unavailable_is_retried_until_it_succeeds() {
        let (count, result) = attempts_until(&quick(5), Code::Unavailable, 3).await;
        assert_eq!(count, 4);
        assert_eq!(result.unwrap(), 4);
    }

    #[tokio::test]
    async fn unavailable_is_retried_at_most_max_attempts_times() {
        let (count, result) = attempts_until(&quick(3), Code::Unavailable, 100).await;
        assert_eq!(count, 3);
        assert_eq!(result.unwrap_err().code(), Code::Unavailable);
    }

    #[tokio::test]
    async fn other_codes_are_not_retried() {
        for code in [
            Code::InvalidArgument,
            Code::FailedPrecondition,
            Code::AlreadyExists,
            Code::Internal,
            Code::DeadlineExceeded,
        ] {
            let (count, result) = attempts_until(&quick(5), code, 100).await;
            assert_eq!(count, 1, "{code:?}");
            assert_eq!(result.unwrap_err().code(), code);
        }
    }

    #[tokio::test]
    async fn an_idempotent_policy_retries_expired_deadlines() {
        let (count, result) =
            attempts_until(&quick(5).idempotent(), Code::DeadlineExceeded, 2).await;
        assert_eq!(count, 3);
        assert!(result.is_ok());
    }

    #[tokio::test]
    async fn retrying_stops_when_the_time_budget_is_spent() {
        let policy = RetryPolicy {
            max_elapsed: Duration::ZERO,
            ..quick(100)
        };
        let (count, result) = attempts_until(&policy, Code::Unavailable, 100).await;
        assert_eq!(count, 1, "no delay fits in a zero budget");
        assert_eq!(result.unwrap_err().code(), Code::Unavailable);
    }

    #[test]
    fn backoff_doubles_from_the_initial_delay_up_to_the_cap() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(300),
            ..RetryPolicy::default()
        };
        let delays: Vec<u64> = (1..=6)
            .map(|r| policy.backoff(r).as_millis() as u64)
            .collect();
        assert_eq!(delays, [50, 100, 200, 300, 300, 300]);
        assert_eq!(policy.backoff(u32::MAX), Duration::from_millis(300));
    }

    #[test]
    fn a_channel_timeout_counts_as_an_expired_deadline() {
        let from_channel = Status::from_error(Box::new(TimeoutExpired(())));
        assert_eq!(from_channel.code(), Code::Cancelled);
        assert!(is_timeout(&from_channel));
        assert!(is_timeout(&Status::deadline_exceeded("late")));
        assert!(!is_timeout(&Status::cancelled("the caller gave up")));
        assert!(!is_timeout(&Status::unavailable("down")));
    }
}
