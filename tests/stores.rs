//! Issue 18, second part: the stores of a target computer without a desktop session. A Linux
//! server with its own HOME and no D-Bus session bus receives a setup sealed by the admin (whose
//! computer has a real keyring), keeps it encrypted by the real `systemd-creds` (a test host key
//! made by `systemd-creds setup` itself), and botocore there reads an AWS profile whose
//! credential_process runs the CLI and does a KMS round trip. A plain file only when asked for;
//! no store at all is an error with nothing written.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{CliRun, Sandbox};

const SETUP_CREDENTIAL: &str = "csfle-provisioner.123456789012.app";
const IDENTITY_CREDENTIAL: &str = "csfle-provisioner.this-computer.age-identity";

/// A server: its own HOME, no session bus, the admin's AWS (the emulator) and no AWS keys.
struct Target {
    home: tempfile::TempDir,
    /// PATH: a folder holding a logging `systemd-creds` in front of the real one, or nothing.
    bin: PathBuf,
    emulator_url: String,
}

impl Target {
    fn new(admin: &Sandbox, with_systemd_creds: bool) -> Target {
        let home = tempfile::tempdir().unwrap();
        let bin = home.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        let target = Target {
            home,
            bin,
            emulator_url: admin.emulator.url.clone(),
        };
        if with_systemd_creds {
            // Records every argv it is given (the exposure check reads it), then runs the real one.
            let real = which("systemd-creds");
            let log = target.argv_log();
            let wrapper = format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
                log.display(),
                real.display()
            );
            let path = target.bin.join("systemd-creds");
            std::fs::write(&path, wrapper).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            let setup = Command::new(&real)
                .arg("setup")
                .env("SYSTEMD_CREDENTIAL_SECRET", target.host_key())
                .output()
                .unwrap();
            assert!(setup.status.success(), "{setup:?}");
        }
        target
    }

    fn home(&self) -> &Path {
        self.home.path()
    }

    fn host_key(&self) -> PathBuf {
        self.home().join("host.key")
    }

    fn argv_log(&self) -> PathBuf {
        self.home().join("systemd-creds-argv.log")
    }

    fn base(&self) -> PathBuf {
        self.home().join("etc")
    }

    fn env(&self) -> Vec<(String, String)> {
        let home = self.home();
        let dir = |p: &str| home.join(p).display().to_string();
        vec![
            ("PATH".into(), self.bin.display().to_string()),
            ("HOME".into(), home.display().to_string()),
            ("XDG_DATA_HOME".into(), dir(".local/share")),
            ("XDG_CONFIG_HOME".into(), dir(".config")),
            ("XDG_RUNTIME_DIR".into(), dir("runtime")),
            ("AWS_ENDPOINT_URL".into(), self.emulator_url.clone()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("AWS_CONFIG_FILE".into(), dir(".aws/config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                dir(".aws/credentials"),
            ),
            (
                "SYSTEMD_CREDENTIAL_SECRET".into(),
                self.host_key().display().to_string(),
            ),
            (
                "CSFLE_PROVISIONER_CREDSTORE_BASE".into(),
                self.base().display().to_string(),
            ),
        ]
    }

    fn cli(&self, args: &[&str]) -> CliRun {
        self.cli_with(args, &[])
    }

    fn cli_with(&self, args: &[&str], extra: &[(&str, &str)]) -> CliRun {
        let output = Command::new(support::workspace_binary("csfle-provisioner-cli"))
            .args(args)
            .env_clear()
            .envs(self.env())
            .envs(extra.iter().copied())
            .output()
            .expect("run csfle-provisioner-cli");
        CliRun {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// What the real systemd-creds decrypts from the store's file `name`.
    fn decrypt(&self, name: &str) -> String {
        let out = Command::new(which("systemd-creds"))
            .args(["decrypt", &format!("--name={name}")])
            .arg(self.base().join("credstore.encrypted").join(name))
            .arg("-")
            .env("SYSTEMD_CREDENTIAL_SECRET", self.host_key())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// Every file under HOME holding `needle` as plain text.
    fn files_containing(&self, needle: &str) -> Vec<PathBuf> {
        files_under(self.home())
            .into_iter()
            .filter(|path| {
                std::fs::read(path)
                    .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
            })
            .collect()
    }
}

fn which(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} is not installed (scripts/setup.sh --tests)"))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// The admin's setup of `app` and its keychain item.
fn admin_with_setup() -> (Sandbox, Value, String) {
    let admin = Sandbox::start();
    let made = admin.provision_user("app").json();
    let item = admin.keychain_item_text("app");
    (admin, made, item)
}

fn secret_of(item: &str) -> String {
    serde_json::from_str::<Value>(item).unwrap()["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The admin seals the item to `recipient`, in a keyring session of their own.
fn deliver(admin: &Sandbox, recipient: &str, out: &Path) -> CliRun {
    let out = out.display().to_string();
    let run = admin.cli(&["deliver", "--user", "app", "--to", recipient, "--out", &out]);
    run.assert_ok();
    run
}

#[test]
fn a_server_without_a_desktop_keeps_the_setup_in_systemd_creds_and_botocore_uses_it() {
    let (admin, made, item) = admin_with_setup();
    let secret = secret_of(&item);
    let target = Target::new(&admin, true);
    let mut runs = Vec::new();

    let received = target.cli(&["receive", "--json"]);
    received.assert_ok();
    let recipient = received.json()["recipient"].as_str().unwrap().to_string();
    assert!(recipient.starts_with("age1"), "{recipient}");
    // The identity lives in systemd-creds, encrypted: the real tool opens it, the file alone does not.
    let identity = target.decrypt(IDENTITY_CREDENTIAL);
    assert!(identity.starts_with("AGE-SECRET-KEY-1"));
    assert!(target.files_containing("AGE-SECRET-KEY-1").is_empty());
    let again = target.cli(&["receive", "--json"]);
    assert_eq!(again.json()["recipient"].as_str(), Some(recipient.as_str()));
    runs.extend([received, again]);

    let folder = tempfile::tempdir().unwrap();
    let sealed = folder.path().join("app.age");
    runs.push(deliver(&admin, &recipient, &sealed));

    let imported = target.cli(&["import", &sealed.display().to_string(), "--json"]);
    imported.assert_ok();
    assert!(
        imported.json()["store"]
            .as_str()
            .is_some_and(|s| s.starts_with("systemd-creds")),
        "{}",
        imported.stdout
    );
    let stored = target
        .base()
        .join("credstore.encrypted")
        .join(SETUP_CREDENTIAL);
    assert!(stored.is_file(), "systemd's own name and folder");
    assert_eq!(target.decrypt(SETUP_CREDENTIAL), item);
    runs.push(imported);

    let profile = target.cli(&["aws-profile", "--user", "app", "--profile", "csfle-app"]);
    profile.assert_ok();
    runs.push(profile);

    // botocore on the target runs our credential_process from the profile, then uses KMS.
    let script = r#"
import boto3, json, os
session = boto3.Session(profile_name="csfle-app")
kms = session.client("kms", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
blob = kms.encrypt(KeyId=os.environ["KEY_ARN"], Plaintext=b"hello")["CiphertextBlob"]
plain = kms.decrypt(CiphertextBlob=blob)["Plaintext"]
creds = session.get_credentials().get_frozen_credentials()
print(json.dumps({"round_trip": plain == b"hello", "token": bool(creds.token), "secret": creds.secret_key}))
"#;
    let output = Command::new(support::python())
        .arg("-c")
        .arg(script)
        .env_clear()
        .envs(target.env())
        .env("KEY_ARN", made["key_arn"].as_str().unwrap())
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["round_trip"], true, "{seen}");
    assert_eq!(seen["token"], true, "session credentials");
    assert_ne!(seen["secret"].as_str(), Some(secret.as_str()));
    // The session cache went to systemd-creds as well.
    assert!(target
        .base()
        .join("credstore.encrypted")
        .join(format!("{SETUP_CREDENTIAL}#session"))
        .is_file());

    let exec = target.cli(&[
        "exec",
        "--user",
        "app",
        "--",
        "/bin/sh",
        "-c",
        "test -n \"$AWS_SESSION_TOKEN\" && test \"$AWS_REGION\" = us-east-1",
    ]);
    exec.assert_ok();
    runs.push(exec);

    // A service with `LoadCredentialEncrypted=` gets the item decrypted by systemd in
    // $CREDENTIALS_DIRECTORY, and need not run systemd-creds itself.
    let service_dir = tempfile::tempdir().unwrap();
    let service_base = target.home().join("service-base");
    std::fs::write(service_dir.path().join(SETUP_CREDENTIAL), &item).unwrap();
    let in_service = target.cli_with(
        &[
            "credential-process",
            "--user",
            "app",
            "--account",
            "123456789012",
        ],
        &[
            ("PATH", service_dir.path().join("no-bin").to_str().unwrap()),
            (
                "CREDENTIALS_DIRECTORY",
                service_dir.path().to_str().unwrap(),
            ),
            (
                "CSFLE_PROVISIONER_CREDSTORE_BASE",
                service_base.to_str().unwrap(),
            ),
        ],
    );
    in_service.assert_ok();
    assert!(
        !service_base.exists(),
        "nothing cached where no store works"
    );
    let answer: Value = serde_json::from_str(in_service.stdout.trim()).unwrap();
    assert!(answer["SessionToken"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));

    // Never shown, never an argument, never a plaintext file on the target.
    for run in &runs {
        assert!(!run.output().contains(&secret), "{}", run.output());
        assert!(!run.output().contains("AGE-SECRET-KEY-1"));
    }
    let argv = std::fs::read_to_string(target.argv_log()).unwrap();
    assert!(
        argv.contains("encrypt --name=csfle-provisioner.123456789012.app --with-key=host - -"),
        "{argv}"
    );
    assert!(
        !argv.contains(&secret) && !argv.contains("AGE-SECRET-KEY-1"),
        "{argv}"
    );
    assert!(target.files_containing(&secret).is_empty());
}

#[test]
fn without_keychain_or_systemd_creds_nothing_is_written_and_the_file_store_needs_asking() {
    let (admin, _, item) = admin_with_setup();
    let secret = secret_of(&item);
    let target = Target::new(&admin, false);
    let before = files_under(target.home());

    let refused = target.cli(&["receive"]);
    refused.assert_failed();
    assert!(
        refused.stderr.contains("no-credential-store"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--store file"),
        "the options are named"
    );
    assert!(refused.stderr.contains("systemd-creds"));
    assert_eq!(files_under(target.home()), before, "nothing half-written");

    let asked = target.cli(&["receive", "--store", "file", "--json"]);
    asked.assert_ok();
    let recipient = asked.json()["recipient"].as_str().unwrap().to_string();
    let folder = tempfile::tempdir().unwrap();
    let sealed = folder.path().join("app.age");
    deliver(&admin, &recipient, &sealed);
    let sealed_arg = sealed.display().to_string();

    let plain = target.base().join("credstore").join(SETUP_CREDENTIAL);
    let not_asked = target.cli(&["import", &sealed_arg]);
    not_asked.assert_failed();
    assert!(
        not_asked.stderr.contains("no-credential-store"),
        "{}",
        not_asked.stderr
    );
    assert!(!plain.exists(), "a plain file only when asked for");
    assert!(target.files_containing(&secret).is_empty());
    assert!(files_under(target.home())
        .iter()
        .all(|f| !f.ends_with("imported-setups.json")));

    let imported = target.cli(&["import", &sealed_arg, "--store", "file", "--json"]);
    imported.assert_ok();
    assert!(!imported.output().contains(&secret));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), item);

    // Found there again without naming the store: the admin chose it once.
    let served = target.cli(&["credential-process", "--user", "app"]);
    served.assert_ok();
    assert!(
        !served.stdout.contains(&secret),
        "session credentials, not the key"
    );
}

#[test]
fn systemd_creds_asked_for_but_missing_is_an_error_naming_it() {
    let (admin, _, _) = admin_with_setup();
    let target = Target::new(&admin, false);
    let before = files_under(target.home());
    let run = target.cli(&["receive", "--store", "systemd-creds"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("systemd-creds is not on PATH"),
        "{}",
        run.stderr
    );
    assert_eq!(files_under(target.home()), before);
}

#[test]
fn systemd_creds_that_cannot_encrypt_leaves_nothing_behind() {
    let (admin, _, _) = admin_with_setup();
    let target = Target::new(&admin, true);
    let before = files_under(target.home());
    // A host key it can neither read nor create (systemd-creds makes a missing one, folders and
    // all, so the path goes through a file): the real systemd-creds refuses to encrypt.
    let unusable = target.host_key().join("credential.secret");
    let run = target.cli_with(
        &["receive"],
        &[("SYSTEMD_CREDENTIAL_SECRET", unusable.to_str().unwrap())],
    );
    run.assert_failed();
    assert!(
        run.stderr.contains("credential-store-failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("systemd-creds"), "{}", run.stderr);
    assert!(!run.output().contains("AGE-SECRET-KEY-1"));
    let now: Vec<_> = files_under(target.home())
        .into_iter()
        .filter(|f| *f != target.argv_log())
        .collect();
    assert_eq!(now, before, "no identity, no folder, no temporary file");
    assert!(!target.base().exists());
}
