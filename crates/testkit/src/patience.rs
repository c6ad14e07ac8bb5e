//! How long tests wait, and the one way they wait for background effects.
//!
//! A slow or loaded machine can raise every wait at once with
//! `TREATY_TEST_PATIENCE_SECONDS` (a number of seconds, e.g. `300`): it
//! replaces both [`PATIENCE`] and [`READY_TIMEOUT`].

use std::time::Duration;

use treaty_runtime::{Env, Lookup};

/// The variable that sets, in seconds, how long tests wait for anything.
pub const PATIENCE_VARIABLE: &str = "TREATY_TEST_PATIENCE_SECONDS";

/// How long [`eventually`] waits when [`PATIENCE_VARIABLE`] is unset.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// How long a test waits for a node or a process to report SERVING when
/// [`PATIENCE_VARIABLE`] is unset.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How long [`eventually`] waits before failing the test.
pub fn patience() -> Duration {
    patience_in(&Env).unwrap_or(PATIENCE)
}

/// How long a test waits for a node or a process to report SERVING (and for
/// a child process's `listening on` line).
pub fn ready_timeout() -> Duration {
    patience_in(&Env).unwrap_or(READY_TIMEOUT)
}

/// The patience `lookup` sets through [`PATIENCE_VARIABLE`], if any.
///
/// # Panics
///
/// When the value is not a number of seconds greater than zero: a typo must
/// not silently give tests the default.
pub fn patience_in(lookup: &impl Lookup) -> Option<Duration> {
    let value = lookup.get(PATIENCE_VARIABLE)?;
    let seconds = value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok());
    let Some(patience) = seconds else {
        panic!("{PATIENCE_VARIABLE}={value:?} is not a number of seconds above 0, e.g. 300");
    };
    Some(patience)
}

/// Polls `check` every 20 ms until it returns `Some`, failing the test with
/// `what` after [`patience`]: the way tests wait for background effects
/// (relays, schedulers, shippers) instead of sleeping a guessed time.
pub async fn eventually<T>(what: &str, check: impl AsyncFnMut() -> Option<T>) -> T {
    eventually_within(patience(), what, check).await
}

async fn eventually_within<T>(
    patience: Duration,
    what: &str,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {patience:?} waiting for {what} (a slow machine can raise {PATIENCE_VARIABLE})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patience_is_the_variable_in_seconds_when_it_is_set() {
        assert_eq!(
            patience_in(&[(PATIENCE_VARIABLE, "300")]),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            patience_in(&[(PATIENCE_VARIABLE, " 2.5 ")]),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(patience_in(&[("TREATY_LOG", "debug")]), None);
    }

    #[test]
    #[should_panic(expected = "TREATY_TEST_PATIENCE_SECONDS=\"1m\" is not a number of seconds")]
    fn a_patience_that_is_not_a_number_of_seconds_fails_the_test() {
        patience_in(&[(PATIENCE_VARIABLE, "1m")]);
    }

    #[test]
    #[should_panic(expected = "is not a number of seconds above 0")]
    fn a_patience_of_zero_fails_the_test() {
        patience_in(&[(PATIENCE_VARIABLE, "0")]);
    }

    #[tokio::test]
    async fn eventually_returns_what_the_check_found_once_it_finds_it() {
        let mut polls = 0;
        let found = eventually("the third poll", async || {
            polls += 1;
            (polls == 3).then_some(polls)
        })
        .await;
        assert_eq!(found, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "timed out after 50ms waiting for a condition that never holds")]
    async fn eventually_fails_the_test_once_its_patience_is_spent() {
        eventually_within(
            Duration::from_millis(50),
            "a condition that never holds",
            async || None::<()>,
        )
        .await;
    }
}
