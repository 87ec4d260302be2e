//! The engine end to end through csfle-provisioner-cli: the moto emulator for AWS, a private
//! gnome-keyring for the keychain.

mod support;

use serde_json::Value;
use support::keyring::KeyringState;
use support::Sandbox;

const SERVICE: &str = "csfle-provisioner";

fn keychain_item(sandbox: &Sandbox, result: &Value) -> Value {
    let account = result["keychain"]["account"]
        .as_str()
        .expect("keychain account");
    let item = sandbox
        .keyring
        .lookup(SERVICE, account)
        .unwrap_or_else(|| panic!("no keychain item for {account}"));
    serde_json::from_str(&item).expect("the keychain item is JSON")
}

/// No output, no file in the sealed home, carries `secret` in clear.
fn assert_secret_not_leaked(sandbox: &Sandbox, run: &support::CliRun, secret: &str) {
    assert!(
        !run.output().contains(secret),
        "the secret appeared in the CLI's output"
    );
    let files = sandbox.files_containing(secret);
    assert!(files.is_empty(), "the secret is in plain text in {files:?}");
}

#[test]
fn provisions_a_new_key_and_stores_exactly_the_issued_secret() {
    let sandbox = Sandbox::start();
    let run = sandbox.cli(&[
        "provision",
        "--user",
        "app-csfle",
        "--new-key",
        "alias/app-csfle",
        "--json",
    ]);
    run.assert_ok();
    let result = run.json();
    let aws = sandbox.aws();

    let key_arn = result["key_arn"].as_str().unwrap();
    assert!(
        key_arn.starts_with("arn:aws:kms:us-east-1:123456789012:key/"),
        "{key_arn}"
    );
    assert_eq!(result["key_alias"], "alias/app-csfle");
    assert_eq!(
        result["user_arn"],
        "arn:aws:iam::123456789012:user/csfle-provisioner/app-csfle"
    );
    assert_eq!(result["policy_name"], "csfle-kms-app-csfle");
    assert_eq!(result["verified"], true);
    assert_eq!(result["keychain"]["service"], SERVICE);
    assert_eq!(result["keychain"]["account"], "123456789012/app-csfle");

    // The one access key the user has is the one in the keychain, with the secret AWS issued.
    let access_key_id = result["access_key_id"].as_str().unwrap();
    assert_eq!(
        aws.access_keys("app-csfle"),
        vec![access_key_id.to_string()]
    );
    let issued = sandbox
        .emulator
        .issued_secret(access_key_id)
        .expect("emulator knows the key");
    let item = keychain_item(&sandbox, &result);
    assert_eq!(item["AccessKeyId"], access_key_id);
    assert_eq!(item["SecretAccessKey"], issued.as_str());
    assert_eq!(item["KeyArn"], key_arn);
    assert_eq!(item["Region"], "us-east-1");
    assert_eq!(item["UserArn"], result["user_arn"]);
    assert_eq!(sandbox.keyring.count(SERVICE), 1);

    // Exactly the least-privilege policy, byte for byte.
    assert_eq!(
        aws.user_policy("app-csfle", "csfle-kms-app-csfle").as_deref(),
        Some(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"{key_arn}"}}]}}"#).as_str())
    );
    assert_eq!(aws.user_policies("app-csfle").len(), 1);
    assert!(aws
        .user_tags("app-csfle")
        .contains(&("created-by".into(), SERVICE.into())));
    let key_id = key_arn.rsplit('/').next().unwrap();
    assert!(aws
        .key_tags(key_id)
        .contains(&("created-by".into(), SERVICE.into())));
    assert_eq!(aws.aliases(), vec!["alias/app-csfle".to_string()]);

    // The stored credentials work on their own.
    let as_app = aws.as_key(access_key_id, item["SecretAccessKey"].as_str().unwrap());
    as_app
        .round_trip(key_arn)
        .expect("the stored credentials encrypt and decrypt");

    assert_secret_not_leaked(&sandbox, &run, &issued);

    // The journal lists everything the run made, by name, and nothing secret.
    let journal = sandbox
        .keyring
        .home()
        .join(".local/share/csfle-provisioner/journal.json");
    let journal: Value = serde_json::from_str(&std::fs::read_to_string(journal).unwrap()).unwrap();
    let made: Vec<&str> = journal["runs"][0]["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    let mut sorted = made.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "access-key",
            "alias",
            "key",
            "keychain-item",
            "policy",
            "user"
        ],
        "{made:?}"
    );
    assert_eq!(journal["runs"][0]["state"], "complete");
}

#[test]
fn uses_an_existing_key_by_arn_or_alias() {
    let sandbox = Sandbox::start();
    let aws = sandbox.aws();
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let key_arn = aws.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    let key_id = key_arn.rsplit('/').next().unwrap().to_string();
    aws.block(
        aws.kms()
            .create_alias()
            .alias_name("alias/shared")
            .target_key_id(&key_id)
            .send(),
    )
    .expect("alias");

    let by_arn = sandbox.cli(&[
        "provision",
        "--user",
        "svc-a",
        "--existing-key",
        &key_arn,
        "--json",
    ]);
    by_arn.assert_ok();
    assert_eq!(by_arn.json()["key_arn"], key_arn.as_str());
    let by_alias = sandbox.cli(&[
        "provision",
        "--user",
        "svc-b",
        "--existing-key",
        "alias/shared",
        "--json",
    ]);
    by_alias.assert_ok();
    let result = by_alias.json();
    assert_eq!(result["key_arn"], key_arn.as_str());
    assert_eq!(result["key_alias"], "alias/shared");

    let item = keychain_item(&sandbox, &result);
    let issued = sandbox
        .emulator
        .issued_secret(result["access_key_id"].as_str().unwrap())
        .unwrap();
    assert_eq!(item["SecretAccessKey"], issued.as_str());
    aws.as_key(result["access_key_id"].as_str().unwrap(), &issued)
        .round_trip(&key_arn)
        .expect("round trip with the stored credentials");
    // The existing key is used, never changed: still enabled, and no new key was made.
    assert_eq!(aws.keys(), vec![(key_id, "Enabled".to_string())]);
    assert_secret_not_leaked(&sandbox, &by_alias, &issued);
}

#[test]
fn dry_run_shows_the_plan_and_changes_nothing() {
    let sandbox = Sandbox::start();
    let run = sandbox.cli(&[
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--dry-run",
        "--json",
    ]);
    run.assert_ok();
    let plan = run.json();
    let actions: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "kms:CreateKey",
            "kms:EnableKeyRotation",
            "kms:CreateAlias",
            "iam:CreateUser",
            "iam:PutUserPolicy",
            "iam:CreateAccessKey",
            "Save to keychain",
            "sts:GetCallerIdentity, kms:Encrypt, kms:Decrypt"
        ]
    );
    let document: Value = serde_json::from_str(plan["policy_document"].as_str().unwrap()).unwrap();
    assert_eq!(
        document["Statement"][0]["Action"],
        serde_json::json!(["kms:Decrypt", "kms:Encrypt"])
    );
    assert_eq!(plan["identity"]["account_id"], "123456789012");

    let mut seen = sandbox.emulator.actions();
    seen.sort();
    assert_eq!(
        seen,
        ["DescribeKey", "GetCallerIdentity", "GetUser"],
        "a dry run only reads"
    );
    let aws = sandbox.aws();
    assert!(aws.users().is_empty() && aws.keys().is_empty() && aws.aliases().is_empty());
    assert_eq!(sandbox.keyring.count(SERVICE), 0);
}

#[test]
fn invalid_inputs_name_the_field_and_make_no_call() {
    let sandbox = Sandbox::start();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--user", "has space", "--new-key", "alias/a"],
            "IAM user name",
        ),
        (&["--user", &"u".repeat(65), "--new-key", "alias/a"], "1–64"),
        (&["--user", "app", "--new-key", "alias/aws/s3"], "reserved"),
        (
            &["--user", "app", "--new-key", "app"],
            "must start with alias/",
        ),
        (
            &[
                "--user",
                "app",
                "--existing-key",
                "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ],
            "chosen region is us-east-1",
        ),
        (
            &[
                "--user",
                "app",
                "--existing-key",
                "arn:aws:kms:us-east-1:123:key/x",
            ],
            "Existing key",
        ),
        (
            &[
                "--user",
                "app",
                "--new-key",
                "alias/a",
                "--region",
                "us-moon-1",
            ],
            "Region",
        ),
        (
            &[
                "--user",
                "app",
                "--new-key",
                "alias/a",
                "--policy-name",
                "no/slash",
            ],
            "Policy name",
        ),
    ];
    for (args, expected) in cases {
        let mut full = vec!["provision"];
        full.extend_from_slice(args);
        let run = sandbox.cli(&full);
        run.assert_failed();
        assert!(
            run.stderr.contains(expected),
            "for {args:?} expected {expected:?} in:\n{}",
            run.stderr
        );
        assert!(run.stderr.contains("Nothing was changed"), "{}", run.stderr);
    }
    assert_eq!(
        sandbox.emulator.actions(),
        Vec::<String>::new(),
        "no AWS call for bad input"
    );
}

#[test]
fn an_existing_user_or_alias_stops_the_plan() {
    let sandbox = Sandbox::start();
    let aws = sandbox.aws();
    aws.block(aws.iam().create_user().user_name("taken").send())
        .unwrap();
    let run = sandbox.cli(&["provision", "--user", "taken", "--new-key", "alias/fresh"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("The IAM user taken already exists"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("never reuses"), "{}", run.stderr);

    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let key = aws.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    aws.block(
        aws.kms()
            .create_alias()
            .alias_name("alias/used")
            .target_key_id(&key)
            .send(),
    )
    .unwrap();
    let run = sandbox.cli(&["provision", "--user", "fresh", "--new-key", "alias/used"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("alias/used is already in use"),
        "{}",
        run.stderr
    );
    assert_eq!(aws.users(), vec!["taken".to_string()]);
    assert_eq!(aws.keys().len(), 1);
}

#[test]
fn unsuitable_existing_keys_are_refused_with_the_reason() {
    let sandbox = Sandbox::start();
    let aws = sandbox.aws();
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let rsa = aws.create_key(KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt);
    let disabled = aws.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    let disabled_id = disabled.rsplit('/').next().unwrap();
    aws.block(aws.kms().disable_key().key_id(disabled_id).send())
        .unwrap();
    for (key, reason) in [(rsa.as_str(), "RSA_2048"), (disabled.as_str(), "disabled")] {
        let run = sandbox.cli(&["provision", "--user", "app", "--existing-key", key]);
        run.assert_failed();
        assert!(
            run.stderr.contains("cannot be used") && run.stderr.contains(reason),
            "{}",
            run.stderr
        );
    }
    let missing = sandbox.cli(&[
        "provision",
        "--user",
        "app",
        "--existing-key",
        "alias/nothing-here",
    ]);
    missing.assert_failed();
    assert!(
        missing
            .stderr
            .contains("No KMS key alias/nothing-here was found"),
        "{}",
        missing.stderr
    );
    assert!(aws.users().is_empty());
}

#[test]
fn missing_admin_credentials_are_explained() {
    let sandbox = Sandbox::with_keyring(KeyringState::NoService);
    let run = sandbox.cli_with(
        &["provision", "--user", "app", "--new-key", "alias/app"],
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    );
    run.assert_failed();
    assert!(run.stderr.contains("No AWS credentials"), "{}", run.stderr);
    assert!(run.stderr.contains("profile"), "{}", run.stderr);
}

#[test]
fn named_profiles_work_including_credential_process_ones() {
    let sandbox = Sandbox::start();
    std::fs::write(
        sandbox.aws_dir().join("credentials"),
        "[static-admin]\naws_access_key_id = AKIASTATICPROFILE001\naws_secret_access_key = x\n",
    )
    .unwrap();
    std::fs::write(
        sandbox.aws_dir().join("config"),
        "[profile static-admin]\nregion = us-east-1\n\n[profile process-admin]\nregion = us-east-1\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"AKIAPROCESSPROFILE01\",\"SecretAccessKey\":\"x\"}'\n",
    )
    .unwrap();
    let no_env_keys = [
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("AWS_REGION", ""),
    ];
    for (profile, key) in [
        ("static-admin", "AKIASTATICPROFILE001"),
        ("process-admin", "AKIAPROCESSPROFILE01"),
    ] {
        sandbox.emulator.clear_requests();
        let run = sandbox.cli_with(
            &[
                "provision",
                "--user",
                "app",
                "--new-key",
                "alias/app",
                "--profile",
                profile,
                "--dry-run",
                "--json",
            ],
            &no_env_keys,
        );
        run.assert_ok();
        assert_eq!(
            run.json()["identity"]["region"],
            "us-east-1",
            "the region came from the profile"
        );
        let keys: Vec<_> = sandbox
            .emulator
            .requests()
            .iter()
            .map(|r| r["accessKey"].as_str().unwrap_or_default().to_string())
            .collect();
        assert!(
            !keys.is_empty() && keys.iter().all(|k| k == key),
            "{profile}: signed with {keys:?}"
        );
    }
    // Keys in the environment do not outrank the profile the admin named (the AWS CLI's rule).
    sandbox.emulator.clear_requests();
    sandbox
        .cli_with(
            &[
                "provision",
                "--user",
                "app",
                "--new-key",
                "alias/app",
                "--profile",
                "static-admin",
                "--dry-run",
                "--json",
            ],
            &[("AWS_REGION", "")],
        )
        .assert_ok();
    let keys: Vec<_> = sandbox
        .emulator
        .requests()
        .iter()
        .map(|r| r["accessKey"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        !keys.is_empty() && keys.iter().all(|k| k == "AKIASTATICPROFILE001"),
        "with the admin's keys in the environment: signed with {keys:?}"
    );
    let missing = sandbox.cli_with(
        &[
            "provision",
            "--user",
            "app",
            "--new-key",
            "alias/app",
            "--profile",
            "nope",
            "--dry-run",
        ],
        &no_env_keys,
    );
    missing.assert_failed();
    assert!(missing.stderr.contains("error:"), "{}", missing.stderr);
}
