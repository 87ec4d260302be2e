//! A failed AWS call as the admin is told about it: which action, and why in words. The mapping
//! from SDK errors is in [`crate::aws::aws_error`]; the type lives here so every layer can carry it.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum AwsFailureKind {
    AccessDenied,
    InvalidCredentials,
    ExpiredCredentials,
    Throttled,
    Unreachable,
    NotFound,
    AlreadyExists,
    LimitExceeded,
    /// Something still attached blocks a deletion (IAM's DeleteConflict).
    Conflict,
    Other,
}

/// A failed AWS call: `action` is the IAM action name (`iam:CreateUser`), which is also the
/// permission an admin would need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFailure {
    pub action: &'static str,
    pub kind: AwsFailureKind,
    pub code: Option<String>,
    pub message: String,
    /// The HTTP status when AWS answered at all: a 5xx may still have done the work.
    pub status: Option<u16>,
}

impl std::fmt::Display for AwsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            AwsFailureKind::AccessDenied => "was denied",
            AwsFailureKind::InvalidCredentials => "was rejected: the AWS credentials are not valid",
            AwsFailureKind::ExpiredCredentials => "was rejected: the AWS session has expired",
            AwsFailureKind::Throttled => "was throttled by AWS",
            AwsFailureKind::Unreachable => "could not reach AWS",
            AwsFailureKind::NotFound => "did not find what it looked for",
            AwsFailureKind::AlreadyExists => "found that the resource already exists",
            AwsFailureKind::LimitExceeded => "hit an AWS limit",
            AwsFailureKind::Conflict => "was blocked by something still attached",
            AwsFailureKind::Other => "failed",
        };
        write!(f, "{} {what}", self.action)?;
        if !self.message.is_empty() {
            write!(f, " ({})", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsFailure {}

impl AwsFailure {
    /// True when AWS may have done what was asked even though no success came back: the reply
    /// was lost (reset, timeout) or the service failed after acting (5xx). Looking is the only
    /// way to know; sending the request again could do it twice.
    pub fn outcome_unknown(&self) -> bool {
        self.kind == AwsFailureKind::Unreachable
            || (self.kind == AwsFailureKind::Other && self.status.is_none_or(|s| s >= 500))
    }

    pub fn hint(&self) -> String {
        match self.kind {
            AwsFailureKind::AccessDenied => format!(
                "Your AWS identity lacks the permission {}. Ask your AWS administrator to allow it, or connect with a profile that has it, then try again.",
                self.action
            ),
            AwsFailureKind::InvalidCredentials => "Check the access key of the AWS profile you connected with, or choose another profile.".into(),
            AwsFailureKind::ExpiredCredentials => "Sign in to AWS again (for SSO profiles: aws sso login), then try again.".into(),
            AwsFailureKind::Throttled => "AWS is limiting requests right now. Wait a minute and try again.".into(),
            AwsFailureKind::Unreachable => "Check the network connection (or that the sandbox emulator is running), then try again.".into(),
            AwsFailureKind::NotFound => "Check the name or ARN and the region, then try again.".into(),
            AwsFailureKind::AlreadyExists => "Choose another name, or remove the existing resource first.".into(),
            AwsFailureKind::LimitExceeded => "An AWS account limit was reached. Remove unused resources or ask AWS support to raise the limit.".into(),
            AwsFailureKind::Conflict => "Something someone attached outside this app is still in the way (the message names it). Remove it in the AWS console, then run the same step again: it finishes what is left.".into(),
            AwsFailureKind::Other => "Try again; if it keeps failing, check the AWS Health Dashboard.".into(),
        }
    }
}
