//! What can go wrong with the OS keychain, in words an admin can act on. The store itself is
//! [`crate::local::keychain`]; the error lives here so every layer can carry it.

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
    /// Neither a keychain nor systemd-creds: `detail` says why the keychain could not be used.
    #[error("This computer has no store for the credentials: no keychain ({detail}) and no systemd-creds")]
    NoStore { detail: String },
    /// A store other than the keychain (systemd-creds, the plain file) failed.
    #[error("{store} failed ({detail})")]
    StoreFailed { store: String, detail: String },
}

impl KeychainError {
    pub fn code(&self) -> &'static str {
        match self {
            KeychainError::Unavailable { .. } => "keychain-unavailable",
            KeychainError::Locked => "keychain-locked",
            KeychainError::WriteFailed { .. } => "keychain-write-failed",
            KeychainError::NotFound { .. } => "keychain-item-missing",
            KeychainError::ReadFailed { .. } => "keychain-read-failed",
            KeychainError::NoStore { .. } => "no-credential-store",
            KeychainError::StoreFailed { .. } => "credential-store-failed",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            KeychainError::Unavailable { .. } => unavailable_hint().into(),
            KeychainError::Locked => locked_hint().into(),
            KeychainError::WriteFailed { .. } => "Check that your keychain has room and is not read-only, then try again.".into(),
            KeychainError::NotFound { .. } => "The item was removed from the keychain. Rotate the access key to store a fresh one.".into(),
            KeychainError::ReadFailed { .. } => "Unlock your keychain and try again.".into(),
            KeychainError::NoStore { .. } => "Nothing was written. On a server without a desktop session install systemd-creds (it comes with systemd; on Debian and Ubuntu the package systemd) and run the command again. Only if a plain file readable by this account alone (root: /etc/credstore) is acceptable, pass --store file. In a desktop session, start its keyring instead.".into(),
            KeychainError::StoreFailed { .. } => "Nothing was changed. Check that systemd-creds works here (`systemd-creds setup` as root makes the host key once) and that the store's folder is writable, then try again.".into(),
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
