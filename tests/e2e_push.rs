//! Copies of a user setup's credentials, from the real window. A setup copied to a real OpenBao
//! server from its card (the plan first, the token in a password field), rotated with the token
//! so the copy gets the new key before the old one goes, rotated without it (the old key stays,
//! the card offers "Finish rotation"), finished from the card, and torn down with the copy. A
//! setup sealed to another computer (Debian's age opens it) and copied to Secrets Manager, rotated
//! and finished once the import is confirmed. Then the sweep: neither a secret access key nor the
//! Vault token is in any reply the window logged, on any screen, or in any file of the app's home.

mod support;

use support::bao::Bao;
use support::flow::{Flow, SERVICE};
use support::Sandbox;

const USER: &str = "billing-app";
const CARD: &str = "[data-setup=billing-app]";
const ITEM: &str = "123456789012/billing-app";

fn keychain_item(flow: &Flow) -> serde_json::Value {
    let item = flow
        .sandbox
        .keyring
        .lookup(SERVICE, ITEM)
        .expect("the keychain item");
    serde_json::from_str(&item).expect("keychain item JSON")
}

/// The copy in OpenBao holds exactly what the keychain holds.
fn assert_copy_matches_keychain(flow: &Flow, bao: &Bao) -> (String, String) {
    let item = keychain_item(flow);
    let copy = bao.read("apps/billing").expect("the copy in OpenBao");
    assert_eq!(copy["AccessKeyId"], item["AccessKeyId"], "{copy}");
    assert_eq!(copy["SecretAccessKey"], item["SecretAccessKey"]);
    (
        item["AccessKeyId"].as_str().unwrap().to_string(),
        item["SecretAccessKey"].as_str().unwrap().to_string(),
    )
}

fn active_keys(flow: &Flow) -> usize {
    flow.sandbox.aws().access_keys(USER).len()
}

#[test]
fn a_setup_is_copied_to_openbao_from_its_card_and_rotation_keeps_the_copy_current() {
    let sandbox = Sandbox::start();
    sandbox
        .cli(&["provision", "--user", USER, "--new-key", "alias/billing"])
        .assert_ok();
    let bao = Bao::start();
    let token = bao.token_for_secrets();
    // The app is started with a valid VAULT_TOKEN in its environment, as an admin who uses the
    // vault CLI may have: the window still signs in only with what is typed in its fields.
    let env = [("VAULT_TOKEN".to_string(), token.clone())];
    let mut flow = Flow::open_with_env("push", sandbox, &env);
    flow.connect_only();
    flow.window.click("#connect-setups");
    flow.window.wait_for_screen("setups");
    flow.wait_text(CARD, "Least privilege");

    flow.window.click("#copy-billing-app-open");
    flow.wait_text(
        "#copy-billing-app",
        "Copy billing-app's credentials to a secret store",
    );
    let focused = flow
        .window
        .execute("return document.activeElement.id;", serde_json::json!([]));
    assert_eq!(focused, "copy-store-vault-billing-app");
    flow.window
        .type_into("#copy-vault-url-billing-app", &bao.url);
    flow.window
        .type_into("#copy-vault-path-billing-app", "secret/apps/billing");
    flow.shot("copy-panel");
    flow.window.click("#copy-plan-billing-app");
    flow.wait_text("#copy-plan-result-billing-app", "nothing is written yet");
    let planned = flow.window.text("#copy-plan-location-billing-app");
    assert!(
        planned.contains("/v1/secret/data/apps/billing"),
        "{planned}"
    );
    assert!(
        bao.metadata("apps/billing").is_none(),
        "the plan wrote nothing"
    );
    flow.window
        .type_into("#copy-vault-token-billing-app", &token);
    flow.shot("copy-plan");
    flow.window.click("#copy-go-billing-app");
    flow.wait_text(CARD, "Copied to Vault");
    flow.wait_text("[data-copy=vault]", "/v1/secret/data/apps/billing");
    flow.shot("copy-written");
    let (first_id, first_secret) = assert_copy_matches_keychain(&flow, &bao);
    let meta = bao.metadata("apps/billing").unwrap();
    assert_eq!(
        meta["custom_metadata"]["created-by"], "csfle-provisioner",
        "{meta}"
    );
    assert!(flow
        .window
        .text("[data-copy=vault]")
        .contains(&first_id[first_id.len() - 4..]));

    // Rotation with the token: the copy gets the new key, then the old key goes.
    flow.window.click("#rotate-billing-app");
    flow.wait_text("#rotate-confirm-billing-app", "Vault token for");
    flow.window.type_into("#rotate-token-billing-app-0", &token);
    flow.shot("rotate-with-token");
    flow.window.click("#rotate-go-billing-app");
    flow.wait_text(CARD, "The keychain now holds the new access key");
    let (second_id, second_secret) = assert_copy_matches_keychain(&flow, &bao);
    assert_ne!(second_id, first_id);
    assert_eq!(active_keys(&flow), 1, "the old key was deleted");

    // Without a typed token the copy is not written (the environment's is not used): the old key
    // stays, and the card says how to finish.
    flow.window.click("#rotate-billing-app");
    flow.window.click("#rotate-go-billing-app");
    flow.wait_text(CARD, "do not hold the new key yet");
    // In the window's words: no environment variable to set, the card's button to finish with.
    let said = flow.window.text("#area-billing-app");
    assert!(
        said.contains("No Vault token or AppRole was given for this server"),
        "{said}"
    );
    assert!(
        said.contains("Finish rotation on the setup's card"),
        "{said}"
    );
    assert!(!said.contains("VAULT_TOKEN"), "{said}");
    flow.window.until("the Finish rotation button", || {
        let found = flow.window.execute(
            "return !!document.querySelector('#finish-rotation-billing-app-open');",
            serde_json::json!([]),
        );
        found.as_bool().filter(|f| *f)
    });
    let behind = bao.read("apps/billing").unwrap();
    assert_eq!(
        behind["AccessKeyId"],
        second_id.as_str(),
        "the copy still holds the key before"
    );
    assert_eq!(
        active_keys(&flow),
        2,
        "the old key is kept while a copy holds it"
    );
    flow.shot("rotation-waiting");
    flow.window.click("#finish-rotation-billing-app-open");
    flow.window.type_into("#finish-token-billing-app-0", &token);
    flow.shot("finish-rotation");
    flow.window.click("#finish-go-billing-app");
    flow.wait_text(CARD, "✓ The keychain now holds the new access key");
    let (third_id, third_secret) = assert_copy_matches_keychain(&flow, &bao);
    assert_ne!(third_id, second_id);
    assert_eq!(active_keys(&flow), 1, "finishing deleted the old key");
    flow.shot("rotation-finished");

    // Teardown from the card removes the copy too, with the token typed for it.
    flow.window.click("#teardown-billing-app-open");
    flow.wait_text("#teardown-billing-app", "so teardown can delete the copy");
    flow.window
        .type_into("#teardown-token-billing-app-0", &token);
    flow.window.type_into("#confirm-billing-app", USER);
    flow.shot("teardown-with-token");
    flow.window.click("#teardown-go-billing-app");
    flow.wait_text("#teardown-result", "Torn down");
    let result = flow.window.text("#teardown-result");
    assert!(result.contains("copy in"), "{result}");
    assert!(
        bao.metadata("apps/billing").is_none(),
        "the copy's versions and metadata are gone"
    );
    assert!(flow.sandbox.keyring.lookup(SERVICE, ITEM).is_none());

    // The sweep finds a planted copy, so an empty result below means something.
    let planted = flow.sandbox.keyring.home().join(".cache/planted");
    std::fs::write(&planted, format!("x{token}x")).unwrap();
    assert_eq!(flow.sandbox.files_containing(&token), vec![planted.clone()]);
    std::fs::remove_file(planted).unwrap();
    let secrets = [&first_secret, &second_secret, &third_secret, &token];
    for secret in secrets {
        let files = flow.sandbox.files_containing(secret);
        assert!(
            files.is_empty(),
            "a secret or the token is in plain text in {files:?}"
        );
    }
    flow.assert_no_secret_in_replies(&secrets.map(String::as_str));
    let log = flow.window.ipc_log().join("\n");
    assert!(
        log.contains("\"command\":\"copy_to_store\""),
        "the copy's reply was logged"
    );
    assert!(log.contains("\"command\":\"finish_rotation\""));
}

/// The secret at `id` in the emulator's Secrets Manager, as a reader would fetch it.
fn secrets_manager_copy(flow: &Flow, id: &str) -> serde_json::Value {
    let config = support::aws::config(&flow.sandbox.emulator.url, "AKIAIOSFODNN7EXAMPLE", "x");
    let sm = aws_sdk_secretsmanager::Client::new(&config);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let value = runtime
        .block_on(sm.get_secret_value().secret_id(id).send())
        .expect("GetSecretValue");
    serde_json::from_str(value.secret_string().unwrap()).unwrap()
}

/// An identity made by Debian's age-keygen, outside the app's home: (identity file, recipient).
fn age_identity(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let identity = dir.join("identity.txt");
    let made = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&identity)
        .output()
        .expect("run age-keygen (Debian package age)");
    assert!(made.status.success());
    let public = std::process::Command::new("age-keygen")
        .arg("-y")
        .arg(&identity)
        .output()
        .unwrap();
    let recipient = String::from_utf8(public.stdout).unwrap().trim().to_string();
    assert!(recipient.starts_with("age1"), "{recipient}");
    (identity, recipient)
}

#[test]
fn a_setup_is_sealed_to_another_computer_and_copied_to_secrets_manager_from_its_card() {
    let sandbox = Sandbox::start();
    sandbox
        .cli(&["provision", "--user", USER, "--new-key", "alias/billing"])
        .assert_ok();
    let elsewhere = tempfile::tempdir().unwrap();
    let (identity, recipient) = age_identity(elsewhere.path());
    let mut flow = Flow::open("push-sealed-sm", sandbox);
    flow.connect_only();
    flow.window.click("#connect-setups");
    flow.window.wait_for_screen("setups");
    flow.wait_text(CARD, "Least privilege");

    // Send to another computer: the file is sealed to the recipient alone, any age opens it.
    flow.window.click("#send-billing-app-open");
    let suggested = flow.window.until("the suggested file", || {
        let value = flow.window.execute(
            "return document.querySelector('#send-path-billing-app').value;",
            serde_json::json!([]),
        );
        value.as_str().filter(|v| !v.is_empty()).map(str::to_string)
    });
    let home = flow.sandbox.keyring.home().to_path_buf();
    assert!(
        suggested.starts_with(&*home.to_string_lossy()),
        "{suggested}"
    );
    flow.window
        .type_into("#send-recipient-billing-app", &recipient);
    flow.shot("send-panel");
    flow.window.click("#send-go-billing-app");
    flow.wait_text("#send-result-billing-app", "Sealed and saved");
    flow.shot("send-sealed");
    let item = keychain_item(&flow);
    let opened = std::process::Command::new("age")
        .args(["-d", "-i"])
        .arg(&identity)
        .arg(&suggested)
        .output()
        .expect("run age");
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );
    let opened: serde_json::Value = serde_json::from_slice(&opened.stdout).unwrap();
    assert_eq!(opened, item, "the sealed file holds the keychain item");

    // Copy to Secrets Manager: the readers one per line, the resource policy in the plan.
    flow.window.click("#copy-billing-app-open");
    flow.window.click("#copy-store-secrets-manager-billing-app");
    flow.window
        .type_into("#copy-sm-name-billing-app", "apps/billing/csfle");
    flow.window.type_into(
        "#copy-sm-readers-billing-app",
        // Enter between the two, as the admin types them.
        "arn:aws:iam::123456789012:role/billing\u{E007}arn:aws:iam::123456789012:user/ops",
    );
    flow.window.click("#copy-plan-billing-app");
    flow.wait_text(
        "#copy-plan-result-billing-app",
        "secretsmanager:GetSecretValue",
    );
    flow.shot("copy-plan-secrets-manager");
    flow.window.click("#copy-go-billing-app");
    flow.wait_text(CARD, "Copied to Secrets Manager");
    flow.wait_text("[data-copy=secrets-manager]", "apps/billing/csfle");
    flow.shot("copy-written-secrets-manager");
    let copy = secrets_manager_copy(&flow, "apps/billing/csfle");
    assert_eq!(copy["AccessKeyId"], item["AccessKeyId"], "{copy}");
    assert_eq!(copy["SecretAccessKey"], item["SecretAccessKey"]);

    // Rotation: Secrets Manager gets the new key at once; the sealed file is sealed again and the
    // old key stays until the admin says the other computer imported it, from the card.
    flow.window.click("#rotate-billing-app");
    flow.window.click("#rotate-go-billing-app");
    flow.wait_text(CARD, "do not hold the new key yet");
    let rotated = keychain_item(&flow);
    assert_ne!(rotated["AccessKeyId"], item["AccessKeyId"]);
    let copy = secrets_manager_copy(&flow, "apps/billing/csfle");
    assert_eq!(
        copy["AccessKeyId"], rotated["AccessKeyId"],
        "AWSCURRENT holds the new key"
    );
    assert_eq!(active_keys(&flow), 2, "the old key waits for the import");
    let new_id = rotated["AccessKeyId"].as_str().unwrap();
    let resealed = suggested.replace(".age", &format!(".{new_id}.age"));
    let opened = std::process::Command::new("age")
        .args(["-d", "-i"])
        .arg(&identity)
        .arg(&resealed)
        .output()
        .expect("run age");
    assert!(
        opened.status.success(),
        "{resealed}: {}",
        String::from_utf8_lossy(&opened.stderr)
    );
    flow.window.click("#finish-rotation-billing-app-open");
    flow.wait_text(
        "#finish-rotation-billing-app",
        "was imported on its computer",
    );
    assert!(flow
        .window
        .execute(
            "return !document.querySelector('#finish-token-billing-app-0');",
            serde_json::json!([])
        )
        .as_bool()
        .unwrap());
    flow.window.click("#finish-imported-billing-app");
    flow.shot("finish-rotation-imported");
    flow.window.click("#finish-go-billing-app");
    flow.wait_text(CARD, "✓ The keychain now holds the new access key");
    assert_eq!(
        active_keys(&flow),
        1,
        "the old key went once the import was confirmed"
    );

    let secrets = [
        item["SecretAccessKey"].as_str().unwrap().to_string(),
        rotated["SecretAccessKey"].as_str().unwrap().to_string(),
    ];
    for secret in &secrets {
        let files = flow.sandbox.files_containing(secret);
        assert!(files.is_empty(), "a secret is in plain text in {files:?}");
    }
    flow.assert_no_secret_in_replies(&secrets.each_ref().map(String::as_str));
}
