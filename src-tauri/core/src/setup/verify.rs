//! Proof that a setup works, with its own credentials only: the access key belongs to the
//! expected principal, and it encrypts and decrypts a random value with the key. Both are polled
//! (bounded) while IAM makes the new key and its policy live, and noticed within a quarter second.

use crate::cancel::Cancel;
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use crate::model::{Progress, ProgressSink, StepId};
use crate::secret::Sensitive;
use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// How long to wait for IAM's eventual consistency; real AWS usually needs 5–20 s.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(60);
/// The longest wait anyone can ask for: an hour. Larger values would overflow the clock.
pub const MAX_LIMIT: Duration = Duration::from_secs(3600);
/// The pause between probes while a phase is young: a credential that becomes live is noticed
/// within this (plus one round trip). Four probes a second from one admin are far below STS's
/// and KMS's request quotas (KMS allows thousands of cryptographic calls a second per account).
const FAST: Duration = Duration::from_millis(250);
/// After the usual propagation window the pace halves, still noticing within half a second.
const FAST_FOR: Duration = Duration::from_secs(20);
const STEADY: Duration = Duration::from_millis(500);
/// A throttled probe backs off, doubling from `STEADY`, up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What to check: the credentials, the key they must be able to use, and who they must be.
pub struct Probe<'a> {
    pub access_key_id: &'a str,
    pub secret: &'a Sensitive,
    pub session_token: Option<&'a Sensitive>,
    pub key_arn: &'a str,
    pub expected_arn: &'a str,
}

/// SDK configuration that signs with `probe`'s credentials and nothing else, keeping the admin's
/// region and endpoint.
pub fn config_for(base: &SdkConfig, probe: &Probe<'_>) -> SdkConfig {
    let credentials = Credentials::new(
        probe.access_key_id,
        probe.secret.expose(),
        probe.session_token.map(|t| t.expose().to_string()),
        None,
        "csfle-provisioner-verify",
    );
    base.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

pub async fn verify(
    base: &SdkConfig,
    probe: &Probe<'_>,
    limit: Duration,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<(), ProvisionError> {
    verify_until(base, probe, deadline_for(limit), limit, sink, cancel).await
}

/// When a wait of `limit` that starts now must end (at most `MAX_LIMIT` away).
pub fn deadline_for(limit: Duration) -> Instant {
    Instant::now() + limit.min(MAX_LIMIT)
}

/// [`verify`] within a deadline an earlier wait already started (a role's proof shares the one
/// its AssumeRole wait began, so the admin's limit bounds both); `limit` is what failures quote.
pub async fn verify_until(
    base: &SdkConfig,
    probe: &Probe<'_>,
    deadline: Instant,
    limit: Duration,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<(), ProvisionError> {
    let config = config_for(base, probe);
    let waiter = Waiter {
        deadline,
        limit,
        sink,
        cancel,
    };
    let sts = aws_sdk_sts::Client::new(&config);
    let kms = aws_sdk_kms::Client::new(&config);
    // Who the key belongs to and what it may do are independent questions: both are asked at
    // once, each on its own schedule, so the proof takes the longer of the two waits, not the sum.
    let identity = async {
        let who = waiter
            .until_live("sts:GetCallerIdentity", "the new access key", || {
                crate::aws::sts::caller_arn(&sts)
            })
            .await?;
        let arn = who.as_str();
        // A role's sessions are "<assumed-role ARN>/<session name>".
        let expected_session = format!("{}/", probe.expected_arn);
        if arn != probe.expected_arn && !arn.starts_with(&expected_session) {
            return Err(ProvisionError::RoundTrip(format!(
                "the access key belongs to {arn}, not {}",
                probe.expected_arn
            )));
        }
        Ok(())
    };
    let round_trip = async {
        let plaintext: [u8; 32] = rand::random();
        let encrypted = waiter
            .until_live("kms:Encrypt", "the key permission", || {
                crate::aws::kms::encrypt(&kms, probe.key_arn, &plaintext)
            })
            .await?;
        let Some(ciphertext) = encrypted else {
            return Err(ProvisionError::RoundTrip(
                "KMS returned no ciphertext".into(),
            ));
        };
        let decrypted = waiter
            .until_live("kms:Decrypt", "the key permission", || {
                crate::aws::kms::decrypt(&kms, probe.key_arn, ciphertext.clone())
            })
            .await?;
        match decrypted {
            Some(blob) if blob.as_ref() == plaintext => Ok(()),
            _ => Err(ProvisionError::RoundTrip(
                "decrypting gave back a different value than was encrypted".into(),
            )),
        }
    };
    futures_util::future::try_join(identity, round_trip)
        .await
        .map(|_| ())
}

/// The polling schedule of one phase. Each phase starts its own, so the wait for the key
/// permission does not inherit a pause grown while the access key was not live yet; the overall
/// bound is the caller's deadline.
#[derive(Debug)]
pub struct Pace {
    started: Instant,
    backoff: Option<Duration>,
}

impl Default for Pace {
    fn default() -> Self {
        Pace::new()
    }
}

impl Pace {
    pub fn new() -> Pace {
        Pace {
            started: Instant::now(),
            backoff: None,
        }
    }

    /// The pause before the next probe; `throttled` says AWS asked us to slow down.
    pub fn next_pause(&mut self, throttled: bool) -> Duration {
        if throttled {
            let grown = self.backoff.map_or(STEADY, |b| (b * 2).min(MAX_BACKOFF));
            self.backoff = Some(grown);
            return grown;
        }
        if let Some(backoff) = self.backoff {
            return backoff;
        }
        if self.started.elapsed() < FAST_FOR {
            FAST
        } else {
            STEADY
        }
    }

    /// Sleeps for the next pause, never past `deadline`; `Cancelled` when the admin cancels.
    pub async fn pause(
        &mut self,
        throttled: bool,
        deadline: Instant,
        cancel: &Cancel,
    ) -> Result<(), ProvisionError> {
        let pause = self
            .next_pause(throttled)
            .min(deadline.saturating_duration_since(Instant::now()));
        tokio::select! {
            _ = tokio::time::sleep(pause) => Ok(()),
            _ = cancel.cancelled() => Err(ProvisionError::Cancelled),
        }
    }
}

struct Waiter<'a> {
    deadline: Instant,
    limit: Duration,
    sink: &'a dyn ProgressSink,
    cancel: &'a Cancel,
}

impl Waiter<'_> {
    /// Retries `call` while its failure is one that IAM propagation explains, on a fresh
    /// `Pace`, until the shared deadline.
    async fn until_live<T, F, Fut>(
        &self,
        action: &str,
        what: &str,
        call: F,
    ) -> Result<T, ProvisionError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, AwsFailure>>,
    {
        let mut pace = Pace::new();
        loop {
            let failure = match call().await {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            if !is_propagation_delay(&failure) {
                return Err(ProvisionError::RoundTrip(failure.to_string()));
            }
            let now = Instant::now();
            if now >= self.deadline {
                return Err(ProvisionError::NotLive {
                    seconds: self.limit.as_secs(),
                    last: failure.to_string(),
                });
            }
            self.sink.emit(Progress::Waiting {
                step: StepId::Verify,
                message: format!(
                    "Waiting for AWS to activate {what} ({action} not accepted yet, {:.1} s so far)",
                    pace.started.elapsed().as_secs_f32()
                ),
            });
            let throttled = failure.kind == AwsFailureKind::Throttled;
            pace.pause(throttled, self.deadline, self.cancel).await?;
        }
    }
}

/// New keys and new policies answer these until IAM has propagated them.
fn is_propagation_delay(failure: &AwsFailure) -> bool {
    matches!(
        failure.kind,
        AwsFailureKind::InvalidCredentials
            | AwsFailureKind::AccessDenied
            | AwsFailureKind::Throttled
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_young_phase_polls_fast_and_a_throttled_one_backs_off_to_a_bound() {
        let mut pace = Pace::new();
        assert_eq!(pace.next_pause(false), FAST);
        assert_eq!(pace.next_pause(false), FAST);
        let mut pauses = vec![];
        for _ in 0..8 {
            pauses.push(pace.next_pause(true));
        }
        assert_eq!(pauses[0], STEADY);
        assert!(pauses.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*pauses.last().unwrap(), MAX_BACKOFF);
        // Once throttled, the phase keeps its slower pace rather than speeding up again.
        assert_eq!(pace.next_pause(false), MAX_BACKOFF);
    }

    #[test]
    fn each_phase_starts_at_the_fast_pace() {
        let mut first = Pace::new();
        for _ in 0..5 {
            first.next_pause(true);
        }
        assert_eq!(Pace::new().next_pause(false), FAST);
    }

    #[tokio::test]
    async fn a_pause_never_passes_the_deadline() {
        let mut pace = Pace::new();
        for _ in 0..5 {
            pace.next_pause(true);
        }
        let deadline = Instant::now() + Duration::from_millis(20);
        let started = Instant::now();
        pace.pause(true, deadline, &Cancel::default())
            .await
            .unwrap();
        assert!(started.elapsed() < MAX_BACKOFF);
    }
}
