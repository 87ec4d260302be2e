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
