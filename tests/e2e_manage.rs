//! The screens beyond first setup, in the real window: a role setup, the setups view with verify,
//! rotate and typed-confirmation teardown, its cards arriving one by one while AWS is 100 ms away,
//! an AWS profile added from Done, and an interrupted run resumed from the GUI.

mod support;

use serde_json::json;
use std::io::{BufRead, BufReader};
use support::flow::{Flow, SERVICE};
use support::sandbox::ADMIN_ACCESS_KEY;
use support::Sandbox;

#[test]
fn role_flow() {
    let mut flow = Flow::open("role", Sandbox::start());
    flow.connect_to_application();
    // "In an EKS cluster" asks IRSA or Pod Identity, and for the service account: audited too.
    flow.window.click("#where-eks");
    flow.window.click("#eks-mode-pod-identity");
    assert!(flow
        .window
        .text("#eks-mode")
        .contains("Not for the Go, C or PHP drivers"));
    assert!(flow
        .window
        .page_text()
        .contains("Cluster, namespace and service account"));
    flow.shot("application-eks");
    flow.application("reports", "ecs-tasks");
    assert_eq!(flow.value("#alias"), "alias/reports-csfle");
    flow.wait_text("#alias-status", "Available");
    flow.window.click("#key-continue");
    flow.window.wait_for_screen("account");
    // "In ECS tasks" chose a role: no user name to give, only the role's, made from the
    // application's and changed here; the policy name follows it.
    assert!(flow
        .window
        .execute("return document.getElementById('user-name');", json!([]))
        .is_null());
    assert_eq!(flow.value("#role-name"), "reports-csfle");
    flow.window.type_into("#role-name", "reports-task");
    assert_eq!(flow.value("#policy-name"), "csfle-kms-reports-task");
    assert!(flow
        .window
        .text("#account-where")
        .contains("runs in ECS tasks, so it gets an IAM role"));
    flow.shot("service-account-role");
    flow.window.click("#account-review");
    flow.window.wait_for_screen("review");
    let trust = flow.window.text("#trust-policy");
    assert!(
        trust.contains("ecs-tasks.amazonaws.com") && trust.contains("sts:AssumeRole"),
        "{trust}"
    );
    assert!(flow
        .window
        .text("#keychain-target")
        .contains("nothing is stored"));
    // The plan names the policy (the UI sent none): the engine's default is the name shown.
    assert!(flow
        .window
        .page_text()
        .contains("Inline policy csfle-kms-reports-task"));
    flow.shot("review-role");
    flow.window.click("#review-apply");
    flow.window.wait_for_screen("done");
    assert_eq!(
        flow.window.text("#outcome-role-arn"),
        "arn:aws:iam::123456789012:role/csfle-provisioner/reports-task"
    );
    let snippet = flow.window.text("#driver-snippet");
    assert!(
        snippet.contains("the role") && !snippet.contains("AWS_PROFILE"),
        "{snippet}"
    );
    flow.shot("done-role");
    let aws = flow.sandbox.aws();
    assert!(
        aws.users().is_empty(),
        "a role setup makes no user and no access key"
    );
    assert_eq!(flow.sandbox.keyring.count(SERVICE), 0);
}

#[test]
fn setups_view_verifies_rotates_and_tears_down() {
    let sandbox = Sandbox::start();
    sandbox
        .cli(&[
            "provision",
            "--user",
            "inventory-app",
            "--new-key",
            "alias/inventory",
        ])
        .assert_ok();
    let before: serde_json::Value = serde_json::from_str(
        &sandbox
            .keyring
            .lookup(SERVICE, "123456789012/inventory-app")
            .unwrap(),
    )
    .unwrap();
    let mut flow = Flow::open("setups", sandbox);
    flow.connect_only();
    // A changed region makes the checked identity stale: nothing may act until it is checked again.
    flow.window.select("#region", "eu-west-1");
    let stale = flow.window.execute(
        "return [document.querySelector('#connect-continue').disabled, document.querySelector('#connect-setups').disabled, !!document.querySelector('#identity'), document.querySelector('#context-facts').textContent];",
        json!([]),
    );
    assert_eq!(stale[0], json!(true), "{stale}");
    assert_eq!(stale[1], json!(true), "{stale}");
    assert_eq!(stale[2], json!(false), "{stale}");
    assert!(
        stale[3]
            .as_str()
            .unwrap_or_default()
            .contains("Not connected"),
        "{stale}"
    );
    flow.connect_only();
    assert!(flow.window.text("#context-facts").contains("123456789012"));
    flow.window.click("#connect-setups");
    flow.window.wait_for_screen("setups");
    let card = "[data-setup=inventory-app]";
    flow.wait_text(card, "Least privilege");
    assert!(flow.window.text(card).contains("in keychain"));
    flow.window.click("#verify-inventory-app");
    flow.wait_text(card, "encrypted and decrypted");
    flow.shot("setups-verified");

    flow.window.click("#rotate-inventory-app");
    // Rotating is asked first, with what happens to running applications.
    flow.wait_text("#rotate-confirm-inventory-app", "credential-process");
    flow.window.click("#rotate-go-inventory-app");
    flow.wait_text(card, "The keychain now holds the new access key");
    let after: serde_json::Value = serde_json::from_str(
        &flow
            .sandbox
            .keyring
            .lookup(SERVICE, "123456789012/inventory-app")
            .unwrap(),
    )
    .unwrap();
    assert_ne!(after["AccessKeyId"], before["AccessKeyId"]);
    let new_id = after["AccessKeyId"].as_str().unwrap();
    let new_secret = flow.sandbox.emulator.issued_secret(new_id).unwrap();
    assert_eq!(after["SecretAccessKey"], new_secret.as_str());
    assert_eq!(
        flow.sandbox.aws().access_keys("inventory-app"),
        vec![new_id.to_string()]
    );
    flow.shot("setups-rotated");

    flow.window.click("#teardown-inventory-app-open");
    flow.window.find("#confirm-inventory-app");
    // Deleting the master key is its own question, with its consequence in plain words.
    flow.window.click("#delete-key-inventory-app");
    flow.wait_text(
        "#delete-key-warning-inventory-app",
        "can never be read again",
    );
    let go = "#teardown-go-inventory-app";
    let disabled = flow.window.execute(
        "return document.querySelector(arguments[0]).disabled;",
        json!([go]),
    );
    assert_eq!(
        disabled,
        json!(true),
        "nothing happens before the name is typed"
    );
    flow.window
        .type_into("#confirm-inventory-app", "inventory-app");
    flow.shot("teardown-confirm");
    flow.window.click(go);
    flow.wait_text("#teardown-result", "Torn down");
    assert!(flow
        .window
        .text("#teardown-result")
        .contains("cancel the deletion"));
    flow.shot("torn-down");
    flow.sandbox.aws().assert_nothing_left(&[]);
    assert_eq!(flow.sandbox.keyring.count(SERVICE), 0);
    flow.assert_no_secret_in_replies(&[before["SecretAccessKey"].as_str().unwrap(), &new_secret]);
}

#[test]
fn an_aws_profile_is_added_from_the_done_screen() {
    let mut flow = Flow::open("profile", Sandbox::start());
    flow.connect();
    flow.wait_text("#alias-status", "Available");
    flow.window.click("#key-continue");
    flow.service_account("search-app");
    flow.review_and_apply();
    flow.window.wait_for_screen("done");
    flow.window.type_into("#profile-name", "csfle-search");
    flow.window.click("#done-add-profile");
    flow.wait_text("#profile-result", "Profile csfle-search added");
    flow.shot("profile-added");
    let config = std::fs::read_to_string(flow.sandbox.aws_dir().join("config")).unwrap();
    assert!(
        config.contains("[profile csfle-search]")
            && config.contains("credential-process --user search-app"),
        "{config}"
    );
}

#[test]
fn an_interrupted_setup_is_resumed_from_the_gui() {
    let sandbox = Sandbox::start();
    sandbox
        .emulator
        .add_fault(json!({"action": "CreateAlias", "kind": "stall", "seconds": 60}));
    let mut child = sandbox.spawn_cli(&[
        "provision",
        "--user",
        "ledger-app",
        "--new-key",
        "alias/ledger",
    ]);
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        seen.push(line.unwrap());
        if seen.iter().any(|l| l.starts_with("✓ create access key"))
            && seen.iter().any(|l| l.starts_with("✓ attach policy"))
        {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    sandbox.emulator.clear_faults();

    let mut flow = Flow::open("recovery", sandbox);
    flow.connect_only();
    flow.wait_text("#interrupted-notice", "ledger-app");
    flow.shot("interrupted-notice");
    flow.window.click("#connect-setups");
    flow.window.wait_for_screen("setups");
    flow.window.find("#resume-ledger-app");
    flow.shot("interrupted-setups");
    flow.window.click("#resume-ledger-app");
    flow.window.wait_for_screen("done");
    flow.shot("resumed");
    let item: serde_json::Value = serde_json::from_str(
        &flow
            .sandbox
            .keyring
            .lookup(SERVICE, "123456789012/ledger-app")
            .unwrap(),
    )
    .unwrap();
    let id = item["AccessKeyId"].as_str().unwrap();
    assert_eq!(
        flow.sandbox.aws().access_keys("ledger-app"),
        vec![id.to_string()],
        "the orphaned key was replaced"
    );
    assert_eq!(
        item["SecretAccessKey"],
        flow.sandbox.emulator.issued_secret(id).unwrap().as_str()
    );
    let _ = ADMIN_ACCESS_KEY;
}

/// Provision, verify, rotate and tear down in the window, then look everywhere a secret could
/// have leaked: every file under the sealed home (app data, journal, ~/.aws, caches, the driver's
/// and app's captured output), every IPC reply, every screen's text.
#[test]
fn a_full_lifecycle_leaves_no_secret_anywhere() {
    let mut flow = Flow::open("sweep", Sandbox::start());
    flow.connect();
    flow.wait_text("#alias-status", "Available");
    flow.window.click("#key-continue");
    flow.service_account("sweep-app");
    flow.review_and_apply();
    let first = flow.finish();
    let first_secret = first["SecretAccessKey"].as_str().unwrap().to_string();
    // An application asks for credentials: session credentials, cached as a second keychain item.
    let session = flow.sandbox.cli(&[
        "credential-process",
        "--user",
        "sweep-app",
        "--account",
        "123456789012",
    ]);
    session.assert_ok();
    let session = session.json();
    let session_secret = session["SecretAccessKey"].as_str().unwrap().to_string();
    let session_token = session["SessionToken"].as_str().unwrap().to_string();
    let cache = "123456789012/sweep-app#session";
    assert!(flow.sandbox.keyring.lookup(SERVICE, cache).is_some());
    flow.window.click("#done-setups");
    flow.window.wait_for_screen("setups");
    flow.window.click("#verify-sweep-app");
    flow.wait_text("[data-setup=sweep-app]", "encrypted and decrypted");
    flow.window.click("#rotate-sweep-app");
    flow.window.click("#rotate-go-sweep-app");
    flow.wait_text(
        "[data-setup=sweep-app]",
        "The keychain now holds the new access key",
    );
    let second: serde_json::Value = serde_json::from_str(
        &flow
            .sandbox
            .keyring
            .lookup(SERVICE, "123456789012/sweep-app")
            .unwrap(),
    )
    .unwrap();
    let second_secret = second["SecretAccessKey"].as_str().unwrap().to_string();
    assert_ne!(first_secret, second_secret);
    assert!(
        flow.sandbox.keyring.lookup(SERVICE, cache).is_none(),
        "rotation removed the session credentials made with the old key"
    );
    flow.shot("sweep-rotated");
    flow.window.click("#teardown-sweep-app-open");
    flow.window.type_into("#confirm-sweep-app", "sweep-app");
    flow.window.click("#delete-key-sweep-app");
    flow.window.click("#teardown-go-sweep-app");
    flow.wait_text("#teardown-result", "Torn down");
    flow.shot("sweep-torn-down");

    // The search itself finds a planted copy, so an empty result below means something.
    let planted = flow.sandbox.keyring.home().join(".cache/planted");
    std::fs::write(&planted, format!("x{second_secret}x")).unwrap();
    assert_eq!(
        flow.sandbox.files_containing(&second_secret),
        vec![planted.clone()]
    );
    std::fs::remove_file(planted).unwrap();
    for secret in [
        &first_secret,
        &second_secret,
        &session_secret,
        &session_token,
    ] {
        let files = flow.sandbox.files_containing(secret);
        assert!(files.is_empty(), "a secret is in plain text in {files:?}");
    }
    assert_eq!(flow.sandbox.keyring.count(SERVICE), 0);
    let logs = flow.sandbox.keyring.home().join("logs");
    assert!(
        logs.join("driver-stderr.log").exists(),
        "the app's output was captured"
    );
    flow.assert_no_secret_in_replies(&[
        &first_secret,
        &second_secret,
        &session_secret,
        &session_token,
    ]);
    flow.sandbox.aws().assert_nothing_left(&[]);
}

#[test]
fn the_setups_view_fills_card_by_card_at_100_ms_per_reply() {
    let sandbox = Sandbox::start();
    let names = ["stream-a", "stream-b", "stream-c"];
    for name in names {
        sandbox
            .cli(&[
                "provision",
                "--user",
                name,
                "--new-key",
                &format!("alias/{name}"),
            ])
            .assert_ok();
    }
    // Every AWS reply from now on is held 100 ms, as from a far region.
    sandbox
        .emulator
        .add_fault(json!({"kind": "latency", "seconds": 0.1}));
    let mut flow = Flow::open("setups-streamed", sandbox);
    flow.connect_only();
    // Each card the view shows while it is still reading, with whether "Reading setups…" was
    // still on screen when it came.
    flow.window.execute(
        "window.__arrivals = [];
         new MutationObserver((records) => {
           for (const record of records) for (const node of record.addedNodes) {
             if (node.nodeType === 1 && node.matches('[data-setup]')
                 && node.parentElement && node.parentElement.classList.contains('setups-arriving')) {
               window.__arrivals.push({ name: node.dataset.setup, reading: !!document.querySelector('#setups .loading') });
             }
           }
         }).observe(document.body, { childList: true, subtree: true });",
        json!([]),
    );
    flow.window.click("#connect-setups");
    flow.window.wait_for_screen("setups");
    let listed = flow.window.until("the whole list in its stable order", || {
        let cards = flow.window.execute(
            "return document.querySelector('#setups .setups-arriving, #setups .loading') ? null
                 : [...document.querySelectorAll('#setups [data-setup]')].map((c) => c.dataset.setup);",
            json!([]),
        );
        (!cards.is_null()).then_some(cards)
    });
    assert_eq!(listed, json!(names), "every setup is listed once, in order");
    let arrivals = flow.window.execute("return window.__arrivals;", json!([]));
    let arrived: Vec<&str> = arrivals
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    let mut sorted = arrived.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted, names,
        "each card appeared on its own before the list was complete: {arrivals}"
    );
    assert!(
        arrivals
            .as_array()
            .is_some_and(|a| a.iter().all(|x| x["reading"] == json!(true))),
        "the cards came while the view was still reading: {arrivals}"
    );
    flow.shot("setups-streamed");
}
