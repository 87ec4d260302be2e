//! `exec` (issue 17): for drivers that read no AWS profile, a child process gets the setup's
//! session credentials in its environment and nowhere else, and its exit status comes back.

mod support;

use serde_json::Value;
use support::Sandbox;

const SERVICE: &str = "csfle-provisioner";

fn provision(sandbox: &Sandbox) -> Value {
    sandbox.provision_user("app").json()
}

/// The sandbox environment without the admin's own keys: the child must get its credentials
/// from `exec`, not from the test.
const WITHOUT_ADMIN_KEYS: [(&str, &str); 2] =
    [("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")];

#[test]
fn a_child_that_reads_only_its_environment_encrypts_with_session_credentials() {
    let sandbox = Sandbox::start();
    let made = provision(&sandbox);
    let item: Value = serde_json::from_str(
        &sandbox
            .keyring
            .lookup(SERVICE, "123456789012/app")
            .expect("keychain item"),
    )
    .unwrap();
    let long_lived_secret = item["SecretAccessKey"].as_str().unwrap().to_string();
    let python = support::python().display().to_string();
    let app = support::repo_root()
        .join("tests/apps/mongocrypt_app.py")
        .display()
        .to_string();
    let emulator_url = sandbox.emulator.url.clone();
    let key_arn = made["key_arn"].as_str().unwrap().to_string();
    let mut overrides = WITHOUT_ADMIN_KEYS.to_vec();
    let extra = [
        ("EMULATOR_URL", emulator_url.as_str()),
        ("KEY_ARN", key_arn.as_str()),
        ("AWS_REGION_OF_KEY", "us-east-1"),
    ];
    overrides.extend(extra);
    let run = sandbox.cli_with(&["exec", "--user", "app", "--", &python, &app], &overrides);
    run.assert_ok();
    let seen: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(seen["round_trip"], true, "{}", run.stderr);
    assert_eq!(
        seen["token_sent"], true,
        "session credentials, with their token"
    );
    assert!(
        !run.stdout.contains(&long_lived_secret) && !run.stderr.contains(&long_lived_secret),
        "the long-lived secret never appears"
    );

    // What the child's environment holds: session credentials (not the stored key) and the
    // key's region.
    let probe = "import os, json; print(json.dumps({k: os.environ.get(k) for k in \
                 ['AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_PROFILE']}))";
    let env = sandbox.cli_with(
        &["exec", "--user", "app", "--", &python, "-c", probe],
        &overrides,
    );
    env.assert_ok();
    let env: Value = serde_json::from_str(env.stdout.trim()).unwrap();
    assert_ne!(
        env["AWS_ACCESS_KEY_ID"], item["AccessKeyId"],
        "not the long-lived key"
    );
    assert!(env["AWS_SESSION_TOKEN"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["AWS_PROFILE"], Value::Null);
}

#[test]
fn the_childs_exit_status_comes_back_and_a_missing_setup_starts_nothing() {
    let sandbox = Sandbox::start();
    provision(&sandbox);
    let overrides = WITHOUT_ADMIN_KEYS;
    let failed = sandbox.cli_with(
        &["exec", "--user", "app", "--", "sh", "-c", "exit 7"],
        &overrides,
    );
    assert_eq!(failed.status.code(), Some(7));
    let ok = sandbox.cli_with(&["exec", "--user", "app", "--", "true"], &overrides);
    assert_eq!(ok.status.code(), Some(0));

    let marker = tempfile::tempdir().unwrap();
    let touched = marker.path().join("ran");
    let missing = sandbox.cli_with(
        &[
            "exec",
            "--user",
            "nobody",
            "--",
            "touch",
            touched.to_str().unwrap(),
        ],
        &overrides,
    );
    missing.assert_failed();
    assert!(!touched.exists(), "no credentials, no command");
}
