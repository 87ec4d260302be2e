//! Issue 18, items 3–5: a user setup's credentials pushed into the organisation's store, never
//! shown. OpenBao's real server (KV v2 over Vault's HTTP API) and moto's Secrets Manager behind
//! the emulator layer; an application reads each copy back (HTTP API, botocore) and makes a KMS
//! round trip with it. Rotation keeps every copy current, or keeps the old key active when a store
//! refuses the write, and `rotate --finish` completes it; teardown removes what the app wrote and
//! nothing else. Every run's output is swept for the secrets.

mod support;

use serde_json::{json, Value};
use std::process::Command;
use support::bao::{Bao, ROOT_TOKEN};
use support::{CliRun, Sandbox};

const SERVICE: &str = "csfle-provisioner";
const ACCOUNT: &str = "123456789012/app";

fn secret_of(sandbox: &Sandbox) -> (String, String) {
    let item = sandbox.keychain_item("app");
    (
        item["AccessKeyId"].as_str().unwrap().to_string(),
        item["SecretAccessKey"].as_str().unwrap().to_string(),
    )
}

/// Every run of the test, to sweep for secrets at the end.
#[derive(Default)]
struct Runs(Vec<CliRun>);

impl Runs {
    fn keep(&mut self, run: CliRun) -> &CliRun {
        self.0.push(run);
        self.0.last().unwrap()
    }

    fn assert_never_shown(&self, secrets: &[String], sandbox: &Sandbox) {
        for secret in secrets {
            for run in &self.0 {
                assert!(
                    !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
                    "a secret was printed"
                );
            }
            assert!(
                sandbox.files_containing(secret).is_empty(),
                "a secret is in a file: {:?}",
                sandbox.files_containing(secret)
            );
        }
    }
}

fn provision(sandbox: &Sandbox, runs: &mut Runs) {
    runs.keep(sandbox.provision_user("app"));
}

/// The application: reads the copy, then Encrypt/Decrypt with it. Returns the key id it used.
fn application_reads(sandbox: &Sandbox, source: &str, env: &[(&str, &str)]) -> String {
    let script = support::repo_root().join("tests/apps/read_copy.py");
    let output = Command::new(support::python())
        .arg(script)
        .arg(source)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", &sandbox.emulator.url)
        .env("AWS_ACCESS_KEY_ID", "AKIAREADERREADER0000")
        .env("AWS_SECRET_ACCESS_KEY", "reader-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .envs(env.iter().copied())
        .output()
        .expect("run the reading application");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(read["WrittenBy"], "csfle-provisioner");
    assert_eq!(read["round_trip"], true);
    read["AccessKeyId"].as_str().unwrap().to_string()
}

fn listed_copies(sandbox: &Sandbox) -> Vec<Value> {
    let listed = sandbox.cli(&["list", "--json"]);
    listed.assert_ok();
    let setups = listed.json();
    setups
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "app")
        .map(|s| s["deliveries"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default()
}

fn rotation_waiting(sandbox: &Sandbox) -> String {
    let listed = sandbox.cli(&["list", "--json"]);
    listed.assert_ok();
    listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "app")
        .and_then(|s| s["rotation_waiting"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn vault_copy_with_check_and_set_kept_current_by_rotation_and_removed_by_teardown() {
    let sandbox = Sandbox::start();
    let bao = Bao::start();
    let token = bao.token_for_secrets();
    let mut runs = Runs::default();
    provision(&sandbox, &mut runs);
    let (first_id, first_secret) = secret_of(&sandbox);
    let with_token = |args: &[&str], token: &str| sandbox.cli_with(args, &[("VAULT_TOKEN", token)]);
    let deliver = [
        "deliver",
        "--user",
        "app",
        "--vault",
        &bao.url,
        "--vault-path",
    ];

    // Bad input is refused before the keychain or Vault is touched.
    let plain_http = with_token(
        &[
            "deliver",
            "--user",
            "app",
            "--vault",
            "http://vault.example.com",
            "--vault-path",
            "secret/apps/app",
        ],
        &token,
    );
    runs.keep(plain_http).assert_failed();
    assert!(runs.0.last().unwrap().stderr.contains("invalid-input"));
    let no_token = sandbox.cli(&[&deliver[..], &["secret/apps/app"]].concat());
    assert!(runs
        .keep(no_token)
        .assert_failed()
        .stderr
        .contains("vault-no-token"));

    // A path holding someone else's secret is refused and left as it was.
    bao.write_foreign("team/other", json!({"password": "theirs"}));
    let taken = with_token(&[&deliver[..], &["secret/team/other"]].concat(), &token);
    assert!(runs
        .keep(taken)
        .assert_failed()
        .stderr
        .contains("copy-not-ours"));
    assert_eq!(bao.read("team/other"), Some(json!({"password": "theirs"})));

    // The plan says where the copy goes and writes nothing.
    let planned = with_token(
        &[&deliver[..], &["secret/apps/app", "--dry-run", "--json"]].concat(),
        &token,
    );
    runs.keep(planned).assert_ok();
    assert!(
        bao.metadata("apps/app").is_none(),
        "a dry run writes nothing"
    );

    let written = with_token(
        &[&deliver[..], &["secret/apps/app", "--json"]].concat(),
        &token,
    );
    let written = runs.keep(written);
    written.assert_ok();
    assert_eq!(written.json()["vault_version"], 1);
    let metadata = bao.metadata("apps/app").expect("the copy's metadata");
    assert_eq!(
        metadata["custom_metadata"]["created-by"],
        "csfle-provisioner"
    );
    assert_eq!(
        metadata["custom_metadata"]["csfle-provisioner:setup"],
        ACCOUNT
    );
    let read = bao.read("apps/app").unwrap();
    assert_eq!(read["AccessKeyId"], first_id.as_str());
    assert_eq!(read["SecretAccessKey"], first_secret.as_str());
    let used = application_reads(
        &sandbox,
        "vault",
        &[
            ("VAULT_ADDR", &bao.url),
            ("VAULT_TOKEN", &token),
            ("COPY_PATH", "apps/app"),
        ],
    );
    assert_eq!(used, first_id);
    let copies = listed_copies(&sandbox);
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(copies[0]["kind"], "vault");
    assert_eq!(copies[0]["access_key_id"], first_id.as_str());
    assert_eq!(copies[0]["vault_version"], 1);

    // AppRole signs in too; the same copy gets a new version (check-and-set on version 1).
    let (role_id, secret_id) = bao.approle();
    let again = sandbox.cli_with(
        &[&deliver[..], &["secret/apps/app", "--json"]].concat(),
        &[("VAULT_ROLE_ID", &role_id), ("VAULT_SECRET_ID", &secret_id)],
    );
    let again = runs.keep(again);
    again.assert_ok();
    assert_eq!(again.json()["vault_version"], 2);

    // Rotation writes the new key as a new version before the old key goes.
    let rotated = with_token(&["rotate", "--user", "app", "--json"], &token);
    let rotated = runs.keep(rotated);
    rotated.assert_ok();
    let (second_id, second_secret) = secret_of(&sandbox);
    assert_ne!(second_id, first_id);
    assert_eq!(rotated.json()["old_key_deleted"], true);
    assert_eq!(
        bao.read("apps/app").unwrap()["AccessKeyId"],
        second_id.as_str()
    );
    assert_eq!(bao.metadata("apps/app").unwrap()["current_version"], 3);
    assert_eq!(sandbox.aws().access_keys("app"), vec![second_id.clone()]);

    // The token is refused (revoked): the keychain gets the new key, the old one stays active,
    // and the admin is told which copy is behind and how to finish.
    bao.revoke(&token);
    let refused = with_token(&["rotate", "--user", "app", "--json"], &token);
    let refused = runs.keep(refused);
    refused.assert_failed();
    assert!(
        refused.stderr.contains("rotation-unfinished"),
        "{}",
        refused.stderr
    );
    let report = refused.json();
    assert_eq!(report["old_key_kept"], true);
    assert_eq!(report["copies"][0]["written"], false);
    assert!(report["message"]
        .as_str()
        .unwrap()
        .contains("rotate --user app --finish"));
    let (third_id, third_secret) = secret_of(&sandbox);
    assert_ne!(third_id, second_id);
    let mut keys = sandbox.aws().access_keys("app");
    keys.sort();
    let mut both = vec![second_id.clone(), third_id.clone()];
    both.sort();
    assert_eq!(keys, both, "the old key is kept while the copy holds it");
    assert_eq!(
        bao.read("apps/app").unwrap()["AccessKeyId"],
        second_id.as_str(),
        "nothing lost"
    );
    let waiting = sandbox.cli(&["list", "--json"]);
    assert!(waiting.stdout.contains("rotation_waiting") && waiting.stdout.contains("--finish"));

    let fresh = bao.token_for_secrets();
    let finished = with_token(&["rotate", "--user", "app", "--finish", "--json"], &fresh);
    let finished = runs.keep(finished);
    finished.assert_ok();
    assert_eq!(finished.json()["old_key_deleted"], true);
    assert_eq!(
        bao.read("apps/app").unwrap()["AccessKeyId"],
        third_id.as_str()
    );
    assert_eq!(sandbox.aws().access_keys("app"), vec![third_id.clone()]);

    // Teardown removes the copy (metadata and all versions) and says so.
    let gone = with_token(&["teardown", "--user", "app", "--yes", "--json"], &fresh);
    let gone = runs.keep(gone);
    gone.assert_ok();
    assert!(gone.stdout.contains("all its versions"), "{}", gone.stdout);
    assert!(bao.metadata("apps/app").is_none());
    assert_eq!(bao.read("team/other"), Some(json!({"password": "theirs"})));
    assert!(listed_copies(&sandbox).is_empty());

    runs.assert_never_shown(
        &[
            first_secret,
            second_secret,
            third_secret,
            token,
            fresh,
            secret_id,
            ROOT_TOKEN.into(),
        ],
        &sandbox,
    );
}

#[test]
fn teardown_leaves_a_vault_path_someone_wrote_over() {
    let sandbox = Sandbox::start();
    let bao = Bao::start();
    let token = bao.token_for_secrets();
    let mut runs = Runs::default();
    provision(&sandbox, &mut runs);
    let (_, secret) = secret_of(&sandbox);
    let args = [
        "deliver",
        "--user",
        "app",
        "--vault",
        &bao.url,
        "--vault-path",
        "secret/apps/app",
    ];
    runs.keep(sandbox.cli_with(&args, &[("VAULT_TOKEN", &token)]))
        .assert_ok();
    bao.write_foreign("apps/app", json!({"note": "a colleague's value"}));
    let over = sandbox.cli_with(&args, &[("VAULT_TOKEN", &token)]);
    assert!(runs
        .keep(over)
        .assert_failed()
        .stderr
        .contains("copy-not-ours"));
    let torn = sandbox.cli_with(
        &["teardown", "--user", "app", "--yes"],
        &[("VAULT_TOKEN", &token)],
    );
    let torn = runs.keep(torn);
    torn.assert_failed();
    assert!(torn.stderr.contains("did not write"), "{}", torn.stderr);
    assert_eq!(
        bao.read("apps/app"),
        Some(json!({"note": "a colleague's value"}))
    );
    runs.assert_never_shown(&[secret, token], &sandbox);
}

fn secrets_manager(sandbox: &Sandbox) -> (tokio::runtime::Runtime, aws_sdk_secretsmanager::Client) {
    let config = support::aws::config(&sandbox.emulator.url, "AKIAIOSFODNN7EXAMPLE", "x");
    (
        tokio::runtime::Runtime::new().unwrap(),
        aws_sdk_secretsmanager::Client::new(&config),
    )
}

fn current_copy(
    rt: &tokio::runtime::Runtime,
    sm: &aws_sdk_secretsmanager::Client,
    id: &str,
) -> Value {
    let value = rt
        .block_on(sm.get_secret_value().secret_id(id).send())
        .expect("GetSecretValue");
    serde_json::from_str(value.secret_string().unwrap()).unwrap()
}

#[test]
fn secrets_manager_copy_under_its_own_key_for_named_readers_kept_current_and_deleted() {
    let sandbox = Sandbox::start();
    let mut runs = Runs::default();
    provision(&sandbox, &mut runs);
    let (first_id, first_secret) = secret_of(&sandbox);
    let (rt, sm) = secrets_manager(&sandbox);
    let reader = "arn:aws:iam::123456789012:role/billing-app";
    let deliver = [
        "deliver",
        "--user",
        "app",
        "--secrets-manager",
        "prod/billing/csfle",
        "--reader",
        reader,
    ];

    let no_reader = sandbox.cli(&[
        "deliver",
        "--user",
        "app",
        "--secrets-manager",
        "prod/billing/csfle",
    ]);
    assert!(runs
        .keep(no_reader)
        .assert_failed()
        .stderr
        .contains("invalid-input"));
    let planned = sandbox.cli(&[&deliver[..], &["--dry-run", "--json"]].concat());
    let planned = runs.keep(planned);
    planned.assert_ok();
    let policy = planned.json()["resource_policy"].clone();
    assert_eq!(policy["Statement"][0]["Principal"]["AWS"][0], reader);
    assert_eq!(policy["Statement"][1]["Effect"], "Deny");
    assert!(
        rt.block_on(sm.describe_secret().secret_id("prod/billing/csfle").send())
            .is_err(),
        "a dry run creates nothing"
    );

    // A colleague's secret of that name is refused and left alone.
    rt.block_on(
        sm.create_secret()
            .name("team/other")
            .secret_string("theirs")
            .send(),
    )
    .unwrap();
    let taken = sandbox.cli(&[
        "deliver",
        "--user",
        "app",
        "--secrets-manager",
        "team/other",
        "--reader",
        reader,
    ]);
    assert!(runs
        .keep(taken)
        .assert_failed()
        .stderr
        .contains("copy-not-ours"));

    let written = sandbox.cli(&[&deliver[..], &["--json"]].concat());
    let written = runs.keep(written);
    written.assert_ok();
    let arn = written.json()["location"].as_str().unwrap().to_string();
    let described = rt
        .block_on(sm.describe_secret().secret_id(&arn).send())
        .unwrap();
    let tags: Vec<(String, String)> = described
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect();
    assert!(tags.contains(&("created-by".into(), "csfle-provisioner".into())));
    assert!(tags.contains(&("csfle-provisioner:setup".into(), ACCOUNT.into())));
    // A customer-managed key the app made and tagged, not aws/secretsmanager.
    let key = described.kms_key_id().expect("a KMS key").to_string();
    assert!(key.starts_with("arn:aws:kms:"), "{key}");
    let key_id = key.rsplit('/').next().unwrap();
    assert!(sandbox
        .aws()
        .key_tags(key_id)
        .contains(&("created-by".into(), "csfle-provisioner".into())));
    let stored_policy = rt
        .block_on(sm.get_resource_policy().secret_id(&arn).send())
        .unwrap();
    let stored_policy: Value =
        serde_json::from_str(stored_policy.resource_policy().unwrap()).unwrap();
    assert_eq!(stored_policy, policy);
    assert_eq!(
        current_copy(&rt, &sm, &arn)["SecretAccessKey"],
        first_secret.as_str()
    );
    assert_eq!(
        application_reads(&sandbox, "sm", &[("SECRET_ID", &arn)]),
        first_id
    );
    let copies = listed_copies(&sandbox);
    assert_eq!(copies[0]["kind"], "secrets-manager");
    assert_eq!(copies[0]["location"], arn.as_str());

    // Secrets Manager refuses the new version: the old key stays active, nothing is lost.
    sandbox.emulator.add_fault(json!({"service": "secretsmanager", "action": "PutSecretValue", "status": 500, "code": "InternalServiceError", "times": 10}));
    let refused = sandbox.cli(&["rotate", "--user", "app", "--json"]);
    let refused = runs.keep(refused);
    refused.assert_failed();
    assert_eq!(refused.json()["old_key_kept"], true);
    let (second_id, second_secret) = secret_of(&sandbox);
    assert_eq!(sandbox.aws().access_keys("app").len(), 2);
    assert_eq!(
        current_copy(&rt, &sm, &arn)["AccessKeyId"],
        first_id.as_str()
    );
    assert_eq!(
        application_reads(&sandbox, "sm", &[("SECRET_ID", &arn)]),
        first_id
    );
    sandbox.emulator.clear_faults();

    let finished = sandbox.cli(&["rotate", "--user", "app", "--finish", "--json"]);
    let finished = runs.keep(finished);
    finished.assert_ok();
    assert_eq!(
        current_copy(&rt, &sm, &arn)["AccessKeyId"],
        second_id.as_str()
    );
    assert_eq!(sandbox.aws().access_keys("app"), vec![second_id.clone()]);
    assert_eq!(
        application_reads(&sandbox, "sm", &[("SECRET_ID", &arn)]),
        second_id
    );

    // A plain rotation puts a new AWSCURRENT version straight away.
    let rotated = sandbox.cli(&["rotate", "--user", "app", "--json"]);
    runs.keep(rotated).assert_ok();
    let (third_id, third_secret) = secret_of(&sandbox);
    assert_eq!(
        current_copy(&rt, &sm, &arn)["AccessKeyId"],
        third_id.as_str()
    );

    let gone = sandbox.cli(&["teardown", "--user", "app", "--yes", "--json"]);
    let gone = runs.keep(gone);
    gone.assert_ok();
    assert!(
        gone.stdout.contains("scheduled for deletion"),
        "{}",
        gone.stdout
    );
    let deleted = rt
        .block_on(sm.describe_secret().secret_id(&arn).send())
        .unwrap();
    assert!(deleted.deleted_date().is_some(), "scheduled for deletion");
    assert!(rt
        .block_on(sm.describe_secret().secret_id("team/other").send())
        .unwrap()
        .deleted_date()
        .is_none());

    runs.assert_never_shown(&[first_secret, second_secret, third_secret], &sandbox);
}

#[test]
fn rotation_seals_a_new_file_per_recipient_and_keeps_the_old_key_until_the_import_is_confirmed() {
    let admin = Sandbox::start();
    let target = Sandbox::start();
    let mut runs = Runs::default();
    provision(&admin, &mut runs);
    let (first_id, first_secret) = secret_of(&admin);
    let on_target = |args: &[&str]| {
        target.cli_with(
            args,
            &[
                ("AWS_ENDPOINT_URL", admin.emulator.url.as_str()),
                ("AWS_ACCESS_KEY_ID", ""),
                ("AWS_SECRET_ACCESS_KEY", ""),
            ],
        )
    };
    let recipient = on_target(&["receive", "--json"]).json()["recipient"]
        .as_str()
        .unwrap()
        .to_string();
    let folder = tempfile::tempdir().unwrap();
    let sealed = folder.path().join("app.age");
    let sealed_arg = sealed.display().to_string();
    runs.keep(admin.cli(&[
        "deliver",
        "--user",
        "app",
        "--to",
        &recipient,
        "--out",
        &sealed_arg,
    ]))
    .assert_ok();
    let copies = listed_copies(&admin);
    assert_eq!(copies[0]["kind"], "sealed");
    assert_eq!(copies[0]["recipient"], recipient.as_str());
    assert_eq!(copies[0]["access_key_id"], first_id.as_str());

    let rotated = admin.cli(&["rotate", "--user", "app", "--json"]);
    let rotated = runs.keep(rotated);
    rotated.assert_failed();
    let report = rotated.json();
    assert_eq!(report["old_key_kept"], true);
    let (second_id, second_secret) = secret_of(&admin);
    let new_file = report["copies"][0]["new_file"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        new_file,
        folder
            .path()
            .join(format!("app.{second_id}.age"))
            .display()
            .to_string()
    );
    assert!(report["message"]
        .as_str()
        .unwrap()
        .contains("--confirm-imported"));
    assert_eq!(
        admin.aws().access_keys("app").len(),
        2,
        "the old key waits for the import"
    );

    // The card says whether the new key has been used since the rotation: its own proof does not
    // count. Ten minutes later IAM reports a use, and the card says so.
    assert!(
        rotation_waiting(&admin).contains("has not seen the new key"),
        "{}",
        rotation_waiting(&admin)
    );
    let deliveries_file = admin
        .keyring
        .home()
        .join(".local/share/csfle-provisioner/deliveries.json");
    let mut recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(&deliveries_file).unwrap()).unwrap();
    let kept_at = recorded["retiring"][0]["kept_at"].as_u64().unwrap();
    recorded["retiring"][0]["kept_at"] = json!(kept_at - 600);
    std::fs::write(&deliveries_file, recorded.to_string()).unwrap();
    admin.emulator.seed(json!({"ageKeys": {second_id.clone():
        {"createdDaysAgo": 0, "lastUsedDaysAgo": 0}}}));
    assert!(
        rotation_waiting(&admin).contains("after the rotation: something already runs with it"),
        "{}",
        rotation_waiting(&admin)
    );

    // Without the admin's word, finishing keeps the old key.
    let early = admin.cli(&["rotate", "--user", "app", "--finish", "--json"]);
    runs.keep(early).assert_failed();
    assert_eq!(admin.aws().access_keys("app").len(), 2);

    runs.keep(on_target(&["import", &new_file])).assert_ok();
    let item: Value =
        serde_json::from_str(&target.keyring.lookup(SERVICE, ACCOUNT).unwrap()).unwrap();
    assert_eq!(item["AccessKeyId"], second_id.as_str());
    let confirmed = admin.cli(&[
        "rotate",
        "--user",
        "app",
        "--finish",
        "--confirm-imported",
        "--json",
    ]);
    let confirmed = runs.keep(confirmed);
    confirmed.assert_ok();
    assert_eq!(admin.aws().access_keys("app"), vec![second_id.clone()]);

    let gone = admin.cli(&["teardown", "--user", "app", "--yes"]);
    let gone = runs.keep(gone);
    gone.assert_ok();
    assert!(
        gone.stdout.contains(&new_file) && gone.stdout.contains("cannot reach"),
        "{}",
        gone.stdout
    );
    runs.assert_never_shown(&[first_secret, second_secret], &admin);
}
