//! Applications read the keychain through their AWS SDK: `credential-process` and the AWS profile
//! that uses it, checked with botocore's own credential resolution.

mod support;

use std::process::Command;
use support::Sandbox;

const EXISTING_CONFIG: &str = "# team settings — keep\n[default]\nregion = eu-west-1\n\n[profile admin]\nsso_session = corp   ; trailing comment\n\n[sso-session corp]\nsso_region = us-east-1\n";

fn provisioned() -> (Sandbox, serde_json::Value) {
    let sandbox = Sandbox::start();
    let run = sandbox.cli(&[
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--json",
    ]);
    run.assert_ok();
    let result = run.json();
    (sandbox, result)
}

#[test]
fn credential_process_prints_exactly_the_keychain_credentials() {
    let (sandbox, result) = provisioned();
    let access_key_id = result["access_key_id"].as_str().unwrap();
    let issued = sandbox.emulator.issued_secret(access_key_id).unwrap();
    let run = sandbox.cli(&["credential-process", "--user", "app"]);
    run.assert_ok();
    assert_eq!(run.stderr, "", "nothing on stderr when it works");
    let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"Version": 1, "AccessKeyId": access_key_id, "SecretAccessKey": issued})
    );
    let explicit = sandbox.cli(&[
        "credential-process",
        "--user",
        "app",
        "--account",
        "123456789012",
    ]);
    assert_eq!(explicit.stdout, run.stdout);

    let missing = sandbox.cli(&["credential-process", "--user", "nobody"]);
    missing.assert_failed();
    assert_eq!(missing.stdout, "");
    assert!(
        missing.stderr.contains("The keychain has no credentials"),
        "{}",
        missing.stderr
    );
}

#[test]
fn the_aws_profile_feeds_botocore_from_the_keychain_and_keeps_the_config_file() {
    let (sandbox, result) = provisioned();
    let config = sandbox.aws_dir().join("config");
    std::fs::write(&config, EXISTING_CONFIG).unwrap();

    let run = sandbox.cli(&[
        "aws-profile",
        "--user",
        "app",
        "--profile",
        "csfle-app",
        "--json",
    ]);
    run.assert_ok();
    let written = run.json();
    let edited = std::fs::read_to_string(&config).unwrap();
    assert!(
        edited.starts_with(EXISTING_CONFIG),
        "every byte before our section is unchanged:\n{edited}"
    );
    assert!(
        edited.contains("[profile csfle-app]\n# managed by csfle-provisioner"),
        "{edited}"
    );
    assert!(
        edited.contains("credential-process --user app --account 123456789012"),
        "{edited}"
    );
    let backup = written["backup"].as_str().expect("a backup was written");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), EXISTING_CONFIG);

    // Running it again changes nothing.
    sandbox
        .cli(&["aws-profile", "--user", "app", "--profile", "csfle-app"])
        .assert_ok();
    assert_eq!(std::fs::read_to_string(&config).unwrap(), edited);

    // botocore resolves the profile by running our credential_process, then uses the key.
    let script = r#"
import boto3, json, os
session = boto3.Session(profile_name="csfle-app")
creds = session.get_credentials().get_frozen_credentials()
kms = session.client("kms", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
blob = kms.encrypt(KeyId=os.environ["KEY_ARN"], Plaintext=b"hello")["CiphertextBlob"]
plain = kms.decrypt(CiphertextBlob=blob)["Plaintext"]
print(json.dumps({"access_key": creds.access_key, "secret": creds.secret_key, "region": session.region_name, "round_trip": plain == b"hello"}))
"#;
    let mut python = Command::new(support::python());
    python.arg("-c").arg(script).env_clear();
    for (key, value) in sandbox.env() {
        if !key.starts_with("AWS_ACCESS_KEY")
            && !key.starts_with("AWS_SECRET")
            && key != "AWS_REGION"
        {
            python.env(key, value);
        }
    }
    python.env("KEY_ARN", result["key_arn"].as_str().unwrap());
    let output = python.output().expect("run python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let access_key_id = result["access_key_id"].as_str().unwrap();
    assert_eq!(seen["access_key"], access_key_id);
    assert_eq!(
        seen["secret"],
        sandbox
            .emulator
            .issued_secret(access_key_id)
            .unwrap()
            .as_str()
    );
    assert_eq!(seen["region"], "us-east-1");
    assert_eq!(seen["round_trip"], true);

    // The profile holds no secret: only the keychain does.
    assert!(!edited.contains(seen["secret"].as_str().unwrap()));
    assert!(sandbox
        .files_containing(seen["secret"].as_str().unwrap())
        .is_empty());
}

#[test]
fn a_profile_the_app_did_not_write_is_never_overwritten() {
    let (sandbox, _) = provisioned();
    let config = sandbox.aws_dir().join("config");
    std::fs::write(&config, EXISTING_CONFIG).unwrap();
    let run = sandbox.cli(&["aws-profile", "--user", "app", "--profile", "admin"]);
    run.assert_failed();
    assert!(
        run.stderr
            .contains("already exists in your AWS config and was not made by this app"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), EXISTING_CONFIG);
    let backups = std::fs::read_dir(sandbox.aws_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("backup")
        })
        .count();
    assert_eq!(backups, 0, "nothing was written");
}

#[test]
fn credential_process_refuses_to_print_to_a_terminal() {
    let (sandbox, result) = provisioned();
    let secret = sandbox
        .emulator
        .issued_secret(result["access_key_id"].as_str().unwrap())
        .unwrap();
    let cli = support::workspace_binary("csfle-provisioner-cli");
    // `script` runs the command on a pseudo-terminal, as a person typing it would.
    let output = Command::new("script")
        .args([
            "-qec",
            &format!("{} credential-process --user app", cli.display()),
            "/dev/null",
        ])
        .env_clear()
        .envs(sandbox.env())
        .output()
        .expect("run script");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(text.contains("does not write to a terminal"), "{text}");
    assert!(!text.contains(&secret));
}
