//! Code that takes a `Connection`, answered by [`Wire`]: who the credentials are, whether a
//! resource is ours, and which regional endpoint a key's calls go to.

use super::{Reply, Wire, ACCOUNT, ADMIN_ARN, REGION};
use crate::aws::{connect, ownership};
use crate::error::aws::AwsFailureKind as Kind;
use crate::error::ProvisionError;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};

const KEY_ELSEWHERE: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef";

fn caller_identity() -> Reply {
    let result =
        format!("<UserId>AIDAMOCKADMIN</UserId><Account>{ACCOUNT}</Account><Arn>{ADMIN_ARN}</Arn>");
    Reply::sts_ok("GetCallerIdentity", &result)
}

#[tokio::test]
async fn whoami_reads_the_identity_sts_reports() {
    let wire = Wire::new();
    wire.on("sts", "GetCallerIdentity", &[caller_identity()]);
    let identity = connect::whoami(&wire.config(), REGION).await.unwrap();
    assert_eq!(identity.account_id, ACCOUNT);
    assert_eq!(identity.arn, ADMIN_ARN);
    assert_eq!(identity.region, REGION);
    assert_eq!(identity.endpoint_override, None);
    assert_eq!(wire.seen()[0].host, format!("sts.{REGION}.amazonaws.com"));
}

#[tokio::test]
async fn establishing_checks_the_region_before_asking_sts() {
    let wire = Wire::new();
    wire.on("sts", "GetCallerIdentity", &[caller_identity()]);
    let connection = connect::establish(wire.config()).await.unwrap();
    assert_eq!(
        (connection.account_id(), connection.partition()),
        (ACCOUNT, "aws")
    );

    let nowhere = wire.config().to_builder().region(None).build();
    let refused = connect::establish(nowhere).await.unwrap_err();
    assert_eq!(refused.code(), "invalid-input");
    assert_eq!(
        wire.calls("sts", "GetCallerIdentity"),
        1,
        "nothing sent without a region"
    );
}

#[tokio::test]
async fn rejected_credentials_are_named_as_such() {
    let wire = Wire::new();
    let invalid = Reply::sts_error(
        403,
        "InvalidClientTokenId",
        "The security token is invalid.",
    );
    wire.on("sts", "GetCallerIdentity", &[invalid]);
    let refused = connect::whoami(&wire.config(), REGION).await.unwrap_err();
    assert_eq!(refused.code(), "aws-invalid-credentials");
    assert!(refused.hint().contains("access key"), "{}", refused.hint());
    assert_eq!(
        wire.calls("sts", "GetCallerIdentity"),
        1,
        "a refusal is not retried"
    );
}

#[tokio::test]
async fn no_credentials_at_all_is_not_an_aws_refusal() {
    let wire = Wire::new();
    let chain = SharedCredentialsProvider::new(NoCredentials);
    let refused = connect::whoami(&wire.config_with(chain), REGION)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, ProvisionError::NoCredentials(_)),
        "{refused:?}"
    );
    assert!(refused.to_string().contains(NOTHING_FOUND), "{refused}");
    assert!(
        wire.seen().is_empty(),
        "nothing is sent without credentials"
    );
}

/// CreateUser sent with credentials that cannot be loaded, as when an SSO session ends during
/// a run: the SDK fails before sending, as a dispatch failure.
async fn create_without_credentials(
    wire: &Wire,
) -> aws_sdk_iam::error::SdkError<
    aws_sdk_iam::operation::create_user::CreateUserError,
    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
> {
    let config = wire.config_with(SharedCredentialsProvider::new(NoCredentials));
    let iam = aws_sdk_iam::Client::new(&config);
    iam.create_user().user_name("app").send().await.unwrap_err()
}

#[tokio::test]
async fn credentials_lost_during_a_run_are_told_apart_by_their_cause() {
    let wire = Wire::new();
    let error = create_without_credentials(&wire).await;
    assert!(wire.seen().is_empty(), "nothing was sent");
    let problem = connect::credentials_problem(&error);
    assert!(problem.is_some_and(|p| p.contains(NOTHING_FOUND)));
}

#[tokio::test]
async fn credentials_lost_during_a_run_are_not_a_lost_reply() {
    let wire = Wire::new();
    let error = create_without_credentials(&wire).await;
    let failure = crate::error::aws::AwsFailure::from_sdk("iam:CreateUser", &error);
    assert_ne!(failure.kind, Kind::Unreachable);
    assert!(!failure.outcome_unknown());
}

const NOTHING_FOUND: &str = "no providers in chain provided credentials";

/// A credential chain that finds nothing, as on a machine with no AWS configuration.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(NOTHING_FOUND)))
    }
}

#[tokio::test]
async fn a_keys_calls_go_to_the_keys_region() {
    let wire = Wire::new();
    let tagged = serde_json::json!({
        "Tags": [{"TagKey": "created-by", "TagValue": "csfle-provisioner"}],
        "Truncated": false
    });
    wire.on("kms", "ListResourceTags", &[Reply::kms_ok(tagged)]);
    let aliases = serde_json::json!({
        "Aliases": [{"AliasName": "alias/app", "TargetKeyId": "1234abcd-12ab-34cd-56ef"}],
        "Truncated": false
    });
    wire.on("kms", "ListAliases", &[Reply::kms_ok(aliases)]);
    let connection = wire.connection();
    assert!(ownership::key_is_ours(&connection, KEY_ELSEWHERE)
        .await
        .unwrap());
    let names = ownership::key_aliases(&connection, KEY_ELSEWHERE)
        .await
        .unwrap();
    assert_eq!(names, ["alias/app"]);
    for seen in wire.seen() {
        assert_eq!(seen.host, "kms.eu-west-1.amazonaws.com", "{seen:?}");
    }
    // ListAliases takes the key id, not the ARN.
    assert!(wire.seen()[1]
        .body
        .contains("\"KeyId\":\"1234abcd-12ab-34cd-56ef\""));
}

#[tokio::test]
async fn a_key_that_is_not_there_maps_to_not_found() {
    let wire = Wire::new();
    let missing = Reply::kms_error(400, "NotFoundException", "Key does not exist");
    wire.on("kms", "ListResourceTags", &[missing]);
    let refused = ownership::key_is_ours(&wire.connection(), KEY_ELSEWHERE)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "aws-not-found");
}
