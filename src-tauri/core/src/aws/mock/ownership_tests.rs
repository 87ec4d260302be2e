//! The ownership proof over the wire: a user or role is this app's only when IAM shows its tags,
//! its own least-privilege inline policy and its path (or an age from before the path) together;
//! a copied tag alone, a rewritten policy or a recent principal elsewhere is refused, and a
//! refused read names its own action.

use super::{Reply, Wire};
use crate::aws::{ownership, policy, tags};
use crate::error::aws::AwsFailureKind as Kind;
use crate::error::ProvisionError;
use crate::model::ownership::KnownRun;
use crate::model::principal::Principal;

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const RUN: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// IAM's reply to GetUser/GetRole: its path, creation time and tags.
fn principal(kind: &str, path: &str, created: &str, created_by: &str) -> Reply {
    let (action, element, arn_kind) = match kind {
        "role" => ("GetRole", "Role", "role"),
        _ => ("GetUser", "User", "user"),
    };
    let name_field = if kind == "role" {
        "RoleName"
    } else {
        "UserName"
    };
    Reply::iam_ok(
        action,
        &format!(
            "<{element}><Path>{path}</Path><{name_field}>app</{name_field}><{element}Id>AIDAMOCK</{element}Id>\
             <Arn>arn:aws:iam::111122223333:{arn_kind}{path}app</Arn><CreateDate>{created}</CreateDate>\
             <Tags><member><Key>{}</Key><Value>{created_by}</Value></member>\
             <member><Key>{}</Key><Value>{RUN}</Value></member></Tags></{element}>",
            tags::CREATED_BY_KEY,
            tags::RUN_KEY,
        ),
    )
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// One inline policy named `csfle-kms-app` holding `document`, for a user.
fn user_policy(wire: &Wire, document: &str) {
    wire.on(
        "iam",
        "ListUserPolicies",
        &[Reply::iam_ok(
            "ListUserPolicies",
            "<PolicyNames><member>csfle-kms-app</member></PolicyNames><IsTruncated>false</IsTruncated>",
        )],
    );
    wire.on(
        "iam",
        "GetUserPolicy",
        &[Reply::iam_ok(
            "GetUserPolicy",
            &format!(
                "<UserName>app</UserName><PolicyName>csfle-kms-app</PolicyName>\
                 <PolicyDocument>{}</PolicyDocument>",
                percent_encoded(document)
            ),
        )],
    );
}

const RECENT: &str = "2026-12-01T09:00:00Z";
const BEFORE_THE_PATH: &str = "2026-11-01T09:00:00Z";

#[tokio::test]
async fn tags_policy_and_path_together_prove_a_user_ours() {
    let wire = Wire::new();
    wire.on(
        "iam",
        "GetUser",
        &[principal(
            "user",
            tags::IAM_PATH,
            RECENT,
            tags::CREATED_BY_VALUE,
        )],
    );
    user_policy(&wire, &policy::kms_policy_document(KEY));
    let proof = crate::aws::proof::prove(&wire.connection(), Principal::user("app"), &[])
        .await
        .unwrap();
    assert_eq!(
        proof.facts.arn,
        "arn:aws:iam::111122223333:user/csfle-provisioner/app"
    );
    assert_eq!(proof.policy, Some(("csfle-kms-app".into(), KEY.into())));
    assert_eq!(proof.facts.run_id(), Some(RUN));
}

#[tokio::test]
async fn a_copied_tag_without_the_apps_policy_proves_nothing() {
    let wire = Wire::new();
    wire.on(
        "iam",
        "GetUser",
        &[principal(
            "user",
            tags::IAM_PATH,
            RECENT,
            tags::CREATED_BY_VALUE,
        )],
    );
    // The victim's own policy: more than Encrypt and Decrypt on one key.
    user_policy(
        &wire,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    let refused = crate::aws::proof::prove(&wire.connection(), Principal::user("app"), &[])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "not-ours");
    assert!(
        refused.to_string().contains("no inline policy of this app"),
        "{refused}"
    );
}

#[tokio::test]
async fn outside_the_path_only_a_principal_older_than_the_path_counts() {
    for (created, proven) in [(RECENT, false), (BEFORE_THE_PATH, true)] {
        let wire = Wire::new();
        wire.on(
            "iam",
            "GetUser",
            &[principal("user", "/", created, tags::CREATED_BY_VALUE)],
        );
        user_policy(&wire, &policy::kms_policy_document(KEY));
        let result =
            crate::aws::proof::prove(&wire.connection(), Principal::user("app"), &[]).await;
        assert_eq!(result.is_ok(), proven, "made {created}: {result:?}");
    }
}

#[tokio::test]
async fn a_known_run_proves_its_principal_once_the_policy_is_gone_but_only_if_made_during_it() {
    let started =
        aws_smithy_types::DateTime::from_str(RECENT, aws_smithy_types::date_time::Format::DateTime)
            .unwrap()
            .secs();
    for (run_started, proven) in [(started - 2, true), (started - 86_400, false)] {
        let wire = Wire::new();
        wire.on(
            "iam",
            "GetUser",
            &[principal(
                "user",
                tags::IAM_PATH,
                RECENT,
                tags::CREATED_BY_VALUE,
            )],
        );
        wire.on(
            "iam",
            "ListUserPolicies",
            &[Reply::iam_ok(
                "ListUserPolicies",
                "<PolicyNames></PolicyNames><IsTruncated>false</IsTruncated>",
            )],
        );
        let known = [KnownRun {
            run_id: RUN.into(),
            started_at: run_started,
        }];
        let result =
            crate::aws::proof::prove(&wire.connection(), Principal::user("app"), &known).await;
        assert_eq!(
            result.is_ok(),
            proven,
            "run began at {run_started}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_role_is_proven_by_getrole_and_a_missing_one_is_not_found() {
    let wire = Wire::new();
    wire.on(
        "iam",
        "GetRole",
        &[principal("role", tags::IAM_PATH, RECENT, "someone-else")],
    );
    let refused = crate::aws::proof::prove(&wire.connection(), Principal::role("app"), &[])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "not-ours");
    assert!(refused.to_string().contains("tags"), "{refused}");

    let wire = Wire::new();
    let missing = Reply::iam_error(
        404,
        "NoSuchEntity",
        "The role with name app cannot be found.",
    );
    wire.on("iam", "GetRole", &[missing]);
    let refused = crate::aws::proof::prove(&wire.connection(), Principal::role("app"), &[])
        .await
        .unwrap_err();
    assert_eq!(refused.to_string(), "The IAM role app does not exist");
    assert_eq!(wire.calls("iam", "ListRolePolicies"), 0);
}

#[tokio::test]
async fn a_refused_policy_read_names_its_own_action() {
    let wire = Wire::new();
    wire.on(
        "iam",
        "GetUser",
        &[principal(
            "user",
            tags::IAM_PATH,
            RECENT,
            tags::CREATED_BY_VALUE,
        )],
    );
    wire.on(
        "iam",
        "ListUserPolicies",
        &[Reply::moto_refusal("iam:ListUserPolicies")],
    );
    let refused = crate::aws::proof::prove(&wire.connection(), Principal::user("app"), &[])
        .await
        .unwrap_err();
    let ProvisionError::Aws(failure) = &refused else {
        panic!("{refused:?}")
    };
    assert_eq!(
        (failure.action, failure.kind),
        ("iam:ListUserPolicies", Kind::AccessDenied)
    );
}

#[tokio::test]
async fn made_in_run_needs_the_run_tag_and_a_creation_time_inside_the_run() {
    let made =
        aws_smithy_types::DateTime::from_str(RECENT, aws_smithy_types::date_time::Format::DateTime)
            .unwrap()
            .secs();
    for (run_id, started, expected) in [
        (RUN, made - 10, true),
        ("another-run", made - 10, false),
        (RUN, made + 86_400, false),
    ] {
        let wire = Wire::new();
        wire.on(
            "iam",
            "GetRole",
            &[principal(
                "role",
                tags::IAM_PATH,
                RECENT,
                tags::CREATED_BY_VALUE,
            )],
        );
        let run = KnownRun {
            run_id: run_id.into(),
            started_at: started,
        };
        let answer = ownership::made_in_run(&wire.connection().iam(), Principal::role("app"), &run)
            .await
            .unwrap();
        assert_eq!(answer, expected, "run {run_id} from {started}");
    }
    let wire = Wire::new();
    let missing = Reply::iam_error(
        404,
        "NoSuchEntity",
        "The role with name app cannot be found.",
    );
    wire.on("iam", "GetRole", &[missing]);
    let run = KnownRun {
        run_id: RUN.into(),
        started_at: made,
    };
    assert!(
        !ownership::made_in_run(&wire.connection().iam(), Principal::role("app"), &run)
            .await
            .unwrap()
    );
}
