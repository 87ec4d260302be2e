//! The principal-generic reads and removals of `ownership` and `outside_changes` for a role:
//! each asks the role's own IAM calls, names them when refused, and reads "not found" as
//! "not there" only where that is the meaning.

use super::{answering, Reply, Wire, ACCOUNT};
use crate::aws::outside_changes::{self, Extra};
use crate::aws::{ownership, tags};
use crate::error::aws::AwsFailureKind as Kind;
use crate::model::principal::Principal;
use aws_sdk_iam::operation::get_role::GetRoleOutput;
use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesOutput;
use aws_sdk_iam::operation::list_user_tags::ListUserTagsOutput;
use aws_sdk_iam::types::{AttachedPermissionsBoundary, AttachedPolicy, Role};
use aws_smithy_mocks::{mock, Rule};

const ROLE: &str = "app-role";
const RUN: &str = "run-1";
const BOUNDARY: &str = "arn:aws:iam::111122223333:policy/boundary";

fn role_tags(created_by: &str) -> Reply {
    Reply::iam_ok(
        "ListRoleTags",
        &format!(
            "<Tags><member><Key>{}</Key><Value>{created_by}</Value></member></Tags>\
             <IsTruncated>false</IsTruncated>",
            tags::CREATED_BY_KEY
        ),
    )
}

#[tokio::test]
async fn a_role_is_ours_by_its_tag_and_missing_when_iam_says_so() {
    let wire = Wire::new();
    wire.on("iam", "ListRoleTags", &[role_tags(tags::CREATED_BY_VALUE)]);
    assert!(
        ownership::our_principal(&wire.connection(), Principal::role(ROLE))
            .await
            .is_ok()
    );
    assert!(
        wire.seen()[0].body.contains("RoleName=app-role"),
        "{:?}",
        wire.seen()
    );

    wire.on("iam", "ListRoleTags", &[role_tags("someone-else")]);
    let refused = ownership::our_principal(&wire.connection(), Principal::role(ROLE)).await;
    assert_eq!(refused.unwrap_err().code(), "not-ours");

    let missing = Reply::iam_error(
        404,
        "NoSuchEntity",
        "The role with name app-role cannot be found.",
    );
    wire.on("iam", "ListRoleTags", &[missing]);
    let refused = ownership::our_principal(&wire.connection(), Principal::role(ROLE)).await;
    assert_eq!(
        refused.unwrap_err().to_string(),
        "The IAM role app-role does not exist"
    );
}

fn user_tagged(run: &'static str) -> Rule {
    mock!(aws_sdk_iam::Client::list_user_tags).then_output(move || {
        ListUserTagsOutput::builder()
            .set_tags(Some(tags::iam_tags(run)))
            .build()
            .expect("tags are set")
    })
}

#[tokio::test]
async fn made_by_run_reads_the_run_tag_and_a_missing_principal_was_not_made() {
    for (tagged, made) in [(RUN, true), ("another-run", false)] {
        let rule = user_tagged(tagged);
        let iam = super::iam(&[&rule]);
        let answer = ownership::made_by_run(&iam, Principal::user("app"), RUN).await;
        assert_eq!(answer.unwrap(), made, "tagged by {tagged}");
    }
    let missing = Reply::iam_error(
        404,
        "NoSuchEntity",
        "The role with name app-role cannot be found.",
    );
    let rule = answering(mock!(aws_sdk_iam::Client::list_role_tags), &[missing]);
    let iam = super::iam(&[&rule]);
    assert!(!ownership::made_by_run(&iam, Principal::role(ROLE), RUN)
        .await
        .unwrap());
}

#[tokio::test]
async fn made_by_run_does_not_guess_when_the_tags_cannot_be_read() {
    let denied = Reply::iam_error(
        403,
        "AccessDenied",
        "not authorized to perform: iam:ListRoleTags",
    );
    let rule = answering(mock!(aws_sdk_iam::Client::list_role_tags), &[denied]);
    let iam = super::iam(&[&rule]);
    let failure = ownership::made_by_run(&iam, Principal::role(ROLE), RUN)
        .await
        .unwrap_err();
    assert_eq!(
        (failure.action, failure.kind),
        ("iam:ListRoleTags", Kind::AccessDenied)
    );
}

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
