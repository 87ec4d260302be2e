//! Living with a setup: list, rotate and tear down through the CLI, against the emulator and a
//! private keyring.

mod support;

use serde_json::{json, Value};
use support::sandbox::ADMIN_ACCESS_KEY;
use support::Sandbox;

const SERVICE: &str = "csfle-provisioner";

fn provision(sandbox: &Sandbox, user: &str, key: &[&str]) -> Value {
    let mut args = vec!["provision", "--user", user, "--json"];
    args.extend_from_slice(key);
    let run = sandbox.cli(&args);
    run.assert_ok();
    run.json()
}

fn stored(sandbox: &Sandbox, user: &str) -> Value {
    let item = sandbox
        .keyring
        .lookup(SERVICE, &format!("123456789012/{user}"))
        .expect("keychain item");
    serde_json::from_str(&item).unwrap()
}

#[test]
fn list_reports_health_and_notices_drift() {
    let sandbox = Sandbox::start();
    let result = provision(&sandbox, "app", &["--new-key", "alias/app"]);
    let run = sandbox.cli(&["list", "--json"]);
    run.assert_ok();
    let setups = run.json();
    assert_eq!(setups.as_array().unwrap().len(), 1, "{setups}");
    let setup = &setups[0];
    assert_eq!(setup["name"], "app");
    assert_eq!(setup["kind"], "user");
    assert_eq!(setup["key_arn"], result["key_arn"]);
    assert_eq!(setup["key_aliases"], json!(["alias/app"]));
    assert_eq!(setup["key_state"], "Enabled");
    assert_eq!(setup["key_created_by_app"], true);
    assert_eq!(setup["policy"], "least-privilege");
    assert_eq!(setup["keychain_present"], true);
    assert_eq!(setup["journal_state"], "complete");
    assert_eq!(
        setup["access_keys"][0]["access_key_id"],
        result["access_key_id"]
    );
    assert_eq!(setup["access_keys"][0]["in_keychain"], true);
    assert_eq!(setup["access_keys"][0]["status"], "Active");

    // Someone widens the policy in the console: the list says so.
    let aws = sandbox.aws();
    let wider = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]});
    aws.block(
        aws.iam()
            .put_user_policy()
            .user_name("app")
            .policy_name("csfle-kms-app")
            .policy_document(wider.to_string())
            .send(),
    )
    .unwrap();
    let drifted = sandbox.cli(&["list", "--json"]).json();
    assert_eq!(drifted[0]["policy"], "drifted");
    let text = sandbox.cli(&["list"]);
    assert!(text.stdout.contains("DRIFTED"), "{}", text.stdout);

    // An untagged user made by someone else is not a setup of ours.
    aws.block(aws.iam().create_user().user_name("someone-else").send())
        .unwrap();
    assert_eq!(
        sandbox
            .cli(&["list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn rotate_replaces_the_key_in_the_keychain_and_deletes_the_old_one() {
    let sandbox = Sandbox::start();
    let result = provision(&sandbox, "app", &["--new-key", "alias/app"]);
    let old_id = result["access_key_id"].as_str().unwrap().to_string();
    let run = sandbox.cli(&["rotate", "--user", "app", "--json"]);
    run.assert_ok();
    let report = run.json();
    let new_id = report["new_access_key_id"].as_str().unwrap();
    assert_ne!(new_id, old_id);
    assert_eq!(report["old_key_deleted"], true);
    let aws = sandbox.aws();
    assert_eq!(aws.access_keys("app"), vec![new_id.to_string()]);
    let item = stored(&sandbox, "app");
    assert_eq!(item["AccessKeyId"], new_id);
    let issued = sandbox.emulator.issued_secret(new_id).unwrap();
    assert_eq!(item["SecretAccessKey"], issued.as_str());
    assert_eq!(item["KeyArn"], result["key_arn"]);
    aws.as_key(new_id, &issued)
        .round_trip(result["key_arn"].as_str().unwrap())
        .unwrap();
    assert!(!run.output().contains(&issued));
    assert_eq!(sandbox.keyring.count(SERVICE), 1);
}

#[test]
fn rotate_at_the_two_key_limit_explains_and_can_delete_the_inactive_key() {
    let sandbox = Sandbox::start();
    provision(&sandbox, "app", &["--new-key", "alias/app"]);
    let aws = sandbox.aws();
    let extra = aws
        .block(aws.iam().create_access_key().user_name("app").send())
        .unwrap();
    let extra_id = extra.access_key().unwrap().access_key_id().to_string();
    let refused = sandbox.cli(&["rotate", "--user", "app"]);
    refused.assert_failed();
    assert!(
        refused.stderr.contains("already has two access keys")
            && refused.stderr.contains("both are active"),
        "{}",
        refused.stderr
    );

    aws.block(
        aws.iam()
            .update_access_key()
            .user_name("app")
            .access_key_id(&extra_id)
            .status(aws_sdk_iam::types::StatusType::Inactive)
            .send(),
    )
    .unwrap();
    let refused = sandbox.cli(&["rotate", "--user", "app"]);
    refused.assert_failed();
    assert!(
        refused.stderr.contains("is inactive") && refused.stderr.contains("--delete-inactive-key"),
        "{}",
        refused.stderr
    );
    assert_eq!(aws.access_keys("app").len(), 2, "nothing changed");

    let run = sandbox.cli(&["rotate", "--user", "app", "--delete-inactive-key", "--json"]);
    run.assert_ok();
    let report = run.json();
    assert_eq!(report["deleted_inactive_key"], extra_id.as_str());
    assert_eq!(
        aws.access_keys("app"),
        vec![report["new_access_key_id"].as_str().unwrap().to_string()]
    );
}

#[test]
fn a_failing_rotation_leaves_the_old_working_key_in_the_keychain() {
    let sandbox = Sandbox::start();
    let result = provision(&sandbox, "app", &["--new-key", "alias/app"]);
    let old_id = result["access_key_id"].as_str().unwrap().to_string();
    let before = stored(&sandbox, "app");
    let aws = sandbox.aws();

    // The new key never works: it is deleted again.
    sandbox.emulator.add_fault(json!({"action": "Encrypt", "notAccessKey": ADMIN_ACCESS_KEY, "skip": 0, "times": 1000, "status": 400, "code": "AccessDeniedException", "message": "no"}));
    let run = sandbox.cli(&["rotate", "--user", "app", "--verify-timeout", "1"]);
    run.assert_failed();
    sandbox.emulator.clear_faults();
    assert_eq!(aws.access_keys("app"), vec![old_id.clone()]);
    assert_eq!(stored(&sandbox, "app"), before);

    // Deactivating the old key is refused: the old item goes back, the new key goes away.
    sandbox.emulator.add_fault(json!({"action": "UpdateAccessKey", "times": 5, "status": 403, "code": "AccessDenied", "message": "no"}));
    let run = sandbox.cli(&["rotate", "--user", "app"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("iam:UpdateAccessKey was denied"),
        "{}",
        run.stderr
    );
    sandbox.emulator.clear_faults();
    assert_eq!(aws.access_keys("app"), vec![old_id.clone()]);
    assert_eq!(stored(&sandbox, "app"), before);
    let secret = before["SecretAccessKey"].as_str().unwrap();
    aws.as_key(&old_id, secret)
        .round_trip(result["key_arn"].as_str().unwrap())
        .unwrap();

    // Deleting the old key is refused after it was deactivated: the new key is in the keychain
    // and the old one no longer works (it is inactive), which the report says.
    sandbox.emulator.add_fault(json!({"action": "DeleteAccessKey", "times": 5, "status": 403, "code": "AccessDenied", "message": "no"}));
    let run = sandbox.cli(&["rotate", "--user", "app", "--json"]);
    run.assert_ok();
    let report = run.json();
    assert_eq!(report["old_key_deleted"], false);
    assert!(report["message"]
        .as_str()
        .unwrap()
        .contains("deactivated but could not be deleted"));
    let item = stored(&sandbox, "app");
    assert_eq!(item["AccessKeyId"], report["new_access_key_id"]);
    let keys = aws
        .block(aws.iam().list_access_keys().user_name("app").send())
        .unwrap();
    let active: Vec<_> = keys
        .access_key_metadata()
        .iter()
        .filter(|k| k.status().map(|s| s.as_str()) == Some("Active"))
        .filter_map(|k| k.access_key_id())
        .collect();
    assert_eq!(
        active,
        vec![report["new_access_key_id"].as_str().unwrap()],
        "exactly one working key, the stored one"
    );
}

#[test]
fn rotate_with_a_locked_keychain_changes_nothing() {
    let mut sandbox = Sandbox::start();
    let result = provision(&sandbox, "app", &["--new-key", "alias/app"]);
    sandbox.keyring.relock();
    let run = sandbox.cli(&["rotate", "--user", "app"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("The keychain is locked"),
        "{}",
        run.stderr
    );
    assert_eq!(
        sandbox.aws().access_keys("app"),
        vec![result["access_key_id"].as_str().unwrap().to_string()]
    );
}

#[test]
fn teardown_needs_confirmation_and_then_removes_everything_it_made() {
    let sandbox = Sandbox::start();
    let result = provision(&sandbox, "app", &["--new-key", "alias/app"]);
    sandbox
        .cli(&["aws-profile", "--user", "app", "--profile", "csfle-app"])
        .assert_ok();
    let config = std::fs::read_to_string(sandbox.aws_dir().join("config")).unwrap();
    assert!(config.contains("[profile csfle-app]"));

    let unconfirmed = sandbox.cli(&[
        "teardown",
        "--user",
        "app",
        "--delete-key",
        "--key-deletion-days",
        "7",
    ]);
    unconfirmed.assert_failed();
    assert!(
        unconfirmed.stderr.contains("Add --yes"),
        "{}",
        unconfirmed.stderr
    );
    let bad_days = sandbox.cli(&[
        "teardown",
        "--user",
        "app",
        "--delete-key",
        "--key-deletion-days",
        "5",
        "--yes",
    ]);
    bad_days.assert_failed();
    assert!(
        bad_days.stderr.contains("between 7 and 30"),
        "{}",
        bad_days.stderr
    );
    assert_eq!(
        sandbox.aws().users(),
        vec!["app".to_string()],
        "nothing changed so far"
    );

    let without_key = sandbox.cli(&[
        "teardown",
        "--user",
        "app",
        "--delete-key",
        "--key-deletion-days",
        "10",
        "--yes",
    ]);
    without_key.assert_failed();
    assert!(
        without_key.stderr.contains("--key-arn"),
        "the key to delete must be named: {}",
        without_key.stderr
    );
    let key_arn = result["key_arn"].as_str().unwrap_or_default().to_string();
    let run = sandbox.cli(&[
        "teardown",
        "--user",
        "app",
        "--delete-key",
        "--key-deletion-days",
        "10",
        "--key-arn",
        &key_arn,
        "--yes",
        "--json",
    ]);
    run.assert_ok();
    let report = run.json();
    assert!(report["key_deletion_date"].is_string(), "{report}");
    let removed = report["removed"].to_string();
    assert!(
        removed.contains("deletion scheduled in 10 days")
            && removed.contains("AWS profile csfle-app"),
        "{removed}"
    );
    sandbox.aws().assert_nothing_left(&[]);
    assert_eq!(sandbox.keyring.count(SERVICE), 0);
    let config = std::fs::read_to_string(sandbox.aws_dir().join("config")).unwrap();
    assert!(!config.contains("csfle-app"), "{config}");
    let listed = sandbox.cli(&["list", "--json"]).json();
    assert_eq!(listed, json!([]));
    let _ = result;
}

#[test]
fn teardown_keeps_a_key_it_did_not_create_and_refuses_users_it_did_not_create() {
    let sandbox = Sandbox::start();
    let aws = sandbox.aws();
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let key_arn = aws.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    provision(&sandbox, "app", &["--existing-key", &key_arn]);
    // Asking to delete a key the app did not make is refused before anything changes.
    let refused_key = sandbox.cli(&[
        "teardown",
        "--user",
        "app",
        "--delete-key",
        "--key-arn",
        &key_arn,
        "--yes",
    ]);
    refused_key.assert_failed();
    assert!(
        refused_key.stderr.contains("did not create this key"),
        "{}",
        refused_key.stderr
    );
    assert_eq!(aws.users(), vec!["app"]);
    let run = sandbox.cli(&["teardown", "--user", "app", "--yes", "--json"]);
    run.assert_ok();
    let report = run.json();
    assert!(report["kept"].to_string().contains("kept"), "{report}");
    let key_id = key_arn.rsplit('/').next().unwrap().to_string();
    assert_eq!(aws.keys(), vec![(key_id, "Enabled".to_string())]);
    assert!(aws.users().is_empty());

    aws.block(aws.iam().create_user().user_name("hand-made").send())
        .unwrap();
    let refused = sandbox.cli(&[
        "teardown",
        "--user",
        "hand-made",
        "--delete-key",
        "--key-deletion-days",
        "7",
        "--key-arn",
        &key_arn,
        "--yes",
    ]);
    refused.assert_failed();
    assert!(
        refused
            .stderr
            .contains("The IAM user hand-made was not made by this app"),
        "{}",
        refused.stderr
    );
    assert_eq!(aws.users(), vec!["hand-made".to_string()]);
}

#[test]
fn a_scheduled_key_deletion_is_listed_and_can_be_cancelled() {
    let sandbox = Sandbox::start();
    let made = provision(&sandbox, "app", &["--new-key", "alias/app"]);
    let key_arn = made["key_arn"].as_str().unwrap().to_string();
    let key_id = key_arn.rsplit('/').next().unwrap().to_string();
    sandbox
        .cli(&[
            "teardown",
            "--user",
            "app",
            "--delete-key",
            "--key-arn",
            &key_arn,
            "--yes",
        ])
        .assert_ok();
    assert!(sandbox
        .aws()
        .keys()
        .contains(&(key_id.clone(), "PendingDeletion".into())));

    let listed = sandbox.cli(&["pending-deletions", "--json"]);
    listed.assert_ok();
    let listed = listed.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["key_arn"], key_arn.as_str());
    assert!(listed[0]["deletion_date"].is_number(), "{listed}");

    // A key of someone else's is not this app's to touch, pending or not.
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let aws = sandbox.aws();
    let other = aws.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    let refused = sandbox.cli(&["cancel-key-deletion", "--key", &other]);
    refused.assert_failed();

    let cancelled = sandbox.cli(&["cancel-key-deletion", "--key", &key_arn]);
    cancelled.assert_ok();
    assert!(
        cancelled.stdout.contains("cancelled"),
        "{}",
        cancelled.stdout
    );
    assert!(
        aws.keys().contains(&(key_id, "Enabled".into())),
        "enabled again"
    );
    assert_eq!(
        sandbox.cli(&["pending-deletions", "--json"]).json(),
        json!([])
    );
}
