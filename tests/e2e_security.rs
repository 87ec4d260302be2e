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
