//! Real parts for the integration tests: the AWS emulator, a private Secret Service keyring, and
//! runs of the command-line program in a sealed environment (throw-away HOME, no real ~/.aws).
#![allow(dead_code, unused_imports)]

pub mod a11y;
pub mod aws;
pub mod bao;
pub mod emulator;
pub mod flow;
pub mod keyring;
pub mod sandbox;
pub mod two_accounts;
pub mod webdriver;

pub use emulator::Emulator;
pub use keyring::PrivateKeyring;
pub use sandbox::{CliRun, Sandbox};

use std::path::PathBuf;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The interpreter with moto installed: the project's venv when set up, else `python3`.
pub fn python() -> PathBuf {
    if let Some(explicit) = std::env::var_os("CSFLE_PYTHON") {
        return PathBuf::from(explicit);
    }
    let venv = repo_root().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// A built binary of this workspace (the test command builds them before running the tests).
/// Test executables live in `<target dir>/<profile>/deps/`, the workspace's binaries one folder up:
/// found from there, whatever the target dir is (CARGO_TARGET_DIR, relative or not, a cargo
/// config's target-dir, `--target`) and for the profile the tests were built with.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("the test executable is in <target dir>/<profile>/deps");
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` first (scripts/test.sh does)",
        path.display()
    );
    path
}
