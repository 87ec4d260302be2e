//! Small functions over STS: temporary credentials, each secret part moved straight into a
//! [`Sensitive`].

use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::secret::Sensitive;

/// Temporary credentials; the secret and the token never exist outside a [`Sensitive`].
pub struct SessionCredentials {
    pub access_key_id: String,
    pub secret: Sensitive,
    pub session_token: Sensitive,
    /// When AWS says they stop working (RFC 3339), when it says.
    pub expiration: Option<String>,
}

impl std::fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// sts:GetSessionToken with the client's (long-lived) credentials: what credential-process
/// hands an application instead of the stored key.
pub async fn session_token(
    sts: &aws_sdk_sts::Client,
    duration_seconds: i32,
) -> Result<SessionCredentials, AwsFailure> {
    let reply = sts
        .get_session_token()
        .duration_seconds(duration_seconds)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("sts:GetSessionToken", &e))?;
    taken("sts:GetSessionToken", reply.credentials)
}

/// The reply's strings moved out (never copied) into [`Sensitive`]s.
fn taken(
    action: &'static str,
    credentials: Option<aws_sdk_sts::types::Credentials>,
) -> Result<SessionCredentials, AwsFailure> {
    let Some(mut credentials) = credentials else {
        return Err(AwsFailure {
            action,
            kind: AwsFailureKind::Other,
            code: None,
            message: "STS returned no credentials".into(),
            status: None,
        });
    };
    let expiration = aws_smithy_types::DateTime::fmt(
        &credentials.expiration,
        aws_smithy_types::date_time::Format::DateTime,
    )
    .ok();
    Ok(SessionCredentials {
        access_key_id: std::mem::take(&mut credentials.access_key_id),
        secret: Sensitive::new(std::mem::take(&mut credentials.secret_access_key)),
        session_token: Sensitive::new(std::mem::take(&mut credentials.session_token)),
        expiration,
    })
}

/// sts:AssumeRole once; the caller decides whether a refusal is worth waiting out.
pub async fn assume_role(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
    session_name: &str,
) -> Result<SessionCredentials, AwsFailure> {
    let reply = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(session_name)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("sts:AssumeRole", &e))?;
    taken("sts:AssumeRole", reply.credentials)
}

/// Whose credentials these are (sts:GetCallerIdentity needs no permission).
pub async fn caller_arn(sts: &aws_sdk_sts::Client) -> Result<String, AwsFailure> {
    sts.get_caller_identity()
        .send()
        .await
        .map(|who| who.arn().unwrap_or_default().to_string())
        .map_err(|e| AwsFailure::from_sdk("sts:GetCallerIdentity", &e))
}
