//! Where moto is not AWS, and what covers each gap.
//! - IAM enforcement is off in the other tests; here it is on, to prove that a missing permission
//!   is named and that rollback works with a real permission check.
//! - Under enforcement moto checks KMS calls against resource "*", so the ARN-scoped policy (the
//!   right one) is refused: that refusal is itself proof the policy is not "*", and the exact
//!   document is asserted byte for byte in provision.rs.
//! - moto is immediately consistent: rollback.rs injects IAM's propagation delays.

mod support;

use serde_json::json;
use support::Sandbox;

/// Creates an admin user with `policy` while enforcement is still off, switches enforcement on,
/// and makes the sandbox act as that admin.
fn enforce_with_admin(sandbox: &mut Sandbox, policy: serde_json::Value) {
    let aws = sandbox.aws();
    let iam = aws.iam();
    aws.block(iam.create_user().user_name("admin").send())
        .expect("admin user");
    aws.block(
        iam.put_user_policy()
            .user_name("admin")
            .policy_name("admin")
            .policy_document(policy.to_string())
            .send(),
    )
    .expect("admin policy");
    let key = aws
        .block(iam.create_access_key().user_name("admin").send())
        .expect("admin key");
    let key = key.access_key().expect("access key");
    sandbox.admin_key = (
        key.access_key_id().to_string(),
        key.secret_access_key().to_string(),
    );
    sandbox.emulator.enforce_iam();
}

#[test]
fn a_missing_permission_is_named_and_everything_is_rolled_back() {
    let mut sandbox = Sandbox::start();
    enforce_with_admin(
        &mut sandbox,
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:PutUserPolicy", "Resource": "*"}
        ]}),
    );
    let run = sandbox.cli(&["provision", "--user", "app", "--new-key", "alias/app"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("iam:PutUserPolicy was denied"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("Your AWS identity lacks the permission iam:PutUserPolicy"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("LEFT BEHIND"), "{}", run.stderr);
    let aws = sandbox.aws();
    assert_eq!(
        aws.users(),
        vec!["admin".to_string()],
        "only the test's own admin remains"
    );
    assert!(aws.aliases().is_empty());
    assert!(aws
        .keys()
        .iter()
        .all(|(_, state)| state == "PendingDeletion"));
}

#[test]
fn a_bad_admin_signature_is_reported_as_invalid_credentials() {
    let mut sandbox = Sandbox::start();
    enforce_with_admin(
        &mut sandbox,
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    );
    sandbox.admin_key.1 = "wrong-secret".into();
    let run = sandbox.cli(&["provision", "--user", "app", "--new-key", "alias/app"]);
    run.assert_failed();
    assert!(
        run.stderr
            .contains("sts:GetCallerIdentity was rejected: the AWS credentials are not valid"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Check the access key"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_key_policy_is_scoped_to_one_key_which_moto_refuses_under_enforcement() {
    let mut sandbox = Sandbox::start();
    enforce_with_admin(
        &mut sandbox,
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    );
    let run = sandbox.cli(&[
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--verify-timeout",
        "1",
    ]);
    // A policy on "*" would pass here; ours names the key ARN, so moto's resource-"*" check refuses it.
    run.assert_failed();
    assert!(run.stderr.contains("kms:Encrypt"), "{}", run.stderr);
    let aws = sandbox.aws();
    assert_eq!(aws.users(), vec!["admin".to_string()]);
    assert!(aws
        .keys()
        .iter()
        .all(|(_, state)| state == "PendingDeletion"));
}
