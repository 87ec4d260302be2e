//! The listings of the setups view, the legacy scan and the key picker (`iam::principal_names`,
//! `kms::all_keys`, `kms::alias_pages`) and the last small STS/IAM reads: every page is read,
//! the filters keep what they promise, refusals keep their action.

use super::{answering, Reply};
use crate::aws::{iam, kms, sts, tags};
use crate::error::aws::AwsFailureKind as Kind;
use crate::model::principal::PrincipalKind;
use aws_sdk_iam::operation::list_roles::ListRolesOutput;
use aws_sdk_iam::operation::list_users::ListUsersOutput;
use aws_sdk_iam::types::{Role, User};
use aws_sdk_kms::operation::list_aliases::ListAliasesOutput;
use aws_sdk_kms::operation::list_keys::ListKeysOutput;
use aws_sdk_kms::types::{AliasListEntry, KeyListEntry};
use aws_smithy_mocks::{mock, Rule};

fn user(name: &str, path: &str) -> User {
    User::builder()
        .path(path)
        .user_name(name)
        .user_id(format!("AIDA{name}"))
        .arn(format!("arn:aws:iam::111122223333:user{path}{name}"))
        .create_date(aws_smithy_types::DateTime::from_secs(0))
        .build()
        .expect("every required field is set")
}

/// The ListUsers page for `marker`; every request must ask for IAM's largest page.
fn users_page(marker: Option<&'static str>, users: Vec<User>, next: Option<&'static str>) -> Rule {
    mock!(aws_sdk_iam::Client::list_users)
        .match_requests(move |r| r.marker() == marker && r.max_items() == Some(1000))
        .then_output(move || {
            ListUsersOutput::builder()
                .set_users(Some(users.clone()))
                .is_truncated(next.is_some())
                .set_marker(next.map(str::to_string))
                .build()
                .expect("users are set")
        })
}

#[tokio::test]
async fn user_names_span_every_page_and_leave_out_ours_unless_asked_for() {
    let first = users_page(
        None,
        vec![user("alice", "/"), user("app", tags::IAM_PATH)],
        Some("m1"),
    );
    let last = users_page(Some("m1"), vec![user("bob", "/team/")], None);
    let client = super::iam(&[&first, &last]);
    let outside = iam::principal_names(&client, PrincipalKind::User, None)
        .await
        .unwrap();
    assert_eq!(outside, ["alice", "bob"]);
    let all = iam::principal_names(&client, PrincipalKind::User, Some(tags::IAM_PATH)).await;
    // The prefix is IAM's filter; the function keeps whatever IAM returns under it.
    assert_eq!(all.unwrap(), ["alice", "app", "bob"]);
}

#[tokio::test]
async fn aws_service_roles_are_never_candidates() {
    let role = |name: &str, path: &str| {
        Role::builder()
            .path(path)
            .role_name(name)
            .role_id(format!("AROA{name}"))
            .arn(format!("arn:aws:iam::111122223333:role{path}{name}"))
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .expect("every required field is set")
    };
    let roles = vec![
        role("AWSServiceRoleForSupport", "/aws-service-role/support/"),
        role("legacy", "/"),
    ];
    let listed = mock!(aws_sdk_iam::Client::list_roles).then_output(move || {
        ListRolesOutput::builder()
            .set_roles(Some(roles.clone()))
            .build()
            .expect("roles are set")
    });
    let client = super::iam(&[&listed]);
    let names = iam::principal_names(&client, PrincipalKind::Role, None)
        .await
        .unwrap();
    assert_eq!(names, ["legacy"]);
}

fn keys_page(
    marker: Option<&'static str>,
    ids: &'static [&'static str],
    next: Option<&'static str>,
) -> Rule {
    mock!(aws_sdk_kms::Client::list_keys)
        .match_requests(move |r| r.marker() == marker && r.limit() == Some(50))
        .then_output(move || {
            let keys = ids.iter().map(|id| {
                KeyListEntry::builder()
                    .key_id(*id)
                    .key_arn(format!("arn:aws:kms:us-east-1:111122223333:key/{id}"))
                    .build()
            });
            ListKeysOutput::builder()
                .set_keys(Some(keys.collect()))
                .truncated(next.is_some())
                .set_next_marker(next.map(str::to_string))
                .build()
        })
}

#[tokio::test]
async fn every_key_of_every_page_is_listed() {
    let (first, last) = (
        keys_page(None, &["k1", "k2"], Some("m1")),
        keys_page(Some("m1"), &["k3"], None),
    );
    let client = super::kms(&[&first, &last]);
    let keys = kms::all_keys(&client, 50).await.unwrap();
    let ids: Vec<_> = keys.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["k1", "k2", "k3"]);
    assert!(keys[2].1.ends_with(":key/k3"));
}

#[tokio::test(start_paused = true)]
async fn aliases_arrive_page_by_page_and_a_failed_page_stops_the_picker() {
    let page = |marker: Option<&'static str>,
                next: Option<&'static str>,
                names: &'static [(&'static str, Option<&'static str>)]| {
        mock!(aws_sdk_kms::Client::list_aliases)
            .match_requests(move |r| r.marker() == marker)
            .then_output(move || {
                let aliases = names.iter().map(|(name, target)| {
                    AliasListEntry::builder()
                        .alias_name(*name)
                        .set_target_key_id(target.map(str::to_string))
                        .build()
                });
                ListAliasesOutput::builder()
                    .set_aliases(Some(aliases.collect()))
                    .truncated(next.is_some())
                    .set_next_marker(next.map(str::to_string))
                    .build()
            })
    };
    // An alias without a target (AWS's own, not yet used) is no choice for the picker.
    let first = page(
        None,
        Some("m1"),
        &[("alias/app", Some("k1")), ("alias/aws/s3", None)],
    );
    let throttled = answering(
        mock!(aws_sdk_kms::Client::list_aliases).match_requests(|r| r.marker() == Some("m1")),
        &[Reply::kms_throttle()],
    );
    let client = super::kms(&[&first, &throttled]);
    let mut shown = Vec::new();
    let failure = kms::alias_pages(&client, 100, |aliases| shown.push(aliases))
        .await
        .unwrap_err();
    assert_eq!(
        shown,
        [vec![("alias/app".to_string(), "k1".to_string())]],
        "the first page was shown"
    );
    assert_eq!(
        (failure.action, failure.kind),
        ("kms:ListAliases", Kind::Throttled)
    );
}

#[tokio::test]
async fn a_refused_session_token_names_get_session_token() {
    let denied = Reply::sts_error(
        403,
        "AccessDenied",
        "Cannot call GetSessionToken with session credentials",
    );
    let rule = answering(
        mock!(aws_sdk_sts::Client::get_session_token)
            .match_requests(|r| r.duration_seconds() == Some(900)),
        &[denied],
    );
    let client = super::sts(&[&rule]);
    let failure = sts::session_token(&client, 900).await.unwrap_err();
    assert_eq!(
        (failure.action, failure.kind),
        ("sts:GetSessionToken", Kind::AccessDenied)
    );
}

#[tokio::test]
async fn a_users_policies_fail_together_when_either_list_is_refused() {
    use aws_sdk_iam::operation::list_user_policies::ListUserPoliciesOutput;
    let inline = mock!(aws_sdk_iam::Client::list_user_policies).then_output(|| {
        ListUserPoliciesOutput::builder()
            .set_policy_names(Some(vec!["csfle-kms".into()]))
            .build()
            .expect("names")
    });
    let denied = Reply::iam_error(
        403,
        "AccessDenied",
        "not authorized to perform: iam:ListAttachedUserPolicies",
    );
    let attached = answering(
        mock!(aws_sdk_iam::Client::list_attached_user_policies),
        &[denied],
    );
    let client = super::iam(&[&inline, &attached]);
    let failure = iam::policies_on_user(&client, "app").await.unwrap_err();
    assert_eq!(failure.action, "iam:ListAttachedUserPolicies");
}
