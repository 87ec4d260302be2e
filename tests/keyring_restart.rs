//! The private keyring on a loaded machine: a daemon that died between two runs is started again
//! (by the bus, with the same folder and password) before the next use, and its items are there.
//! The product's own retry, for a daemon that dies mid-call, is tested in src-tauri/keystore.

mod support;

use support::Sandbox;

const SERVICE: &str = "csfle-provisioner";

#[test]
fn a_keyring_daemon_that_died_is_started_again_with_its_items() {
    let mut sandbox = Sandbox::start();
    sandbox
        .cli(&[
            "provision",
            "--user",
            "app",
            "--new-key",
            "alias/app",
            "--json",
        ])
        .assert_ok();
    let stored = sandbox
        .keyring
        .lookup(SERVICE, "123456789012/app")
        .expect("the setup's keychain item");

    sandbox.keyring.crash();
    let run = sandbox.cli(&["list", "--json"]);
    run.assert_ok();
    assert_eq!(run.json()[0]["keychain_present"], true, "{}", run.output());
    assert_eq!(
        sandbox.keyring.lookup(SERVICE, "123456789012/app"),
        Some(stored),
        "the same item, read from disk by the new daemon"
    );
}
