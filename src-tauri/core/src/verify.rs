//! Proof that a setup works, with its own credentials only: wait (bounded) until IAM makes the
//! access key live, then encrypt and decrypt a random value with the key.

use crate::aws_error::{AwsFailure, AwsFailureKind};
use crate::cancel::Cancel;
use crate::error::ProvisionError;
use crate::model::{Progress, ProgressSink, StepId};
use crate::secret::Sensitive;
use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_types::Blob;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// How long to wait for IAM's eventual consistency; real AWS usually needs 5–20 s.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(60);
const FIRST_DELAY: Duration = Duration::from_millis(500);
const MAX_DELAY: Duration = Duration::from_secs(5);

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
    let config = config_for(base, probe);
    let deadline = Instant::now() + limit;
    let mut waiter = Waiter {
        deadline,
        limit,
        delay: FIRST_DELAY,
        sink,
        cancel,
    };
    let sts = aws_sdk_sts::Client::new(&config);
    let who = waiter
        .until_live("sts:GetCallerIdentity", "the new access key", || async {
            sts.get_caller_identity()
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("sts:GetCallerIdentity", &e))
        })
        .await?;
    let arn = who.arn().unwrap_or_default();
    // A role's sessions are "<assumed-role ARN>/<session name>".
    let expected_session = format!("{}/", probe.expected_arn);
    if arn != probe.expected_arn && !arn.starts_with(&expected_session) {
        return Err(ProvisionError::RoundTrip(format!(
            "the access key belongs to {arn}, not {}",
            probe.expected_arn
        )));
    }

    let kms = aws_sdk_kms::Client::new(&config);
    let plaintext: [u8; 32] = rand::random();
    let encrypted = waiter
        .until_live("kms:Encrypt", "the key permission", || async {
            kms.encrypt()
                .key_id(probe.key_arn)
                .plaintext(Blob::new(plaintext.to_vec()))
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("kms:Encrypt", &e))
        })
        .await?;
    let Some(ciphertext) = encrypted.ciphertext_blob().cloned() else {
        return Err(ProvisionError::RoundTrip(
            "KMS returned no ciphertext".into(),
        ));
    };
    let decrypted = waiter
        .until_live("kms:Decrypt", "the key permission", || async {
            kms.decrypt()
                .key_id(probe.key_arn)
                .ciphertext_blob(ciphertext.clone())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("kms:Decrypt", &e))
        })
        .await?;
    match decrypted.plaintext() {
        Some(blob) if blob.as_ref() == plaintext => Ok(()),
        _ => Err(ProvisionError::RoundTrip(
            "decrypting gave back a different value than was encrypted".into(),
        )),
    }
}

struct Waiter<'a> {
    deadline: Instant,
    limit: Duration,
    delay: Duration,
    sink: &'a dyn ProgressSink,
    cancel: &'a Cancel,
}

impl Waiter<'_> {
    /// Retries `call` while its failure is one that IAM propagation explains, with exponential
    /// backoff, until the shared deadline.
    async fn until_live<T, F, Fut>(
        &mut self,
        action: &str,
        what: &str,
        call: F,
    ) -> Result<T, ProvisionError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, AwsFailure>>,
    {
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
                message: format!("Waiting for AWS to activate {what} ({action} not accepted yet)"),
            });
            let pause = self.delay.min(self.deadline - now);
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.cancel.cancelled() => return Err(ProvisionError::Cancelled),
            }
            self.delay = (self.delay * 2).min(MAX_DELAY);
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
