//! The key in one account, the application in another (issue 17, item 2). Account A
//! (123456789012, the workload) gets the role or user and its inline policy; account B
//! (222233334444) holds the key, whose policy gets exactly one statement naming that principal,
//! written with B's credentials, every other byte of the policy kept. The emulator layer serves
//! KMS across accounts as AWS does (moto cannot): only when B's key policy and A's IAM policy
//! both allow it. The workload role proves it through libmongocrypt.

mod support;

use serde_json::{json, Value};
use std::process::Command;
use support::sandbox::{ADMIN_ACCESS_KEY, ADMIN_SECRET, REGION};
use support::Sandbox;

use support::two_accounts::{self, sdk_config, KeyAccount, KEY_ACCOUNT, OWNERS_POLICY, WORKLOAD};

struct Setup {
    sandbox: Sandbox,
    runtime: tokio::runtime::Runtime,
    key_arn: String,
    key_secret: String,
    owners: KeyAccount,
}

/// Two profiles, as an organisation has them: `workload` (account A's admin) and `keyacct`
/// (account B's key administrator, a role session there), and a key in B with the owners' policy.
fn setup() -> Setup {
    let sandbox = Sandbox::start();
    let owners = two_accounts::key_account(&sandbox);
    Setup {
        runtime: tokio::runtime::Runtime::new().unwrap(),
        key_arn: owners.key_arn.clone(),
        key_secret: owners.key_secret.clone(),
        owners,
        sandbox,
    }
}

impl Setup {
    /// The CLI with the two profiles only (no credentials in the environment).
    fn cli(&self, args: &[&str]) -> support::CliRun {
        let run = self.sandbox.cli_with(
            args,
            &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
        );
        assert!(
            !run.output().contains(&self.key_secret),
            "the key account's secret was printed"
        );
        run
    }

    fn key_policy(&self) -> String {
        self.owners.key_policy()
    }

    fn put_key_policy(&self, text: &str) {
        self.owners.put_key_policy(text)
    }

    fn provision_role(&self, role: &str) -> support::CliRun {
        self.cli(&[
            "provision",
            "--role",
            role,
            "--trust",
            WORKLOAD,
            "--existing-key",
            &self.key_arn,
            "--profile",
            "workload",
            "--key-profile",
            "keyacct",
            "--json",
        ])
    }

    fn teardown(&self, kind: &str, name: &str) -> support::CliRun {
        self.cli(&[
            "teardown",
            kind,
            name,
            "--yes",
            "--profile",
            "workload",
            "--key-profile",
            "keyacct",
            "--json",
        ])
    }

    /// libmongocrypt, signed in as the workload role (AssumeRole in account A), makes a data key
    /// with B's key and decrypts with it.
    fn mongocrypt_as_role(&self, role_arn: &str) -> Result<(), String> {
        let admin = sdk_config(
            &self.sandbox.emulator.url,
            ADMIN_ACCESS_KEY,
            ADMIN_SECRET,
            None,
        );
        let assumed = self
            .runtime
            .block_on(
                aws_sdk_sts::Client::new(&admin)
                    .assume_role()
                    .role_arn(role_arn)
                    .role_session_name("app")
                    .send(),
            )
            .unwrap();
        let c = assumed.credentials().unwrap();
        let mut app = Command::new(support::python());
        app.arg(support::repo_root().join("tests/apps/mongocrypt_app.py"))
            .env_clear();
        for (key, value) in self.sandbox.env() {
            if !key.starts_with("AWS_ACCESS_KEY") && !key.starts_with("AWS_SECRET") {
                app.env(key, value);
            }
        }
        app.env("AWS_ACCESS_KEY_ID", c.access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", c.secret_access_key())
            .env("AWS_SESSION_TOKEN", c.session_token())
            .env("EMULATOR_URL", &self.sandbox.emulator.url)
            .env("KEY_ARN", &self.key_arn)
            .env("AWS_REGION_OF_KEY", REGION);
        let output = app.output().expect("run the libmongocrypt application");
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
        match seen["round_trip"] == true && seen["token_sent"] == true {
            true => Ok(()),
            false => Err(format!("{seen}")),
        }
    }

    fn actions(&self) -> Vec<String> {
        self.sandbox.emulator.actions()
    }
}

/// The statement exactly as the app must write it: field by field.
fn assert_statement(statement: &Value, sid: &str, principal: &str) {
    let mut fields: Vec<&String> = statement.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        ["Action", "Effect", "Principal", "Resource", "Sid"],
        "{statement}"
    );
    assert_eq!(statement["Sid"], sid);
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(statement["Principal"], json!({"AWS": principal}));
    assert_eq!(statement["Action"], json!(["kms:Encrypt", "kms:Decrypt"]));
    assert_eq!(statement["Resource"], "*");
}

/// The policy now is the owners' text with exactly one statement appended: everything before
/// the owners' closing `]` is byte-identical.
fn assert_owners_bytes_kept(policy: &str) -> Value {
    let close = OWNERS_POLICY.rfind(']').unwrap();
    let owners_end = OWNERS_POLICY[..close].trim_end().len();
    assert_eq!(&policy[..owners_end], &OWNERS_POLICY[..owners_end]);
    assert_eq!(
        &policy[policy.len() - (OWNERS_POLICY.len() - owners_end)..],
        &OWNERS_POLICY[owners_end..]
    );
    let parsed: Value = serde_json::from_str(policy).unwrap();
    let list = parsed["Statement"].as_array().unwrap().clone();
    assert_eq!(list.len(), 3, "{policy}");
    list[2].clone()
}

#[test]
fn a_role_in_the_workload_account_uses_the_key_of_the_key_account_and_teardown_restores_its_policy()
{
    let setup = setup();
    let sid = format!("CsfleProvisionerRole{WORKLOAD}app");
    let role_arn = format!("arn:aws:iam::{WORKLOAD}:role/csfle-provisioner/app");

    // The plan shows both changes, with the statement's exact JSON, and changes nothing.
    let plan = setup.cli(&[
        "provision",
        "--role",
        "app",
        "--trust",
        WORKLOAD,
        "--existing-key",
        &setup.key_arn,
        "--profile",
        "workload",
        "--key-profile",
        "keyacct",
        "--dry-run",
    ]);
    plan.assert_ok();
    let shown = plan.stdout.clone();
    assert!(shown.contains("iam:PutRolePolicy"), "{shown}");
    assert!(
        shown.contains("kms:GetKeyPolicy, kms:PutKeyPolicy"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("Key policy statement in account {KEY_ACCOUNT}")),
        "{shown}"
    );
    let statement_text = serde_json::to_string_pretty(&json!({
        "Sid": sid, "Effect": "Allow", "Principal": {"AWS": role_arn},
        "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"
    }))
    .unwrap();
    assert!(shown.contains(&statement_text), "{shown}");
    assert_eq!(setup.key_policy(), OWNERS_POLICY);
    assert!(!setup.actions().contains(&"PutKeyPolicy".to_string()));

    let run = setup.provision_role("app");
    run.assert_ok();
    let made = run.json();
    assert_eq!(made["role_arn"], role_arn.as_str());
    assert_eq!(made["verified"], true, "{made}");
    let policy = setup.key_policy();
    let statement = assert_owners_bytes_kept(&policy);
    assert_statement(&statement, &sid, &role_arn);
    assert!(policy.contains(&statement_text), "{policy}");

    // libmongocrypt as the workload role, against B's key.
    setup.mongocrypt_as_role(&role_arn).unwrap();
    // Without the statement (B's owners take it out) the same role is refused: A's IAM policy
    // alone is not enough.
    setup.put_key_policy(OWNERS_POLICY);
    let refused = setup.mongocrypt_as_role(&role_arn).unwrap_err();
    assert!(
        refused.contains("AccessDenied") || refused.contains("not authorized"),
        "{refused}"
    );
    setup.put_key_policy(&policy);
    setup.mongocrypt_as_role(&role_arn).unwrap();

    // Teardown removes exactly that statement, never touches B's key, and refuses to delete it.
    let delete = setup.cli(&[
        "teardown",
        "--role",
        "app",
        "--yes",
        "--delete-key",
        "--key-arn",
        &setup.key_arn,
        "--profile",
        "workload",
        "--key-profile",
        "keyacct",
    ]);
    delete.assert_failed();
    assert!(
        delete.output().contains("key-deletion-refused"),
        "{}",
        delete.output()
    );
    assert_eq!(
        setup.key_policy(),
        policy,
        "a refused teardown changed nothing"
    );
    let down = setup.teardown("--role", "app");
    down.assert_ok();
    let report = down.json();
    assert!(
        report["removed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains(&sid)),
        "{report}"
    );
    assert_eq!(setup.key_policy(), OWNERS_POLICY);
    assert!(!setup
        .actions()
        .iter()
        .any(|a| a == "ScheduleKeyDeletion" || a == "DisableKey"));
    assert!(setup.mongocrypt_as_role(&role_arn).is_err());
}

#[test]
fn a_user_setup_gets_the_statement_and_its_own_proof_and_teardown_takes_it_out_again() {
    let setup = setup();
    let run = setup.cli(&[
        "provision",
        "--user",
        "app",
        "--existing-key",
        &setup.key_arn,
        "--profile",
        "workload",
        "--key-profile",
        "keyacct",
        "--json",
    ]);
    run.assert_ok();
    let made = run.json();
    // The proof ran as the new user against B's key.
    assert_eq!(made["verified"], true, "{made}");
    let user_arn = format!("arn:aws:iam::{WORKLOAD}:user/csfle-provisioner/app");
    assert_eq!(made["user_arn"], user_arn.as_str());
    let statement = assert_owners_bytes_kept(&setup.key_policy());
    assert_statement(
        &statement,
        &format!("CsfleProvisionerUser{WORKLOAD}app"),
        &user_arn,
    );
    let access_key = made["access_key_id"].as_str().unwrap();
    let secret = setup.sandbox.emulator.issued_secret(access_key).unwrap();
    assert!(
        !run.output().contains(&secret),
        "the user's secret was printed"
    );
    let down = setup.teardown("--user", "app");
    down.assert_ok();
    assert!(!down.output().contains(&secret));
    assert_eq!(setup.key_policy(), OWNERS_POLICY);
}

#[test]
fn a_statement_someone_changed_is_left_alone_by_teardown() {
    let setup = setup();
    setup.provision_role("app").assert_ok();
    let widened = setup
        .key_policy()
        .replace("\"kms:Decrypt\"", "\"kms:Decrypt\", \"kms:ReEncrypt*\"");
    setup.put_key_policy(&widened);
    let down = setup.teardown("--role", "app");
    down.assert_ok();
    let report = down.json();
    assert!(
        report["kept"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k.as_str().unwrap().contains("someone changed it")),
        "{report}"
    );
    assert_eq!(setup.key_policy(), widened);
}

#[test]
fn a_failed_key_policy_write_rolls_the_role_back_and_a_later_failure_removes_the_statement() {
    let setup = setup();
    setup.sandbox.emulator.add_fault(json!({"action": "PutKeyPolicy", "status": 400, "code": "AccessDeniedException", "message": "not allowed by the test"}));
    let run = setup.provision_role("app");
    run.assert_failed();
    assert!(
        run.output().contains("kms:PutKeyPolicy"),
        "{}",
        run.output()
    );
    let aws = setup.sandbox.aws();
    assert!(aws
        .block(aws.iam().get_role().role_name("app").send())
        .is_err());
    assert_eq!(setup.key_policy(), OWNERS_POLICY);

    // The statement is in, then the proof fails for good: rollback takes the statement out.
    setup.sandbox.emulator.add_fault(json!({"action": "Decrypt", "notAccessKey": ADMIN_ACCESS_KEY, "times": 1, "status": 400, "code": "IncorrectKeyException", "message": "wrong key"}));
    let run = setup.provision_role("app");
    run.assert_failed();
    assert!(
        setup.actions().contains(&"PutKeyPolicy".to_string()),
        "{:?}",
        setup.actions()
    );
    assert_eq!(setup.key_policy(), OWNERS_POLICY);
    assert!(aws
        .block(aws.iam().get_role().role_name("app").send())
        .is_err());
}

#[test]
fn mismatched_keys_and_accounts_are_refused_before_any_change() {
    let setup = setup();
    // Another account's key without that account's profile.
    let run = setup.cli(&[
        "provision",
        "--role",
        "app",
        "--trust",
        WORKLOAD,
        "--existing-key",
        &setup.key_arn,
        "--profile",
        "workload",
        "--json",
    ]);
    run.assert_failed();
    assert!(
        run.output().contains("cross-account-key"),
        "{}",
        run.output()
    );
    assert!(run.output().contains(KEY_ACCOUNT), "{}", run.output());
    // A key profile that signs in to the workload's own account.
    let run = setup.cli(&[
        "provision",
        "--user",
        "app",
        "--existing-key",
        &setup.key_arn,
        "--profile",
        "workload",
        "--key-profile",
        "workload",
    ]);
    run.assert_failed();
    assert!(
        run.output().contains("cross-account-key"),
        "{}",
        run.output()
    );
    let changes = ["CreateRole", "CreateUser", "PutKeyPolicy", "PutRolePolicy"];
    assert!(
        !setup
            .actions()
            .iter()
            .any(|a| changes.contains(&a.as_str())),
        "{:?}",
        setup.actions()
    );
    assert_eq!(setup.key_policy(), OWNERS_POLICY);
}

impl Setup {
    fn journal_path(&self) -> std::path::PathBuf {
        self.sandbox
            .keyring
            .home()
            .join(".local/share/csfle-provisioner/journal.json")
    }

    fn teardown_with_recorded_profile(&self, kind: &str, name: &str) -> support::CliRun {
        self.cli(&[
            "teardown",
            kind,
            name,
            "--yes",
            "--profile",
            "workload",
            "--json",
        ])
    }

    fn role_exists(&self, role: &str) -> bool {
        let aws = self.sandbox.aws();
        aws.block(aws.iam().get_role().role_name(role).send())
            .is_ok()
    }
}

/// Issue 17, what was left: a teardown in a fresh session (a new CLI process, the window opened
/// again) finds the key account's profile in the journal, where provision recorded its name.
#[test]
fn teardown_without_a_key_profile_uses_the_one_recorded_at_provision_and_restores_the_policy() {
    let setup = setup();
    setup.provision_role("app").assert_ok();
    let journal: Value =
        serde_json::from_str(&std::fs::read_to_string(setup.journal_path()).unwrap()).unwrap();
    assert_eq!(journal["runs"][0]["key_profile"], "keyacct", "{journal}");
    let granted = setup.key_policy();
    assert_ne!(granted, OWNERS_POLICY);

    // The setups view reads the key in its own account, through the recorded profile: not
    // "missing", as the workload's credentials alone would see it.
    let listed = setup.cli(&["list", "--profile", "workload", "--json"]);
    listed.assert_ok();
    let card = listed.json()[0].clone();
    assert_eq!(card["name"], "app", "{card}");
    assert_eq!(card["key_state"], "Enabled", "{card}");
    let kms3 = card["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control"] == "KMS.3")
        .cloned()
        .unwrap_or_default();
    assert_ne!(kms3["status"], "failed", "{card}");
    // Without the record, the key is not read at all rather than reported missing.
    let text = std::fs::read_to_string(setup.journal_path()).unwrap();
    let mut unrecorded = journal.clone();
    unrecorded["runs"][0]
        .as_object_mut()
        .unwrap()
        .remove("key_profile");
    std::fs::write(setup.journal_path(), unrecorded.to_string()).unwrap();
    let unknown = setup.cli(&["list", "--profile", "workload", "--json"]);
    unknown.assert_ok();
    assert_eq!(
        unknown.json()[0]["key_state"],
        Value::Null,
        "{}",
        unknown.stdout
    );
    std::fs::write(setup.journal_path(), text).unwrap();

    // The preview names the profile it will use, checked against the key's account.
    let preview = setup.cli(&["teardown", "--role", "app", "--profile", "workload"]);
    assert!(
        preview.output().contains(&format!(
            "in account {KEY_ACCOUNT} with the profile keyacct, checked"
        )),
        "{}",
        preview.output()
    );
    assert_eq!(setup.key_policy(), granted, "a preview changes nothing");

    let down = setup.teardown_with_recorded_profile("--role", "app");
    down.assert_ok();
    let report = down.json();
    let sid = format!("CsfleProvisionerRole{WORKLOAD}app");
    assert!(
        report["removed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains(&sid)),
        "{report}"
    );
    assert_eq!(setup.key_policy(), OWNERS_POLICY, "byte for byte");
    assert!(!setup.role_exists("app"));
}

/// A recorded profile is only a name: before any change its account is compared with the key
/// ARN's. Unknown (made elsewhere) or of another account, the teardown stops before any change
/// and says which profile to give; a chosen profile then finishes it.
#[test]
fn a_recorded_key_profile_of_another_account_or_none_is_refused_before_any_change() {
    let setup = setup();
    setup.provision_user_for_teardown();
    let granted = setup.key_policy();

    // As if made on another computer (or by an older version): no profile recorded.
    let text = std::fs::read_to_string(setup.journal_path()).unwrap();
    let mut journal: Value = serde_json::from_str(&text).unwrap();
    journal["runs"][0]
        .as_object_mut()
        .unwrap()
        .remove("key_profile")
        .expect("provision recorded the key profile");
    std::fs::write(setup.journal_path(), journal.to_string()).unwrap();
    let down = setup.teardown_with_recorded_profile("--user", "app");
    down.assert_failed();
    let said = down.output();
    assert!(said.contains("cross-account-key"), "{said}");
    assert!(said.contains("no record of a profile"), "{said}");
    assert!(said.contains("Key's account profile"), "{said}");
    assert_eq!(setup.key_policy(), granted);

    // The recorded name now signs in to the workload's own account.
    journal["runs"][0]["key_profile"] = json!("keyacct");
    std::fs::write(setup.journal_path(), journal.to_string()).unwrap();
    let credentials = setup.sandbox.aws_dir().join("credentials");
    let text = std::fs::read_to_string(&credentials).unwrap();
    let renamed = text.replace("[keyacct]", "[security]");
    std::fs::write(
        &credentials,
        format!("{renamed}\n[keyacct]\naws_access_key_id = {ADMIN_ACCESS_KEY}\naws_secret_access_key = {ADMIN_SECRET}\n"),
    )
    .unwrap();
    setup.sandbox.emulator.clear_requests();
    let down = setup.teardown_with_recorded_profile("--user", "app");
    down.assert_failed();
    let said = down.output();
    assert!(
        said.contains(&format!(
            "The profile keyacct signs in to account {WORKLOAD}"
        )),
        "{said}"
    );
    assert_eq!(setup.key_policy(), granted);
    let changes = [
        "DeleteUser",
        "DeleteAccessKey",
        "DeleteUserPolicy",
        "PutKeyPolicy",
    ];
    assert!(
        !setup
            .actions()
            .iter()
            .any(|a| changes.contains(&a.as_str())),
        "{:?}",
        setup.actions()
    );

    // The admin names the right profile: the teardown finishes and the policy is as it was.
    let down = setup.cli(&[
        "teardown",
        "--user",
        "app",
        "--yes",
        "--profile",
        "workload",
        "--key-profile",
        "security",
        "--json",
    ]);
    down.assert_ok();
    assert_eq!(setup.key_policy(), OWNERS_POLICY);
}

impl Setup {
    fn provision_user_for_teardown(&self) {
        self.cli(&[
            "provision",
            "--user",
            "app",
            "--existing-key",
            &self.key_arn,
            "--profile",
            "workload",
            "--key-profile",
            "keyacct",
            "--json",
        ])
        .assert_ok();
    }
}

/// Starts a provision of `principal` with the key account's key, holds `stalled` (the first call
/// of its proof, which comes after the key-policy statement) and kills the run there.
fn killed_after_the_statement(setup: &Setup, principal: &[&str], stalled: &str) {
    use std::io::{BufRead, BufReader};
    let no_env_keys = [("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")];
    setup
        .sandbox
        .emulator
        .add_fault(json!({"action": stalled, "kind": "stall", "seconds": 60}));
    let mut args = vec!["provision"];
    args.extend_from_slice(principal);
    args.extend([
        "--existing-key",
        &setup.key_arn,
        "--profile",
        "workload",
        "--key-profile",
        "keyacct",
    ]);
    let mut child = setup.sandbox.spawn_cli_with(&args, &no_env_keys);
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines() {
        seen.push(line.unwrap());
        if seen
            .iter()
            .any(|l| l.starts_with("✓ key policy in the key's account"))
        {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    setup.sandbox.emulator.clear_faults();
    assert!(
        seen.iter().any(|l| l.starts_with("✓ key policy")),
        "{seen:?}"
    );
}

/// `recover --clean-up --yes` in the workload account: the key policy is the owners' again.
fn clean_up(setup: &Setup) {
    setup
        .cli(&[
            "recover",
            "--clean-up",
            "--yes",
            "--profile",
            "workload",
            "--json",
        ])
        .assert_ok();
    assert_eq!(setup.key_policy(), OWNERS_POLICY, "byte for byte");
}

/// A run killed after the key-policy statement was written (SIGKILL while its proof waited on
/// AssumeRole), before its journal recorded it: `recover --clean-up`, in a new process, finds the
/// statement and takes it out with the profile the run recorded, and the role goes; the key
/// policy is the owners' again, byte for byte.
#[test]
fn a_killed_cross_account_run_is_cleaned_up_with_the_recorded_key_profile() {
    let setup = setup();
    // The role's proof waits on AssumeRole after the statement.
    killed_after_the_statement(
        &setup,
        &["--role", "app", "--trust", WORKLOAD],
        "AssumeRole",
    );
    assert_owners_bytes_kept(&setup.key_policy());
    // The kill may land before the journal heard of the statement: make it so, always. Clean-up
    // then finds it by what it is (the app's Sid, exactly the run's own role, nothing more).
    let mut journal: Value =
        serde_json::from_str(&std::fs::read_to_string(setup.journal_path()).unwrap()).unwrap();
    let created = journal["runs"][0]["created"].as_array_mut().unwrap();
    created.retain(|item| item["kind"] != "key-policy-statement");
    std::fs::write(setup.journal_path(), journal.to_string()).unwrap();

    clean_up(&setup);
    assert!(!setup.role_exists("app"));
}

/// A user run killed after its key-policy statement was written cannot be resumed: the plan
/// rebuilt from the journal would not carry the key account's half. Resume is refused before any
/// change, and clean-up (which can take the statement back) gives the policy back byte for byte.
#[test]
fn a_killed_cross_account_user_run_is_not_resumed_but_cleaned_up() {
    let setup = setup();
    // The user's proof encrypts after the statement.
    killed_after_the_statement(&setup, &["--user", "app"], "Encrypt");
    let written = setup.key_policy();
    assert_ne!(written, OWNERS_POLICY, "the run wrote its statement");

    let resumed = setup.cli(&["recover", "--resume", "--profile", "workload", "--json"]);
    resumed.assert_failed();
    assert!(
        resumed.output().contains("cross-account-key"),
        "{}",
        resumed.output()
    );
    assert_eq!(
        setup.key_policy(),
        written,
        "nothing changed by the refusal"
    );

    clean_up(&setup);
}
