//! Turns SDK errors into what an admin can act on: which AWS action failed and why, in words.
//! The SDK's own Debug output (request dumps, headers) never leaves this module.

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
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

    /// Maps an SDK error from `action`. Also copes with emulators that answer a refusal with a bare
    /// HTTP 403 and a body the SDK cannot parse.
    pub fn from_sdk<E>(action: &'static str, error: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = error.raw_response().map(|r| r.status().as_u16());
        let (kind, code, message) = match error {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => (
                AwsFailureKind::Unreachable,
                None,
                "no answer from the AWS endpoint".to_string(),
            ),
            SdkError::ConstructionFailure(_) => (
                AwsFailureKind::Other,
                None,
                "the request could not be built".to_string(),
            ),
            _ => {
                let code = error.code().map(str::to_string).or_else(|| {
                    error
                        .raw_response()
                        .and_then(|r| r.body().bytes())
                        .and_then(code_in_body)
                });
                let message = error.message().unwrap_or_default().to_string();
                (classify(code.as_deref(), status), code, message)
            }
        };
        AwsFailure {
            action,
            kind,
            code,
            message,
            status,
        }
    }
}

/// The error code in a body the SDK could not parse: some endpoints (and emulators) wrap query
/// errors as `<Errors><Error>` or answer a JSON service in XML.
fn code_in_body(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    let code = text[start..end].trim();
    (!code.is_empty() && code.len() < 100).then(|| code.to_string())
}

fn classify(code: Option<&str>, status: Option<u16>) -> AwsFailureKind {
    match code {
        Some(
            "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "AuthorizationError",
        ) => AwsFailureKind::AccessDenied,
        Some(
            "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "InvalidSignatureException",
        ) => AwsFailureKind::InvalidCredentials,
        Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired") => {
            AwsFailureKind::ExpiredCredentials
        }
        Some("Throttling" | "ThrottlingException" | "TooManyRequestsException") => {
            AwsFailureKind::Throttled
        }
        Some("NoSuchEntity" | "NotFoundException" | "NoSuchEntityException") => {
            AwsFailureKind::NotFound
        }
        Some("EntityAlreadyExists" | "AlreadyExistsException") => AwsFailureKind::AlreadyExists,
        Some("LimitExceeded" | "LimitExceededException") => AwsFailureKind::LimitExceeded,
        Some("DeleteConflict" | "DeleteConflictException") => AwsFailureKind::Conflict,
        _ if status == Some(403) => AwsFailureKind::AccessDenied,
        _ => AwsFailureKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_actionable_kinds() {
        assert_eq!(
            classify(Some("AccessDenied"), Some(403)),
            AwsFailureKind::AccessDenied
        );
        assert_eq!(classify(None, Some(403)), AwsFailureKind::AccessDenied);
        assert_eq!(
            classify(Some("ThrottlingException"), Some(400)),
            AwsFailureKind::Throttled
        );
        assert_eq!(
            classify(Some("InvalidClientTokenId"), Some(403)),
            AwsFailureKind::InvalidCredentials
        );
        assert_eq!(
            classify(Some("InternalFailure"), Some(500)),
            AwsFailureKind::Other
        );
        assert_eq!(
            classify(Some("DeleteConflict"), Some(409)),
            AwsFailureKind::Conflict
        );
    }

    #[test]
    fn codes_are_found_in_bodies_the_sdk_cannot_parse() {
        let body = b"<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error></Errors></ErrorResponse>";
        assert_eq!(code_in_body(body).as_deref(), Some("SignatureDoesNotMatch"));
        assert_eq!(code_in_body(b"{}"), None);
        assert_eq!(code_in_body(b"<Code></Code>"), None);
    }

    #[test]
    fn access_denied_hint_names_the_permission() {
        let failure = AwsFailure {
            action: "iam:PutUserPolicy",
            kind: AwsFailureKind::AccessDenied,
            code: Some("AccessDenied".into()),
            message: "not allowed".into(),
            status: Some(403),
        };
        assert!(failure.hint().contains("iam:PutUserPolicy"));
        assert_eq!(
            failure.to_string(),
            "iam:PutUserPolicy was denied (not allowed)"
        );
    }
}
