//! In-process AWS for unit tests: IAM, KMS and STS clients that answer from aws-smithy-mocks
//! rules, and a [`Connection`] that answers from canned replies per action. Replies are the
//! bytes AWS (or the emulator) sends, so the SDK's own error parsing runs before
//! `AwsFailure::from_sdk` sees the result: a test of the mapping is a test of what an admin sees.
//!
//! Two ways in, because the code under test takes either a client or a `Connection`:
//! - [`iam`], [`kms`], [`sts`] build clients with a `MockResponseInterceptor`, so rules can match
//!   typed requests (`.match_requests(|r| r.user_name() == Some("app"))`).
//! - [`Wire`] is an HTTP client for an `SdkConfig`, which has no slot for interceptors: it routes
//!   by service and action (`Action=` of the query protocols, `X-Amz-Target` of KMS).
//!
//! aws-smithy-mocks has no way to fail a request below HTTP, so a lost reply ([`Reply::Reset`],
//! [`Reply::ConnectTimeout`], [`Reply::Hang`]) travels as a marked HTTP response that [`Faulty`]
//! turns into the connector error a real connection would give.
//!
//! The clients are built by hand rather than with `mock_client!`: that macro needs the SDK
//! crates' `test-util` feature, and every feature combination is another copy of the heaviest
//! crates in target/.

use crate::aws::connect::Connection;
use crate::model::Identity;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_mocks::{create_mock_http_client, MockResponseInterceptor, Rule, RuleBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use std::collections::VecDeque;
use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub(crate) const REGION: &str = "us-east-1";
pub(crate) const ACCOUNT: &str = "111122223333";
pub(crate) const ADMIN_ARN: &str = "arn:aws:iam::111122223333:user/admin";

/// The header that carries a fault through aws-smithy-mocks, which can only answer in HTTP.
const FAULT: &str = "x-csfle-mock-fault";
const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// One answer to one request: bytes from AWS, or no answer at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Http {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// The connection dropped after the request left: the outcome is unknown.
    Reset,
    /// The connection could not be made in time (what the SDK's connect timeout gives).
    ConnectTimeout,
    /// The request left and nothing ever came back; only an attempt timeout ends the wait.
    Hang,
}

impl Reply {
    fn xml(status: u16, body: String) -> Self {
        let headers = vec![("content-type", "text/xml".to_string())];
        Reply::Http {
            status,
            headers,
            body,
        }
    }

    /// An IAM query-protocol error as AWS sends it.
    pub(crate) fn iam_error(status: u16, code: &str, message: &str) -> Self {
        Self::query_error(IAM_NS, status, code, message)
    }

    /// An STS error: the same query protocol with STS's namespace.
    pub(crate) fn sts_error(status: u16, code: &str, message: &str) -> Self {
        Self::query_error(STS_NS, status, code, message)
    }

    fn query_error(ns: &str, status: u16, code: &str, message: &str) -> Self {
        let kind = if status >= 500 { "Receiver" } else { "Sender" };
        Self::xml(
            status,
            format!(
                "<ErrorResponse xmlns=\"{ns}\"><Error><Type>{kind}</Type><Code>{code}</Code>\
                 <Message>{message}</Message></Error><RequestId>mock-request</RequestId></ErrorResponse>"
            ),
        )
    }

    /// IAM's throttle: a 400 the SDK's standard retry classifies as throttling.
    pub(crate) fn iam_throttle() -> Self {
        Self::iam_error(400, "Throttling", "Rate exceeded")
    }

    /// A KMS (awsJson1.1) error named by `__type` in the body, as KMS sends it.
    pub(crate) fn kms_error(status: u16, error_type: &str, message: &str) -> Self {
        Self::kms_json(
            status,
            serde_json::json!({"__type": error_type, "message": message}).to_string(),
        )
    }

    /// A KMS error named only by the `x-amzn-errortype` header (with the URL suffix AWS adds).
    pub(crate) fn kms_error_header(status: u16, error_type: &str, message: &str) -> Self {
        Reply::Http {
            status,
            headers: vec![
                ("content-type", "application/x-amz-json-1.1".to_string()),
                (
                    "x-amzn-errortype",
                    format!("{error_type}:http://internal.amazon.com/coral/com.amazonaws.kms/"),
                ),
            ],
            body: serde_json::json!({ "message": message }).to_string(),
        }
    }

    pub(crate) fn kms_throttle() -> Self {
        Self::kms_error(400, "ThrottlingException", "Rate exceeded")
    }

    /// The emulator's refusal (moto's access control): a 403 whose body is query-style XML with
    /// the error wrapped in `<Errors>`, which neither the IAM nor the KMS parser reads.
    pub(crate) fn moto_refusal(action: &str) -> Self {
        Self::xml(
            403,
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error>\
                 <Code>AccessDenied</Code><Message>User: {ADMIN_ARN} is not authorized to perform: \
                 {action}</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"
            ),
        )
    }

    /// A server failure with an empty body (a load balancer's 500 or 503).
    pub(crate) fn server_error(status: u16) -> Self {
        Reply::Http {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// A successful IAM reply; `result` is the XML inside `<{Action}Result>`.
    pub(crate) fn iam_ok(action: &str, result: &str) -> Self {
        Self::query_ok(IAM_NS, action, result)
    }

    pub(crate) fn sts_ok(action: &str, result: &str) -> Self {
        Self::query_ok(STS_NS, action, result)
    }

    fn query_ok(ns: &str, action: &str, result: &str) -> Self {
        Self::xml(
            200,
            format!(
                "<{action}Response xmlns=\"{ns}\"><{action}Result>{result}</{action}Result>\
                 <ResponseMetadata><RequestId>mock-request</RequestId></ResponseMetadata></{action}Response>"
            ),
        )
    }

    /// A successful KMS reply with a JSON body.
    pub(crate) fn kms_ok(body: serde_json::Value) -> Self {
        Self::kms_json(200, body.to_string())
    }

    fn kms_json(status: u16, body: String) -> Self {
        Reply::Http {
            status,
            headers: vec![("content-type", "application/x-amz-json-1.1".to_string())],
            body,
        }
    }

    /// The reply as an HTTP response; a fault is marked for [`Faulty`] to act on.
    pub(crate) fn http(&self) -> HttpResponse {
        let Reply::Http {
            status,
            headers,
            body,
        } = self
        else {
            return marked(self);
        };
        let mut response = HttpResponse::new(status_code(*status), SdkBody::from(body.clone()));
        for (name, value) in headers {
            response.headers_mut().insert(*name, value.clone());
        }
        response
    }

    /// What a connection would hand the SDK for this reply.
    async fn deliver(self) -> Result<HttpResponse, ConnectorError> {
        let lost = |kind| Box::new(std::io::Error::from(kind));
        match self {
            Reply::Http { .. } => Ok(self.http()),
            Reply::Reset => Err(ConnectorError::io(lost(
                std::io::ErrorKind::ConnectionReset,
            ))),
            Reply::ConnectTimeout => {
                Err(ConnectorError::timeout(lost(std::io::ErrorKind::TimedOut)))
            }
            Reply::Hang => std::future::pending().await,
        }
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::try_from(status).expect("a valid HTTP status")
}

fn marked(fault: &Reply) -> HttpResponse {
    let name = match fault {
        Reply::Reset => "reset",
        Reply::ConnectTimeout => "connect-timeout",
        _ => "hang",
    };
    let mut response = HttpResponse::new(status_code(599), SdkBody::empty());
    response.headers_mut().insert(FAULT, name);
    response
}

/// The fault a marked response stands for; `None` for a real reply.
fn fault_in(response: &HttpResponse) -> Option<Reply> {
    match response.headers().get(FAULT)? {
        "reset" => Some(Reply::Reset),
        "connect-timeout" => Some(Reply::ConnectTimeout),
        _ => Some(Reply::Hang),
    }
}

/// Answers `rule` with `replies` in order; the last one repeats, so SDK retries and extra calls
/// get an answer (count them with `Rule::num_calls`).
pub(crate) fn answering<I, O, E>(rule: RuleBuilder<I, O, E>, replies: &[Reply]) -> Rule
where
    I: Debug + Send + Sync + 'static,
    O: Debug + Send + Sync + 'static,
    E: Debug + Send + Sync + std::error::Error + 'static,
{
    let (last, first) = replies.split_last().expect("at least one reply");
    let mut sequence = rule.sequence();
    for reply in first {
        let reply = reply.clone();
        sequence = sequence.http_response(move || reply.http());
    }
    let last = last.clone();
    sequence
        .http_response(move || last.http())
        .repeatedly()
        .build()
}

/// The HTTP client under the mock clients: passes replies through, turns marked ones into faults.
#[derive(Debug, Clone)]
pub(crate) struct Faulty(SharedHttpClient);

#[derive(Debug)]
struct FaultyConnector(SharedHttpConnector);

impl HttpClient for Faulty {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector(self.0.http_connector(settings, components)))
    }
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let answer = self.0.call(request);
        HttpConnectorFuture::new(async move {
            let response = answer.await?;
            match fault_in(&response) {
                None => Ok(response),
                Some(fault) => fault.deliver().await,
            }
        })
    }
}

/// Each client gets its own retry partition: the SDK's retry token bucket is shared per
/// partition name across the process, and one test's retries must not drain another's.
fn partition(service: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("mock-{service}-{n}")
}

fn credentials() -> Credentials {
    Credentials::new("AKIAMOCKMOCKMOCKMOCK", "mock-secret", None, None, "mock")
}

/// A client of `$sdk` answering from `$rules` (any order: `RuleMode::MatchAny`), with the retry
/// behaviour a real connection has (aws-config's default: standard, three attempts).
macro_rules! client_answering {
    ($sdk:ident, $rules:expr) => {{
        let mut interceptor =
            MockResponseInterceptor::new().rule_mode(aws_smithy_mocks::RuleMode::MatchAny);
        for rule in $rules {
            interceptor = interceptor.with_rule(rule);
        }
        let config = $sdk::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(credentials())
            .http_client(Faulty(create_mock_http_client()))
            .retry_config(RetryConfig::standard())
            .retry_partition($sdk::config::retry::RetryPartition::new(partition(
                stringify!($sdk),
            )))
            .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
            .interceptor(interceptor)
            .build();
        $sdk::Client::from_conf(config)
    }};
}

pub(crate) fn iam(rules: &[&Rule]) -> aws_sdk_iam::Client {
    client_answering!(aws_sdk_iam, rules.iter().copied())
}

pub(crate) fn kms(rules: &[&Rule]) -> aws_sdk_kms::Client {
    client_answering!(aws_sdk_kms, rules.iter().copied())
}

pub(crate) fn sts(rules: &[&Rule]) -> aws_sdk_sts::Client {
    client_answering!(aws_sdk_sts, rules.iter().copied())
}

/// A request [`Wire`] received.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    /// `iam.amazonaws.com`, `kms.eu-west-1.amazonaws.com`: which endpoint (and region) was used.
    pub host: String,
    pub service: String,
    pub action: String,
    /// The form body of a query request (`Action=GetUser&UserName=app…`) or KMS's JSON.
    pub body: String,
}

#[derive(Debug)]
struct Route {
    service: String,
    action: String,
    replies: VecDeque<Reply>,
}

/// An HTTP client that answers by service and action, for code that takes a [`Connection`].
/// An action without replies fails the test, like a mock rule that does not match.
#[derive(Debug, Clone, Default)]
pub(crate) struct Wire {
    routes: Arc<Mutex<Vec<Route>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Wire {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Answers `service`'s `action` with `replies` in order, the last one repeating. A later
    /// `on` for the same action replaces the earlier one, so a test can change one answer.
    pub(crate) fn on(&self, service: &str, action: &str, replies: &[Reply]) -> &Self {
        assert!(!replies.is_empty(), "{service}:{action} needs a reply");
        let mut routes = self.routes.lock().unwrap();
        routes.retain(|r| r.service != service || r.action != action);
        routes.push(Route {
            service: service.to_string(),
            action: action.to_string(),
            replies: replies.iter().cloned().collect(),
        });
        self
    }

    /// Every request so far, in order.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many times `service`'s `action` was sent (SDK retries included).
    pub(crate) fn calls(&self, service: &str, action: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.service == service && s.action == action)
            .count()
    }

    /// An SDK configuration whose every client talks to this wire.
    pub(crate) fn config(&self) -> SdkConfig {
        self.config_with(SharedCredentialsProvider::new(credentials()))
    }

    pub(crate) fn config_with(&self, credentials: SharedCredentialsProvider) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(credentials)
            .http_client(self.clone())
            .retry_config(RetryConfig::standard())
            .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
            .build()
    }

    /// A connection as `connect::establish` would make it, without asking STS.
    pub(crate) fn connection(&self) -> Connection {
        Connection {
            config: self.config(),
            identity: Identity {
                account_id: ACCOUNT.to_string(),
                account_alias: None,
                arn: ADMIN_ARN.to_string(),
                region: REGION.to_string(),
                endpoint_override: None,
            },
            key_account: None,
        }
    }

    fn answer(&self, request: &HttpRequest) -> Reply {
        let seen = describe(request);
        self.seen.lock().unwrap().push(seen.clone());
        let mut routes = self.routes.lock().unwrap();
        let route = routes
            .iter_mut()
            .find(|r| r.service == seen.service && r.action == seen.action);
        let Some(route) = route else {
            panic!("no reply for {}:{} ({seen:?})", seen.service, seen.action);
        };
        if route.replies.len() > 1 {
            route.replies.pop_front().expect("not empty")
        } else {
            route.replies[0].clone()
        }
    }
}

fn describe(request: &HttpRequest) -> Seen {
    let host = request
        .uri()
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?']).next())
        .unwrap_or_default()
        .to_string();
    let service = host.split('.').next().unwrap_or_default().to_string();
    let body = request
        .body()
        .bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let action = match request.headers().get("x-amz-target") {
        Some(target) => target.rsplit('.').next().unwrap_or_default().to_string(),
        None => body
            .split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
            .unwrap_or_default()
            .to_string(),
    };
    Seen {
        host,
        service,
        action,
        body,
    }
}

impl HttpClient for Wire {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Wire {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let reply = self.answer(&request);
        HttpConnectorFuture::new(reply.deliver())
    }
}

mod careful_tests;
mod iam_tests;
mod key_policy_tests;
mod kms_tests;
mod listing_tests;
mod mapping_tests;
mod outside_tests;
mod ownership_tests;
mod pages_tests;
mod principal_tests;
mod reads_tests;
mod remove_tests;
mod sts_tests;
mod wire_tests;
