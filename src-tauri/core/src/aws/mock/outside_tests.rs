//! `outside_changes`: what other admins added to a setup's user, read over IAM's wire format,
//! where "not found" means "none of that", and a removal of something already gone is done.

use super::{answering, Reply, Wire};
use crate::aws::outside_changes::{self, Extra};
use crate::error::aws::AwsFailureKind as Kind;
use crate::model::principal::{Principal, PrincipalKind};
use aws_smithy_mocks::mock;

const OURS: &str = "csfle-kms";
const APP: Principal<'static> = Principal {
    kind: PrincipalKind::User,
    name: "app",
};

/// What IAM answers for a user someone gave a managed policy, a group and one more inline
/// policy; no password (GetLoginProfile: NoSuchEntity), nothing else.
fn answers() -> Vec<(&'static str, Reply)> {
    let list = |action, items: &str| {
        Reply::iam_ok(action, &format!("{items}<IsTruncated>false</IsTruncated>"))
    };
    vec![
        ("ListAttachedUserPolicies", list("ListAttachedUserPolicies",
            "<AttachedPolicies><member><PolicyName>PowerUserAccess</PolicyName>\
             <PolicyArn>arn:aws:iam::aws:policy/PowerUserAccess</PolicyArn></member></AttachedPolicies>")),
        ("ListGroupsForUser", list("ListGroupsForUser",
            "<Groups><member><Path>/</Path><GroupName>admins</GroupName><GroupId>AGPAMOCK</GroupId>\
             <Arn>arn:aws:iam::111122223333:group/admins</Arn>\
             <CreateDate>2026-01-01T00:00:00Z</CreateDate></member></Groups>")),
        ("ListUserPolicies", list("ListUserPolicies",
            "<PolicyNames><member>csfle-kms</member><member>debugging</member></PolicyNames>")),
        ("GetLoginProfile", Reply::iam_error(404, "NoSuchEntity", "Login Profile for User app cannot be found.")),
        ("ListMFADevices", list("ListMFADevices", "<MFADevices/>")),
        ("ListSigningCertificates", list("ListSigningCertificates", "<Certificates/>")),
        ("ListSSHPublicKeys", list("ListSSHPublicKeys", "<SSHPublicKeys/>")),
        ("ListServiceSpecificCredentials", list("ListServiceSpecificCredentials", "<ServiceSpecificCredentials/>")),
        ("GetUser", Reply::iam_ok("GetUser",
            "<User><Path>/csfle-provisioner/</Path><UserName>app</UserName><UserId>AIDAMOCK</UserId>\
             <Arn>arn:aws:iam::111122223333:user/csfle-provisioner/app</Arn>\
             <CreateDate>2026-01-01T00:00:00Z</CreateDate></User>")),
    ]
}

/// A wire answering `answers()`, with `changed` answering instead where it names the action.
fn wire(changed: &[(&'static str, Reply)]) -> Wire {
    let wire = Wire::new();
    for (action, reply) in answers().iter().chain(changed) {
        wire.on("iam", action, std::slice::from_ref(reply));
    }
    wire
}

fn what_others_added() -> Vec<Extra> {
    vec![
        Extra::ManagedPolicy {
            arn: "arn:aws:iam::aws:policy/PowerUserAccess".into(),
            name: "PowerUserAccess".into(),
        },
        Extra::Group("admins".into()),
        Extra::InlinePolicy("debugging".into()),
    ]
}

#[tokio::test]
async fn everything_but_our_policy_is_found_and_no_password_is_none() {
    let wire = wire(&[]);
    let found = outside_changes::of_principal(&wire.connection().iam(), APP, Some(OURS)).await;
    assert_eq!(found.unwrap(), what_others_added());
    assert_eq!(wire.calls("iam", "GetLoginProfile"), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unimplemented_service_credential_list_means_cannot_tell_not_failure() {
    // The emulator answers ListServiceSpecificCredentials with a 500.
    let wire = wire(&[("ListServiceSpecificCredentials", Reply::server_error(500))]);
    let found = outside_changes::of_principal(&wire.connection().iam(), APP, Some(OURS)).await;
    assert_eq!(found.unwrap(), what_others_added());
}

#[tokio::test]
async fn a_refused_read_fails_the_whole_inventory_under_its_action() {
    // Half an inventory would let teardown believe nothing is in the way.
    for action in [
        "GetLoginProfile",
        "ListServiceSpecificCredentials",
        "ListGroupsForUser",
    ] {
        let wire = wire(&[(action, Reply::moto_refusal(action))]);
        let failure = outside_changes::of_principal(&wire.connection().iam(), APP, Some(OURS))
            .await
            .unwrap_err();
        assert_eq!(failure.kind, Kind::AccessDenied, "{action}");
        assert_eq!(failure.action, format!("iam:{action}"));
    }
}

#[tokio::test]
async fn a_password_found_is_named() {
    let profile = Reply::iam_ok(
        "GetLoginProfile",
        "<LoginProfile><UserName>app</UserName><CreateDate>2026-01-01T00:00:00Z</CreateDate></LoginProfile>",
    );
    let wire = wire(&[("GetLoginProfile", profile)]);
    let found = outside_changes::of_principal(&wire.connection().iam(), APP, None)
        .await
        .unwrap();
    assert!(found.contains(&Extra::ConsolePassword), "{found:?}");
    assert!(
        found.contains(&Extra::InlinePolicy(OURS.into())),
        "no policy is ours without a name"
    );
}

#[tokio::test]
async fn removing_what_is_already_gone_counts_as_removed() {
    let gone = Reply::iam_error(404, "NoSuchEntity", "The group admins cannot be found.");
    let leave = answering(
        mock!(aws_sdk_iam::Client::remove_user_from_group)
            .match_requests(|r| r.group_name() == Some("admins") && r.user_name() == Some("app")),
        &[gone],
    );
    let iam = super::iam(&[&leave]);
    let group = Extra::Group("admins".into());
    assert!(outside_changes::remove_from(&iam, APP, &group)
        .await
        .is_ok());
    assert_eq!(leave.num_calls(), 1);

    let denied = Reply::iam_error(
        403,
        "AccessDenied",
        "not authorized to perform: iam:DeleteUserPolicy",
    );
    let delete = answering(mock!(aws_sdk_iam::Client::delete_user_policy), &[denied]);
    let iam = super::iam(&[&delete]);
    let extra = Extra::InlinePolicy("debugging".into());
    let failure = outside_changes::remove_from(&iam, APP, &extra)
        .await
        .unwrap_err();
    assert_eq!(
        (failure.action, failure.kind),
        ("iam:DeleteUserPolicy", Kind::AccessDenied)
    );
}
