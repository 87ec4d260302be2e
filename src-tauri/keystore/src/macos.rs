//! macOS: a generic password in the user's login keychain (kSecClassGenericPassword, service =
//! the app's service name, account = the setup's account). The only modifier is `keychain`; the
//! default is the login keychain, which is what we want, so none is passed. Items in the login
//! keychain do not sync to iCloud.

use keyring_core::api::CredentialStore;
use keyring_core::{Entry, Result};
use std::collections::HashMap;
use std::sync::Arc;

pub const STORE_NAME: &str = "macOS Keychain";
pub const STORAGE_NOTE: &str =
    "stored in your login keychain on this Mac only (not synced to iCloud Keychain)";

pub fn entry(service: &str, account: &str, _label: Option<&str>) -> Result<Entry> {
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Entry::new_in_store_with_modifiers(&store, service, account, &HashMap::new())
}

pub fn after_save(_entry: &Entry, _account: &str, _label: &str) -> Result<()> {
    Ok(())
}

/// Only the Secret Service is reached over a connection that can drop between calls.
pub fn connection_dropped(_error: &keyring_core::Error) -> bool {
    false
}
