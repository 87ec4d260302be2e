//! The OS keychain: one item per setup, holding the credentials as a JSON object.
//! Nothing here falls back to a file: no keychain means no setup.

use crate::error::keychain::KeychainError;
use crate::secret::Sensitive;
use csfle_keystore::Failure;

/// The keychain item's service attribute.
pub const SERVICE: &str = crate::model::created::KEYCHAIN_SERVICE;

/// The label the OS keychain shows for a setup's item.
pub fn label_for(account_id: &str, principal_name: &str) -> String {
    format!("MongoDB CSFLE credentials for {principal_name} ({account_id})")
}

/// The keychain item's account attribute for a setup.
pub fn account_for(account_id: &str, principal_name: &str) -> String {
    format!("{account_id}/{principal_name}")
}

/// The name the OS gives its credential store, for the review screen.
pub fn native_store_name() -> &'static str {
    csfle_keystore::store_name()
}

/// Where the item lives and whether it leaves this machine, for the review screen.
pub fn storage_note() -> &'static str {
    csfle_keystore::storage_note()
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
    /// Fails when the keychain cannot be reached at all, so a setup can stop before it creates
    /// anything. (A locked keychain may only show itself at the first write.)
    fn check_reachable(&self) -> Result<(), KeychainError>;
    /// The `--store` an AWS profile's credential_process must pass to read this store again, when
    /// it is not the one chosen by default.
    fn store_flag(&self) -> Option<&'static str> {
        None
    }
}

/// The platform's own keychain (csfle-keystore: Secret Service, macOS Keychain, Windows
/// Credential Manager with Local persistence). Items are found by probing the accounts the
/// journal and the AWS tags name, never by searching the store.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsVault;

impl Vault for OsVault {
    fn store_name(&self) -> String {
        native_store_name().to_string()
    }

    fn save(&self, account: &str, label: &str, secret: &Sensitive) -> Result<(), KeychainError> {
        csfle_keystore::save(SERVICE, account, label, secret.expose()).map_err(|e| {
            match e.failure {
                Failure::Locked => KeychainError::Locked,
                Failure::Unavailable => KeychainError::Unavailable { detail: e.detail },
                Failure::Missing | Failure::Other => {
                    KeychainError::WriteFailed { detail: e.detail }
                }
            }
        })
    }

    fn load(&self, account: &str) -> Result<Sensitive, KeychainError> {
        csfle_keystore::load(SERVICE, account)
            .map(Sensitive::new)
            .map_err(|e| match e.failure {
                Failure::Locked => KeychainError::Locked,
                Failure::Missing => KeychainError::NotFound {
                    account: account.to_string(),
                },
                Failure::Unavailable => KeychainError::Unavailable { detail: e.detail },
                Failure::Other => KeychainError::ReadFailed { detail: e.detail },
            })
    }

    fn check_reachable(&self) -> Result<(), KeychainError> {
        match csfle_keystore::reachable(SERVICE, "csfle-provisioner/reachability-probe") {
            Ok(()) => Ok(()),
            Err(e) => match e.failure {
                Failure::Locked => Err(KeychainError::Locked),
                Failure::Unavailable => Err(KeychainError::Unavailable { detail: e.detail }),
                // The store answered; whatever it said about the probe item is not our concern.
                Failure::Missing | Failure::Other => Ok(()),
            },
        }
    }

    fn remove(&self, account: &str) -> Result<(), KeychainError> {
        csfle_keystore::remove(SERVICE, account).map_err(|e| match e.failure {
            Failure::Locked => KeychainError::Locked,
            Failure::Unavailable => KeychainError::Unavailable { detail: e.detail },
            Failure::Missing | Failure::Other => KeychainError::WriteFailed { detail: e.detail },
        })
    }
}
