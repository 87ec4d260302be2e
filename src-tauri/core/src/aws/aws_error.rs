//! Turns SDK errors into what an admin can act on: which AWS action failed and why, in words.
//! The SDK's own Debug output (request dumps, headers) never leaves this module. The failure
//! types themselves live in [`crate::error::aws`], below every layer that reports them.

use crate::error::aws::{AwsFailure, AwsFailureKind};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

impl AwsFailure {
    /// Maps an SDK error from `action`. Also copes with emulators that answer a refusal with a bare
    /// HTTP 403 and a body the SDK cannot parse.
    pub fn from_sdk<E>(action: &'static str, error: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = error.raw_response().map(|r| r.status().as_u16());
        // Credentials that could not be loaded stop a request before it is sent: not a lost
        // reply (nothing to look for) and not the network (the admin must sign in again).
        if let Some(problem) = crate::aws::connect::credentials_problem(error) {
            return AwsFailure {
                action,
                kind: AwsFailureKind::InvalidCredentials,
                code: None,
                message: format!("no AWS credentials could be loaded: {problem}"),
                status: None,
            };
        }
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
        Some(
            "NoSuchEntity"
            | "NotFoundException"
            | "NoSuchEntityException"
            | "ResourceNotFoundException",
        ) => AwsFailureKind::NotFound,
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
