//! The principal-generic reads and removals of `ownership` and `outside_changes` for a role:
//! each asks the role's own IAM calls, names them when refused, and reads "not found" as
//! "not there" only where that is the meaning.

use super::{answering, Reply, ACCOUNT};
use crate::aws::outside_changes::{self, Extra};
use crate::aws::{ownership, tags};
use crate::error::aws::AwsFailureKind as Kind;
use crate::model::principal::Principal;
use aws_sdk_iam::operation::get_role::GetRoleOutput;
use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesOutput;
use aws_sdk_iam::types::{AttachedPermissionsBoundary, AttachedPolicy, Role};
use aws_smithy_mocks::mock;

const ROLE: &str = "app-role";
const BOUNDARY: &str = "arn:aws:iam::111122223333:policy/boundary";

#[tokio::test]
async fn a_roles_inline_policies_are_read_to_the_last_page() {
    let page = |marker: Option<&'static str>,
                names: &'static [&'static str],
                next: Option<&'static str>| {
        mock!(aws_sdk_iam::Client::list_role_policies)
            .match_requests(move |r| r.marker() == marker && r.role_name() == Some(ROLE))
            .then_output(move || {
                ListRolePoliciesOutput::builder()
                    .set_policy_names(Some(names.iter().map(|n| n.to_string()).collect()))
                    .is_truncated(next.is_some())
                    .set_marker(next.map(str::to_string))
                    .build()
                    .expect("names are set")
            })
    };
    let (first, last) = (
        page(None, &["csfle-kms"], Some("m1")),
        page(Some("m1"), &["debugging"], None),
    );
    let iam = super::iam(&[&first, &last]);
    let names = ownership::inline_policy_names(&iam, Principal::role(ROLE))
        .await
        .unwrap();
    assert_eq!(names, ["csfle-kms", "debugging"]);
}

fn role_with_boundary() -> Role {
    Role::builder()
        .path(tags::IAM_PATH)
        .role_name(ROLE)
        .role_id("AROAMOCKROLE")
        .arn(format!(
            "arn:aws:iam::{ACCOUNT}:role/csfle-provisioner/{ROLE}"
        ))
        .create_date(aws_smithy_types::DateTime::from_secs(0))
        .permissions_boundary(
            AttachedPermissionsBoundary::builder()
                .permissions_boundary_arn(BOUNDARY)
                .build(),
        )
        .build()
        .expect("every required field is set")
}

#[tokio::test]
async fn what_others_added_to_a_role_is_found_and_its_boundary_named() {
    let attached = mock!(aws_sdk_iam::Client::list_attached_role_policies).then_output(|| {
        let policy = AttachedPolicy::builder()
            .policy_name("ReadOnlyAccess")
            .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
            .build();
        ListAttachedRolePoliciesOutput::builder()
            .attached_policies(policy)
            .build()
    });
    let inline = mock!(aws_sdk_iam::Client::list_role_policies).then_output(|| {
        let names = vec!["csfle-kms".to_string(), "debugging".to_string()];
        ListRolePoliciesOutput::builder()
            .set_policy_names(Some(names))
            .build()
            .expect("names")
    });
    let role = mock!(aws_sdk_iam::Client::get_role)
        .then_output(|| GetRoleOutput::builder().role(role_with_boundary()).build());
    let iam = super::iam(&[&attached, &inline, &role]);
    let found = outside_changes::of_principal(&iam, Principal::role(ROLE), Some("csfle-kms")).await;
    let expected = vec![
        Extra::ManagedPolicy {
            arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
            name: "ReadOnlyAccess".into(),
        },
        Extra::InlinePolicy("debugging".into()),
        Extra::PermissionsBoundary(BOUNDARY.into()),
    ];
    assert_eq!(found.unwrap(), expected);
}

#[tokio::test]
async fn detaching_from_a_role_what_is_gone_is_done_and_a_refusal_names_the_role_call() {
    let extra = Extra::ManagedPolicy {
        arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
        name: "ReadOnlyAccess".into(),
    };
    let gone = Reply::iam_error(
        404,
        "NoSuchEntity",
        "Policy is not attached to role app-role.",
    );
    let detach = answering(
        mock!(aws_sdk_iam::Client::detach_role_policy)
            .match_requests(|r| r.role_name() == Some(ROLE)),
        &[gone],
    );
    let iam = super::iam(&[&detach]);
    assert!(
        outside_changes::remove_from(&iam, Principal::role(ROLE), &extra)
            .await
            .is_ok()
    );

    let denied = Reply::iam_error(
        403,
        "AccessDenied",
        "not authorized to perform: iam:DetachRolePolicy",
    );
    let detach = answering(mock!(aws_sdk_iam::Client::detach_role_policy), &[denied]);
    let iam = super::iam(&[&detach]);
    let failure = outside_changes::remove_from(&iam, Principal::role(ROLE), &extra)
        .await
        .unwrap_err();
    assert_eq!(
        (failure.action, failure.kind),
        ("iam:DetachRolePolicy", Kind::AccessDenied)
    );
}
