//! Creating things in AWS when replies can be lost. A create whose reply never arrived (reset,
//! timeout, 5xx) may still have happened, and the SDK's own retry would make it twice: a second
//! KMS key nobody knows of, a second access key whose secret nobody has, or "the user already
//! exists" for the run's own user. So creates are sent without the SDK's retry, and after an
//! unknown outcome the run looks (by name and by its run tag) before it decides anything.
//! Resources made a moment ago may also be invisible for a while (read-after-create lag): a
//! "not found" for one of them is waited out within a bound.

use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use std::future::Future;
use std::time::Duration;

/// How often a create is attempted in all when AWS throttles or the outcome stays unknown.
const CREATE_ATTEMPTS: u32 = 4;
/// How long a resource this run just made may stay invisible before "not found" is believed.
pub const LAG_LIMIT: Duration = Duration::from_secs(30);
const FIRST_PAUSE: Duration = Duration::from_millis(200);
const MAX_PAUSE: Duration = Duration::from_secs(2);

/// Per-call SDK settings for a create: no automatic retry, since a retry after a lost reply
/// would repeat work AWS already did.
pub fn iam_no_retry() -> aws_sdk_iam::config::Builder {
    aws_sdk_iam::config::Builder::default()
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
}

/// Same as [`iam_no_retry`] for KMS.
pub fn kms_no_retry() -> aws_sdk_kms::config::Builder {
    aws_sdk_kms::config::Builder::default()
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
}

/// Same as [`iam_no_retry`] for EKS (Pod Identity associations).
pub fn eks_no_retry() -> aws_sdk_eks::config::Builder {
    aws_sdk_eks::config::Builder::default()
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
}

/// When a create was sent: what a lookup finds after an unknown outcome is the run's own only if
/// AWS made it after this moment (a run tag alone could have been copied onto an older one).
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    at: i64,
}

impl Sent {
    /// Taken just before the create is first sent.
    pub fn now() -> Sent {
        Sent {
            at: crate::model::ownership::unix_now(),
        }
    }

    /// Made by this run after the call: it carries the run's tag (`run_tagged`) and AWS made it
    /// (`created_at`, unix seconds) no earlier than the call was sent, allowing for clock skew.
    pub fn made_it(self, run_tagged: bool, created_at: i64) -> bool {
        run_tagged && crate::model::ownership::made_by_call(created_at, self.at)
    }
}

/// What `lookup` found after an unknown outcome.
pub enum Found<T> {
    /// The run's own resource: the lost create did happen.
    Ours(T),
    /// Nothing: the create did not happen and may be sent again.
    Nothing,
    /// Something the run did not make holds the name: a real conflict.
    Conflict(ProvisionError),
}

/// Settles a lookup by name: not found means the create did not happen, the run's own resource
/// (`(made by this run, its ARN)`) is adopted, and anything else holding the name is `conflict`.
pub fn settle(
    looked: Result<(bool, String), AwsFailure>,
    conflict: impl FnOnce() -> ProvisionError,
) -> Result<Found<String>, ProvisionError> {
    match looked {
        Ok((true, arn)) => Ok(Found::Ours(arn)),
        Ok((false, _)) => Ok(Found::Conflict(conflict())),
        Err(failure) if failure.kind == AwsFailureKind::NotFound => Ok(Found::Nothing),
        Err(failure) => Err(failure.into()),
    }
}

/// Sends `create` until it succeeds, is refused, or a lookup settles what happened.
/// `AlreadyExists` also leads to a lookup: it may be the answer to our own lost request.
pub async fn create<T, C, CF, L, LF>(create: C, lookup: L) -> Result<T, ProvisionError>
where
    C: Fn() -> CF,
    CF: Future<Output = Result<T, AwsFailure>>,
    L: Fn() -> LF,
    LF: Future<Output = Result<Found<T>, ProvisionError>>,
{
    let mut pause = FIRST_PAUSE;
    let mut attempt = 1;
    loop {
        let failure = match create().await {
            Ok(made) => return Ok(made),
            Err(failure) => failure,
        };
        let settle = failure.outcome_unknown() || failure.kind == AwsFailureKind::AlreadyExists;
        if settle {
            match lookup().await? {
                Found::Ours(made) => return Ok(made),
                Found::Conflict(error) => return Err(error),
                Found::Nothing if failure.kind == AwsFailureKind::AlreadyExists => {
                    return Err(failure.into())
                }
                Found::Nothing => {}
            }
        } else if failure.kind != AwsFailureKind::Throttled {
            return Err(failure.into());
        }
        if attempt >= CREATE_ATTEMPTS {
            return Err(failure.into());
        }
        attempt += 1;
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// Runs `call`, which acts on something this run just created, again while AWS answers "not
/// found" (read-after-create lag), for at most [`LAG_LIMIT`].
pub async fn through_lag<T, C, CF>(call: C) -> Result<T, AwsFailure>
where
    C: Fn() -> CF,
    CF: Future<Output = Result<T, AwsFailure>>,
{
    let deadline = tokio::time::Instant::now() + LAG_LIMIT;
    let mut pause = FIRST_PAUSE;
    loop {
        match call().await {
            Err(failure)
                if failure.kind == AwsFailureKind::NotFound
                    && tokio::time::Instant::now() + pause < deadline =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn failure(kind: AwsFailureKind, status: Option<u16>) -> AwsFailure {
        AwsFailure {
            action: "iam:CreateUser",
            kind,
            code: None,
            message: String::new(),
            status,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_reply_is_settled_by_looking_not_by_sending_again() {
        let sent = AtomicU32::new(0);
        let made = create(
            || async {
                sent.fetch_add(1, Ordering::SeqCst);
                Err::<String, _>(failure(AwsFailureKind::Unreachable, None))
            },
            || async { Ok(Found::Ours("arn:user".to_string())) },
        )
        .await;
        assert_eq!(made.ok().as_deref(), Some("arn:user"));
        assert_eq!(sent.load(Ordering::SeqCst), 1, "sent once, then looked");
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_found_means_send_again_and_a_conflict_stops() {
        let sent = AtomicU32::new(0);
        let made = create(
            || async {
                if sent.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err(failure(AwsFailureKind::Other, Some(500)))
                } else {
                    Ok("second".to_string())
                }
            },
            || async { Ok(Found::Nothing) },
        )
        .await;
        assert_eq!(made.ok().as_deref(), Some("second"));
        let conflict = create(
            || async { Err::<String, _>(failure(AwsFailureKind::AlreadyExists, Some(409))) },
            || async { Ok(Found::Conflict(ProvisionError::UserExists("app".into()))) },
        )
        .await;
        assert!(matches!(conflict, Err(ProvisionError::UserExists(_))));
    }

    #[tokio::test(start_paused = true)]
    async fn refusals_are_final_and_attempts_are_bounded() {
        let sent = AtomicU32::new(0);
        let denied = create(
            || async {
                sent.fetch_add(1, Ordering::SeqCst);
                Err::<String, _>(failure(AwsFailureKind::AccessDenied, Some(403)))
            },
            || async { Ok(Found::Nothing) },
        )
        .await;
        assert!(denied.is_err());
        assert_eq!(sent.load(Ordering::SeqCst), 1);
        sent.store(0, Ordering::SeqCst);
        let throttled = create(
            || async {
                sent.fetch_add(1, Ordering::SeqCst);
                Err::<String, _>(failure(AwsFailureKind::Throttled, Some(400)))
            },
            || async { Ok(Found::Nothing) },
        )
        .await;
        assert!(throttled.is_err());
        assert_eq!(sent.load(Ordering::SeqCst), CREATE_ATTEMPTS);
    }

    #[tokio::test(start_paused = true)]
    async fn lag_is_waited_out_within_its_bound() {
        let calls = AtomicU32::new(0);
        let done = through_lag(|| async {
            if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(failure(AwsFailureKind::NotFound, Some(404)))
            } else {
                Ok(())
            }
        })
        .await;
        assert!(done.is_ok());
        let started = tokio::time::Instant::now();
        let never =
            through_lag(|| async { Err::<(), _>(failure(AwsFailureKind::NotFound, Some(404))) })
                .await;
        assert!(never.is_err());
        assert!(started.elapsed() <= LAG_LIMIT);
    }
}
