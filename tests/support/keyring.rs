//! A private Secret Service: its own D-Bus daemon (no service activation, so nothing else starts)
//! and gnome-keyring, in a throw-away home. The user's own keyring is never reachable from here.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use tempfile::TempDir;

pub const PASSWORD: &str = "test-keyring-password";

/// How the keyring should look to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyringState {
    Unlocked,
    /// The login keyring exists but stays locked (its daemon got the wrong password).
    Locked,
    /// A session bus with no Secret Service on it.
    NoService,
}

pub struct PrivateKeyring {
    home: TempDir,
    bus: Child,
    keyring: Option<Child>,
    pub address: String,
}

fn bus_config(dir: &Path) -> PathBuf {
    let path = dir.join("bus.conf");
    let config = format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}/bus</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>"#,
        dir.display()
    );
    fs::write(&path, config).expect("write bus config");
    path
}

impl PrivateKeyring {
    pub fn start(state: KeyringState) -> PrivateKeyring {
        let home = tempfile::Builder::new()
            .prefix("csfle-keyring-")
            .tempdir()
            .expect("temp home");
        for dir in [".local/share", ".config", ".cache", "runtime"] {
            fs::create_dir_all(home.path().join(dir)).expect("xdg dir");
        }
        let mut bus = Command::new("dbus-daemon")
            .arg(format!(
                "--config-file={}",
                bus_config(home.path()).display()
            ))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().expect("bus stdout"))
            .read_line(&mut address)
            .expect("read the bus address");
        let mut keyring = PrivateKeyring {
            home,
            bus,
            keyring: None,
            address: address.trim().to_string(),
        };
        match state {
            KeyringState::NoService => {}
            KeyringState::Unlocked => keyring.start_daemon(PASSWORD),
            KeyringState::Locked => {
                keyring.start_daemon(PASSWORD);
                keyring.stop_daemon();
                keyring.start_daemon("not-the-password");
            }
        }
        keyring
    }

    fn start_daemon(&mut self, password: &str) {
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .envs(self.env())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon");
        daemon
            .stdin
            .take()
            .expect("daemon stdin")
            .write_all(password.as_bytes())
            .expect("send the keyring password");
        // The daemon answers on the bus only after it has read the password and opened the keyring.
        let waited = Command::new("gdbus")
            .args([
                "wait",
                "--session",
                "--timeout",
                "20",
                "org.freedesktop.secrets",
            ])
            .envs(self.env())
            .status()
            .expect("run gdbus wait");
        assert!(
            waited.success(),
            "the Secret Service did not appear on the private bus"
        );
        self.keyring = Some(daemon);
        if password == PASSWORD {
            // A first start creates the login keyring; wait until it is on disk and usable.
            let ready =
                self.secret_tool(&["search", "--all", "service", "csfle-provisioner-probe"]);
            assert!(ready.status.success() || ready.status.code() == Some(1));
        }
    }

    /// Restarts the daemon with the right password: the same items, unlocked again.
    pub fn unlock(&mut self) {
        self.stop_daemon();
        self.start_daemon(PASSWORD);
    }

    /// Restarts the daemon with the wrong password: the keyring and its items stay, locked.
    pub fn relock(&mut self) {
        self.stop_daemon();
        self.start_daemon("not-the-password");
    }

    fn stop_daemon(&mut self) {
        if let Some(mut daemon) = self.keyring.take() {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        let gone = Command::new("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                "org.freedesktop.DBus.NameHasOwner",
                "org.freedesktop.secrets",
            ])
            .envs(self.env())
            .output()
            .expect("ask the bus");
        assert!(String::from_utf8_lossy(&gone.stdout).contains("false"));
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The environment a process needs to see this keyring, and nothing of the user's.
    pub fn env(&self) -> Vec<(String, String)> {
        let home = self.home.path();
        vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone()),
            ("HOME".into(), home.display().to_string()),
            (
                "XDG_DATA_HOME".into(),
                home.join(".local/share").display().to_string(),
            ),
            (
                "XDG_CONFIG_HOME".into(),
                home.join(".config").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME".into(),
                home.join(".cache").display().to_string(),
            ),
            (
                "XDG_RUNTIME_DIR".into(),
                home.join("runtime").display().to_string(),
            ),
        ]
    }

    fn secret_tool(&self, args: &[&str]) -> std::process::Output {
        Command::new("secret-tool")
            .args(args)
            .env_clear()
            .envs(self.env())
            .output()
            .expect("run secret-tool")
    }

    /// The secret of the item `service`/`account`, as the Secret Service itself returns it.
    pub fn lookup(&self, service: &str, account: &str) -> Option<String> {
        let out = self.secret_tool(&["lookup", "service", service, "username", account]);
        if out.status.success() && !out.stdout.is_empty() {
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            None
        }
    }

    /// How many items the keyring holds for `service`.
    pub fn count(&self, service: &str) -> usize {
        let out = self.secret_tool(&["search", "--all", "service", service]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .chain(String::from_utf8_lossy(&out.stderr).lines())
            .filter(|line| line.starts_with("[/"))
            .count()
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        if let Some(mut daemon) = self.keyring.take() {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
