//! `AwsFailure::from_sdk` through real SDK operations: each reply below is what AWS (or the
//! emulator) sends, parsed by the SDK's own deserializers, so these tests fail when the SDK's
//! error metadata changes under the mapping, not only when `classify` does.

use super::{answering, Reply};
use crate::error::aws::{AwsFailure, AwsFailureKind as Kind};
use crate::error::ProvisionError;
use aws_smithy_mocks::mock;

/// One reply and what the mapping promises for it.
#[derive(Debug)]
struct Case {
    reply: Reply,
    kind: Kind,
    code: Option<&'static str>,
    status: Option<u16>,
    /// The text an admin reads in parentheses after "<action> <what happened>".
    message: String,
    /// Whether AWS may have acted anyway, so a create must look before it sends again.
    unknown: bool,
}

/// (HTTP status, error code, kind, outcome unknown) of the service's own error replies.
type Row = (u16, &'static str, Kind, bool);

const IAM_CODES: &[Row] = &[
    (404, "NoSuchEntity", Kind::NotFound, false),
    (403, "AccessDenied", Kind::AccessDenied, false),
    (403, "InvalidClientTokenId", Kind::InvalidCredentials, false),
    (
        403,
        "SignatureDoesNotMatch",
        Kind::InvalidCredentials,
        false,
    ),
    (403, "ExpiredToken", Kind::ExpiredCredentials, false),
    (400, "Throttling", Kind::Throttled, false),
    (409, "EntityAlreadyExists", Kind::AlreadyExists, false),
    (409, "LimitExceeded", Kind::LimitExceeded, false),
    (409, "DeleteConflict", Kind::Conflict, false),
    (400, "ValidationError", Kind::Other, false),
    (500, "ServiceFailure", Kind::Other, true),
];

// KMS answers refusals and missing keys with 400, not 403/404: only the code can tell.
const KMS_CODES: &[Row] = &[
    (400, "NotFoundException", Kind::NotFound, false),
    (400, "AccessDeniedException", Kind::AccessDenied, false),
    (400, "ThrottlingException", Kind::Throttled, false),
    (400, "AlreadyExistsException", Kind::AlreadyExists, false),
    (400, "LimitExceededException", Kind::LimitExceeded, false),
    (
        400,
        "UnrecognizedClientException",
        Kind::InvalidCredentials,
        false,
    ),
    (
        400,
        "InvalidSignatureException",
        Kind::InvalidCredentials,
        false,
    ),
    (
        400,
        "ExpiredTokenException",
        Kind::ExpiredCredentials,
        false,
    ),
    (400, "KMSInvalidStateException", Kind::Other, false),
    (500, "KMSInternalException", Kind::Other, true),
    (503, "DependencyTimeoutException", Kind::Other, true),
];

const STS_CODES: &[Row] = &[
    (403, "InvalidClientTokenId", Kind::InvalidCredentials, false),
    (400, "ExpiredToken", Kind::ExpiredCredentials, false),
    (
        403,
        "SignatureDoesNotMatch",
        Kind::InvalidCredentials,
        false,
    ),
    (403, "AccessDenied", Kind::AccessDenied, false),
    (400, "Throttling", Kind::Throttled, false),
];

/// The cases of a service's own error replies, built by `error(status, code, message)`.
fn coded(rows: &[Row], error: fn(u16, &str, &str) -> Reply) -> Vec<Case> {
    rows.iter()
        .map(|&(status, code, kind, unknown)| {
            let message = format!("what AWS said about {code}");
            Case {
                reply: error(status, code, &message),
                kind,
                code: Some(code),
                status: Some(status),
                message,
                unknown,
            }
        })
        .collect()
}

/// Replies every service can get: from the emulator, a proxy, a load balancer, or nobody.
fn uncoded(action: &str) -> Vec<Case> {
    let lost = "no answer from the AWS endpoint";
    let html = Reply::Http {
        status: 403,
        headers: vec![("content-type", "text/html".into())],
        body: "<html>Forbidden</html>".into(),
    };
    let rows = [
        // The emulator wraps its error in <Errors>, which no SDK parser looks into: the code
        // still comes from the body, the message is lost.
        (
            Reply::moto_refusal(action),
            Kind::AccessDenied,
            Some("AccessDenied"),
            Some(403),
            "",
            false,
        ),
        // No code anywhere: the status alone says "denied".
        (html, Kind::AccessDenied, None, Some(403), "", false),
        (
            Reply::server_error(500),
            Kind::Other,
            None,
            Some(500),
            "",
            true,
        ),
        (
            Reply::server_error(503),
            Kind::Other,
            None,
            Some(503),
            "",
            true,
        ),
        (Reply::Reset, Kind::Unreachable, None, None, lost, true),
        (
            Reply::ConnectTimeout,
            Kind::Unreachable,
            None,
            None,
            lost,
            true,
        ),
    ];
    rows.into_iter()
        .map(|(reply, kind, code, status, message, unknown)| Case {
            reply,
            kind,
            code,
            status,
            message: message.to_string(),
            unknown,
        })
        .collect()
}

fn check(action: &'static str, case: &Case, failure: &AwsFailure) {
    assert_eq!(failure.action, action, "{case:?}");
    assert_eq!(failure.kind, case.kind, "{case:?}");
    assert_eq!(failure.code.as_deref(), case.code, "{case:?}");
    assert_eq!(failure.status, case.status, "{case:?}");
    assert_eq!(failure.message, case.message, "{case:?}");
    assert_eq!(failure.outcome_unknown(), case.unknown, "{case:?}");
    let shown = failure.to_string();
    assert!(shown.starts_with(action), "{case:?}: {shown}");
    if !case.message.is_empty() {
        assert!(shown.ends_with(&format!("({})", case.message)), "{shown}");
    }
}

async fn iam_get_user(reply: &Reply) -> AwsFailure {
    let rule = answering(
        mock!(aws_sdk_iam::Client::get_user),
        std::slice::from_ref(reply),
    );
    let iam = super::iam(&[&rule]);
    let error = iam.get_user().user_name("app").send().await.unwrap_err();
    AwsFailure::from_sdk("iam:GetUser", &error)
}

async fn kms_describe_key(reply: &Reply) -> AwsFailure {
    let rule = answering(
        mock!(aws_sdk_kms::Client::describe_key),
        std::slice::from_ref(reply),
    );
    let kms = super::kms(&[&rule]);
    let error = kms
        .describe_key()
        .key_id("alias/app")
        .send()
        .await
        .unwrap_err();
    AwsFailure::from_sdk("kms:DescribeKey", &error)
}

async fn sts_get_caller_identity(reply: &Reply) -> AwsFailure {
    let rule = answering(
        mock!(aws_sdk_sts::Client::get_caller_identity),
        std::slice::from_ref(reply),
    );
    let sts = super::sts(&[&rule]);
    let error = sts.get_caller_identity().send().await.unwrap_err();
    AwsFailure::from_sdk("sts:GetCallerIdentity", &error)
}

// Paused time: throttles, 5xx and lost replies are retried by the SDK with backoff, which the
// paused clock skips instead of waiting.
#[tokio::test(start_paused = true)]
async fn iam_replies_map_to_what_the_admin_can_act_on() {
    let mut cases = coded(IAM_CODES, Reply::iam_error);
    cases.extend(uncoded("iam:GetUser"));
    for case in cases {
        check("iam:GetUser", &case, &iam_get_user(&case.reply).await);
    }
}

#[tokio::test(start_paused = true)]
async fn kms_replies_map_to_what_the_admin_can_act_on() {
    let mut cases = coded(KMS_CODES, Reply::kms_error);
    cases.extend(uncoded("kms:DescribeKey"));
    for case in cases {
        check(
            "kms:DescribeKey",
            &case,
            &kms_describe_key(&case.reply).await,
        );
    }
}

#[tokio::test(start_paused = true)]
async fn kms_error_types_are_read_from_the_header_and_without_their_namespace() {
    // AWS names the type in X-Amzn-ErrorType with a URL suffix, or in __type with the model's
    // namespace; both must reduce to the bare code `classify` knows.
    let mut cases = coded(KMS_CODES, Reply::kms_error_header);
    let namespaced = |status, code: &str, message: &str| {
        Reply::kms_error(status, &format!("com.amazonaws.kms#{code}"), message)
    };
    cases.extend(coded(KMS_CODES, namespaced));
    for case in cases {
        check(
            "kms:DescribeKey",
            &case,
            &kms_describe_key(&case.reply).await,
        );
    }
}

#[tokio::test(start_paused = true)]
async fn sts_replies_map_to_what_the_admin_can_act_on() {
    let mut cases = coded(STS_CODES, Reply::sts_error);
    cases.extend(uncoded("sts:GetCallerIdentity"));
    for case in cases {
        check(
            "sts:GetCallerIdentity",
            &case,
            &sts_get_caller_identity(&case.reply).await,
        );
    }
}

#[tokio::test]
async fn the_emulators_refusal_with_an_error_type_header_is_still_read_from_the_body() {
    // Newer moto adds X-Amzn-ErrorType to the same XML body; KMS's parser gives up on the body
    // before it looks at the header, so the code must still come from the body.
    let Reply::Http {
        status,
        mut headers,
        body,
    } = Reply::moto_refusal("kms:CreateKey")
    else {
        unreachable!()
    };
    headers.push(("x-amzn-errortype", "AccessDenied".into()));
    let failure = kms_describe_key(&Reply::Http {
        status,
        headers,
        body,
    })
    .await;
    assert_eq!(failure.kind, Kind::AccessDenied);
    assert_eq!(failure.code.as_deref(), Some("AccessDenied"));
}

#[tokio::test(start_paused = true)]
async fn a_reply_that_never_comes_ends_at_the_attempt_timeout_as_unreachable() {
    let rule = answering(mock!(aws_sdk_iam::Client::get_user), &[Reply::Hang]);
    let iam = super::iam(&[&rule]);
    let limit = aws_smithy_types::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(std::time::Duration::from_secs(5))
        .build();
    let error = iam
        .get_user()
        .customize()
        .config_override(aws_sdk_iam::config::Builder::default().timeout_config(limit))
        .send()
        .await
        .unwrap_err();
    // The SDK's own timeout, not a connector error: a different SdkError variant, same meaning.
    assert!(
        matches!(error, aws_sdk_iam::error::SdkError::TimeoutError(_)),
        "{error:?}"
    );
    let failure = AwsFailure::from_sdk("iam:GetUser", &error);
    assert_eq!(failure.kind, Kind::Unreachable);
    assert!(failure.outcome_unknown());
}

#[tokio::test(start_paused = true)]
async fn reads_are_retried_by_the_sdk_and_creates_are_not() {
    let reads = answering(
        mock!(aws_sdk_iam::Client::get_user),
        &[Reply::iam_throttle()],
    );
    let creates = answering(
        mock!(aws_sdk_iam::Client::create_user),
        &[Reply::iam_throttle()],
    );
    let iam = super::iam(&[&reads, &creates]);
    iam.get_user().send().await.unwrap_err();
    let created = iam
        .create_user()
        .user_name("app")
        .customize()
        .config_override(crate::aws::careful::iam_no_retry())
        .send()
        .await;
    let failure = AwsFailure::from_sdk("iam:CreateUser", &created.unwrap_err());
    assert_eq!(failure.kind, Kind::Throttled);
    assert!(reads.num_calls() > 1, "the SDK retries a throttled read");
    assert_eq!(
        creates.num_calls(),
        1,
        "careful::iam_no_retry turns the SDK's retry off"
    );
}

/// Fails a request before it is serialized, as a request that cannot be built fails.
#[derive(Debug)]
struct Unbuildable;

impl aws_smithy_runtime_api::client::interceptors::Intercept for Unbuildable {
    fn name(&self) -> &'static str {
        "Unbuildable"
    }

    fn read_before_execution(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        Err("this request cannot be built".into())
    }
}

/// CreateUser failing before anything is sent; the rule shows whether anything was.
async fn unbuildable_create() -> (AwsFailure, usize) {
    let create = answering(mock!(aws_sdk_iam::Client::create_user), &[Reply::Reset]);
    let iam = super::iam(&[&create]);
    let error = iam
        .create_user()
        .user_name("app")
        .customize()
        .config_override(aws_sdk_iam::config::Builder::default().interceptor(Unbuildable))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, aws_sdk_iam::error::SdkError::ConstructionFailure(_)),
        "{error:?}"
    );
    (
        AwsFailure::from_sdk("iam:CreateUser", &error),
        create.num_calls(),
    )
}

#[tokio::test]
async fn a_request_that_cannot_be_built_was_not_sent() {
    let (failure, sent) = unbuildable_create().await;
    assert_eq!(sent, 0);
    assert_eq!(failure.kind, Kind::Other);
    assert_eq!(failure.message, "the request could not be built");
    assert_eq!((failure.code, failure.status), (None, None));
}

#[tokio::test]
#[ignore = "possible bug: a request that was never sent counts as an unknown outcome \
            (kind Other, no status), so careful::create looks it up and sends it again"]
async fn a_request_that_cannot_be_built_has_a_known_outcome() {
    let (failure, _) = unbuildable_create().await;
    assert!(!failure.outcome_unknown());
}

/// What the admin finally reads: code, message and the hint for a failure.
fn report(failure: AwsFailure) -> crate::error::ErrorReport {
    ProvisionError::from(failure).report(None)
}

#[tokio::test]
async fn a_refusal_tells_the_admin_which_permission_is_missing() {
    let denied = Reply::iam_error(
        403,
        "AccessDenied",
        "not authorized to perform: iam:GetUser",
    );
    let shown = report(iam_get_user(&denied).await);
    assert_eq!(shown.code, "aws-access-denied");
    assert!(shown.hint.contains("iam:GetUser"), "{}", shown.hint);
    assert_eq!(
        shown.message,
        "iam:GetUser was denied (not authorized to perform: iam:GetUser)"
    );
    let kms = report(kms_describe_key(&Reply::moto_refusal("kms:DescribeKey")).await);
    assert_eq!(kms.code, "aws-access-denied");
    assert!(kms.hint.contains("kms:DescribeKey"), "{}", kms.hint);
}

#[tokio::test(start_paused = true)]
async fn throttling_and_not_found_give_their_own_next_step() {
    let throttled = report(kms_describe_key(&Reply::kms_throttle()).await);
    assert_eq!(throttled.code, "aws-throttled");
    assert!(throttled.hint.contains("try again"), "{}", throttled.hint);
    assert!(
        !throttled.hint.contains("kms:DescribeKey"),
        "not a permission problem"
    );
    let missing = Reply::iam_error(
        404,
        "NoSuchEntity",
        "The user with name app cannot be found.",
    );
    let not_found = report(iam_get_user(&missing).await);
    assert_eq!(not_found.code, "aws-not-found");
    assert!(not_found.hint.contains("region"), "{}", not_found.hint);
    assert!(not_found
        .message
        .contains("The user with name app cannot be found."));
    assert_ne!(throttled.hint, not_found.hint);
    let lost = report(iam_get_user(&Reply::Reset).await);
    assert_eq!(lost.code, "aws-unreachable");
    assert!(lost.hint.contains("network"), "{}", lost.hint);
}

#[tokio::test]
#[ignore = "possible bug: any 403 whose code classify does not know becomes AccessDenied, so \
            STS's RegionDisabledException (STS not activated in the region) tells the admin to \
            ask for sts:GetCallerIdentity, which needs no permission at all"]
async fn a_disabled_region_is_not_a_missing_permission() {
    let message = "STS is not activated in this region for account:111122223333.";
    let disabled = Reply::sts_error(403, "RegionDisabledException", message);
    let failure = sts_get_caller_identity(&disabled).await;
    assert_eq!(failure.code.as_deref(), Some("RegionDisabledException"));
    assert_ne!(failure.kind, Kind::AccessDenied);
}

#[tokio::test]
async fn kms_names_its_errors_by_type_never_by_the_query_error_header() {
    // x-amzn-query-error is read only by SDKs of services that were once query services; KMS
    // was not, so a reply naming its error only there has no code for the mapping to use.
    let only_query_header = Reply::Http {
        status: 400,
        headers: vec![("x-amzn-query-error", "NotFoundException;Sender".into())],
        body: "{}".into(),
    };
    let failure = kms_describe_key(&only_query_header).await;
    assert_eq!((failure.kind, failure.code), (Kind::Other, None));
    let Reply::Http { mut headers, .. } = only_query_header else {
        unreachable!()
    };
    headers.push(("content-type", "application/x-amz-json-1.1".into()));
    let both = Reply::Http {
        status: 400,
        headers,
        body: serde_json::json!({"__type": "NotFoundException"}).to_string(),
    };
    assert_eq!(kms_describe_key(&both).await.kind, Kind::NotFound);
}
