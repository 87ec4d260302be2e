//! Linux: a keyring daemon that dies with a call in flight. The bus answers that call with NoReply
//! ("Message recipient disconnected from message bus without replying"); the store tries once more
//! on a new connection, the bus starts the keyring again for it (D-Bus activation, the same folder
//! and password), and the caller gets its secret. Runs against a private bus and gnome-keyring in a
//! throw-away home, never the developer's own keyring.
//!
//! No sleeps: the daemon is frozen, `dbus-monitor` shows the call reaching it, and only then is the
//! daemon killed, so the first attempt is sure to be lost and only the retry can succeed.
#![cfg(target_os = "linux")]

use csfle_keystore::{load, remove, save, Failure};
use std::fs;
use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

const SERVICE: &str = "csfle-provisioner-keystore-test";
const ACCOUNT: &str = "000000000000/daemon-restart";
const SECRET: &str = r#"{"AccessKeyId":"AKIARESTART","SecretAccessKey":"survives/a+restart"}"#;

struct PrivateBus {
    home: tempfile::TempDir,
    bus: Child,
    address: String,
}

impl PrivateBus {
    /// A session bus whose only activatable service is a gnome-keyring living in `home`.
    fn start() -> PrivateBus {
        let home = tempfile::Builder::new()
            .prefix("csfle-keystore-")
            .tempdir()
            .expect("temp home");
        let dir = home.path().display().to_string();
        for sub in [".local/share", ".config", ".cache", "runtime", "services"] {
            fs::create_dir_all(home.path().join(sub)).expect("home folders");
        }
        fs::write(home.path().join("password"), "keystore-test-password").expect("password");
        fs::write(
            home.path().join("keyring.sh"),
            format!(
                r#"#!/bin/sh
exec env -i PATH="$PATH" HOME="{dir}" XDG_DATA_HOME="{dir}/.local/share" \
  XDG_CONFIG_HOME="{dir}/.config" XDG_CACHE_HOME="{dir}/.cache" XDG_RUNTIME_DIR="{dir}/runtime" \
  DBUS_SESSION_BUS_ADDRESS="unix:path={dir}/bus" \
  gnome-keyring-daemon --foreground --unlock --components=secrets <"{dir}/password" >/dev/null 2>&1
"#
            ),
        )
        .expect("launcher");
        fs::write(
            home.path().join("services/org.freedesktop.secrets.service"),
            format!(
                "[D-BUS Service]\nName=org.freedesktop.secrets\nExec=/bin/sh {dir}/keyring.sh\n"
            ),
        )
        .expect("activation file");
        fs::write(
            home.path().join("bus.conf"),
            format!(
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
</busconfig>"#
            ),
        )
        .expect("bus config");
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={dir}/bus.conf"))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().expect("bus stdout"))
            .read_line(&mut address)
            .expect("read the bus address");
        PrivateBus {
            home,
            bus,
            address: address.trim().to_string(),
        }
    }

    fn call(&self, method: &str, args: &[&str]) -> String {
        let out = Command::new("gdbus")
            .args(["call", "--address", &self.address])
            .args(["--dest", "org.freedesktop.DBus"])
            .args(["--object-path", "/org/freedesktop/DBus", "--method", method])
            .args(args)
            .output()
            .expect("run gdbus");
        assert!(out.status.success(), "{method}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts the keyring through the bus; the reply comes once the daemon owns its name.
    fn start_keyring(&self) {
        self.call(
            "org.freedesktop.DBus.StartServiceByName",
            &["org.freedesktop.secrets", "0"],
        );
    }

    fn keyring_pid(&self) -> u32 {
        let reply = self.call(
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            &["org.freedesktop.secrets"],
        );
        pid_in(&reply).unwrap_or_else(|| panic!("no process id in {reply:?}"))
    }

    fn keyrings_folder(&self) -> &Path {
        self.home.path()
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        // The keyring is the bus's child, not ours: stopped by its id while it holds the name.
        let asked = Command::new("gdbus")
            .args(["call", "--address", &self.address])
            .args(["--dest", "org.freedesktop.DBus"])
            .args(["--object-path", "/org/freedesktop/DBus", "--method"])
            .args(["org.freedesktop.DBus.GetConnectionUnixProcessID"])
            .arg("org.freedesktop.secrets")
            .output();
        if let Some(pid) = asked
            .ok()
            .and_then(|out| pid_in(&String::from_utf8_lossy(&out.stdout)))
        {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

/// The process id in gdbus's `(uint32 1234,)` (the first number is the 32 of `uint32`).
fn pid_in(reply: &str) -> Option<u32> {
    reply
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .nth(1)
        .and_then(|pid| pid.parse().ok())
}

/// `dbus-monitor` on the private bus, read line by line.
struct Monitor {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Monitor {
    fn start(address: &str, rule: &str) -> Monitor {
        let mut child = Command::new("dbus-monitor")
            .args(["--address", address, rule])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-monitor");
        let lines = BufReader::new(child.stdout.take().expect("monitor stdout")).lines();
        let mut monitor = Monitor { child, lines };
        // The bus takes the monitor's unique name away once it is a monitor.
        monitor.wait_for(|line| line.contains("member=NameLost"));
        monitor
    }

    fn wait_for(&mut self, matches: impl Fn(&str) -> bool) -> String {
        for line in self.lines.by_ref() {
            let line = line.expect("read dbus-monitor");
            if matches(&line) {
                return line;
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

fn signal(pid: u32, name: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -{name} {pid}");
}

#[test]
fn a_keyring_that_dies_with_a_call_in_flight_is_started_again_and_the_call_retried() {
    let bus = PrivateBus::start();
    // The store connects to the session bus named here; this file holds this one test, so nothing
    // else in the process reads the variable.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    bus.start_keyring();
    let absent = load(SERVICE, ACCOUNT).expect_err("a new keyring is empty");
    assert_eq!(absent.failure, Failure::Missing, "{absent}");
    save(SERVICE, ACCOUNT, "keystore restart test", SECRET).expect("save");
    assert!(bus.keyrings_folder().join(".local/share/keyrings").is_dir());

    let first = bus.keyring_pid();
    let mut calls = Monitor::start(
        &bus.address,
        "type='method_call',destination='org.freedesktop.secrets'",
    );
    // Frozen, the daemon receives the call but never answers it.
    signal(first, "STOP");
    let reader = std::thread::spawn(|| load(SERVICE, ACCOUNT));
    let call = calls.wait_for(|line| line.starts_with("method call"));
    signal(first, "KILL");

    let secret = reader
        .join()
        .expect("the reading thread")
        .unwrap_or_else(|e| panic!("after {call}: {e} ({:?})", e.failure));
    assert_eq!(secret, SECRET, "the item survived the restart");
    assert_ne!(bus.keyring_pid(), first, "a new daemon answered");

    remove(SERVICE, ACCOUNT).expect("remove");
}
