//! The reliability matrix: every AWS call of provision, rotate and teardown, each failed in four
//! ways (throttling, HTTP 500, reset connection: transient; AccessDenied: persistent). Every cell
//! must end either completed (the SDK's retries absorbed the fault) or fully rolled back, with no
//! orphaned resource and no access key whose secret is not in the keychain. The table is written
//! to test-artifacts/reliability-matrix.md (scripts/test.sh prints it).

mod support;

use serde_json::{json, Value};
use std::fmt::Write as _;
use support::sandbox::ADMIN_ACCESS_KEY;
use support::Sandbox;

const SERVICE: &str = "csfle-provisioner";
const ACCOUNT: &str = "123456789012/app";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Throttling,
    ServerError,
    Reset,
    AccessDenied,
    /// AWS did the work and the reply was lost: only for calls that create something.
    LostReply,
}

const KINDS: [Kind; 5] = [
    Kind::Throttling,
    Kind::ServerError,
    Kind::Reset,
    Kind::AccessDenied,
    Kind::LostReply,
];

impl Kind {
    /// How a run that succeeded despite this fault got there.
    fn completed(self) -> &'static str {
        match self {
            Kind::AccessDenied => "completed (did without it)",
            Kind::LostReply => "completed (looked before sending again)",
            _ => "completed (retried)",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Throttling => "throttling ×2",
            Kind::ServerError => "HTTP 500 ×2",
            Kind::Reset => "connection reset ×1",
            Kind::AccessDenied => "AccessDenied (always)",
            Kind::LostReply => "done, reply lost ×1",
        }
    }

    /// A lost reply only matters where sending again could make a second thing.
    fn applies_to(self, call: &Call) -> bool {
        self != Kind::LostReply || call.action.starts_with("Create")
    }

    fn rule(self, call: &Call) -> Value {
        let kms = call.service == "kms";
        let mut rule = match self {
            Kind::Throttling => {
                json!({"times": 2, "status": 400, "code": if kms { "ThrottlingException" } else { "Throttling" }})
            }
            Kind::ServerError => {
                json!({"times": 2, "status": 500, "code": if kms { "KMSInternalException" } else { "ServiceFailure" }})
            }
            Kind::Reset => json!({"times": 1, "kind": "reset"}),
            Kind::LostReply => json!({"times": 1, "kind": "lost"}),
            Kind::AccessDenied => {
                json!({"times": 1000, "status": if kms { 400 } else { 403 }, "code": if kms { "AccessDeniedException" } else { "AccessDenied" }})
            }
        };
        rule["action"] = json!(call.action);
        rule["service"] = json!(call.service);
        match call.signer {
            Signer::Admin => rule["accessKey"] = json!(ADMIN_ACCESS_KEY),
            Signer::NewKey => rule["notAccessKey"] = json!(ADMIN_ACCESS_KEY),
        }
        rule
    }
}

#[derive(Clone, PartialEq, Eq)]
enum Signer {
    Admin,
    NewKey,
}

#[derive(Clone, PartialEq, Eq)]
struct Call {
    service: String,
    action: String,
    signer: Signer,
}

impl Call {
    fn label(&self) -> String {
        let who = if self.signer == Signer::NewKey {
            " (new key)"
        } else {
            ""
        };
        format!("{}:{}{who}", self.service, self.action)
    }
}

/// The distinct calls of a clean run, in the order first seen.
fn calls_of(sandbox: &Sandbox) -> Vec<Call> {
    let mut calls: Vec<Call> = Vec::new();
    for request in sandbox.emulator.requests() {
        let call = Call {
            service: request["service"].as_str().unwrap_or_default().to_string(),
            action: request["action"].as_str().unwrap_or_default().to_string(),
            signer: if request["accessKey"] == ADMIN_ACCESS_KEY {
                Signer::Admin
            } else {
                Signer::NewKey
            },
        };
        if !calls.contains(&call) {
            calls.push(call);
        }
    }
    calls
}

fn reset(sandbox: &Sandbox) {
    sandbox.emulator.clear_faults();
    let agent = ureq::Agent::new_with_defaults();
    agent
        .post(&format!("{}/moto-api/reset", sandbox.emulator.url))
        .send("")
        .expect("reset moto");
    sandbox.emulator.clear_requests();
    let _ = std::process::Command::new("secret-tool")
        .args(["clear", "service", SERVICE])
        .env_clear()
        .envs(sandbox.keyring.env())
        .status();
    let _ = std::fs::remove_file(
        sandbox
            .keyring
            .home()
            .join(".local/share/csfle-provisioner/journal.json"),
    );
    assert_eq!(sandbox.keyring.count(SERVICE), 0);
}

/// Provisions `app` and returns its new key's ARN: what a teardown deleting the key approves.
fn provision_key(sandbox: &Sandbox) -> String {
    let run = provision(sandbox);
    run.assert_ok();
    run.json()["key_arn"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Tears `app` down and deletes `key`, the key the admin approved.
fn teardown_with_key(sandbox: &Sandbox, key: &str) -> support::CliRun {
    teardown_with_key_env(sandbox, key, &[])
}

fn teardown_with_key_env(sandbox: &Sandbox, key: &str, env: &[(&str, &str)]) -> support::CliRun {
    let args = [
        "teardown",
        "--user",
        "app",
        "--delete-key",
        "--key-deletion-days",
        "7",
        "--key-arn",
        key,
        "--yes",
    ];
    sandbox.cli_with(&args, env)
}

fn provision(sandbox: &Sandbox) -> support::CliRun {
    sandbox.cli(&[
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--json",
        "--verify-timeout",
        "3",
    ])
}

/// An application has asked for credentials: the keychain also holds cached session credentials,
/// which rotation and teardown must remove with the stored key.
fn cache_session_credentials(sandbox: &Sandbox) {
    sandbox
        .cli(&[
            "credential-process",
            "--user",
            "app",
            "--account",
            "123456789012",
        ])
        .assert_ok();
    assert!(session_cached(sandbox));
}

fn session_cached(sandbox: &Sandbox) -> bool {
    sandbox
        .keyring
        .lookup(SERVICE, &format!("{ACCOUNT}#session"))
        .is_some()
}

/// The stored item, if any: (access key id, secret).
fn stored(sandbox: &Sandbox) -> Option<(String, String)> {
    let item: Value = serde_json::from_str(&sandbox.keyring.lookup(SERVICE, ACCOUNT)?).ok()?;
    Some((
        item["AccessKeyId"].as_str()?.to_string(),
        item["SecretAccessKey"].as_str()?.to_string(),
    ))
}

/// The one invariant of a finished setup: exactly one active access key, and the keychain holds it
/// with the secret AWS issued.
fn one_working_key_in_keychain(sandbox: &Sandbox) -> Result<(), String> {
    let aws = sandbox.aws();
    let keys = aws
        .block(aws.iam().list_access_keys().user_name("app").send())
        .map_err(|e| format!("{e:?}"))?;
    let active: Vec<String> = keys
        .access_key_metadata()
        .iter()
        .filter(|k| k.status().map(|s| s.as_str()) == Some("Active"))
        .filter_map(|k| k.access_key_id().map(str::to_string))
        .collect();
    let (id, secret) = stored(sandbox).ok_or("no keychain item")?;
    if active != vec![id.clone()] {
        return Err(format!("active keys {active:?}, keychain holds {id}"));
    }
    let issued = sandbox.emulator.issued_secret(&id).ok_or("unknown key")?;
    (issued == secret)
        .then_some(())
        .ok_or_else(|| "keychain secret differs from the issued one".into())
}

fn nothing_left(sandbox: &Sandbox) -> Result<(), String> {
    let aws = sandbox.aws();
    if !aws.users().is_empty() || !aws.aliases().is_empty() {
        return Err(format!(
            "left: users {:?}, aliases {:?}",
            aws.users(),
            aws.aliases()
        ));
    }
    if let Some((id, state)) = aws.keys().into_iter().find(|(_, s)| s != "PendingDeletion") {
        return Err(format!("key {id} is {state}"));
    }
    if sandbox.keyring.count(SERVICE) != 0 {
        return Err("keychain item left".into());
    }
    Ok(())
}

struct Matrix {
    title: &'static str,
    rows: Vec<(String, Vec<String>)>,
    violations: Vec<String>,
}

impl Matrix {
    fn new(title: &'static str) -> Matrix {
        Matrix {
            title,
            rows: vec![],
            violations: vec![],
        }
    }

    fn not_applicable(&mut self, call: &Call) {
        match self.rows.iter_mut().find(|(name, _)| *name == call.label()) {
            Some((_, cells)) => cells.push("—".into()),
            None => self.rows.push((call.label(), vec!["—".into()])),
        }
    }

    fn cell(&mut self, call: &Call, kind: Kind, verdict: Result<&'static str, String>) {
        let text = match verdict {
            Ok(outcome) => outcome.to_string(),
            Err(problem) => {
                self.violations
                    .push(format!("{} × {}: {problem}", call.label(), kind.label()));
                format!("VIOLATION: {problem}")
            }
        };
        match self.rows.iter_mut().find(|(name, _)| *name == call.label()) {
            Some((_, cells)) => cells.push(text),
            None => self.rows.push((call.label(), vec![text])),
        }
    }

    fn finish(self) {
        let mut table = format!(
            "\n### {}\n\n| AWS call | {} |\n|---|{}\n",
            self.title,
            KINDS.map(Kind::label).join(" | "),
            "---|".repeat(KINDS.len())
        );
        for (call, cells) in &self.rows {
            let _ = writeln!(table, "| {call} | {} |", cells.join(" | "));
        }
        let dir = support::repo_root().join("test-artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!(
                "reliability-matrix-{}.md",
                self.title
                    .split_whitespace()
                    .next()
                    .unwrap_or("x")
                    .to_lowercase()
            )),
            &table,
        )
        .unwrap();
        println!("{table}");
        assert!(
            self.violations.is_empty(),
            "{table}\nviolations:\n{}",
            self.violations.join("\n")
        );
    }
}

#[test]
fn provision_matrix() {
    let sandbox = Sandbox::start();
    provision(&sandbox).assert_ok();
    let calls = calls_of(&sandbox);
    assert!(calls.len() >= 10, "{}", calls.len());
    let mut matrix = Matrix::new("Provision");
    for call in &calls {
        for kind in KINDS {
            if !kind.applies_to(call) {
                matrix.not_applicable(call);
                continue;
            }
            reset(&sandbox);
            sandbox.emulator.add_fault(kind.rule(call));
            let run = provision(&sandbox);
            let verdict = if run.status.success() {
                one_working_key_in_keychain(&sandbox).map(|()| kind.completed())
            } else {
                nothing_left(&sandbox).map(|()| "rolled back")
            };
            matrix.cell(call, kind, verdict);
        }
    }
    matrix.finish();
}

#[test]
fn rotate_matrix() {
    let sandbox = Sandbox::start();
    provision(&sandbox).assert_ok();
    sandbox.emulator.clear_requests();
    sandbox.cli(&["rotate", "--user", "app"]).assert_ok();
    let calls = calls_of(&sandbox);
    let mut matrix = Matrix::new("Rotate");
    for call in &calls {
        for kind in KINDS {
            if !kind.applies_to(call) {
                matrix.not_applicable(call);
                continue;
            }
            reset(&sandbox);
            provision(&sandbox).assert_ok();
            cache_session_credentials(&sandbox);
            let before = stored(&sandbox);
            sandbox.emulator.add_fault(kind.rule(call));
            let run = sandbox.cli(&["rotate", "--user", "app", "--verify-timeout", "3"]);
            sandbox.emulator.clear_faults();
            let consistent = one_working_key_in_keychain(&sandbox);
            let verdict = match (run.status.success(), consistent) {
                (_, Err(problem)) => Err(problem),
                (true, Ok(())) if session_cached(&sandbox) => {
                    Err("session credentials made with the old key are still cached".into())
                }
                (true, Ok(()))
                    if stored(&sandbox) != before
                        && run.stdout.contains("could not be deleted") =>
                {
                    Ok("completed; old key left inactive (reported)")
                }
                (true, Ok(())) if stored(&sandbox) != before => Ok(kind.completed()),
                (true, Ok(())) => {
                    Err("reported success but the keychain still holds the old key".into())
                }
                (false, Ok(())) if stored(&sandbox) == before => Ok("rolled back (old key kept)"),
                (false, Ok(())) => Err("failed but the keychain changed".into()),
            };
            matrix.cell(call, kind, verdict);
        }
    }
    matrix.finish();
}

#[test]
fn teardown_matrix() {
    let sandbox = Sandbox::start();
    let key = provision_key(&sandbox);
    sandbox.emulator.clear_requests();
    teardown_with_key(&sandbox, &key).assert_ok();
    let calls = calls_of(&sandbox);
    let mut matrix = Matrix::new("Teardown");
    for call in &calls {
        for kind in KINDS {
            if !kind.applies_to(call) {
                matrix.not_applicable(call);
                continue;
            }
            reset(&sandbox);
            let key = provision_key(&sandbox);
            cache_session_credentials(&sandbox);
            sandbox.emulator.add_fault(kind.rule(call));
            let run = teardown_with_key(&sandbox, &key);
            sandbox.emulator.clear_faults();
            let verdict = if run.status.success() {
                nothing_left(&sandbox).map(|()| kind.completed())
            } else {
                // What could not be removed is named, and stays a setup of ours: another teardown finishes it.
                let named = run.stderr.contains("FAILED") || run.stderr.contains("error:");
                let again = teardown_with_key(&sandbox, &key);
                let finished = again.status.success() || again.stderr.contains("does not exist");
                match (named, finished, nothing_left(&sandbox)) {
                    (true, true, Ok(())) => Ok("reported; finished when run again"),
                    (_, _, Err(problem)) => Err(problem),
                    _ => Err(format!(
                        "not reported or not finishable:\n{}\n{}",
                        run.stderr, again.stderr
                    )),
                }
            };
            matrix.cell(call, kind, verdict);
        }
    }
    matrix.finish();
}

/// An in-memory keychain whose writes or deletes can be made to fail: for the one fault a real
/// keyring cannot be made to produce on cue.
struct FailingVault {
    items: std::sync::Mutex<std::collections::HashMap<String, String>>,
    fail_save: bool,
    fail_remove: bool,
}

impl csfle_core::local::keychain::Vault for FailingVault {
    fn store_name(&self) -> String {
        "test keychain".into()
    }
    fn save(
        &self,
        account: &str,
        _label: &str,
        secret: &csfle_core::secret::Sensitive,
    ) -> Result<(), csfle_core::error::keychain::KeychainError> {
        if self.fail_save {
            return Err(csfle_core::error::keychain::KeychainError::WriteFailed {
                detail: "disk full (injected)".into(),
            });
        }
        self.items
            .lock()
            .unwrap()
            .insert(account.into(), secret.expose().into());
        Ok(())
    }
    fn load(
        &self,
        account: &str,
    ) -> Result<csfle_core::secret::Sensitive, csfle_core::error::keychain::KeychainError> {
        self.items
            .lock()
            .unwrap()
            .get(account)
            .map(|s| csfle_core::secret::Sensitive::new(s.clone()))
            .ok_or(csfle_core::error::keychain::KeychainError::NotFound {
                account: account.into(),
            })
    }
    fn remove(&self, account: &str) -> Result<(), csfle_core::error::keychain::KeychainError> {
        if self.fail_remove {
            return Err(csfle_core::error::keychain::KeychainError::WriteFailed {
                detail: "read-only (injected)".into(),
            });
        }
        self.items.lock().unwrap().remove(account);
        Ok(())
    }
    fn check_reachable(&self) -> Result<(), csfle_core::error::keychain::KeychainError> {
        Ok(())
    }
}

fn in_process(
    sandbox: &Sandbox,
) -> (
    tokio::runtime::Runtime,
    csfle_core::aws::connect::Connection,
) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = support::aws::config(&sandbox.emulator.url, ADMIN_ACCESS_KEY, "x");
    let connection = runtime
        .block_on(csfle_core::aws::connect::establish(config))
        .expect("connect");
    (runtime, connection)
}

fn provision_in_process(
    runtime: &tokio::runtime::Runtime,
    connection: &csfle_core::aws::connect::Connection,
    vault: std::sync::Arc<dyn csfle_core::local::keychain::Vault>,
    journal: Option<std::sync::Arc<csfle_core::local::journal::Journal>>,
) -> Result<csfle_core::model::Outcome, Box<csfle_core::setup::run_frame::ApplyFailure>> {
    use csfle_core::model::{KeyChoice, Quiet, SetupRequest};
    let request = SetupRequest {
        key: KeyChoice::New {
            alias: "alias/app".into(),
            description: String::new(),
        },
        user_name: "app".into(),
        policy_name: None,
        allow_long_lived: false,
        max_session_seconds: None,
        key_profile: None,
    };
    let plan = runtime
        .block_on(csfle_core::setup::plan::plan(connection, &request, &vault))
        .expect("plan");
    let options = csfle_core::setup::run_frame::ApplyOptions {
        verify_limit: std::time::Duration::from_secs(3),
        journal,
    };
    runtime
        .block_on(csfle_core::setup::apply::apply(
            connection,
            &plan,
            vault,
            &Quiet,
            &csfle_core::cancel::Cancel::default(),
            &options,
        ))
        .map_err(Box::new)
}

#[test]
fn keychain_matrix() {
    use support::keyring::KeyringState;
    let mut table = String::from("\n### Keychain faults\n\n| operation | locked | absent (no Secret Service) | write fails |\n|---|---|---|---|\n");
    let mut violations = Vec::new();
    let mut check = |cell: &str, verdict: Result<&'static str, String>| match verdict {
        Ok(text) => text.to_string(),
        Err(problem) => {
            violations.push(format!("{cell}: {problem}"));
            format!("VIOLATION: {problem}")
        }
    };

    // Provision.
    let locked = Sandbox::with_keyring(KeyringState::Locked);
    let run = provision(&locked);
    let locked_cell = check(
        "provision/locked",
        if run.status.success() {
            Err("succeeded".into())
        } else {
            nothing_left(&locked).map(|()| "rolled back (access key deleted)")
        },
    );
    let absent = Sandbox::with_keyring(KeyringState::NoService);
    let run = provision(&absent);
    let absent_cell = check(
        "provision/absent",
        if run.status.success() {
            Err("succeeded".into())
        } else {
            nothing_left(&absent).map(|()| "stopped before any change")
        },
    );
    let sandbox = Sandbox::start();
    let (runtime, connection) = in_process(&sandbox);
    let vault = std::sync::Arc::new(FailingVault {
        items: Default::default(),
        fail_save: true,
        fail_remove: false,
    });
    let result = provision_in_process(&runtime, &connection, vault, None);
    let write_cell = check(
        "provision/write fails",
        match result {
            Ok(_) => Err("succeeded".into()),
            Err(failure) if failure.rollback.left_behind.is_empty() => {
                nothing_left(&sandbox).map(|()| "rolled back (access key deleted)")
            }
            Err(failure) => Err(format!("left behind {:?}", failure.rollback.left_behind)),
        },
    );
    let _ = writeln!(
        table,
        "| provision | {locked_cell} | {absent_cell} | {write_cell} |"
    );

    // Rotate: the old key must stay the one working key.
    let mut sandbox = Sandbox::start();
    provision(&sandbox).assert_ok();
    let before = stored(&sandbox);
    sandbox.keyring.relock();
    let run = sandbox.cli(&["rotate", "--user", "app"]);
    sandbox.keyring.unlock();
    let locked_cell = check(
        "rotate/locked",
        match (run.status.success(), one_working_key_in_keychain(&sandbox)) {
            (false, Ok(())) if stored(&sandbox) == before => Ok("nothing changed (old key kept)"),
            (_, Err(problem)) => Err(problem),
            _ => Err("unexpected result".into()),
        },
    );
    let run = sandbox.cli_with(
        &["rotate", "--user", "app"],
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
    );
    let absent_cell = check(
        "rotate/absent",
        match (run.status.success(), one_working_key_in_keychain(&sandbox)) {
            (false, Ok(())) if stored(&sandbox) == before => Ok("nothing changed (old key kept)"),
            (_, Err(problem)) => Err(problem),
            _ => Err("unexpected result".into()),
        },
    );
    reset(&sandbox);
    let (runtime, connection) = in_process(&sandbox);
    let vault = std::sync::Arc::new(FailingVault {
        items: Default::default(),
        fail_save: false,
        fail_remove: false,
    });
    provision_in_process(&runtime, &connection, vault.clone(), None).expect("provision in process");
    let vault = std::sync::Arc::new(FailingVault {
        items: std::sync::Mutex::new(vault.items.lock().unwrap().clone()),
        fail_save: true,
        fail_remove: false,
    });
    let options = csfle_core::lifecycle::rotate::RotateOptions {
        delete_inactive_key: false,
        verify_limit: std::time::Duration::from_secs(3),
        journal: None,
        vault_logins: None,
    };
    let result = runtime.block_on(csfle_core::lifecycle::rotate::rotate(
        &connection,
        vault.clone(),
        "app",
        &options,
    ));
    let aws = sandbox.aws();
    let keys = aws.access_keys("app");
    let held: Value =
        serde_json::from_str(vault.items.lock().unwrap().get(ACCOUNT).unwrap()).unwrap();
    let write_cell = check(
        "rotate/write fails",
        match result {
            Err(_) if keys == vec![held["AccessKeyId"].as_str().unwrap().to_string()] => {
                Ok("rolled back (new key deleted, old kept)")
            }
            Err(_) => Err(format!(
                "keys {keys:?}, keychain holds {}",
                held["AccessKeyId"]
            )),
            Ok(_) => Err("succeeded".into()),
        },
    );
    let _ = writeln!(
        table,
        "| rotate | {locked_cell} | {absent_cell} | {write_cell} |"
    );

    // Teardown: AWS is cleaned; the keychain item that could not be removed is reported and goes
    // on the next run.
    // A keychain fault during teardown: AWS is cleaned, the item is reported, a rerun removes it.
    let reported_then_finished = |run: support::CliRun, sandbox: &Sandbox, key: &str| {
        let reported = !run.status.success() && run.stderr.contains("keychain item");
        let again = teardown_with_key(sandbox, key);
        match (reported, again.status.success(), nothing_left(sandbox)) {
            (true, true, Ok(())) => {
                Ok("AWS cleaned; keychain item reported, removed when run again")
            }
            (_, _, Err(problem)) => Err(problem),
            _ => Err(format!("{}\n{}", run.stderr, again.stderr)),
        }
    };
    reset(&sandbox);
    let key = provision_key(&sandbox);
    sandbox.keyring.relock();
    let run = teardown_with_key(&sandbox, &key);
    sandbox.keyring.unlock();
    let locked_cell = check(
        "teardown/locked",
        reported_then_finished(run, &sandbox, &key),
    );
    reset(&sandbox);
    let key = provision_key(&sandbox);
    let no_bus = [("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")];
    let run = teardown_with_key_env(&sandbox, &key, &no_bus);
    let absent_cell = check(
        "teardown/absent",
        reported_then_finished(run, &sandbox, &key),
    );
    reset(&sandbox);
    let (runtime, connection) = in_process(&sandbox);
    let vault = std::sync::Arc::new(FailingVault {
        items: Default::default(),
        fail_save: false,
        fail_remove: true,
    });
    // Key deletion needs this computer's record of the run that made the key: a journal of its own.
    let journal_dir = tempfile::tempdir().expect("a journal folder");
    let journal = std::sync::Arc::new(csfle_core::local::journal::Journal::at(
        journal_dir.path().join("journal.json"),
    ));
    let made = provision_in_process(&runtime, &connection, vault.clone(), Some(journal.clone()))
        .expect("provision in process");
    let approved = csfle_core::lifecycle::teardown::KeyDeletion {
        key_arn: made.key_arn.clone(),
        days: 7,
    };
    let report = runtime
        .block_on(csfle_core::lifecycle::teardown::teardown(
            &connection,
            vault.clone(),
            Some(&journal),
            "app",
            Some(&approved),
        ))
        .expect("teardown");
    let write_cell = check("teardown/write fails", {
        let aws = sandbox.aws();
        let aws_clean = aws.users().is_empty() && aws.aliases().is_empty();
        if aws_clean && report.failed.iter().any(|f| f.contains("keychain item")) {
            Ok("AWS cleaned; keychain item reported")
        } else {
            Err(format!("{report:?}"))
        }
    });
    let _ = writeln!(
        table,
        "| teardown | {locked_cell} | {absent_cell} | {write_cell} |"
    );

    let dir = support::repo_root().join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("reliability-matrix-keychain.md"), &table).unwrap();
    println!("{table}");
    assert!(violations.is_empty(), "{table}\n{}", violations.join("\n"));
}
