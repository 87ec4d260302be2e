//! The Security Hub findings in the real window: a setup on a pre-existing key without automatic
//! rotation shows KMS.4 failed with its fix, "Enable rotation" turns rotation on in AWS, and the
//! card then agrees with AWS. IAM.2 is shown failed with its reason.

mod support;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use support::flow::Flow;
use support::Sandbox;

fn rotation_in_aws(sandbox: &Sandbox, key_arn: &str) -> bool {
    let aws = sandbox.aws();
    let key_id = key_arn.rsplit('/').next().unwrap();
    aws.block(aws.kms().get_key_rotation_status().key_id(key_id).send())
        .expect("GetKeyRotationStatus")
        .key_rotation_enabled()
}

#[test]
fn setups_view_shows_findings_and_enables_rotation() {
    let sandbox = Sandbox::start();
    let key_arn = sandbox
        .aws()
        .create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    sandbox
        .cli(&[
            "provision",
            "--user",
            "ledger-app",
            "--existing-key",
            &key_arn,
        ])
        .assert_ok();
    assert!(!rotation_in_aws(&sandbox, &key_arn));

    let mut flow = Flow::open("security", sandbox);
    flow.connect_only();
    flow.window.click("#connect-setups");
    flow.window.wait_for_screen("setups");
    let kms4 = "[data-setup=ledger-app] [data-control='KMS.4']";
    flow.wait_text(kms4, "Fails");
    let iam2 = flow
        .window
        .text("[data-setup=ledger-app] [data-control='IAM.2']");
    assert!(iam2.contains("MongoDB's documented setup"), "{iam2}");
    let card = flow.window.text("[data-setup=ledger-app]");
    assert!(card.contains("made today"), "{card}");
    flow.shot("findings");

    flow.window.click("#enable-rotation-ledger-app");
    flow.wait_text(kms4, "Passes");
    assert!(rotation_in_aws(&flow.sandbox, &key_arn));
    flow.wait_text("[data-setup=ledger-app]", "Automatic yearly rotation is on");
    flow.shot("rotation-enabled");
}

#[test]
fn an_old_unused_key_is_flagged_and_rotate_now_clears_it() {
    let sandbox = Sandbox::start();
    let made = sandbox.cli(&[
        "provision",
        "--user",
        "billing-app",
        "--new-key",
        "alias/billing",
        "--json",
    ]);
    made.assert_ok();
    let old_key = made.json()["access_key_id"].as_str().unwrap().to_string();
    // Backdate the key inside the emulator: made 120 days ago, last used 50 days ago.
    ureq::Agent::new_with_defaults()
        .post(&format!("{}/_seed", sandbox.emulator.url))
        .content_type("application/json")
        .send(
            serde_json::json!({"ageKeys": {&old_key: {"createdDaysAgo": 120, "lastUsedDaysAgo": 50}}})
                .to_string(),
        )
        .expect("age the key");

    let mut flow = Flow::open("aged-key", sandbox);
    flow.connect_only();
    flow.window.click("#connect-setups");
    flow.window.wait_for_screen("setups");
    let card = "[data-setup=billing-app]";
    flow.wait_text(card, "made 120 days ago · last used 50 days ago");
    let text = flow.window.text(card);
    assert!(text.contains("Older than 90 days"), "{text}");
    assert!(text.contains("Unused for 45 days or more"), "{text}");
    flow.window.find("#remove-unused-key-billing-app");
    flow.shot("warnings");

    flow.window.click("#rotate-now-key-billing-app");
    flow.window.click("#rotate-go-billing-app");
    flow.wait_text(card, "The keychain now holds the new access key");
    let text = flow.window.text(card);
    assert!(!text.contains("Older than 90 days"), "{text}");
    assert!(text.contains("made today"), "{text}");
    assert_ne!(flow.sandbox.aws().access_keys("billing-app"), vec![old_key]);
    flow.shot("rotated");
}
