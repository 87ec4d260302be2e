//! Windows: a generic credential in Credential Manager. Modifiers: `target` (the credential's
//! unique name) and `persistence`. The store's default persistence, Enterprise, roams the secret
//! with a domain user's profile to every machine they sign in to; a CSFLE key must stay on the
//! machine it was made for, so every write is `Local`.

use keyring_core::api::CredentialStore;
use keyring_core::{Entry, Result};
use std::collections::HashMap;
use std::sync::Arc;

pub const STORE_NAME: &str = "Windows Credential Manager";
pub const STORAGE_NOTE: &str = "stored on this computer only (Local persistence, does not roam)";

pub fn entry(service: &str, account: &str, _label: Option<&str>) -> Result<Entry> {
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
    let target = crate::windows_target_name(service, account);
    let modifiers = HashMap::from([("target", target.as_str()), ("persistence", "Local")]);
    Entry::new_in_store_with_modifiers(&store, service, account, &modifiers)
}

/// An explicit target leaves the credential's user name empty: fill it and the comment, so the
/// item reads as ours in Credential Manager and `cmdkey /list`.
pub fn after_save(entry: &Entry, account: &str, label: &str) -> Result<()> {
    let attributes = HashMap::from([("username", account), ("comment", label)]);
    entry.update_attributes(&attributes)
}

/// Only the Secret Service is reached over a connection that can drop between calls.
pub fn connection_dropped(_error: &keyring_core::Error) -> bool {
    false
}
