//! Failures at every step leave nothing behind: no user, policy, alias or access key, no key that
//! is not scheduled for deletion, and no keychain item. Faults come from the emulator's fault layer
//! and from real keyring states.

mod support;

use serde_json::json;
use support::keyring::KeyringState;
use support::sandbox::ADMIN_ACCESS_KEY;
use support::Sandbox;

const SERVICE: &str = "csfle-provisioner";

fn provision(sandbox: &Sandbox, extra: &[&str]) -> support::CliRun {
    let mut args = vec!["provision", "--user", "app", "--new-key", "alias/app"];
    args.extend_from_slice(extra);
    sandbox.cli(&args)
}

fn assert_clean(sandbox: &Sandbox) {
    sandbox.aws().assert_nothing_left(&[]);
    assert_eq!(
        sandbox.keyring.count(SERVICE),
        0,
        "keychain item left behind"
    );
}

#[test]
fn access_denied_at_each_creating_step_rolls_everything_back() {
    let steps = [
        ("kms", "CreateKey", "kms:CreateKey"),
        ("kms", "CreateAlias", "kms:CreateAlias"),
        ("iam", "CreateUser", "iam:CreateUser"),
        ("iam", "PutUserPolicy", "iam:PutUserPolicy"),
        ("iam", "CreateAccessKey", "iam:CreateAccessKey"),
    ];
    let sandbox = Sandbox::start();
    for (service, action, permission) in steps {
        let status = if service == "kms" { 400 } else { 403 };
        let code = if service == "kms" {
            "AccessDeniedException"
        } else {
            "AccessDenied"
        };
        sandbox.emulator.add_fault(json!({"action": action, "status": status, "code": code, "message": "not allowed by the test"}));
        let run = provision(&sandbox, &[]);
        run.assert_failed();
        assert!(
            run.stderr
                .contains(&format!("error: {permission} was denied")),
            "{action}:\n{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains(&format!("lacks the permission {permission}")),
            "{action}:\n{}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("LEFT BEHIND"),
            "{action}:\n{}",
            run.stderr
        );
        assert_clean(&sandbox);
        // Each rollback removes what that run made; the previous run's key is already pending deletion.
        if action != "CreateKey" {
            assert!(
                run.stderr.contains("rolled back: KMS key"),
                "{action}:\n{}",
                run.stderr
            );
        }
    }
}

#[test]
fn a_locked_keychain_deletes_the_new_access_key_and_says_to_unlock() {
    let sandbox = Sandbox::with_keyring(KeyringState::Locked);
    let run = provision(&sandbox, &[]);
    run.assert_failed();
    assert!(
        run.stderr.contains("The keychain is locked"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Unlock your keyring"), "{}", run.stderr);
    assert!(
        run.stderr.contains("rolled back: access key AKIA"),
        "{}",
        run.stderr
    );
    let actions = sandbox.emulator.actions();
    assert!(
        actions.contains(&"CreateAccessKey".to_string())
            && actions.contains(&"DeleteAccessKey".to_string())
    );
    sandbox.aws().assert_nothing_left(&[]);
}

#[test]
fn no_secret_service_stops_before_anything_is_created() {
    let sandbox = Sandbox::with_keyring(KeyringState::NoService);
    let run = provision(&sandbox, &[]);
    run.assert_failed();
    assert!(
        run.stderr.contains("No keychain service is available"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("gnome-keyring"), "{}", run.stderr);
    let mut actions = sandbox.emulator.actions();
    actions.sort();
    assert_eq!(
        actions,
        ["DescribeKey", "GetCallerIdentity", "GetUser"],
        "only reads happened"
    );
    assert_clean(&sandbox);
}

#[test]
fn no_session_bus_at_all_is_explained() {
    let sandbox = Sandbox::with_keyring(KeyringState::NoService);
    let run = sandbox.cli_with(
        &["provision", "--user", "app", "--new-key", "alias/app"],
        &[(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/csfle-test-bus",
        )],
    );
    run.assert_failed();
    assert!(
        run.stderr.contains("No keychain service is available"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("what to do: Install and start a Secret Service keyring"),
        "{}",
        run.stderr
    );
    assert!(sandbox.aws().users().is_empty());
}

#[test]
fn verification_waits_for_a_new_key_to_become_live() {
    let sandbox = Sandbox::start();
    // Real IAM answers InvalidClientTokenId for a few seconds after CreateAccessKey.
    sandbox.emulator.add_fault(json!({"action": "GetCallerIdentity", "notAccessKey": ADMIN_ACCESS_KEY, "times": 3, "status": 403, "code": "InvalidClientTokenId", "message": "The security token included in the request is invalid."}));
    // ... and AccessDenied while the new inline policy propagates.
    sandbox.emulator.add_fault(json!({"action": "Encrypt", "notAccessKey": ADMIN_ACCESS_KEY, "times": 2, "status": 400, "code": "AccessDeniedException", "message": "not yet"}));
    let run = provision(&sandbox, &["--json"]);
    run.assert_ok();
    assert_eq!(run.json()["verified"], true);
    assert_eq!(
        run.stderr
            .matches("Waiting for AWS to activate the new access key")
            .count(),
        3,
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr
            .matches("Waiting for AWS to activate the key permission")
            .count(),
        2,
        "{}",
        run.stderr
    );
    let polls = sandbox
        .emulator
        .requests()
        .iter()
        .filter(|r| r["action"] == "GetCallerIdentity" && r["accessKey"] != ADMIN_ACCESS_KEY)
        .count();
    assert_eq!(polls, 4, "three refusals, then success");
}

#[test]
fn verification_gives_up_at_its_limit_and_rolls_back() {
    let sandbox = Sandbox::start();
    sandbox.emulator.add_fault(json!({"action": "GetCallerIdentity", "notAccessKey": ADMIN_ACCESS_KEY, "times": 1000, "status": 403, "code": "InvalidClientTokenId", "message": "never live"}));
    let started = std::time::Instant::now();
    let run = provision(&sandbox, &["--verify-timeout", "2"]);
    run.assert_failed();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "the wait is bounded"
    );
    assert!(
        run.stderr.contains("did not become usable within 2 s"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rolled back: keychain item"),
        "{}",
        run.stderr
    );
    assert_clean(&sandbox);
}

#[test]
fn a_refused_round_trip_rolls_back() {
    let sandbox = Sandbox::start();
    sandbox.emulator.add_fault(json!({"action": "Decrypt", "notAccessKey": ADMIN_ACCESS_KEY, "times": 1, "status": 400, "code": "IncorrectKeyException", "message": "wrong key"}));
    let run = provision(&sandbox, &[]);
    run.assert_failed();
    assert!(
        run.stderr
            .contains("The new credentials could not use the key"),
        "{}",
        run.stderr
    );
    assert_clean(&sandbox);
}

#[test]
fn transient_faults_are_retried_without_rollback() {
    let sandbox = Sandbox::start();
    sandbox.emulator.add_fault(json!({"action": "CreateUser", "status": 400, "code": "Throttling", "message": "Rate exceeded"}));
    sandbox.emulator.add_fault(json!({"action": "CreateKey", "status": 500, "code": "KMSInternalException", "message": "try again"}));
    let run = provision(&sandbox, &["--json"]);
    run.assert_ok();
    assert_eq!(sandbox.aws().users(), vec!["app".to_string()]);
    assert_eq!(sandbox.keyring.count(SERVICE), 1);
}

#[test]
fn what_rollback_cannot_undo_is_reported_as_left_behind() {
    let sandbox = Sandbox::start();
    sandbox.emulator.add_fault(json!({"action": "CreateAccessKey", "status": 403, "code": "AccessDenied", "message": "no"}));
    sandbox.emulator.add_fault(json!({"action": "DeleteUser", "times": 10, "status": 403, "code": "AccessDenied", "message": "no"}));
    let run = provision(&sandbox, &[]);
    run.assert_failed();
    assert!(
        run.stderr
            .contains("LEFT BEHIND (remove it by hand): IAM user app"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("iam:DeleteUser"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("rolled back: inline policy csfle-kms-app of app"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_failed_keychain_write_stops_the_proof_at_once() {
    let sandbox = Sandbox::with_keyring(KeyringState::Locked);
    // The new key never becomes live, so only the keychain's failure can end this run early: the
    // write and the proof run side by side.
    sandbox.emulator.add_fault(json!({"action": "GetCallerIdentity", "notAccessKey": ADMIN_ACCESS_KEY, "times": 100000, "status": 403, "code": "InvalidClientTokenId", "message": "never live"}));
    let started = std::time::Instant::now();
    let run = provision(&sandbox, &["--verify-timeout", "600"]);
    run.assert_failed();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the proof was not waited for"
    );
    assert!(
        run.stderr.contains("The keychain is locked"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("Stopped: the credentials could not be stored in the keychain"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rolled back: access key AKIA"),
        "{}",
        run.stderr
    );
    sandbox.aws().assert_nothing_left(&[]);
}
