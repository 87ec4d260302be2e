//! Issue 16 item 5: while the CLI or the app holds a secret, it writes no core file and is not dumpable, so
//! another process of the same user can neither ptrace it nor read its memory through /proc.
//! Observed from outside, on the running program: `/proc/<pid>/limits` (the core size limit) and
//! the owner of `/proc/<pid>/environ`, which the kernel sets to root for a process that is not
//! dumpable (the directory itself keeps the process's owner, for `ps`).
#![cfg(target_os = "linux")]

mod support;

use serde_json::json;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::sandbox::{ADMIN_ACCESS_KEY, ADMIN_SECRET, REGION};
use support::Sandbox;

const NOBODY: u32 = 65_534;

/// "Max core file size" from /proc/<pid>/limits: (soft, hard).
fn core_limit(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .expect("a core size line");
    let fields: Vec<&str> = line["Max core file size".len()..]
        .split_whitespace()
        .collect();
    (fields[0].to_string(), fields[1].to_string())
}

fn owner(pid: u32) -> u32 {
    std::fs::metadata(format!("/proc/{pid}/environ"))
        .expect("/proc/<pid>/environ")
        .uid()
}

fn effective_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// Waits (bounded) until the emulator has seen `action` from the child: it is then inside the
/// call, which the emulator holds, with what it read before in memory.
fn wait_in_call(sandbox: &Sandbox, child: &mut Child, action: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !sandbox.emulator.actions().iter().any(|a| a == action) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the CLI ended before {action}"
        );
        assert!(Instant::now() < deadline, "the CLI never called {action}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A copy of `binary` that another user may run: a clean clone can sit under a home folder (such as
/// /root) that another user cannot enter, so the built program is copied to an open folder.
fn runnable_copy(binary: &Path) -> (tempfile::TempDir, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("a folder for the copy");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let copy = dir.path().join(binary.file_name().expect("a file name"));
    std::fs::copy(binary, &copy).expect("copy the program");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (dir, copy)
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn credential_process_holding_the_stored_key_writes_no_core_file() {
    let sandbox = Sandbox::start();
    sandbox
        .cli(&["provision", "--user", "app", "--new-key", "alias/app"])
        .assert_ok();
    sandbox.emulator.clear_requests();
    sandbox
        .emulator
        .add_fault(json!({"action": "GetSessionToken", "kind": "stall", "seconds": 60}));
    let mut child = sandbox.spawn_cli(&["credential-process", "--user", "app"]);
    wait_in_call(&sandbox, &mut child, "GetSessionToken");
    let pid = child.id();
    // The stored key has been read from the keychain and signs the held call.
    assert_eq!(core_limit(pid), ("0".into(), "0".into()));
    if effective_uid() != 0 {
        assert_eq!(
            owner(pid),
            0,
            "not dumpable: /proc/<pid>/environ belongs to root"
        );
    }
    stop(child);
}

/// Run as another user than root (as root every /proc entry is root's anyway), a CLI in the
/// middle of a call is not dumpable, while a plain program of that user is.
#[test]
fn the_cli_is_not_dumpable_while_it_runs() {
    let sandbox = Sandbox::start();
    let runner = if effective_uid() == 0 {
        NOBODY
    } else {
        effective_uid()
    };
    let home = tempfile::tempdir().expect("a home");
    std::os::unix::fs::chown(home.path(), Some(runner), Some(runner)).expect("chown home");
    let as_runner = |program: &Path| {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("AWS_ENDPOINT_URL", &sandbox.emulator.url)
            .env("AWS_ACCESS_KEY_ID", ADMIN_ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET)
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", home.path().join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                home.path().join("credentials"),
            )
            .current_dir(home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if runner != effective_uid() {
            command.uid(runner).gid(runner);
        }
        command
    };

    // The control: an ordinary program of that user is dumpable, its /proc entries are its own.
    let mut plain = as_runner(Path::new("/bin/sleep"));
    let plain = plain.arg("60").spawn().expect("sleep");
    assert_eq!(owner(plain.id()), runner);
    stop(plain);

    sandbox.emulator.clear_requests();
    sandbox
        .emulator
        .add_fault(json!({"action": "GetCallerIdentity", "kind": "stall", "seconds": 60}));
    let (_copy_dir, cli) = runnable_copy(&support::workspace_binary("csfle-provisioner-cli"));
    let mut child = as_runner(&cli)
        .args(["list", "--json"])
        .spawn()
        .expect("the CLI");
    wait_in_call(&sandbox, &mut child, "GetCallerIdentity");
    let pid = child.id();
    assert_eq!(
        owner(pid),
        0,
        "not dumpable: /proc/<pid>/environ belongs to root"
    );
    assert_eq!(core_limit(pid), ("0".into(), "0".into()));
    stop(child);
}

/// The desktop app too (src-tauri/src/lib.rs hardens before anything else), started as another
/// user than root on a virtual screen: its /proc entries become root's, and no core is written.
#[test]
fn the_app_is_not_dumpable_while_it_runs() {
    let display = support::webdriver::Display::start();
    let runner = if effective_uid() == 0 {
        NOBODY
    } else {
        effective_uid()
    };
    let home = tempfile::tempdir().expect("a home");
    std::os::unix::fs::chown(home.path(), Some(runner), Some(runner)).expect("chown home");
    let (_copy_dir, app_binary) = runnable_copy(&support::workspace_binary("csfle-provisioner"));
    let mut command = Command::new(app_binary);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("DISPLAY", &display.name)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if runner != effective_uid() {
        command.uid(runner).gid(runner);
    }
    let mut app = command.spawn().expect("the app");
    let pid = app.id();
    // Until the kernel shows it not dumpable (the first thing the app does) or the deadline.
    let deadline = Instant::now() + Duration::from_secs(30);
    while owner(pid) != 0 {
        assert!(app.try_wait().unwrap().is_none(), "the app ended first");
        assert!(
            Instant::now() < deadline,
            "the app stayed dumpable: /proc/<pid>/environ belongs to {runner}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(core_limit(pid), ("0".into(), "0".into()));
    assert!(app.try_wait().unwrap().is_none(), "observed while running");
    stop(app);
}
