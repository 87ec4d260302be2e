//! Real parts for the integration tests: the AWS emulator, a private Secret Service keyring, and
//! runs of the command-line program in a sealed environment (throw-away HOME, no real ~/.aws).
#![allow(dead_code, unused_imports)]

pub mod aws;
pub mod emulator;
pub mod flow;
pub mod keyring;
pub mod sandbox;
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
pub fn workspace_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let path = target.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` first (scripts/test.sh does)",
        path.display()
    );
    path
}
