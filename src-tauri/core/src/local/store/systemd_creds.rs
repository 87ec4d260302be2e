//! Credentials encrypted by `systemd-creds` with this computer's host key (and its TPM2 where
//! there is one), one file per item named like the credential, so a unit's
//! `LoadCredentialEncrypted=NAME` finds it in `/etc/credstore.encrypted/`. The secret goes to
//! systemd-creds on stdin and comes back on stdout: never an argument, never a plaintext file.

use super::{credential_name, remove_file};
use crate::error::keychain::KeychainError;
use crate::local::keychain::Vault;
use crate::secret::Sensitive;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use zeroize::Zeroizing;

const PROGRAM: &str = "systemd-creds";
/// systemd's own folder name for encrypted credentials looked up by name.
pub const FOLDER: &str = "credstore.encrypted";

pub struct SystemdCreds {
    program: PathBuf,
    dir: PathBuf,
}

impl SystemdCreds {
    /// The store under `base` (`/etc` for root), when `systemd-creds` is on PATH.
    pub fn find(base: &Path) -> Option<SystemdCreds> {
        let path = std::env::var_os("PATH")?;
        let program = std::env::split_paths(&path)
            .map(|dir| dir.join(PROGRAM))
            .find(|candidate| is_executable(candidate))?;
        Some(SystemdCreds {
            program,
            dir: base.join(FOLDER),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn failed(&self, detail: String) -> KeychainError {
        KeychainError::StoreFailed {
            store: "systemd-creds".into(),
            detail,
        }
    }

    /// The key systemd-creds binds the credential to: the host key, and the TPM2 as well when
    /// systemd can use one. Named rather than left to `auto`, which refuses to work when
    /// /var/lib/systemd is not on persistent storage and binds to a TPM2 only outside containers.
    fn key(&self) -> &'static str {
        let tpm2 = Command::new(&self.program)
            .arg("has-tpm2")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if tpm2 {
            "host+tpm2"
        } else {
            "host"
        }
    }

    /// Runs systemd-creds with `input` on stdin; its stdout, kept in zeroizing memory.
    fn run(&self, args: &[&str], input: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, String> {
        let mut child = Command::new(&self.program)
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{} could not be started: {e}", self.program.display()))?;
        if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
            // An item is a few hundred bytes, well under a pipe's buffer: the write cannot wait
            // on our reading the child's output.
            if let Err(e) = stdin.write_all(bytes) {
                drop(stdin);
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("systemd-creds did not take the item: {e}"));
            }
        }
        let output = child
            .wait_with_output()
            .map_err(|e| format!("systemd-creds did not finish: {e}"))?;
        let stdout = Zeroizing::new(output.stdout);
        if output.status.success() {
            return Ok(stdout);
        }
        Err(last_words(&output.stderr, output.status))
    }
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// What systemd-creds said last (it never echoes the credential), bounded.
fn last_words(stderr: &[u8], status: std::process::ExitStatus) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let line: String = line.chars().take(300).collect();
    if line.is_empty() {
        format!("systemd-creds exited with {status}")
    } else {
        format!("systemd-creds: {line}")
    }
}

impl Vault for SystemdCreds {
    fn store_name(&self) -> String {
        format!(
            "systemd-creds (encrypted with this computer's key, in {})",
            self.dir.display()
        )
    }

    fn save(&self, account: &str, _label: &str, secret: &Sensitive) -> Result<(), KeychainError> {
        let name = credential_name(account);
        let name_arg = format!("--name={name}");
        let key_arg = format!("--with-key={}", self.key());
        let encrypted = self
            .run(
                &["encrypt", &name_arg, &key_arg, "-", "-"],
                Some(secret.expose().as_bytes()),
            )
            .map_err(|detail| self.failed(detail))?;
        if encrypted.is_empty() {
            return Err(self.failed("systemd-creds wrote nothing".into()));
        }
        // Written whole or not at all: a half-written credential would fail every later read.
        crate::local::atomic_file::create_private_dir(&self.dir)
            .and_then(|()| {
                crate::local::atomic_file::replace_private(&self.dir.join(&name), &encrypted)
            })
            .map_err(|e| self.failed(format!("{} could not be written: {e}", self.dir.display())))
    }

    fn load(&self, account: &str) -> Result<Sensitive, KeychainError> {
        // In a service, systemd has already decrypted it for us (and only for us).
        if let Some(item) = super::from_service(account) {
            return Ok(item);
        }
        let name = credential_name(account);
        let path = self.dir.join(&name);
        if !path.exists() {
            return Err(KeychainError::NotFound {
                account: account.to_string(),
            });
        }
        let path_arg = path.to_string_lossy();
        let name_arg = format!("--name={name}");
        let plain = self
            .run(&["decrypt", &name_arg, &path_arg, "-"], None)
            .map_err(|detail| self.failed(detail))?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| self.failed(format!("{} does not hold text", path.display())))?;
        Ok(Sensitive::new(text.to_string()))
    }

    fn remove(&self, account: &str) -> Result<(), KeychainError> {
        remove_file("systemd-creds", &self.dir.join(credential_name(account)))
    }

    fn check_reachable(&self) -> Result<(), KeychainError> {
        Ok(())
    }

    fn store_flag(&self) -> Option<&'static str> {
        Some("systemd-creds")
    }
}
