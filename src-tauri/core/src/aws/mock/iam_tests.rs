//! `aws::iam`'s small functions against mock IAM: lost replies are settled by looking (and an
//! access key whose secret was lost is deleted, never kept), refusals keep their action.

use super::{answering, Reply, ACCOUNT};
use crate::aws::{iam, tags};
use crate::model::principal::Principal;
use aws_sdk_iam::operation::create_access_key::CreateAccessKeyOutput;
use aws_sdk_iam::operation::delete_access_key::DeleteAccessKeyOutput;
use aws_sdk_iam::operation::get_role::GetRoleOutput;
use aws_sdk_iam::operation::get_role_policy::GetRolePolicyOutput;
use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
use aws_sdk_iam::types::{AccessKey, AccessKeyMetadata, Role, StatusType};
use aws_smithy_mocks::{mock, Rule};

const USER: &str = "app";
const RUN: &str = "run-1";
const NEW_KEY: &str = "AKIANEWNEWNEWNEWNEW1";
/// The key the caller already knows (and keeps) when it asks for a new one.
const KNOWN_KEY: &str = "AKIAKNOWNKNOWNKNOWN1";
/// A key AWS made for a reply that never arrived: nobody has its secret.
const ORPHAN_KEY: &str = "AKIAORPHANORPHANORP1";

fn access_key() -> CreateAccessKeyOutput {
    let key = AccessKey::builder()
        .user_name(USER)
        .access_key_id(NEW_KEY)
        .status(StatusType::Active)
        .secret_access_key("new-secret")
        .build()
        .expect("every required field is set");
    CreateAccessKeyOutput::builder().access_key(key).build()
}

fn listed(ids: &'static [&'static str]) -> Rule {
    mock!(aws_sdk_iam::Client::list_access_keys).then_output(move || {
        let keys = ids
            .iter()
            .map(|id| AccessKeyMetadata::builder().access_key_id(*id).build());
        ListAccessKeysOutput::builder()
            .set_access_key_metadata(Some(keys.collect()))
            .build()
            .expect("the key list is set")
    })
}

/// DeleteAccessKey for the orphan only: deleting any other key fails the test (no rule matches).
fn orphan_deleted() -> Rule {
    mock!(aws_sdk_iam::Client::delete_access_key)
        .match_requests(|r| r.access_key_id() == Some(ORPHAN_KEY) && r.user_name() == Some(USER))
        .then_output(|| DeleteAccessKeyOutput::builder().build())
}

#[tokio::test(start_paused = true)]
async fn a_lost_access_key_is_deleted_before_a_new_one_is_made() {
    let create = mock!(aws_sdk_iam::Client::create_access_key)
        .sequence()
        .http_response(|| Reply::Reset.http())
        .output(access_key)
        .build();
    let (list, delete) = (listed(&[KNOWN_KEY, ORPHAN_KEY]), orphan_deleted());
    let iam = super::iam(&[&create, &list, &delete]);
    let (id, secret) = iam::create_access_key(&iam, USER, &[KNOWN_KEY.to_string()])
        .await
        .unwrap();
    assert_eq!((id.as_str(), secret.expose()), (NEW_KEY, "new-secret"));
    assert_eq!(delete.num_calls(), 1, "the orphan, and only it, is deleted");
    assert_eq!(create.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_reply_without_a_key_is_treated_as_lost() {
    // IAM answered but gave no key: it may still have made one whose secret nobody has.
    let empty = || CreateAccessKeyOutput::builder().build();
    let create = mock!(aws_sdk_iam::Client::create_access_key)
        .match_requests(|r| r.user_name() == Some(USER))
        .sequence()
        .output(empty)
        .output(access_key)
        .build();
    let (list, delete) = (listed(&[ORPHAN_KEY]), orphan_deleted());
    let iam = super::iam(&[&create, &list, &delete]);
    let (id, _) = iam::create_access_key(&iam, USER, &[]).await.unwrap();
    assert_eq!(id, NEW_KEY);
    assert_eq!((create.num_calls(), delete.num_calls()), (2, 1));
}

#[tokio::test(start_paused = true)]
async fn the_key_limit_is_final_and_touches_no_key() {
    let limit = Reply::iam_error(
        409,
        "LimitExceeded",
        "Cannot exceed quota for AccessKeysPerUser: 2",
    );
    let create = answering(mock!(aws_sdk_iam::Client::create_access_key), &[limit]);
    let (list, delete) = (listed(&[ORPHAN_KEY]), orphan_deleted());
    let iam = super::iam(&[&create, &list, &delete]);
    let refused = iam::create_access_key(&iam, USER, &[]).await.unwrap_err();
    assert_eq!(refused.code(), "aws-limit-exceeded");
    assert!(
        refused.to_string().starts_with("iam:CreateAccessKey"),
        "{refused}"
    );
    assert_eq!(
        (create.num_calls(), list.num_calls(), delete.num_calls()),
        (1, 0, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn a_key_for_a_user_not_yet_visible_waits_for_the_user() {
    let missing = Reply::iam_error(
        404,
        "NoSuchEntity",
        "The user with name app cannot be found.",
    );
    let create = mock!(aws_sdk_iam::Client::create_access_key)
        .sequence()
        .http_response(move || missing.http())
        .output(access_key)
        .build();
    let list = listed(&[]);
    let iam = super::iam(&[&create, &list]);
    assert_eq!(
        iam::create_access_key(&iam, USER, &[]).await.unwrap().0,
        NEW_KEY
    );
    assert_eq!(
        list.num_calls(),
        0,
        "a 'not found' is lag, not a lost reply"
    );
}

fn role(made_by_run: &str) -> Role {
    Role::builder()
        .path(tags::IAM_PATH)
        .role_name("app-role")
        .role_id("AROAMOCKROLE")
        .arn(format!(
            "arn:aws:iam::{ACCOUNT}:role/csfle-provisioner/app-role"
        ))
        .create_date(aws_smithy_types::DateTime::from_secs(
            crate::model::ownership::unix_now(),
        ))
        .set_tags(Some(tags::iam_tags(made_by_run)))
        .build()
        .expect("every required field is set")
}

#[tokio::test(start_paused = true)]
async fn a_lost_role_is_adopted_only_with_the_runs_tag() {
    for (made_by, ours) in [(RUN, true), ("someone-elses-run", false)] {
        let create = answering(mock!(aws_sdk_iam::Client::create_role), &[Reply::Reset]);
        let made = role(made_by);
        let found = mock!(aws_sdk_iam::Client::get_role)
            .match_requests(|r| r.role_name() == Some("app-role"))
            .then_output(move || GetRoleOutput::builder().role(made.clone()).build());
        let iam = super::iam(&[&create, &found]);
        let result = iam::create_role(&iam, "app-role", "{}", RUN).await;
        match result {
            Ok(arn) => {
                assert!(ours, "adopted {made_by}'s role");
                assert!(arn.ends_with(":role/csfle-provisioner/app-role"), "{arn}");
            }
            Err(refused) => {
                assert!(!ours, "{refused:?}");
                assert_eq!(refused.code(), "role-exists");
                assert!(refused.to_string().contains("app-role"), "{refused}");
            }
        }
        assert_eq!(create.num_calls(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn a_full_instance_profile_is_a_limit_not_a_lag() {
    let full = Reply::iam_error(
        409,
        "LimitExceeded",
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    );
    let add = answering(
        mock!(aws_sdk_iam::Client::add_role_to_instance_profile),
        &[full],
    );
    let iam = super::iam(&[&add]);
    let refused = iam::add_role_to_instance_profile(&iam, "app-profile", "app-role")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "aws-limit-exceeded");
    assert_eq!(add.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_roles_policy_is_read_decoded_and_its_refusal_names_the_role_call() {
    let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
    let read = mock!(aws_sdk_iam::Client::get_role_policy)
        .match_requests(|r| r.role_name() == Some("app-role") && r.policy_name() == Some("p"))
        .then_output(move || {
            GetRolePolicyOutput::builder()
                .role_name("app-role")
                .policy_name("p")
                .policy_document(encoded)
                .build()
                .expect("every required field is set")
        });
    let iam = super::iam(&[&read]);
    let document = iam::inline_policy_document(&iam, Principal::role("app-role"), "p")
        .await
        .unwrap();
    assert_eq!(
        document,
        serde_json::json!({"Version": "2012-10-17", "Statement": []})
    );

    let missing = Reply::iam_error(
        404,
        "NoSuchEntity",
        "The role policy with name p cannot be found.",
    );
    let read = answering(mock!(aws_sdk_iam::Client::get_role_policy), &[missing]);
    let iam = super::iam(&[&read]);
    let refused = iam::inline_policy_document(&iam, Principal::role("app-role"), "p")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "aws-not-found");
    assert!(
        refused.to_string().starts_with("iam:GetRolePolicy"),
        "{refused}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_roles_policy_refusal_names_put_role_policy() {
    let denied = Reply::iam_error(
        403,
        "AccessDenied",
        "not authorized to perform: iam:PutRolePolicy",
    );
    let put = answering(mock!(aws_sdk_iam::Client::put_role_policy), &[denied]);
    let iam = super::iam(&[&put]);
    let refused = iam::put_inline_policy(&iam, Principal::role("app-role"), "p", "{}")
        .await
        .unwrap_err();
    assert!(
        refused.hint().contains("iam:PutRolePolicy"),
        "{}",
        refused.hint()
    );
}

#[tokio::test(start_paused = true)]
async fn a_lost_instance_profile_is_adopted_by_its_run_tag() {
    use aws_sdk_iam::operation::get_instance_profile::GetInstanceProfileOutput;
    use aws_sdk_iam::types::InstanceProfile;
    let arn = format!("arn:aws:iam::{ACCOUNT}:instance-profile/csfle-provisioner/app-role");
    let profile = InstanceProfile::builder()
        .path(tags::IAM_PATH)
        .instance_profile_name("app-role")
        .instance_profile_id("AIPAMOCK")
        .arn(&arn)
        .create_date(aws_smithy_types::DateTime::from_secs(
            crate::model::ownership::unix_now(),
        ))
        .set_roles(Some(vec![]))
        .set_tags(Some(tags::iam_tags(RUN)))
        .build()
        .expect("every required field is set");
    let create = answering(
        mock!(aws_sdk_iam::Client::create_instance_profile),
        &[Reply::Reset],
    );
    let found = mock!(aws_sdk_iam::Client::get_instance_profile)
        .match_requests(|r| r.instance_profile_name() == Some("app-role"))
        .then_output(move || {
            GetInstanceProfileOutput::builder()
                .instance_profile(profile.clone())
                .build()
        });
    let iam = super::iam(&[&create, &found]);
    let made = iam::create_instance_profile(&iam, "app-role", RUN).await;
    assert_eq!(made.unwrap(), arn);
    assert_eq!(create.num_calls(), 1);
}
