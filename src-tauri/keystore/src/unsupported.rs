//! Any other OS: no keychain, so no setup (nothing falls back to a file).

use keyring_core::{Entry, Error, Result};

pub const STORE_NAME: &str = "no supported keychain";
pub const STORAGE_NOTE: &str = "this operating system has no supported keychain";

pub fn entry(_service: &str, _account: &str, _label: Option<&str>) -> Result<Entry> {
    Err(Error::NoDefaultStore)
}

pub fn after_save(_entry: &Entry, _account: &str, _label: &str) -> Result<()> {
    Ok(())
}

/// Only the Secret Service is reached over a connection that can drop between calls.
pub fn connection_dropped(_error: &keyring_core::Error) -> bool {
    false
}
