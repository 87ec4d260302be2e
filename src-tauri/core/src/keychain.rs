//! The OS keychain: one item per setup, holding the credentials as a JSON object.
//! Nothing here falls back to a file: no keychain means no setup.

use crate::secret::Sensitive;
use std::collections::HashMap;

/// The keychain item's service attribute.
pub const SERVICE: &str = "csfle-provisioner";

/// The keychain item's account attribute for a setup.
pub fn account_for(account_id: &str, principal_name: &str) -> String {
    format!("{account_id}/{principal_name}")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    #[error("No keychain service is available ({detail})")]
    Unavailable { detail: String },
    #[error("The keychain is locked")]
    Locked,
    #[error("The keychain refused to save the credentials ({detail})")]
    WriteFailed { detail: String },
    #[error("The keychain has no credentials for {account}")]
    NotFound { account: String },
    #[error("The keychain could not be read ({detail})")]
    ReadFailed { detail: String },
}

impl KeychainError {
    pub fn code(&self) -> &'static str {
        match self {
            KeychainError::Unavailable { .. } => "keychain-unavailable",
            KeychainError::Locked => "keychain-locked",
            KeychainError::WriteFailed { .. } => "keychain-write-failed",
            KeychainError::NotFound { .. } => "keychain-item-missing",
            KeychainError::ReadFailed { .. } => "keychain-read-failed",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            KeychainError::Unavailable { .. } => unavailable_hint().into(),
            KeychainError::Locked => locked_hint().into(),
            KeychainError::WriteFailed { .. } => "Check that your keychain has room and is not read-only, then try again.".into(),
            KeychainError::NotFound { .. } => "The item was removed from the keychain. Rotate the access key to store a fresh one.".into(),
            KeychainError::ReadFailed { .. } => "Unlock your keychain and try again.".into(),
        }
    }
}

fn unavailable_hint() -> &'static str {
    if cfg!(target_os = "linux") {
        "Install and start a Secret Service keyring (gnome-keyring, or KWallet with its Secret Service enabled) in your desktop session, then try again."
    } else {
        "Sign in to your desktop session so the system keychain is available, then try again."
    }
}

fn locked_hint() -> &'static str {
    if cfg!(target_os = "linux") {
        "Unlock your keyring (open \"Passwords and Keys\" and unlock the Login keyring, or log out and in again), then try again."
    } else {
        "Unlock your keychain, then try again."
    }
}

/// The name the OS gives its credential store, for the review screen.
pub fn native_store_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(target_os = "windows") {
        "Windows Credential Manager"
    } else {
        "Secret Service keyring"
    }
}

/// Runs `call` on the blocking pool: keychain stores answer synchronously (D-Bus, OS calls), and
/// the async threads must not wait on them.
pub async fn off_thread<T, F>(
    vault: &std::sync::Arc<dyn Vault>,
    call: F,
) -> Result<T, KeychainError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Vault) -> Result<T, KeychainError> + Send + 'static,
{
    let vault = std::sync::Arc::clone(vault);
    tokio::task::spawn_blocking(move || call(vault.as_ref()))
        .await
        .unwrap_or_else(|_| {
            Err(KeychainError::ReadFailed {
                detail: "the keychain call did not finish".into(),
            })
        })
}

/// A credential store. The engine takes it as a parameter so tests can make it fail on cue.
pub trait Vault: Send + Sync {
    fn store_name(&self) -> String;
    /// Creates or atomically replaces the item for `account`.
    fn save(&self, account: &str, label: &str, secret: &Sensitive) -> Result<(), KeychainError>;
    fn load(&self, account: &str) -> Result<Sensitive, KeychainError>;
    /// Removing an item that is not there succeeds: the goal state is reached.
    fn remove(&self, account: &str) -> Result<(), KeychainError>;
    /// The accounts of every item this app stored, where the store can search.
    fn accounts(&self) -> Result<Vec<String>, KeychainError>;
    /// Fails when the keychain cannot be reached at all, so a setup can stop before it creates
    /// anything. (A locked keychain may only show itself at the first write.)
    fn check_reachable(&self) -> Result<(), KeychainError>;
}

/// The platform's own keychain through keyring-core.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsVault;

impl OsVault {
    fn entry(
        &self,
        account: &str,
        label: Option<&str>,
    ) -> Result<keyring_core::Entry, KeychainError> {
        let store = platform_store()?;
        let mut modifiers = HashMap::new();
        if let Some(label) = label {
            modifiers.insert("label", label);
        }
        keyring_core::Entry::new_in_store_with_modifiers(&store, SERVICE, account, &modifiers)
            .map_err(|e| KeychainError::Unavailable {
                detail: describe(&e),
            })
    }
}

impl Vault for OsVault {
    fn store_name(&self) -> String {
        native_store_name().to_string()
    }

    fn save(&self, account: &str, label: &str, secret: &Sensitive) -> Result<(), KeychainError> {
        let entry = self.entry(account, Some(label))?;
        entry
            .set_password(secret.expose())
            .map_err(|e| match classify(&e) {
                Failure::Locked => KeychainError::Locked,
                Failure::Unavailable => KeychainError::Unavailable {
                    detail: describe(&e),
                },
                _ => KeychainError::WriteFailed {
                    detail: describe(&e),
                },
            })
    }

    fn load(&self, account: &str) -> Result<Sensitive, KeychainError> {
        let entry = self.entry(account, None)?;
        entry
            .get_password()
            .map(Sensitive::new)
            .map_err(|e| match classify(&e) {
                Failure::Locked => KeychainError::Locked,
                Failure::Missing => KeychainError::NotFound {
                    account: account.to_string(),
                },
                Failure::Unavailable => KeychainError::Unavailable {
                    detail: describe(&e),
                },
                Failure::Other => KeychainError::ReadFailed {
                    detail: describe(&e),
                },
            })
    }

    fn accounts(&self) -> Result<Vec<String>, KeychainError> {
        let store = platform_store()?;
        let spec = HashMap::from([("service", SERVICE)]);
        let entries = keyring_core::Entry::search_in_store(&store, &spec).map_err(|e| {
            match classify(&e) {
                Failure::Locked => KeychainError::Locked,
                _ => KeychainError::ReadFailed {
                    detail: describe(&e),
                },
            }
        })?;
        let mut accounts: Vec<String> = entries
            .iter()
            .filter_map(|entry| entry.get_attributes().ok())
            .filter_map(|attributes| attributes.get("username").cloned())
            .collect();
        accounts.sort();
        accounts.dedup();
        Ok(accounts)
    }

    fn check_reachable(&self) -> Result<(), KeychainError> {
        match self.load("csfle-provisioner/reachability-probe") {
            Ok(_) | Err(KeychainError::NotFound { .. }) => Ok(()),
            Err(KeychainError::ReadFailed { .. }) => Ok(()),
            Err(other) => Err(other),
        }
    }

    fn remove(&self, account: &str) -> Result<(), KeychainError> {
        let entry = self.entry(account, None)?;
        match entry.delete_credential() {
            Ok(()) => Ok(()),
            Err(e) => match classify(&e) {
                Failure::Missing => Ok(()),
                Failure::Locked => Err(KeychainError::Locked),
                Failure::Unavailable => Err(KeychainError::Unavailable {
                    detail: describe(&e),
                }),
                Failure::Other => Err(KeychainError::WriteFailed {
                    detail: describe(&e),
                }),
            },
        }
    }
}

enum Failure {
    Locked,
    Missing,
    Unavailable,
    Other,
}

fn classify(error: &keyring_core::Error) -> Failure {
    use keyring_core::Error;
    match error {
        Error::NoStorageAccess(_) => Failure::Locked,
        Error::NoEntry => Failure::Missing,
        Error::NoDefaultStore => Failure::Unavailable,
        Error::PlatformFailure(inner) if looks_unreachable(&inner.to_string()) => {
            Failure::Unavailable
        }
        _ => Failure::Other,
    }
}

/// D-Bus reports a missing Secret Service as a generic platform failure; its wording is the only tell.
fn looks_unreachable(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "serviceunknown",
        "service unknown",
        "not provided by any .service",
        "no such file",
        "connection refused",
        "unable to autolaunch",
        "dbus_session_bus_address",
        "was not provided",
        "did not receive a reply",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// A description safe to show: the two variants that carry the stored bytes are named, not printed.
fn describe(error: &keyring_core::Error) -> String {
    use keyring_core::Error;
    match error {
        Error::BadEncoding(_) => "the stored item is not text".into(),
        Error::BadDataFormat(..) => "the stored item is malformed".into(),
        Error::Ambiguous(items) => format!("{} items match; remove the duplicates", items.len()),
        other => other.to_string(),
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<std::sync::Arc<keyring_core::api::CredentialStore>, KeychainError> {
    // A new connection per operation: the session bus may appear (or the keyring unlock) while
    // the app is open, and a cached failure would keep the admin stuck.
    match dbus_secret_service_keyring_store::Store::new() {
        Ok(store) => Ok(store),
        Err(e) => Err(KeychainError::Unavailable {
            detail: describe(&e),
        }),
    }
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<std::sync::Arc<keyring_core::api::CredentialStore>, KeychainError> {
    apple_native_keyring_store::keychain::Store::new()
        .map(|s| s as std::sync::Arc<keyring_core::api::CredentialStore>)
        .map_err(|e| KeychainError::Unavailable {
            detail: describe(&e),
        })
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<std::sync::Arc<keyring_core::api::CredentialStore>, KeychainError> {
    windows_native_keyring_store::Store::new()
        .map(|s| s as std::sync::Arc<keyring_core::api::CredentialStore>)
        .map_err(|e| KeychainError::Unavailable {
            detail: describe(&e),
        })
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> Result<std::sync::Arc<keyring_core::api::CredentialStore>, KeychainError> {
    Err(KeychainError::Unavailable {
        detail: "this operating system has no supported keychain".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_never_carry_stored_bytes() {
        let secret = b"wJalrXUtnFEMI/K7MDENG".to_vec();
        let encoded = keyring_core::Error::BadEncoding(secret.clone());
        assert!(!describe(&encoded).contains("wJalr"));
        let malformed = keyring_core::Error::BadDataFormat(secret, "bad".into());
        assert!(!describe(&malformed).contains("wJalr"));
        assert!(
            !describe(&malformed).contains("119"),
            "no byte values either"
        );
    }

    #[test]
    fn missing_bus_reads_as_unavailable() {
        let error = keyring_core::Error::PlatformFailure(
            "org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files".into(),
        );
        assert!(matches!(classify(&error), Failure::Unavailable));
    }
}
