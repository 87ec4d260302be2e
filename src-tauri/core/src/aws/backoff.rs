//! One backoff for many reads in flight at once (the setups view): when AWS throttles any of
//! them (`Throttling`, `TooManyRequestsException`), every read waits out the same pause before its
//! next call, instead of each backing off alone and the others hammering on. A read that meets a
//! server error or no answer is retried after its own short pause, without holding the others.
//! A limit on calls in flight (the pool) keeps a listing of hundreds of setups from opening
//! hundreds of connections at once; calls wait for a place in the order they asked.

use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Tries per read, the first one included.
pub const ATTEMPTS: u32 = 5;
const FIRST_PAUSE: Duration = Duration::from_millis(200);
const LONGEST_PAUSE: Duration = Duration::from_secs(10);

/// What the backoff needs to know of a failure.
pub trait Retryable {
    fn throttled(&self) -> bool;
    /// A server error or no answer: worth asking again.
    fn transient(&self) -> bool;
}

impl Retryable for AwsFailure {
    fn throttled(&self) -> bool {
        self.kind == AwsFailureKind::Throttled
    }
    fn transient(&self) -> bool {
        self.kind == AwsFailureKind::Unreachable || self.status.is_some_and(|s| s >= 500)
    }
}

impl Retryable for ProvisionError {
    fn throttled(&self) -> bool {
        matches!(self, ProvisionError::Aws(f) if f.throttled())
    }
    fn transient(&self) -> bool {
        matches!(self, ProvisionError::Aws(f) if f.transient())
    }
}

#[derive(Debug, Default)]
struct State {
    /// No read starts a call before this.
    until: Option<Instant>,
    /// Throttled answers lately: each one doubles the pause, each success halves the streak.
    streak: u32,
}

/// Shared by every read of one listing.
#[derive(Debug, Default)]
pub struct Backoff {
    state: Mutex<State>,
    /// Places for calls in flight; `None`: no limit.
    pool: Option<tokio::sync::Semaphore>,
}

fn pause(n: u32) -> Duration {
    FIRST_PAUSE
        .saturating_mul(1 << n.saturating_sub(1).min(10))
        .min(LONGEST_PAUSE)
}

impl Backoff {
    /// A backoff whose calls are at most `calls` in flight at once.
    pub fn with_pool(calls: usize) -> Backoff {
        Backoff {
            state: Mutex::default(),
            pool: Some(tokio::sync::Semaphore::new(calls.max(1))),
        }
    }

    /// Runs `call` until it succeeds, fails for good, or has been tried [`ATTEMPTS`] times.
    pub async fn run<T, E, F, Fut>(&self, mut call: F) -> Result<T, E>
    where
        E: Retryable,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut attempt = 0;
        loop {
            self.wait().await;
            let place = match &self.pool {
                // The semaphore is never closed, so a place always comes.
                Some(pool) => pool.acquire().await.ok(),
                None => None,
            };
            let outcome = call().await;
            drop(place);
            attempt += 1;
            match &outcome {
                Ok(_) => {
                    self.calm();
                    return outcome;
                }
                Err(e) if attempt < ATTEMPTS && e.throttled() => self.slow_down(),
                Err(e) if attempt < ATTEMPTS && e.transient() => {
                    tokio::time::sleep(pause(attempt)).await;
                }
                Err(_) => return outcome,
            }
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn wait(&self) {
        loop {
            let until = self.state().until;
            match until {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => return,
            }
        }
    }

    fn slow_down(&self) {
        let mut state = self.state();
        state.streak = state.streak.saturating_add(1);
        let until = Instant::now() + pause(state.streak);
        state.until = Some(state.until.map_or(until, |current| current.max(until)));
    }

    fn calm(&self) {
        let mut state = self.state();
        state.streak /= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn failure(kind: AwsFailureKind, status: Option<u16>) -> AwsFailure {
        AwsFailure {
            action: "iam:GetUser",
            kind,
            code: None,
            message: String::new(),
            status,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_throttled_answer_pauses_every_read() {
        let backoff = Backoff::default();
        let calls = AtomicU32::new(0);
        let start = Instant::now();
        let throttled_once = backoff.run(|| async {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(failure(AwsFailureKind::Throttled, Some(400)))
            } else {
                Ok(())
            }
        });
        // Starts after the first read was throttled: it must wait out the same pause.
        let other = async {
            tokio::task::yield_now().await;
            backoff
                .run(|| async { Ok::<_, AwsFailure>(Instant::now()) })
                .await
        };
        let (first, other) = tokio::join!(throttled_once, other);
        assert!(first.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let other_started = other.expect("the other read succeeds");
        assert!(
            other_started - start >= FIRST_PAUSE,
            "the other read waited"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_is_not_retried_and_a_server_error_is_retried_a_few_times() {
        let backoff = Backoff::default();
        let calls = AtomicU32::new(0);
        let denied: Result<(), _> = backoff
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(failure(AwsFailureKind::AccessDenied, Some(403)))
            })
            .await;
        assert!(denied.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        calls.store(0, Ordering::SeqCst);
        let broken: Result<(), _> = backoff
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(failure(AwsFailureKind::Other, Some(500)))
            })
            .await;
        assert!(broken.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), ATTEMPTS);
    }

    #[tokio::test(start_paused = true)]
    async fn the_pool_bounds_the_calls_in_flight() {
        let backoff = Backoff::with_pool(2);
        let (in_flight, most) = (AtomicU32::new(0), AtomicU32::new(0));
        let call = || async {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, AwsFailure>(())
        };
        let started = Instant::now();
        let done = futures_util::future::join_all((0..5).map(|_| backoff.run(call))).await;
        assert!(done.iter().all(Result::is_ok));
        assert_eq!(most.load(Ordering::SeqCst), 2, "never more than the pool");
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(300),
            "five calls, two at a time"
        );
    }

    #[test]
    fn pauses_double_up_to_a_limit() {
        assert_eq!(pause(1), FIRST_PAUSE);
        assert_eq!(pause(2), FIRST_PAUSE * 2);
        assert_eq!(pause(40), LONGEST_PAUSE);
    }
}
