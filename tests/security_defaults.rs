//! Secure by default: what AWS Security Hub would say about a setup, as `list --json` and the
//! review (`--dry-run --json`) report it, checked against what AWS itself answers.

mod support;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use serde_json::Value;
use support::Sandbox;

fn finding<'a>(findings: &'a Value, control: &str) -> &'a Value {
    findings
        .as_array()
        .and_then(|all| all.iter().find(|f| f["control"] == control))
        .unwrap_or_else(|| panic!("no {control} finding in {findings}"))
}

fn setup<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no setup {name} in {list}"))
}

fn listed(sandbox: &Sandbox) -> Value {
    let run = sandbox.cli(&["list", "--json"]);
    run.assert_ok();
    run.json()
}

/// What KMS says about the key's automatic rotation, asked directly.
fn rotation_in_aws(sandbox: &Sandbox, key_arn: &str) -> bool {
    let aws = sandbox.aws();
    let key_id = key_arn.rsplit('/').next().unwrap();
    aws.block(aws.kms().get_key_rotation_status().key_id(key_id).send())
        .expect("GetKeyRotationStatus")
        .key_rotation_enabled()
}

#[test]
fn a_new_user_setup_passes_kms3_kms4_iam3_and_explains_iam2() {
    let sandbox = Sandbox::start();
    let review = sandbox.cli(&[
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--dry-run",
        "--json",
    ]);
    review.assert_ok();
    let predicted = &review.json()["findings"];
    assert_eq!(finding(predicted, "KMS.4")["status"], "passed");
    assert_eq!(finding(predicted, "IAM.2")["status"], "failed");
    assert_eq!(
        sandbox.aws().users(),
        Vec::<String>::new(),
        "the review changes nothing"
    );
    let text = sandbox.cli(&[
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--dry-run",
    ]);
    text.assert_ok();
    assert!(text.stdout.contains("FAILS  IAM.2"), "{}", text.stdout);
    assert!(text.stdout.contains("passes KMS.4"), "{}", text.stdout);

    let made = sandbox.cli(&[
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--json",
    ]);
    made.assert_ok();
    let key_arn = made.json()["key_arn"].as_str().unwrap().to_string();
    assert!(
        rotation_in_aws(&sandbox, &key_arn),
        "the app turned rotation on"
    );

    let list = listed(&sandbox);
    let app = setup(&list, "app");
    let findings = &app["findings"];
    for control in ["KMS.3", "KMS.4", "IAM.3", "IAM.22", "IAM.8"] {
        assert_eq!(
            finding(findings, control)["status"],
            "passed",
            "{control}: {findings}"
        );
    }
    let iam2 = finding(findings, "IAM.2");
    assert_eq!(iam2["status"], "failed");
    let reason = iam2["message"].as_str().unwrap();
    assert!(reason.contains("MongoDB"), "{reason}");
    assert!(
        reason.contains("role"),
        "says the role path passes: {reason}"
    );
    // Ages in words, as the setups view shows them.
    let age = &app["key_ages"][0];
    assert_eq!(age["created"], "today");
    assert_eq!(age["too_old"], false);
    assert_eq!(age["unused"], false);

    let text = sandbox.cli(&["list"]);
    text.assert_ok();
    assert!(text.stdout.contains("made today"), "{}", text.stdout);
    assert!(
        text.stdout.contains("Security Hub FAILS IAM.2"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_key_without_rotation_shows_kms4_until_rotation_is_enabled() {
    let sandbox = Sandbox::start();
    let key_arn = sandbox
        .aws()
        .create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    assert!(
        !rotation_in_aws(&sandbox, &key_arn),
        "KMS keys start without rotation"
    );

    let review = sandbox.cli(&[
        "provision",
        "--user",
        "app",
        "--existing-key",
        &key_arn,
        "--dry-run",
        "--json",
    ]);
    review.assert_ok();
    assert_eq!(
        finding(&review.json()["findings"], "KMS.4")["status"],
        "failed"
    );

    sandbox
        .cli(&[
            "provision",
            "--user",
            "app",
            "--existing-key",
            &key_arn,
            "--json",
        ])
        .assert_ok();
    assert!(
        !rotation_in_aws(&sandbox, &key_arn),
        "a key the app did not make is left as it was"
    );
    let list = listed(&sandbox);
    let kms4 = finding(&setup(&list, "app")["findings"], "KMS.4");
    assert_eq!(kms4["status"], "failed");
    assert_eq!(kms4["action"], "enable-rotation");

    let enabled = sandbox.cli(&["enable-rotation", "--key", &key_arn, "--json"]);
    enabled.assert_ok();
    assert_eq!(enabled.json()["rotation_enabled"], true);
    assert!(rotation_in_aws(&sandbox, &key_arn));
    let list = listed(&sandbox);
    assert_eq!(
        finding(&setup(&list, "app")["findings"], "KMS.4")["status"],
        "passed"
    );
}

#[test]
fn enabling_rotation_without_the_permission_says_which_one() {
    let sandbox = Sandbox::start();
    let key_arn = sandbox
        .aws()
        .create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    sandbox.emulator.add_fault(serde_json::json!({
        "action": "EnableKeyRotation", "status": 400, "code": "AccessDeniedException",
        "message": "User is not authorized to perform: kms:EnableKeyRotation"
    }));
    let run = sandbox.cli(&["enable-rotation", "--key", &key_arn]);
    run.assert_failed();
    assert!(
        run.stderr.contains("kms:EnableKeyRotation"),
        "{}",
        run.stderr
    );
    assert!(!rotation_in_aws(&sandbox, &key_arn));
}

#[test]
fn a_role_setup_passes_iam2_and_says_where_its_credentials_come_from() {
    let sandbox = Sandbox::start();
    let made = sandbox.cli(&[
        "provision",
        "--role",
        "app-role",
        "--trust",
        "ec2",
        "--new-key",
        "alias/app-role",
    ]);
    made.assert_ok();
    assert!(made.stdout.contains("instance profile"), "{}", made.stdout);
    assert!(made.stdout.contains("instance metadata"), "{}", made.stdout);
    let list = listed(&sandbox);
    let findings = &setup(&list, "app-role")["findings"];
    for control in ["KMS.3", "KMS.4", "IAM.2", "IAM.3", "IAM.22", "IAM.8"] {
        assert_eq!(
            finding(findings, control)["status"],
            "passed",
            "{control}: {findings}"
        );
    }
}

/// Backdates an access key inside the emulator, as a key made and used long ago looks in AWS.
fn age_key(sandbox: &Sandbox, access_key_id: &str, created_days_ago: u32, last_used: Option<u32>) {
    let spec = serde_json::json!({"ageKeys": {access_key_id: {
        "createdDaysAgo": created_days_ago, "lastUsedDaysAgo": last_used}}});
    ureq::Agent::new_with_defaults()
        .post(&format!("{}/_seed", sandbox.emulator.url))
        .content_type("application/json")
        .send(spec.to_string())
        .expect("age the key");
}

/// AWS's own answer: days since the key was made, days since it was last used.
fn ages_in_aws(sandbox: &Sandbox, user: &str, access_key_id: &str) -> (i64, Option<i64>) {
    let aws = sandbox.aws();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let keys = aws
        .block(aws.iam().list_access_keys().user_name(user).send())
        .expect("ListAccessKeys");
    let made = keys
        .access_key_metadata()
        .iter()
        .find(|k| k.access_key_id() == Some(access_key_id))
        .and_then(|k| k.create_date())
        .expect("CreateDate")
        .secs();
    let used = aws
        .block(
            aws.iam()
                .get_access_key_last_used()
                .access_key_id(access_key_id)
                .send(),
        )
        .expect("GetAccessKeyLastUsed");
    let used = used
        .access_key_last_used()
        .and_then(|u| u.last_used_date())
        .map(|d| (now - d.secs()) / 86_400);
    ((now - made) / 86_400, used)
}

#[test]
fn an_old_unused_key_fails_iam3_and_iam22_until_it_is_rotated() {
    let sandbox = Sandbox::start();
    let made = sandbox.cli(&[
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--json",
    ]);
    made.assert_ok();
    let old_key = made.json()["access_key_id"].as_str().unwrap().to_string();
    age_key(&sandbox, &old_key, 120, Some(50));
    assert_eq!(ages_in_aws(&sandbox, "app", &old_key), (120, Some(50)));

    let list = listed(&sandbox);
    let app = setup(&list, "app");
    let iam3 = finding(&app["findings"], "IAM.3");
    assert_eq!(iam3["status"], "failed");
    assert_eq!(iam3["action"], "rotate-access-key");
    assert_eq!(iam3["access_key_id"], old_key.as_str());
    assert!(iam3["message"].as_str().unwrap().contains("120 days old"));
    assert_eq!(finding(&app["findings"], "IAM.22")["status"], "failed");
    assert_eq!(
        finding(&app["findings"], "IAM.22")["action"],
        "remove-unused-key"
    );
    assert_eq!(
        finding(&app["findings"], "IAM.8")["status"],
        "passed",
        "50 < 90 days"
    );
    let age = &app["key_ages"][0];
    assert_eq!(age["created"], "120 days ago");
    assert_eq!(age["last_used"], "50 days ago");
    assert_eq!(age["too_old"], true);
    assert_eq!(age["unused"], true);
    let text = sandbox.cli(&["list"]);
    assert!(text.stdout.contains("ROTATE NOW"), "{}", text.stdout);

    // Never used for 100 days: both unused controls fail.
    age_key(&sandbox, &old_key, 100, None);
    let list = listed(&sandbox);
    let app = setup(&list, "app");
    assert_eq!(app["key_ages"][0]["last_used"], "never used");
    assert_eq!(finding(&app["findings"], "IAM.8")["status"], "failed");

    sandbox.cli(&["rotate", "--user", "app"]).assert_ok();
    let list = listed(&sandbox);
    let findings = &setup(&list, "app")["findings"];
    for control in ["IAM.3", "IAM.22", "IAM.8"] {
        assert_eq!(
            finding(findings, control)["status"],
            "passed",
            "{control} after rotation"
        );
    }
}
