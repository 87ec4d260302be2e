//! Linux: the freedesktop Secret Service (gnome-keyring, KWallet) over D-Bus. Modifiers: `target`
//! (a collection; unset = the default "login" collection) and `label`.

use crate::{Failure, StoreError};
use keyring_core::api::CredentialStore;
use keyring_core::{Entry, Result};
use std::collections::HashMap;
use std::sync::Arc;

pub const STORE_NAME: &str = "Secret Service keyring";
pub const STORAGE_NOTE: &str =
    "stored in your login keyring on this computer only (Secret Service, unlocked with your session)";

pub fn entry(service: &str, account: &str, label: Option<&str>) -> Result<Entry> {
    // A new connection per operation: the session bus may appear (or the keyring unlock) while
    // the app is open, and a cached failure would keep the admin stuck.
    let store: Arc<CredentialStore> = dbus_secret_service_keyring_store::Store::new()?;
    let mut modifiers = HashMap::new();
    if let Some(label) = label {
        modifiers.insert("label", label);
    }
    Entry::new_in_store_with_modifiers(&store, service, account, &modifiers)
}

/// The service answered a session request. A plain session, because the check reads no secret:
/// the Diffie-Hellman exchange an item read needs cost ~5 ms of every setup's critical path.
pub fn reachable() -> std::result::Result<(), StoreError> {
    dbus_secret_service::SecretService::connect(dbus_secret_service::EncryptionType::Plain)
        .map(drop)
        .map_err(|error| StoreError {
            failure: Failure::Unavailable,
            detail: error.to_string(),
        })
}

pub fn after_save(_entry: &Entry, _account: &str, _label: &str) -> Result<()> {
    Ok(())
}
