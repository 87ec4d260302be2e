//! Issue 18, first part: a user setup's credentials sealed to the computer where the application
//! runs, never shown on the way. The target prints its age recipient, the admin seals the keychain
//! item to it, Debian's own `age` opens the file with the target's identity (interop), the target
//! imports it into its own keychain and serves session credentials from there.

mod support;

use serde_json::Value;
use std::process::Command;
use support::Sandbox;

const SERVICE: &str = "csfle-provisioner";
const IDENTITY_ACCOUNT: &str = "this-computer/age-identity";

/// The target computer's CLI: its own keychain and home, the admin's AWS (the emulator).
fn on_target(target: &Sandbox, admin: &Sandbox, args: &[&str]) -> support::CliRun {
    target.cli_with(
        args,
        &[
            ("AWS_ENDPOINT_URL", admin.emulator.url.as_str()),
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
        ],
    )
}

#[test]
fn credentials_sealed_to_another_computer_open_only_there_and_serve_it() {
    let admin = Sandbox::start();
    let target = Sandbox::start();
    admin.provision_user("app");
    let item = admin.keychain_item_text("app");
    let secret = admin.keychain_item("app")["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_string();

    let received = on_target(&target, &admin, &["receive", "--json"]);
    received.assert_ok();
    let recipient = received.json()["recipient"].as_str().unwrap().to_string();
    assert!(recipient.starts_with("age1"), "{recipient}");
    let again = on_target(&target, &admin, &["receive", "--json"]);
    assert_eq!(
        again.json()["recipient"].as_str(),
        Some(recipient.as_str()),
        "one identity per computer"
    );

    let folder = tempfile::tempdir().unwrap();
    let sealed = folder.path().join("app.age");
    let sealed_arg = sealed.display().to_string();
    let bad = admin.cli(&[
        "deliver",
        "--user",
        "app",
        "--to",
        "age1nope",
        "--out",
        &sealed_arg,
    ]);
    bad.assert_failed();
    assert!(!sealed.exists(), "a bad recipient writes nothing");
    let delivered = admin.cli(&[
        "deliver",
        "--user",
        "app",
        "--to",
        &recipient,
        "--out",
        &sealed_arg,
    ]);
    delivered.assert_ok();
    let bytes = std::fs::read(&sealed).unwrap();
    assert!(
        !String::from_utf8_lossy(&bytes).contains(&secret),
        "sealed, not plain"
    );
    assert!(!delivered.stdout.contains(&secret) && !delivered.stderr.contains(&secret));
    let twice = admin.cli(&[
        "deliver",
        "--user",
        "app",
        "--to",
        &recipient,
        "--out",
        &sealed_arg,
    ]);
    twice.assert_failed();
    assert_eq!(
        std::fs::read(&sealed).unwrap(),
        bytes,
        "an existing file is never replaced"
    );

    // Any age implementation opens it with the target's identity: Debian's age.
    let identity = target
        .keyring
        .lookup(SERVICE, IDENTITY_ACCOUNT)
        .expect("target identity");
    let identity_file = folder.path().join("identity.txt");
    std::fs::write(&identity_file, identity).unwrap();
    let opened = Command::new("age")
        .args(["-d", "-i"])
        .arg(&identity_file)
        .arg(&sealed)
        .output()
        .expect("run age (Debian package age)");
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );
    let opened: Value = serde_json::from_slice(&opened.stdout).unwrap();
    assert_eq!(opened, serde_json::from_str::<Value>(&item).unwrap());

    // The admin's own computer is not the target: it cannot import the file.
    let elsewhere = admin.cli(&["receive", "--json"]);
    elsewhere.assert_ok();
    let wrong = admin.cli(&["import", &sealed_arg]);
    wrong.assert_failed();
    assert!(wrong.stderr.contains("sealed-file"), "{}", wrong.stderr);

    let imported = on_target(&target, &admin, &["import", &sealed_arg, "--json"]);
    imported.assert_ok();
    assert!(!imported.stdout.contains(&secret) && !imported.stderr.contains(&secret));
    assert_eq!(
        target
            .keyring
            .lookup(SERVICE, "123456789012/app")
            .as_deref(),
        Some(item.as_str())
    );

    // On the target, credential-process serves session credentials made with the imported key.
    let served = on_target(&target, &admin, &["credential-process", "--user", "app"]);
    served.assert_ok();
    let answer: Value = serde_json::from_str(served.stdout.trim()).unwrap();
    assert!(
        answer["SessionToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{answer}"
    );
    assert_ne!(
        answer["SecretAccessKey"].as_str(),
        Some(secret.as_str()),
        "never the long-lived key"
    );
}
