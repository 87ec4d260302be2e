//! An emulator, a private keyring and a sealed environment, and runs of the CLI inside them.

use super::emulator::Emulator;
use super::keyring::{KeyringState, PrivateKeyring};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

pub const ADMIN_ACCESS_KEY: &str = "AKIAADMINEXAMPLE0001";
pub const ADMIN_SECRET: &str = "admin-secret-not-used-by-the-emulator";
pub const REGION: &str = "us-east-1";
/// The account moto serves by default, the admin's own.
pub const ADMIN_ACCOUNT: &str = "123456789012";

pub struct Sandbox {
    pub emulator: Emulator,
    pub keyring: PrivateKeyring,
    pub admin_key: (String, String),
}

#[derive(Debug)]
pub struct CliRun {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CliRun {
    pub fn assert_ok(&self) -> &Self {
        assert!(
            self.status.success(),
            "CLI failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn assert_failed(&self) -> &Self {
        assert!(
            !self.status.success(),
            "CLI should have failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}):\n{}", self.stdout))
    }

    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Sandbox {
    pub fn start() -> Sandbox {
        Sandbox::with_keyring(KeyringState::Unlocked)
    }

    pub fn with_keyring(state: KeyringState) -> Sandbox {
        let keyring = PrivateKeyring::start(state);
        let emulator = Emulator::start();
        std::fs::create_dir_all(keyring.home().join(".aws")).expect("aws dir");
        Sandbox {
            emulator,
            keyring,
            admin_key: (ADMIN_ACCESS_KEY.into(), ADMIN_SECRET.into()),
        }
    }

    pub fn aws_dir(&self) -> PathBuf {
        self.keyring.home().join(".aws")
    }

    /// `provision --user NAME --new-key alias/NAME --json`, which must succeed.
    pub fn provision_user(&self, name: &str) -> CliRun {
        let alias = format!("alias/{name}");
        let run = self.cli(&["provision", "--user", name, "--new-key", &alias, "--json"]);
        run.assert_ok();
        run
    }

    /// The keychain item of the user setup `name`, exactly as stored (the credentials' JSON).
    pub fn keychain_item_text(&self, name: &str) -> String {
        self.keyring
            .lookup("csfle-provisioner", &format!("{ADMIN_ACCOUNT}/{name}"))
            .expect("the setup's keychain item")
    }

    /// The same, read as JSON (`AccessKeyId`, `SecretAccessKey`, …).
    pub fn keychain_item(&self, name: &str) -> Value {
        serde_json::from_str(&self.keychain_item_text(name)).expect("the item is JSON")
    }

    /// Runs tests/apps/mongocrypt_app.py, the application side: libmongocrypt with on-demand AWS
    /// credentials, in the sandbox's environment without the admin's keys, plus `extra` (where
    /// the credentials come from). Returns what it saw (`round_trip`, `token_sent`).
    pub fn mongocrypt_app(&self, key_arn: &str, extra: &[(&str, &str)]) -> serde_json::Value {
        let mut app = std::process::Command::new(super::python());
        app.arg(super::repo_root().join("tests/apps/mongocrypt_app.py"))
            .env_clear();
        for (key, value) in self.env() {
            if !key.starts_with("AWS_ACCESS_KEY") && !key.starts_with("AWS_SECRET") {
                app.env(key, value);
            }
        }
        app.env("EMULATOR_URL", &self.emulator.url)
            .env("KEY_ARN", key_arn)
            .env("AWS_REGION_OF_KEY", REGION);
        app.envs(extra.iter().copied());
        let output = app.output().expect("run the libmongocrypt application");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the application's JSON report")
    }

    /// Everything a process under test sees: no variable of the developer's own session.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = self.keyring.env();
        let aws = self.aws_dir();
        env.extend([
            ("AWS_ENDPOINT_URL".into(), self.emulator.url.clone()),
            ("AWS_ACCESS_KEY_ID".into(), self.admin_key.0.clone()),
            ("AWS_SECRET_ACCESS_KEY".into(), self.admin_key.1.clone()),
            ("AWS_REGION".into(), REGION.into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            (
                "AWS_CONFIG_FILE".into(),
                aws.join("config").display().to_string(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                aws.join("credentials").display().to_string(),
            ),
            // The tests run as root, whose credential stores are in /etc and whose systemd-creds
            // would make the host key in /var/lib/systemd: never the host's.
            (
                "CSFLE_PROVISIONER_CREDSTORE_BASE".into(),
                self.keyring.home().join("etc").display().to_string(),
            ),
            (
                "SYSTEMD_CREDENTIAL_SECRET".into(),
                self.keyring
                    .home()
                    .join("credential.secret")
                    .display()
                    .to_string(),
            ),
        ]);
        env
    }

    /// Starts the CLI without waiting, its stderr piped, to be killed mid-run.
    pub fn spawn_cli(&self, args: &[&str]) -> std::process::Child {
        self.spawn_cli_with(args, &[])
    }

    /// [`Sandbox::spawn_cli`] with `overrides` as in [`Sandbox::cli_with`].
    pub fn spawn_cli_with(&self, args: &[&str], overrides: &[(&str, &str)]) -> std::process::Child {
        let env = self
            .env()
            .into_iter()
            .filter(|(key, _)| !overrides.iter().any(|(k, _)| k == key))
            .chain(
                overrides
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
        Command::new(super::workspace_binary("csfle-provisioner-cli"))
            .args(args)
            .env_clear()
            .envs(env)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn csfle-provisioner-cli")
    }

    pub fn cli(&self, args: &[&str]) -> CliRun {
        self.cli_with(args, &[])
    }

    /// Runs the CLI with `overrides` applied on top of the sandbox environment (an empty value unsets).
    pub fn cli_with(&self, args: &[&str], overrides: &[(&str, &str)]) -> CliRun {
        let mut command = Command::new(super::workspace_binary("csfle-provisioner-cli"));
        command.args(args).env_clear();
        for (key, value) in self.env() {
            if !overrides.iter().any(|(k, _)| *k == key) {
                command.env(key, value);
            }
        }
        for (key, value) in overrides {
            if !value.is_empty() {
                command.env(key, value);
            }
        }
        let output = command.output().expect("run csfle-provisioner-cli");
        CliRun {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn aws(&self) -> super::aws::Aws {
        super::aws::Aws::new(&self.emulator.url, &self.admin_key.0, &self.admin_key.1)
    }

    /// Files under the throw-away home that contain `needle` in plain text.
    pub fn files_containing(&self, needle: &str) -> Vec<PathBuf> {
        let mut hits = Vec::new();
        let mut stack = vec![self.keyring.home().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if std::fs::read(&path)
                    .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
                    .unwrap_or(false)
                {
                    hits.push(path);
                }
            }
        }
        hits
    }
}
