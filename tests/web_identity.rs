//! Roles for CI and other OIDC issuers (issue 17): GitHub Actions trusts one environment or one
//! branch, never a whole repository; the account's OIDC provider is created only when missing and
//! removed only when this app provably made it (its run tag and creation time inside the role's
//! run, or inside a run this computer's journal recorded making it) and no role trusts it; a real consumer
//! (libmongocrypt through botocore's web-identity provider) gets the role's credentials from the
//! two environment variables the guidance names. moto checks neither the token nor the
//! conditions, so the trust documents are asserted field by field.

mod support;

use serde_json::{json, Value};
use support::Sandbox;

const ISSUER: &str = "token.actions.githubusercontent.com";
const PROVIDER: &str =
    "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";

fn provision_role(sandbox: &Sandbox, role: &str, trust: &str, key: &[&str]) -> Value {
    let mut args = vec!["provision", "--role", role, "--trust", trust, "--json"];
    args.extend_from_slice(key);
    let run = sandbox.cli(&args);
    run.assert_ok();
    run.json()
}

fn providers(sandbox: &Sandbox) -> Vec<String> {
    sandbox.aws().oidc_providers()
}

fn trust_of(sandbox: &Sandbox, role: &str) -> Value {
    sandbox.aws().role_trust(role)
}

#[test]
fn a_github_environment_role_trusts_exactly_that_environment_and_works_through_web_identity() {
    let sandbox = Sandbox::start();
    let bare = sandbox.cli(&[
        "provision",
        "--role",
        "ci",
        "--trust",
        "github:acme/payments",
        "--new-key",
        "alias/ci",
    ]);
    bare.assert_failed();
    assert!(
        bare.stderr.contains("every branch and pull request"),
        "{}",
        bare.stderr
    );
    assert!(
        sandbox.emulator.actions().is_empty(),
        "refused before any AWS call"
    );

    let made = provision_role(
        &sandbox,
        "ci",
        "github:acme/payments:environment:production",
        &["--new-key", "alias/ci"],
    );
    assert_eq!(providers(&sandbox), vec![PROVIDER.to_string()]);
    let statement = &trust_of(&sandbox, "ci")["Statement"][0];
    assert_eq!(statement["Principal"], json!({"Federated": PROVIDER}));
    assert_eq!(statement["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(
        statement["Condition"],
        json!({"StringEquals": {
            format!("{ISSUER}:aud"): "sts.amazonaws.com",
            format!("{ISSUER}:sub"): "repo:acme/payments:environment:production",
        }})
    );
    assert_eq!(
        made["verified"], false,
        "only the workflow's token can assume it"
    );
    assert!(made["verification"]
        .as_str()
        .unwrap()
        .contains("IAM holds exactly the planned trust"));
    let snippet = made["workload_snippet"].as_str().unwrap();
    assert!(snippet.contains("id-token: write") && snippet.contains("environment: production"));
    let role_arn = made["role_arn"].as_str().unwrap();
    assert!(snippet.contains(role_arn), "{snippet}");

    // The workflow's side: botocore's web-identity provider (AWS_ROLE_ARN and
    // AWS_WEB_IDENTITY_TOKEN_FILE, nothing else) gives libmongocrypt the role's credentials.
    let token = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token.path(), "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl").unwrap();
    let token_file = token.path().display().to_string();
    sandbox.emulator.clear_requests();
    let seen = sandbox.mongocrypt_app(
        made["key_arn"].as_str().unwrap(),
        &[
            ("AWS_ROLE_ARN", role_arn),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file),
            ("AWS_ROLE_SESSION_NAME", "ci"),
        ],
    );
    assert_eq!(seen["round_trip"], true);
    assert!(
        sandbox
            .emulator
            .actions()
            .contains(&"AssumeRoleWithWebIdentity".to_string()),
        "{:?}",
        sandbox.emulator.actions()
    );

    // `prove`, run in the workflow with the workflow's credentials only: the proof the admin's
    // computer could not make.
    let token_path = token.path().display().to_string();
    let prove = sandbox.cli_with(
        &[
            "prove",
            "--key",
            made["key_arn"].as_str().unwrap(),
            "--json",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("AWS_ROLE_ARN", role_arn),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", &token_path),
        ],
    );
    prove.assert_ok();
    let proof = prove.json();
    assert!(
        proof["identity_arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/ci/"),
        "{proof}"
    );
}

#[test]
fn the_provider_is_shared_kept_while_another_role_trusts_it_and_removed_by_the_last_teardown() {
    let sandbox = Sandbox::start();
    provision_role(
        &sandbox,
        "deploy",
        "github:acme/payments:ref:refs/heads/main",
        &["--new-key", "alias/deploy"],
    );
    // A second role of the same issuer uses the provider as it is.
    let plan = sandbox.cli(&[
        "provision",
        "--role",
        "migrate",
        "--trust",
        "github:acme/payments:environment:staging",
        "--existing-key",
        "alias/deploy",
        "--dry-run",
    ]);
    plan.assert_ok();
    assert!(
        !plan.stdout.contains("iam:CreateOpenIDConnectProvider"),
        "{}",
        plan.stdout
    );
    provision_role(
        &sandbox,
        "migrate",
        "github:acme/payments:environment:staging",
        &["--existing-key", "alias/deploy"],
    );
    assert_eq!(providers(&sandbox).len(), 1);

    // Tearing down the role whose run made the provider keeps it: another role trusts it.
    let first = sandbox.cli(&["teardown", "--role", "deploy", "--yes", "--json"]);
    first.assert_ok();
    assert!(
        first.stdout.contains("still trusted by migrate"),
        "{}",
        first.stdout
    );
    assert_eq!(providers(&sandbox).len(), 1);
    // The last role goes: its own run did not make the provider, but the journal records the
    // run that did, and the provider carries that run's tag and was made while it ran. No role
    // trusts it any more: it goes too, rather than being left behind for nobody.
    let second = sandbox.cli(&["teardown", "--role", "migrate", "--yes", "--json"]);
    second.assert_ok();
    assert!(
        second
            .stdout
            .contains("made by a setup run this computer recorded; no role trusts it any more"),
        "{}",
        second.stdout
    );
    assert!(providers(&sandbox).is_empty(), "{:?}", providers(&sandbox));
}

fn journal_path(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox
        .keyring
        .home()
        .join(".local/share/csfle-provisioner/journal.json")
}

/// Tags are anyone's to write: a provider carrying this app's tags and a run tag is removed only
/// when this computer recorded that very run making it. Made on another computer (or copied
/// tags), the last teardown keeps it and says what to do.
#[test]
fn a_shared_provider_whose_making_run_this_computer_does_not_know_is_kept_and_said_so() {
    let sandbox = Sandbox::start();
    provision_role(
        &sandbox,
        "deploy",
        "github:acme/payments:ref:refs/heads/main",
        &["--new-key", "alias/deploy"],
    );
    provision_role(
        &sandbox,
        "migrate",
        "github:acme/payments:environment:staging",
        &["--existing-key", "alias/deploy"],
    );
    let first = sandbox.cli(&["teardown", "--role", "deploy", "--yes", "--json"]);
    first.assert_ok();
    assert!(
        first.stdout.contains("still trusted by migrate"),
        "{}",
        first.stdout
    );
    // As if deploy had been made on another computer: this journal never saw its run.
    let path = journal_path(&sandbox);
    let mut journal: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let runs = journal["runs"].as_array_mut().unwrap();
    let before = runs.len();
    runs.retain(|run| run["principal_name"] != "deploy");
    assert_eq!(runs.len(), before - 1);
    std::fs::write(&path, journal.to_string()).unwrap();

    let second = sandbox.cli(&["teardown", "--role", "migrate", "--yes", "--json"]);
    second.assert_ok();
    assert!(
        second.stdout.contains("cannot prove it made it"),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("Identity providers"),
        "{}",
        second.stdout
    );
    assert_eq!(providers(&sandbox), vec![PROVIDER.to_string()]);
}

#[test]
fn a_provider_made_by_the_setup_goes_with_it_and_someone_elses_stays() {
    let sandbox = Sandbox::start();
    provision_role(
        &sandbox,
        "ci",
        "github:acme/payments:environment:production",
        &["--new-key", "alias/ci"],
    );
    let gone = sandbox.cli(&["teardown", "--role", "ci", "--yes", "--json"]);
    gone.assert_ok();
    assert!(
        gone.stdout.contains(&format!("OIDC provider {PROVIDER}")),
        "{}",
        gone.stdout
    );
    assert!(providers(&sandbox).is_empty());

    // A provider someone else made: used, never removed.
    let aws = sandbox.aws();
    aws.block(
        aws.iam()
            .create_open_id_connect_provider()
            .url("https://gitlab.example.com")
            .client_id_list("sts.amazonaws.com")
            .thumbprint_list("0123456789abcdef0123456789abcdef01234567")
            .send(),
    )
    .unwrap();
    provision_role(
        &sandbox,
        "gitlab-ci",
        "oidc:https://gitlab.example.com::project_path:group/app:ref_type:branch:ref:main",
        &["--existing-key", "alias/ci"],
    );
    let kept = sandbox.cli(&["teardown", "--role", "gitlab-ci", "--yes", "--json"]);
    kept.assert_ok();
    assert!(
        kept.stdout.contains("did not make it for this setup"),
        "{}",
        kept.stdout
    );
    assert_eq!(providers(&sandbox).len(), 1);
}

#[test]
fn a_failure_after_the_provider_was_made_takes_the_provider_and_the_role_away_again() {
    let sandbox = Sandbox::start();
    // The check of what IAM stored is the last step: it fails after everything was made.
    sandbox.emulator.add_fault(json!({
        "action": "GetRolePolicy", "status": 403, "code": "AccessDenied",
        "message": "not allowed by the test", "times": 50,
    }));
    let run = sandbox.cli(&[
        "provision",
        "--role",
        "ci",
        "--trust",
        "github:acme/payments:environment:production",
        "--new-key",
        "alias/ci",
    ]);
    run.assert_failed();
    assert!(
        sandbox
            .emulator
            .actions()
            .contains(&"CreateOpenIDConnectProvider".to_string()),
        "the provider was made before the failure"
    );
    assert!(
        run.stderr
            .contains(&format!("rolled back: OIDC provider {PROVIDER}")),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("LEFT BEHIND"), "{}", run.stderr);
    assert!(providers(&sandbox).is_empty(), "{:?}", providers(&sandbox));
    assert!(!sandbox.aws().role_exists("ci"));
    sandbox.aws().assert_nothing_left(&[]);
}
