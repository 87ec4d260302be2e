//! `aws::sts::assume_role`: the secret parts of the credentials never show, a refusal names
//! sts:AssumeRole, and a reply without credentials is a failure, not empty credentials.

use super::{answering, Reply};
use crate::aws::sts;
use crate::error::aws::AwsFailureKind as Kind;
use aws_sdk_sts::operation::assume_role::AssumeRoleOutput;
use aws_sdk_sts::types::Credentials;
use aws_smithy_mocks::mock;

const ROLE: &str = "arn:aws:iam::111122223333:role/csfle-provisioner/app-role";

fn credentials() -> Credentials {
    Credentials::builder()
        .access_key_id("ASIAMOCKMOCKMOCKMOCK")
        .secret_access_key("role-secret")
        .session_token("role-token")
        .expiration(aws_smithy_types::DateTime::from_secs(1_800_000_000))
        .build()
        .expect("every required field is set")
}

#[tokio::test]
async fn assumed_credentials_keep_their_secrets_out_of_sight() {
    let assumed = mock!(aws_sdk_sts::Client::assume_role)
        .match_requests(|r| r.role_arn() == Some(ROLE) && r.role_session_name() == Some("verify"))
        .then_output(|| {
            AssumeRoleOutput::builder()
                .credentials(credentials())
                .build()
        });
    let client = super::sts(&[&assumed]);
    let session = sts::assume_role(&client, ROLE, "verify").await.unwrap();
    assert_eq!(session.access_key_id, "ASIAMOCKMOCKMOCKMOCK");
    assert_eq!(session.secret.expose(), "role-secret");
    assert_eq!(session.session_token.expose(), "role-token");
    assert_eq!(session.expiration.as_deref(), Some("2027-01-15T08:00:00Z"));
    let shown = format!("{session:?}");
    assert!(
        !shown.contains("role-secret") && !shown.contains("role-token"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_refused_assume_role_names_sts_assume_role() {
    let denied = Reply::sts_error(
        403,
        "AccessDenied",
        "not authorized to perform: sts:AssumeRole",
    );
    let assumed = answering(mock!(aws_sdk_sts::Client::assume_role), &[denied]);
    let client = super::sts(&[&assumed]);
    let failure = sts::assume_role(&client, ROLE, "verify").await.unwrap_err();
    assert_eq!(
        (failure.action, failure.kind),
        ("sts:AssumeRole", Kind::AccessDenied)
    );
    assert!(
        failure.hint().contains("sts:AssumeRole"),
        "{}",
        failure.hint()
    );
    assert_eq!(
        assumed.num_calls(),
        1,
        "a refusal is not retried by the SDK"
    );
}

#[tokio::test]
async fn a_reply_without_credentials_is_a_failure() {
    let assumed =
        mock!(aws_sdk_sts::Client::assume_role).then_output(|| AssumeRoleOutput::builder().build());
    let client = super::sts(&[&assumed]);
    let failure = sts::assume_role(&client, ROLE, "verify").await.unwrap_err();
    assert_eq!(
        (failure.action, failure.kind),
        ("sts:AssumeRole", Kind::Other)
    );
    assert_eq!(failure.message, "STS returned no credentials");
}
