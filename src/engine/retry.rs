//! The one retry loop: plan reads, apply calls and anything else that calls a provider try a
//! call again while it fails in a way expected to clear ([`ProviderError::is_retryable`]:
//! [`ErrorClass::Retryable`](crate::provider::api::ErrorClass::Retryable), `Throttled`,
//! `Transient`), with delays doubling up to a bound, within a number of attempts and a budget of
//! time.
//!
//! Time is tokio's ([`tokio::time::Instant`], [`tokio::time::sleep`]): the budget is measured on
//! the clock the delays sleep on, so a test with paused time
//! (`#[tokio::test(start_paused = true)]`) runs a two-minute budget at once.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::provider::api::ProviderError;

/// How long and how often to try a call again while it fails in a way expected to clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The most time spent on one call, its attempts and delays together (about two minutes by
    /// default: how long IAM changes take to reach every service).
    pub budget: Duration,
    /// The first delay, doubled after each attempt.
    pub first_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
    /// The most attempts of one call, whatever the delays.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// The policy of apply's calls: what outlasts a role change.
    fn default() -> Self {
        Self {
            budget: Duration::from_secs(120),
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15),
            max_attempts: 40,
        }
    }
}

impl RetryPolicy {
    /// The policy of a plan's reads and listings: four attempts, 250 ms apart then doubling, a
    /// bounded few seconds at most (the SDK has already retried each attempt).
    pub const READS: Self = Self {
        budget: Duration::from_secs(60),
        first_delay: Duration::from_millis(250),
        max_delay: Duration::from_secs(2),
        max_attempts: 4,
    };
}

/// A failed attempt that will be tried again, as [`retry`] reports it.
#[derive(Debug, Clone, Copy)]
pub struct Retrying<'a> {
    /// The attempt that failed, from 1.
    pub attempt: u32,
    /// How long until the next attempt.
    pub delay: Duration,
    /// Why it failed.
    pub error: &'a ProviderError,
}

/// Runs `call` until it succeeds, fails in a way not worth retrying, or `policy` is spent
/// (attempts, or time: an attempt is made only if its delay still fits the budget); calls
/// `on_retry` before each delay. Returns the last attempt's result.
///
/// # Errors
/// The last attempt's error.
///
/// # Examples
/// ```
/// use pipewright::engine::{RetryPolicy, retry};
/// use pipewright::provider::api::{ErrorClass, ProviderError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut left = 2;
/// let answer = retry(&RetryPolicy::READS, || {
///     left -= 1;
///     let r = if left > 0 {
///         Err(ProviderError::new(ErrorClass::Throttled, "ThrottlingException", "slow down"))
///     } else {
///         Ok(42)
///     };
///     async move { r }
/// }, |_| {})
/// .await;
/// assert_eq!(answer, Ok(42));
/// # }
/// ```
pub async fn retry<T, F, Fut>(
    policy: &RetryPolicy,
    mut call: F,
    mut on_retry: impl FnMut(Retrying<'_>),
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let start = Instant::now();
    let mut delay = policy.first_delay;
    let mut attempt = 1;
    loop {
        match call().await {
            Err(error)
                if error.is_retryable()
                    && attempt < policy.max_attempts
                    && start.elapsed() + delay <= policy.budget =>
            {
                on_retry(Retrying {
                    attempt,
                    delay,
                    error: &error,
                });
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(policy.max_delay);
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::api::ErrorClass;

    fn throttled() -> ProviderError {
        ProviderError::new(ErrorClass::Throttled, "ThrottlingException", "slow down")
    }

    #[tokio::test(start_paused = true)]
    async fn retries_within_the_budget_in_tokio_time() {
        let policy = RetryPolicy {
            max_attempts: u32::MAX,
            ..RetryPolicy::default()
        };
        let started = Instant::now();
        let mut attempts = 0;
        let mut delays = Vec::new();
        let r: Result<(), _> = retry(
            &policy,
            || {
                attempts += 1;
                async { Err(throttled()) }
            },
            |r| delays.push(r.delay.as_secs()),
        )
        .await;
        assert_eq!(r, Err(throttled()));
        assert_eq!(delays, [1, 2, 4, 8, 15, 15, 15, 15, 15, 15, 15]);
        assert_eq!(attempts, 12);
        assert_eq!(started.elapsed(), Duration::from_secs(120));
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_the_attempt_cap_and_on_other_errors() {
        let mut attempts = 0;
        let r: Result<(), _> = retry(
            &RetryPolicy::READS,
            || {
                attempts += 1;
                async { Err(throttled()) }
            },
            |_| {},
        )
        .await;
        assert!(r.is_err());
        assert_eq!(attempts, 4);

        let mut attempts = 0;
        let r: Result<(), _> = retry(
            &RetryPolicy::READS,
            || {
                attempts += 1;
                async { Err(ProviderError::other("ValidationException", "no")) }
            },
            |_| {},
        )
        .await;
        assert_eq!(r.map_err(|e| e.code), Err("ValidationException".to_owned()));
        assert_eq!(attempts, 1);
    }
}
