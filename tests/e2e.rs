//! The real app window (the release-like binary with the UI embedded) under Xvfb, driven through
//! tauri-driver, against the emulator and a private keyring. Screenshots of every screen go to
//! test-artifacts/screenshots/.

mod support;

use serde_json::{json, Value};
use support::flow::{Flow, SERVICE};
use support::sandbox::ADMIN_ACCESS_KEY;
use support::Sandbox;

fn check_stored_credentials(flow: &Flow, item: &Value) -> String {
    let access_key_id = item["AccessKeyId"].as_str().expect("AccessKeyId");
    let issued = flow
        .sandbox
        .emulator
        .issued_secret(access_key_id)
        .expect("issued secret");
    assert_eq!(item["SecretAccessKey"], issued.as_str());
    let shown = flow.window.text("#outcome-access-key");
    assert_eq!(
        shown,
        format!(
            "{}…{}",
            &access_key_id[..4],
            &access_key_id[access_key_id.len() - 4..]
        )
    );
    flow.sandbox
        .aws()
        .as_key(access_key_id, &issued)
        .round_trip(item["KeyArn"].as_str().unwrap())
        .expect("the stored credentials encrypt and decrypt");
    issued
}

#[test]
fn create_new_key_flow() {
    let sandbox = Sandbox::start();
    // IAM's propagation delay, so the progress screen can be seen (and pictured) mid-run.
    sandbox.emulator.add_fault(json!({"action": "GetCallerIdentity", "notAccessKey": ADMIN_ACCESS_KEY, "times": 3, "status": 403, "code": "InvalidClientTokenId", "message": "not yet"}));
    let mut flow = Flow::open("new-key", sandbox);
    flow.connect_to_application();
    flow.application("orders", "outside");
    // Every name comes from the application name: the alias, the user and its policy.
    assert_eq!(flow.value("#alias"), "alias/orders-csfle");
    assert_eq!(
        flow.value("#description"),
        "MongoDB CSFLE master key for orders"
    );
    flow.wait_text("#alias-status", "Available");
    flow.shot("master-key-new");
    flow.window.click("#key-continue");
    flow.window.wait_for_screen("account");
    assert_eq!(flow.value("#user-name"), "orders-csfle");
    assert_eq!(flow.value("#policy-name"), "csfle-kms-orders-csfle");
    assert!(flow.window.text("#account-where").contains(
        "runs outside AWS (a data centre, another cloud, a laptop), so it signs in as an IAM user"
    ));
    flow.wait_text("#user-name-status", "Available");
    flow.shot("service-account");
    flow.window.click("#account-review");
    flow.window.wait_for_screen("review");
    flow.review_and_apply();
    flow.window.wait_for_screen("apply");
    flow.wait_text("[data-step=verify]", "Waiting for AWS to activate");
    // The keychain write runs beside the proof and finishes while IAM is still catching up.
    flow.wait_text("[data-step=store-in-keychain]", "Done");
    flow.shot("apply-progress");
    let item = flow.finish();
    let secret = check_stored_credentials(&flow, &item);
    assert_eq!(
        flow.window.text("#outcome-key-arn"),
        item["KeyArn"].as_str().unwrap()
    );
    let aws = flow.sandbox.aws();
    assert!(aws.aliases().contains(&"alias/orders-csfle".to_string()));
    assert_eq!(
        aws.user_policies("orders-csfle"),
        ["csfle-kms-orders-csfle"]
    );
    let snippet = flow.window.text("#driver-snippet");
    assert!(
        snippet.contains(item["KeyArn"].as_str().unwrap()) && snippet.contains("us-east-1"),
        "{snippet}"
    );
    flow.assert_secret_never_shown(&secret);
}

#[test]
fn use_existing_key_flow() {
    let sandbox = Sandbox::start();
    let aws = sandbox.aws();
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let key_arn = aws.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    let key_id = key_arn.rsplit('/').next().unwrap().to_string();
    aws.block(
        aws.kms()
            .create_alias()
            .alias_name("alias/team-key")
            .target_key_id(&key_id)
            .send(),
    )
    .unwrap();
    let disabled = aws.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    let disabled_id = disabled.rsplit('/').next().unwrap().to_string();
    aws.block(aws.kms().disable_key().key_id(&disabled_id).send())
        .unwrap();

    let mut flow = Flow::open("existing-key", sandbox);
    flow.connect();
    flow.window.click("#mode-existing");
    flow.window.find(&format!("#key-{key_id}"));
    let unusable = flow.window.execute(
        "return document.getElementById(arguments[0]).disabled;",
        json!([format!("key-{disabled_id}")]),
    );
    assert_eq!(unusable, json!(true), "a disabled key cannot be picked");
    assert!(flow
        .window
        .page_text()
        .contains("Cannot be used: it is disabled"));
    flow.window.click(&format!("#key-{key_id}"));
    flow.shot("master-key-existing");
    flow.window.click("#key-continue");
    flow.service_account("billing-service");
    flow.review_and_apply();
    let item = flow.finish();
    assert_eq!(item["KeyArn"], key_arn.as_str());
    let secret = check_stored_credentials(&flow, &item);
    flow.assert_secret_never_shown(&secret);
}

#[test]
fn failure_mid_way_shows_the_rollback() {
    let sandbox = Sandbox::start();
    sandbox.emulator.add_fault(json!({"action": "PutUserPolicy", "status": 403, "code": "AccessDenied", "message": "User is not authorized to perform iam:PutUserPolicy"}));
    let mut flow = Flow::open("failure", sandbox);
    flow.connect();
    flow.wait_text("#alias-status", "Available");
    flow.window.click("#key-continue");
    flow.service_account("payments-service");
    flow.review_and_apply();
    let alert = flow.error_panel();
    assert!(alert.contains("iam:PutUserPolicy was denied"), "{alert}");
    assert!(
        alert.contains("What to do: Your AWS identity lacks the permission iam:PutUserPolicy"),
        "{alert}"
    );
    assert!(alert.contains("Rolled back"), "{alert}");
    assert!(alert.contains("IAM user payments-service"), "{alert}");
    let state = flow.window.execute(
        "return document.querySelector('[data-step=create-user]').dataset.state;",
        json!([]),
    );
    assert_eq!(state, json!("rolled-back"));
    let never_ran = flow.window.execute(
        "return [...document.querySelectorAll('[data-step]')].map((row) => row.dataset.step + '=' + row.dataset.state).join(' ');",
        json!([]),
    );
    // The steps after the failure never ran, and say so.
    assert!(
        never_ran
            .as_str()
            .unwrap_or_default()
            .ends_with("store-in-keychain=not-run verify=not-run"),
        "{never_ran}"
    );
    flow.window.find("#apply-copy-details");
    flow.shot("failed-rolled-back");
    flow.sandbox.aws().assert_nothing_left(&[]);
    assert_eq!(flow.sandbox.keyring.count(SERVICE), 0);
    // Back to review plans again and shows the review, not the Service account screen.
    flow.window.click("#apply-back");
    flow.window.wait_for_screen("review");
    assert!(flow
        .window
        .text("#plan-steps")
        .contains("iam:PutUserPolicy"));
}

#[test]
fn keyboard_alone_reaches_the_review() {
    let mut flow = Flow::open("keyboard", Sandbox::start());
    flow.window.wait_for_screen("connect");
    const TAB: &str = "\u{E004}";
    const ENTER: &str = "\u{E007}";
    let focused = || {
        flow.window.execute("return document.activeElement ? (document.activeElement.id || document.activeElement.tagName) : '';", json!([])).as_str().unwrap_or_default().to_string()
    };
    // From the heading: profile, region, then the check button.
    flow.window.keys(TAB);
    assert_eq!(focused(), "profile");
    flow.window.keys(TAB);
    assert_eq!(focused(), "region");
    flow.window.keys(TAB);
    assert_eq!(focused(), "connect-check");
    flow.window.keys(ENTER);
    flow.window.find("#identity");
    // Continue takes focus after a successful check.
    flow.window.until("focus on Continue", || {
        (focused() == "connect-continue").then_some(())
    });
    let outline = flow.window.execute(
        "return getComputedStyle(document.activeElement).outlineStyle;",
        json!([]),
    );
    assert_ne!(outline, json!("none"), "focus is visible");
    flow.shot("keyboard-focus");
    flow.window.keys(ENTER);
    flow.window.wait_for_screen("app");
    // The application's name, then Tab to its first answer; Space picks it and Enter in the
    // name field continues.
    flow.window.keys(TAB);
    let on_name = flow.window.execute(
        "return document.activeElement.id === 'app-name';",
        json!([]),
    );
    assert_eq!(
        on_name,
        json!(true),
        "Tab goes from the heading to the name"
    );
    flow.window.keys("keyboard");
    flow.window.execute(
        "document.getElementById('where-outside').focus();",
        json!([]),
    );
    flow.window.keys(" ");
    flow.window
        .execute("document.getElementById('app-name').focus();", json!([]));
    flow.window.keys(ENTER);
    flow.window.wait_for_screen("key");
    flow.wait_text("#alias-status", "Available");
    flow.window.execute(
        "document.getElementById('key-continue').focus();",
        json!([]),
    );
    flow.window.keys(" ");
    flow.window.wait_for_screen("account");
}

#[test]
fn cancel_stops_and_rolls_back() {
    let sandbox = Sandbox::start();
    // Slow the access key down so there is time to press Cancel mid-run.
    sandbox
        .emulator
        .add_fault(json!({"action": "CreateAccessKey", "kind": "delay", "seconds": 3}));
    let mut flow = Flow::open("cancel", sandbox);
    flow.connect();
    flow.wait_text("#alias-status", "Available");
    flow.window.click("#key-continue");
    flow.service_account("cancelled-app");
    flow.review_and_apply();
    flow.wait_text("[data-step=create-access-key]", "Running");
    flow.window.click("#apply-cancel");
    flow.wait_text(
        "#apply-status",
        "Cancelled. Everything made so far was removed.",
    );
    flow.shot("cancelled");
    flow.sandbox.aws().assert_nothing_left(&[]);
    assert_eq!(flow.sandbox.keyring.count(SERVICE), 0);
}

#[test]
fn a_locked_keychain_is_explained_in_the_window() {
    let mut flow = Flow::open(
        "locked",
        Sandbox::with_keyring(support::keyring::KeyringState::Locked),
    );
    flow.connect();
    flow.wait_text("#alias-status", "Available");
    flow.window.click("#key-continue");
    flow.service_account("locked-app");
    flow.review_and_apply();
    let alert = flow.error_panel();
    assert!(alert.contains("The keychain is locked"), "{alert}");
    assert!(alert.contains("Unlock your keyring"), "{alert}");
    assert!(
        alert.contains("access key"),
        "the deleted access key is listed: {alert}"
    );
    flow.shot("keychain-locked");
    flow.sandbox.aws().assert_nothing_left(&[]);
}
