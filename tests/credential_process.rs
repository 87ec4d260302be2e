//! Applications read the keychain through their AWS SDK: `credential-process` and the AWS profile
//! that uses it, checked with botocore's own credential resolution.

mod support;

use std::process::Command;
use support::Sandbox;

const SERVICE: &str = "csfle-provisioner";
const CACHE_ACCOUNT: &str = "123456789012/app#session";

const EXISTING_CONFIG: &str = "# team settings — keep\n[default]\nregion = eu-west-1\n\n[profile admin]\nsso_session = corp   ; trailing comment\n\n[sso-session corp]\nsso_region = us-east-1\n";

fn provisioned() -> (Sandbox, serde_json::Value) {
    provisioned_with(&[])
}

fn provisioned_with(extra: &[&str]) -> (Sandbox, serde_json::Value) {
    let sandbox = Sandbox::start();
    let mut args = vec![
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--json",
    ];
    args.extend_from_slice(extra);
    let run = sandbox.cli(&args);
    run.assert_ok();
    let result = run.json();
    (sandbox, result)
}

/// The secret access key the keychain item of `app` holds, read from the keyring itself.
fn keychain_secret(sandbox: &Sandbox) -> String {
    let item = sandbox
        .keyring
        .lookup(SERVICE, "123456789012/app")
        .expect("the setup's keychain item");
    let value: serde_json::Value = serde_json::from_str(&item).unwrap();
    value["SecretAccessKey"].as_str().unwrap().to_string()
}

#[test]
fn long_lived_through_a_pipe_prints_no_stored_secret_without_allow_long_lived() {
    let (sandbox, result) = provisioned();
    let stored = keychain_secret(&sandbox);
    let issued = sandbox
        .emulator
        .issued_secret(result["access_key_id"].as_str().unwrap())
        .unwrap();
    assert_eq!(stored, issued);
    let item = sandbox.keyring.lookup(SERVICE, "123456789012/app").unwrap();
    let item: serde_json::Value = serde_json::from_str(&item).unwrap();
    assert_eq!(item["AllowLongLived"], false, "{item:#}");
    assert_eq!(item["MaxSessionSeconds"], 3_600);
    sandbox.emulator.clear_requests();
    // sandbox.cli reads stdout through a pipe: the terminal check cannot stop this.
    for args in [
        &["credential-process", "--user", "app", "--long-lived"][..],
        &[
            "credential-process",
            "--user",
            "app",
            "--account",
            "123456789012",
            "--long-lived",
        ],
    ] {
        let run = sandbox.cli(args);
        run.assert_failed();
        assert_eq!(run.stdout, "", "nothing on stdout");
        assert!(
            !run.output().contains(&stored),
            "the stored secret was printed"
        );
        assert!(
            run.stderr.contains("code: long-lived-not-allowed"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("--allow-long-lived"), "{}", run.stderr);
    }
    assert_eq!(
        sandbox.emulator.actions(),
        Vec::<String>::new(),
        "no AWS call"
    );
    assert!(sandbox.keyring.lookup(SERVICE, CACHE_ACCOUNT).is_none());
    // The setups view says so.
    let list = sandbox.cli(&["list", "--json"]);
    list.assert_ok();
    let setups = list.json();
    let app = setups["setups"]
        .as_array()
        .or(setups.as_array())
        .and_then(|all| all.iter().find(|s| s["name"] == "app"))
        .cloned()
        .unwrap_or_else(|| panic!("app in {setups:#}"));
    assert_eq!(
        app["credential_terms"],
        serde_json::json!({"allow_long_lived": false, "max_session_seconds": 3600})
    );
}

#[test]
fn credential_process_long_lived_prints_exactly_the_keychain_credentials() {
    let (sandbox, result) = provisioned_with(&["--allow-long-lived"]);
    let access_key_id = result["access_key_id"].as_str().unwrap();
    let issued = sandbox.emulator.issued_secret(access_key_id).unwrap();
    let run = sandbox.cli(&["credential-process", "--user", "app", "--long-lived"]);
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
        "--long-lived",
    ]);
    assert_eq!(explicit.stdout, run.stdout);
    assert!(
        sandbox.keyring.lookup(SERVICE, CACHE_ACCOUNT).is_none(),
        "--long-lived neither makes nor reads session credentials"
    );
    let list = sandbox.cli(&["list"]);
    list.assert_ok();
    assert!(
        list.stdout
            .contains("long-lived key allowed (--long-lived)"),
        "{}",
        list.stdout
    );

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
fn session_credentials_longer_than_the_setups_cap_are_refused() {
    let bad = Sandbox::start();
    let refused = bad.cli(&[
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--max-session-seconds",
        "129600",
    ]);
    refused.assert_failed();
    assert!(refused.stderr.contains("900..=43200"), "{}", refused.stderr);
    drop(bad);

    let (sandbox, _) = provisioned_with(&["--max-session-seconds", "1800"]);
    sandbox.emulator.clear_requests();
    for asked in ["1801", "3600", "129600"] {
        let run = sandbox.cli(&[
            "credential-process",
            "--user",
            "app",
            "--duration-seconds",
            asked,
        ]);
        run.assert_failed();
        assert_eq!(run.stdout, "");
        assert!(
            run.stderr.contains("code: session-duration-above-cap"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("at most 1800 s"), "{}", run.stderr);
    }
    assert!(
        session_token_calls(&sandbox).is_empty(),
        "no STS call for a refused request"
    );

    // Without --duration-seconds: the cap, as it is shorter than an hour.
    let run = sandbox.cli(&["credential-process", "--user", "app"]);
    run.assert_ok();
    let lasts = epoch_of(run.json()["Expiration"].as_str().unwrap()) - now();
    assert!((1_700..=1_800).contains(&lasts), "the cap, got {lasts} s");
    // A refused request stays refused with the answer cached; one within the cap is served.
    let cached = sandbox.cli(&[
        "credential-process",
        "--user",
        "app",
        "--duration-seconds",
        "3600",
    ]);
    cached.assert_failed();
    assert_eq!(cached.stdout, "");
    sandbox
        .cli(&[
            "credential-process",
            "--user",
            "app",
            "--duration-seconds",
            "1800",
        ])
        .assert_ok();
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
resolved = session.get_credentials()
expiry = getattr(resolved, "_expiry_time", None)
print(json.dumps({"access_key": creds.access_key, "secret": creds.secret_key, "token": creds.token, "expiry": expiry.isoformat() if expiry else None, "region": session.region_name, "round_trip": plain == b"hello"}))
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
    sandbox.emulator.clear_requests(); // the setup's own proof used the stored key
    let output = python.output().expect("run python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let access_key_id = result["access_key_id"].as_str().unwrap();
    let stored_secret = sandbox.emulator.issued_secret(access_key_id).unwrap();
    // The SDK got session credentials, not the stored key: a token, an expiry, another key id.
    assert_ne!(seen["access_key"], access_key_id);
    assert_ne!(seen["secret"], stored_secret.as_str());
    assert!(
        seen["token"].as_str().is_some_and(|t| !t.is_empty()),
        "{seen}"
    );
    assert!(
        seen["expiry"].is_string(),
        "botocore treats them as expiring: {seen}"
    );
    assert_eq!(seen["region"], "us-east-1");
    assert_eq!(seen["round_trip"], true);
    // The Encrypt/Decrypt calls were signed with the session key, never with the stored one.
    let kms_keys: Vec<String> = sandbox
        .emulator
        .requests()
        .iter()
        .filter(|r| r["action"] == "Encrypt" || r["action"] == "Decrypt")
        .map(|r| r["accessKey"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(!kms_keys.is_empty());
    assert!(
        kms_keys
            .iter()
            .all(|k| k == seen["access_key"].as_str().unwrap()),
        "{kms_keys:?}"
    );
    assert!(sandbox.files_containing(&stored_secret).is_empty());
    assert!(sandbox
        .files_containing(seen["token"].as_str().unwrap())
        .is_empty());

    // The profile holds no secret: only the keychain does.
    assert!(!edited.contains(seen["secret"].as_str().unwrap()));
    assert!(sandbox
        .files_containing(seen["secret"].as_str().unwrap())
        .is_empty());
}

#[test]
fn a_planted_link_at_the_backups_name_is_not_followed() {
    let (sandbox, _) = provisioned();
    let config = sandbox.aws_dir().join("config");
    std::fs::write(&config, EXISTING_CONFIG).unwrap();
    let elsewhere = sandbox.keyring.home().join("public-file");
    std::fs::write(&elsewhere, "theirs").unwrap();
    std::os::unix::fs::symlink(&elsewhere, sandbox.aws_dir().join("config.csfle-backup")).unwrap();
    let run = sandbox.cli(&["aws-profile", "--user", "app", "--profile", "csfle-app"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("code: aws-config-backup-link"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "theirs");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), EXISTING_CONFIG);
    // Without the link, the backup is a new private file.
    std::fs::remove_file(sandbox.aws_dir().join("config.csfle-backup")).unwrap();
    sandbox
        .cli(&["aws-profile", "--user", "app", "--profile", "csfle-app"])
        .assert_ok();
    let backup = sandbox.aws_dir().join("config.csfle-backup");
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(&backup).unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), EXISTING_CONFIG);
}

#[test]
fn a_cli_run_from_the_temporary_folder_writes_no_profile() {
    let (sandbox, _) = provisioned();
    let config = sandbox.aws_dir().join("config");
    std::fs::write(&config, EXISTING_CONFIG).unwrap();
    // The sandbox's home is itself under the temporary folder: a copy there is transient.
    let copy = sandbox
        .keyring
        .home()
        .join("Downloads/csfle-provisioner-cli");
    assert!(copy.starts_with(std::env::temp_dir()));
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(support::workspace_binary("csfle-provisioner-cli"), &copy).unwrap();
    let output = Command::new(&copy)
        .args(["aws-profile", "--user", "app", "--profile", "csfle-app"])
        .env_clear()
        .envs(sandbox.env())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("code: cli-path-transient"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), EXISTING_CONFIG);
}

#[test]
fn without_a_home_nothing_is_written_relative_to_the_working_directory() {
    let (sandbox, _) = provisioned();
    let cwd = sandbox.keyring.home().join("somewhere");
    std::fs::create_dir_all(&cwd).unwrap();
    let cli = support::workspace_binary("csfle-provisioner-cli");
    let mut command = Command::new(cli);
    command
        .args(["credential-process", "--user", "app"])
        .current_dir(&cwd)
        .env_clear();
    for (key, value) in sandbox.env() {
        if !["HOME", "XDG_DATA_HOME", "CSFLE_PROVISIONER_DATA_DIR"].contains(&key.as_str()) {
            command.env(key, value);
        }
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("HOME is not set"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(&cwd).unwrap().count(),
        0,
        "nothing was written in the working directory"
    );
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

/// Seconds since the epoch of an RFC 3339 time as AWS and our output write it.
fn epoch_of(text: &str) -> i64 {
    aws_smithy_types::DateTime::from_str(text, aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
        .secs()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn session_token_calls(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .emulator
        .requests()
        .iter()
        .filter(|r| r["action"] == "GetSessionToken")
        .map(|r| r["accessKey"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn credential_process_hands_out_one_hour_session_credentials_cached_in_the_keychain() {
    let (sandbox, result) = provisioned();
    let access_key_id = result["access_key_id"].as_str().unwrap();
    let stored_secret = sandbox.emulator.issued_secret(access_key_id).unwrap();
    sandbox.emulator.clear_requests();

    let first = sandbox.cli(&["credential-process", "--user", "app"]);
    first.assert_ok();
    assert_eq!(first.stderr, "", "nothing on stderr when it works");
    let answer = first.json();
    assert_eq!(answer["Version"], 1);
    assert!(answer["SessionToken"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert_ne!(
        answer["AccessKeyId"], access_key_id,
        "the stored key is not handed out"
    );
    assert!(!first.stdout.contains(&stored_secret));
    let lasts = epoch_of(answer["Expiration"].as_str().unwrap()) - now();
    assert!(
        (3_500..=3_600).contains(&lasts),
        "one hour by default, got {lasts} s"
    );
    // Made with the stored key: one sts:GetSessionToken, signed by it.
    assert_eq!(session_token_calls(&sandbox), [access_key_id]);
    // Cached as a second keychain item holding exactly what the application got.
    let cached = sandbox
        .keyring
        .lookup(SERVICE, CACHE_ACCOUNT)
        .expect("cache item");
    assert_eq!(cached.trim(), first.stdout.trim());
    assert_eq!(sandbox.keyring.count(SERVICE), 2);

    // Within the hour the same credentials come back, with no AWS call at all.
    sandbox.emulator.clear_requests();
    let second = sandbox.cli(&[
        "credential-process",
        "--user",
        "app",
        "--account",
        "123456789012",
    ]);
    second.assert_ok();
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(sandbox.emulator.actions(), Vec::<String>::new());

    // Nothing secret was written anywhere else in the sealed home (the keyring file is encrypted).
    for needle in [
        answer["SecretAccessKey"].as_str().unwrap(),
        answer["SessionToken"].as_str().unwrap(),
        stored_secret.as_str(),
    ] {
        assert!(
            sandbox.files_containing(needle).is_empty(),
            "{needle:.6}… found in a file"
        );
    }
}

#[test]
fn an_sts_failure_says_what_to_do_and_prints_nothing() {
    let (sandbox, _) = provisioned();
    sandbox.emulator.add_fault(serde_json::json!({
        "action": "GetSessionToken", "status": 403, "code": "InvalidClientTokenId",
        "message": "The security token included in the request is invalid."
    }));
    let run = sandbox.cli(&["credential-process", "--user", "app"]);
    run.assert_failed();
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("sts:GetSessionToken"), "{}", run.stderr);
    assert!(sandbox.keyring.lookup(SERVICE, CACHE_ACCOUNT).is_none());
}

#[test]
fn rotation_and_teardown_remove_the_cached_session_credentials() {
    let (sandbox, result) = provisioned();
    sandbox
        .cli(&["credential-process", "--user", "app"])
        .assert_ok();
    assert!(sandbox.keyring.lookup(SERVICE, CACHE_ACCOUNT).is_some());

    let rotated = sandbox.cli(&["rotate", "--user", "app", "--json"]);
    rotated.assert_ok();
    let new_key = rotated.json()["new_access_key_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_key, result["access_key_id"].as_str().unwrap());
    assert!(
        sandbox.keyring.lookup(SERVICE, CACHE_ACCOUNT).is_none(),
        "credentials made with the old key are not handed out after a rotation"
    );
    assert_eq!(sandbox.keyring.count(SERVICE), 1);

    // The next call makes fresh credentials with the new key.
    sandbox.emulator.clear_requests();
    sandbox
        .cli(&["credential-process", "--user", "app"])
        .assert_ok();
    assert_eq!(session_token_calls(&sandbox), [new_key]);
    assert!(sandbox.keyring.lookup(SERVICE, CACHE_ACCOUNT).is_some());

    sandbox
        .cli(&["teardown", "--user", "app", "--yes"])
        .assert_ok();
    assert_eq!(
        sandbox.keyring.count(SERVICE),
        0,
        "both keychain items are gone"
    );
}

#[test]
fn libmongocrypt_on_demand_credentials_come_from_the_profile_as_session_credentials() {
    let (sandbox, result) = provisioned();
    sandbox
        .cli(&["aws-profile", "--user", "app", "--profile", "csfle-app"])
        .assert_ok();
    let access_key_id = result["access_key_id"].as_str().unwrap();
    sandbox.emulator.clear_requests();
    // kms_providers {"aws": {}}: libmongocrypt asks the AWS default chain, which runs our
    // credential_process through the profile (tests/apps/mongocrypt_app.py).
    let seen = sandbox.mongocrypt_app(
        result["key_arn"].as_str().unwrap(),
        &[("AWS_PROFILE", "csfle-app")],
    );
    assert_eq!(seen["round_trip"], true, "a data key made and used");
    assert_eq!(
        seen["token_sent"], true,
        "libmongocrypt signed with the session token"
    );
    let calls: Vec<(String, String)> = sandbox
        .emulator
        .requests()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or_default().to_string(),
                r["accessKey"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    // The stored key signed only sts:GetSessionToken; libmongocrypt's Encrypt and Decrypt were
    // signed with the session credentials.
    assert_eq!(
        calls[0],
        ("GetSessionToken".to_string(), access_key_id.to_string())
    );
    let kms: Vec<&(String, String)> = calls[1..].iter().collect();
    assert!(
        kms.iter().any(|(action, _)| action == "Encrypt"),
        "{calls:?}"
    );
    assert!(
        kms.iter().any(|(action, _)| action == "Decrypt"),
        "{calls:?}"
    );
    assert!(
        kms.iter().all(|(_, key)| key != access_key_id),
        "the stored key reached the application: {calls:?}"
    );
}
