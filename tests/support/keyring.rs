//! A private Secret Service: its own D-Bus daemon and gnome-keyring, in a throw-away home. The user's
//! own keyring is never reachable from here. The bus can start only one service, this keyring (its
//! service folder holds nothing else), so a daemon that dies under a loaded machine is started again
//! by the next call, with the same folder and password: its items live on disk and survive.

use std::fs;
use std::io::{BufRead, BufReader};
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
  <listen>unix:path={dir}/bus</listen>
  <servicedir>{dir}/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>"#,
        dir = dir.display()
    );
    fs::write(&path, config).expect("write bus config");
    path
}

/// The D-Bus activation file and the launcher it runs: the keyring with this home's folders, its
/// password read from `password` (rewritten by every start, so a restart keeps the current one).
fn activation_files(dir: &Path) {
    let home = dir.display();
    let launcher = dir.join("keyring.sh");
    let script = format!(
        r#"#!/bin/sh
# Started by the private bus when a call finds no keyring on it.
exec env -i PATH="$PATH" HOME="{home}" XDG_DATA_HOME="{home}/.local/share" \
  XDG_CONFIG_HOME="{home}/.config" XDG_CACHE_HOME="{home}/.cache" XDG_RUNTIME_DIR="{home}/runtime" \
  DBUS_SESSION_BUS_ADDRESS="unix:path={home}/bus" \
  gnome-keyring-daemon --foreground --unlock --components=secrets <"{home}/password" >/dev/null 2>&1
"#
    );
    fs::write(&launcher, script).expect("write the keyring launcher");
    let service = format!(
        "[D-BUS Service]\nName=org.freedesktop.secrets\nExec=/bin/sh {}\n",
        launcher.display()
    );
    fs::write(
        dir.join("services/org.freedesktop.secrets.service"),
        service,
    )
    .expect("write the activation file");
}

/// Reads a `dbus-monitor` until a line matches, so a test waits exactly as long as the bus takes.
struct Monitor {
    child: Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Monitor {
    /// Watches `rule` on the bus at `address`; returns once the monitor is in place.
    fn start(address: &str, rule: &str) -> Monitor {
        let mut child = Command::new("dbus-monitor")
            .args(["--address", address, rule])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-monitor");
        let lines = BufReader::new(child.stdout.take().expect("monitor stdout")).lines();
        let mut monitor = Monitor { child, lines };
        // The bus takes the monitor's unique name away once it is a monitor: from then on it sees
        // every matching message.
        monitor.wait_for(|line| line.contains("member=NameLost"));
        monitor
    }

    fn wait_for(&mut self, mut matches: impl FnMut(&str) -> bool) {
        for line in self.lines.by_ref() {
            if matches(&line.expect("read dbus-monitor")) {
                return;
            }
        }
        panic!("dbus-monitor ended before the awaited message");
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stops the daemon this harness started and, when the bus started another in its place, that one.
fn kill_all(ours: Option<Child>, owner: Option<u32>) {
    let ours_id = ours.as_ref().map(Child::id);
    if let Some(mut daemon) = ours {
        let _ = daemon.kill();
        let _ = daemon.wait();
    }
    if let Some(pid) = owner.filter(|pid| Some(*pid) != ours_id) {
        // Not our child (the bus's): signalled by its id while it still holds the name.
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

impl PrivateKeyring {
    pub fn start(state: KeyringState) -> PrivateKeyring {
        let home = tempfile::Builder::new()
            .prefix("csfle-keyring-")
            .tempdir()
            .expect("temp home");
        for dir in [".local/share", ".config", ".cache", "runtime", "services"] {
            fs::create_dir_all(home.path().join(dir)).expect("xdg dir");
        }
        if state != KeyringState::NoService {
            // Before the bus starts, so it knows the service from the first call on.
            activation_files(home.path());
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
        fs::write(self.home.path().join("password"), password).expect("write the keyring password");
        let daemon = Command::new("/bin/sh")
            .arg(self.home.path().join("keyring.sh"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon");
        self.keyring = Some(daemon);
        self.wait_until_served(password);
    }

    /// The daemon answers on the bus only after it has read the password and opened the keyring.
    fn wait_until_served(&self, password: &str) {
        let waited = Command::new("gdbus")
            .args([
                "wait",
                "--session",
                "--timeout",
                "20",
                "org.freedesktop.secrets",
            ])
            .envs(self.base_env())
            .status()
            .expect("run gdbus wait");
        assert!(
            waited.success(),
            "the Secret Service did not appear on the private bus"
        );
        if password == PASSWORD {
            // A first start creates the login keyring; wait until it is on disk and usable.
            let ready =
                self.secret_tool(&["search", "--all", "service", "csfle-provisioner-probe"]);
            assert!(ready.status.success() || ready.status.code() == Some(1));
        }
    }

    /// Before each use: a keyring that should be running but left the bus (killed, crashed on a
    /// loaded machine) is started again by the bus, with the same folder and password.
    fn ensure_running(&self) {
        if !self
            .home
            .path()
            .join("services/org.freedesktop.secrets.service")
            .exists()
            || self.has_owner()
        {
            return;
        }
        let started = self.bus_call(
            "org.freedesktop.DBus.StartServiceByName",
            &["org.freedesktop.secrets", "0"],
        );
        assert!(
            started.status.success(),
            "the bus could not restart the keyring"
        );
        let password = fs::read_to_string(self.home.path().join("password")).unwrap_or_default();
        self.wait_until_served(&password);
    }

    fn bus_call(&self, method: &str, args: &[&str]) -> std::process::Output {
        Command::new("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                method,
            ])
            .args(args)
            .env_clear()
            .envs(self.base_env())
            .output()
            .expect("ask the bus")
    }

    fn has_owner(&self) -> bool {
        let asked = self.bus_call(
            "org.freedesktop.DBus.NameHasOwner",
            &["org.freedesktop.secrets"],
        );
        String::from_utf8_lossy(&asked.stdout).contains("true")
    }

    /// The process that owns the keyring's name: ours, or one the bus started in its place.
    fn owner_pid(&self) -> Option<u32> {
        let asked = self.bus_call(
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            &["org.freedesktop.secrets"],
        );
        let text = String::from_utf8_lossy(&asked.stdout);
        // `(uint32 1234,)`
        text.split_whitespace()
            .nth(1)
            .and_then(|pid| pid.trim_end_matches(",)").parse().ok())
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

    /// Kills the daemon the way a loaded machine once did (tests/keyring_restart.rs); the next use
    /// finds the name without an owner and has the bus start it again.
    pub fn crash(&mut self) {
        self.stop_daemon();
    }

    /// Stops whichever daemon owns the name and returns once the bus has let the name go, so the
    /// next start cannot race the old daemon.
    fn stop_daemon(&mut self) {
        let owner = self.owner_pid();
        let mut released = owner.map(|_| {
            Monitor::start(
                &self.address,
                "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='org.freedesktop.secrets'",
            )
        });
        kill_all(self.keyring.take(), owner);
        if let Some(monitor) = released.as_mut() {
            // NameOwnerChanged's third argument, the new owner, is empty once the name is free.
            let mut args = 0;
            monitor.wait_for(|line| {
                if line.contains("member=NameOwnerChanged") {
                    args = 0;
                    return false;
                }
                if line.trim_start().starts_with("string ") {
                    args += 1;
                    return args == 3 && line.trim() == "string \"\"";
                }
                false
            });
        }
        assert!(!self.has_owner());
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The environment a process needs to see this keyring, and nothing of the user's.
    pub fn env(&self) -> Vec<(String, String)> {
        self.ensure_running();
        self.base_env()
    }

    fn base_env(&self) -> Vec<(String, String)> {
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
            .envs(self.base_env())
            .output()
            .expect("run secret-tool")
    }

    /// The secret of the item `service`/`account`, as the Secret Service itself returns it.
    pub fn lookup(&self, service: &str, account: &str) -> Option<String> {
        self.ensure_running();
        let out = self.secret_tool(&["lookup", "service", service, "username", account]);
        if out.status.success() && !out.stdout.is_empty() {
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            None
        }
    }

    /// How many items the keyring holds for `service`.
    pub fn count(&self, service: &str) -> usize {
        self.ensure_running();
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
        let owner = self.owner_pid();
        kill_all(self.keyring.take(), owner);
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
