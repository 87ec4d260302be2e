//! The reads a plan and the proof make (`iam::name_taken`, `kms::describe_key`, `kms::encrypt`
//! and `decrypt`, `sts::caller_arn`): "not found" is an answer where the function says so, and
//! everything else keeps its action and kind.

use super::{answering, Reply, ADMIN_ARN};
use crate::aws::iam::{self, IamName};
use crate::aws::{kms, sts};
use crate::error::aws::AwsFailureKind as Kind;
use aws_sdk_iam::operation::get_role::GetRoleOutput;
use aws_sdk_kms::operation::decrypt::DecryptOutput;
use aws_sdk_kms::operation::encrypt::EncryptOutput;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_smithy_mocks::mock;
use aws_smithy_types::Blob;

fn no_such(what: &str) -> Reply {
    Reply::iam_error(
        404,
        "NoSuchEntity",
        &format!("The {what} with name app cannot be found."),
    )
}

#[tokio::test]
async fn a_free_name_is_not_found_and_a_taken_one_is_found() {
    let user = answering(mock!(aws_sdk_iam::Client::get_user), &[no_such("user")]);
    let profile = answering(
        mock!(aws_sdk_iam::Client::get_instance_profile),
        &[no_such("instance profile")],
    );
    let role = mock!(aws_sdk_iam::Client::get_role)
        .match_requests(|r| r.role_name() == Some("app"))
        .then_output(|| GetRoleOutput::builder().build());
    let client = super::iam(&[&user, &profile, &role]);
    assert!(!iam::name_taken(&client, IamName::User("app"))
        .await
        .unwrap());
    assert!(!iam::name_taken(&client, IamName::InstanceProfile("app"))
        .await
        .unwrap());
    assert!(iam::name_taken(&client, IamName::Role("app"))
        .await
        .unwrap());
    assert_eq!(
        (user.num_calls(), profile.num_calls(), role.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn a_name_that_cannot_be_checked_is_not_called_free() {
    let role = answering(
        mock!(aws_sdk_iam::Client::get_role),
        &[Reply::moto_refusal("iam:GetRole")],
    );
    let client = super::iam(&[&role]);
    let failure = iam::name_taken(&client, IamName::Role("app"))
        .await
        .unwrap_err();
    assert_eq!(
        (failure.action, failure.kind),
        ("iam:GetRole", Kind::AccessDenied)
    );
}

#[tokio::test]
async fn a_missing_key_is_none_and_a_refused_one_an_error() {
    let missing = Reply::kms_error(400, "NotFoundException", "Alias alias/app is not found.");
    let described = answering(mock!(aws_sdk_kms::Client::describe_key), &[missing]);
    let client = super::kms(&[&described]);
    assert!(kms::describe_key(&client, "alias/app")
        .await
        .unwrap()
        .is_none());

    let denied = Reply::kms_error(
        400,
        "AccessDeniedException",
        "not authorized to perform: kms:DescribeKey",
    );
    let described = answering(mock!(aws_sdk_kms::Client::describe_key), &[denied]);
    let client = super::kms(&[&described]);
    let failure = kms::describe_key(&client, "alias/app").await.unwrap_err();
    assert_eq!(failure.kind, Kind::AccessDenied);
}

#[tokio::test]
async fn the_round_trip_sends_the_key_and_names_each_half_when_refused() {
    let encrypted = mock!(aws_sdk_kms::Client::encrypt)
        .match_requests(|r| {
            r.key_id() == Some("k-1") && r.plaintext() == Some(&Blob::new(*b"probe"))
        })
        .then_output(|| {
            EncryptOutput::builder()
                .ciphertext_blob(Blob::new(*b"sealed"))
                .build()
        });
    let decrypted = mock!(aws_sdk_kms::Client::decrypt)
        .match_requests(|r| {
            r.key_id() == Some("k-1") && r.ciphertext_blob() == Some(&Blob::new(*b"sealed"))
        })
        .then_output(|| {
            DecryptOutput::builder()
                .plaintext(Blob::new(*b"probe"))
                .build()
        });
    let client = super::kms(&[&encrypted, &decrypted]);
    let sealed = kms::encrypt(&client, "k-1", b"probe")
        .await
        .unwrap()
        .unwrap();
    let opened = kms::decrypt(&client, "k-1", sealed).await.unwrap().unwrap();
    assert_eq!(opened.as_ref(), b"probe");

    // New credentials before IAM has propagated their policy: a refusal of the second half.
    let denied = Reply::kms_error(
        400,
        "AccessDeniedException",
        "not authorized to perform: kms:Decrypt",
    );
    let refused = answering(mock!(aws_sdk_kms::Client::decrypt), &[denied]);
    let client = super::kms(&[&refused]);
    let failure = kms::decrypt(&client, "k-1", Blob::new(*b"sealed"))
        .await
        .unwrap_err();
    assert_eq!(
        (failure.action, failure.kind),
        ("kms:Decrypt", Kind::AccessDenied)
    );
    assert!(failure.hint().contains("kms:Decrypt"), "{}", failure.hint());
}

#[tokio::test]
async fn the_caller_is_who_sts_says() {
    let who = mock!(aws_sdk_sts::Client::get_caller_identity)
        .then_output(|| GetCallerIdentityOutput::builder().arn(ADMIN_ARN).build());
    let client = super::sts(&[&who]);
    assert_eq!(sts::caller_arn(&client).await.unwrap(), ADMIN_ARN);

    let expired = Reply::sts_error(
        400,
        "ExpiredToken",
        "The security token included in the request is expired",
    );
    let who = answering(mock!(aws_sdk_sts::Client::get_caller_identity), &[expired]);
    let client = super::sts(&[&who]);
    let failure = sts::caller_arn(&client).await.unwrap_err();
    assert_eq!(failure.kind, Kind::ExpiredCredentials);
}
