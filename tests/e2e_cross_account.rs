//! Tearing down a setup whose key is in another account, in the real window, in a fresh session
//! (issue 17, what was left): the window never opens a terminal, so it must know the key
//! account's profile. A setup this computer made is torn down with the profile it recorded at
//! provision, asking nothing; one made elsewhere (no record) gets a "Key's account profile"
//! question, and the profile chosen is checked against the key's account before any change. The
//! key's policy comes back byte for byte each time.

mod support;

use support::flow::Flow;
use support::two_accounts::{self, KEY_ACCOUNT, OWNERS_POLICY};
use support::Sandbox;

fn provision(sandbox: &Sandbox, role: &str, key_arn: &str) {
    sandbox
        .cli_with(
            &[
                "provision",
                "--role",
                role,
                "--trust",
                "123456789012",
                "--existing-key",
                key_arn,
                "--profile",
                "workload",
                "--key-profile",
                "keyacct",
            ],
            &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
        )
        .assert_ok();
}

fn tear_down(flow: &mut Flow, role: &str) {
    flow.window.type_into(&format!("#confirm-{role}"), role);
    flow.window.click(&format!("#teardown-go-{role}"));
    flow.wait_text("#teardown-result", "Torn down");
    let result = flow.window.text("#teardown-result");
    assert!(
        result.contains(&format!(
            "Removed statement CsfleProvisionerRole123456789012{role}"
        )),
        "{result}"
    );
    assert!(!result.contains("Could not remove"), "{result}");
}

#[test]
fn a_cross_account_setup_is_torn_down_in_a_fresh_window_with_the_recorded_or_the_chosen_profile() {
    let sandbox = Sandbox::start();
    let owners = two_accounts::key_account(&sandbox);
    provision(&sandbox, "here", &owners.key_arn);
    provision(&sandbox, "elsewhere", &owners.key_arn);
    assert_ne!(owners.key_policy(), OWNERS_POLICY);
    // "elsewhere" as if made on another computer: this journal has no profile for its key.
    let path = sandbox
        .keyring
        .home()
        .join(".local/share/csfle-provisioner/journal.json");
    let mut journal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for run in journal["runs"].as_array_mut().unwrap() {
        if run["principal_name"] == "elsewhere" {
            run.as_object_mut().unwrap().remove("key_profile").unwrap();
        }
    }
    std::fs::write(&path, journal.to_string()).unwrap();

    // A fresh window, signed in to the workload account through its profile, as an admin's
    // desktop session has it: no credentials in the environment (they would outrank any profile).
    let key_secret = owners.key_secret.clone();
    let no_env_keys = [
        ("AWS_ACCESS_KEY_ID".to_string(), String::new()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), String::new()),
    ];
    let mut flow = Flow::open_with_env("cross-account-teardown", sandbox, &no_env_keys);
    flow.window.wait_for_screen("connect");
    flow.window.select("#profile", "workload");
    flow.connect_only();
    flow.window.click("#connect-setups");
    flow.window.wait_for_screen("setups");
    flow.wait_text("[data-setup=here]", "here");

    flow.window.click("#teardown-here-open");
    flow.wait_text("#teardown-key-account-here", "with the profile keyacct");
    assert!(flow
        .window
        .text("#teardown-key-account-here")
        .contains(&format!("The key is in account {KEY_ACCOUNT}")));
    flow.shot("teardown-recorded-profile");
    tear_down(&mut flow, "here");
    let after_here = owners.key_policy();
    assert!(
        !after_here.contains("CsfleProvisionerRole123456789012here"),
        "{after_here}"
    );
    assert!(after_here.contains("CsfleProvisionerRole123456789012elsewhere"));

    flow.window.click("#teardown-reload");
    flow.wait_text("[data-setup=elsewhere]", "elsewhere");
    flow.window.click("#teardown-elsewhere-open");
    flow.wait_text("#teardown-elsewhere", "no record of a profile");
    let panel = flow.window.text("#teardown-elsewhere");
    assert!(panel.contains("Key's account profile"), "{panel}");
    assert!(
        !panel.contains("--key-profile"),
        "window words only: {panel}"
    );
    flow.shot("teardown-asks-key-profile");
    // The workload's own profile is of the wrong account: said, and nothing is changed.
    flow.window
        .select("#teardown-key-profile-elsewhere", "workload");
    flow.wait_text("#teardown-elsewhere", "signs in to account 123456789012");
    flow.window.type_into("#confirm-elsewhere", "elsewhere");
    let go_disabled = flow.window.execute(
        "return document.querySelector('#teardown-go-elsewhere').disabled;",
        serde_json::json!([]),
    );
    assert_eq!(go_disabled, serde_json::json!(true));
    flow.window
        .select("#teardown-key-profile-elsewhere", "keyacct");
    flow.wait_text(
        "#teardown-key-account-elsewhere",
        "with the profile keyacct",
    );
    flow.shot("teardown-chosen-profile");
    tear_down(&mut flow, "elsewhere");
    assert_eq!(owners.key_policy(), OWNERS_POLICY, "byte for byte");
    let aws = flow.sandbox.aws();
    assert!(!aws.role_exists("here") && !aws.role_exists("elsewhere"));
    flow.assert_no_secret_in_replies(&[&key_secret]);
}
