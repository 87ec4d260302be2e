//! What can go wrong copying a setup's credentials into the organisation's secret store.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    #[error("{0}")]
    VaultUrl(String),
    #[error("{0}")]
    VaultPath(String),
    #[error("No Vault token: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole")]
    NoToken,
    #[error("No Vault token or AppRole was given for this server")]
    NoLogin,
    #[error("Vault at {url} refused the request ({what}): {detail}")]
    VaultRefused {
        url: String,
        what: String,
        detail: String,
    },
    #[error("Vault at {url} could not be reached: {detail}")]
    VaultUnreachable { url: String, detail: String },
    #[error("Vault at {url} is sealed or in standby")]
    VaultSealed { url: String },
    #[error("{path} was written by someone else meanwhile (Vault's check-and-set refused version {cas})")]
    VaultConflict { path: String, cas: u64 },
    #[error("{0}")]
    NotOurs(String),
    #[error("{0}")]
    Reader(String),
    #[error("{0}")]
    SecretName(String),
    #[error("{0}")]
    Unrecorded(String),
    #[error("{0}")]
    Unfinished(String),
}

impl PushError {
    pub fn code(&self) -> &'static str {
        match self {
            PushError::VaultUrl(_) | PushError::VaultPath(_) => "invalid-input",
            PushError::Reader(_) | PushError::SecretName(_) => "invalid-input",
            PushError::NoToken | PushError::NoLogin => "vault-no-token",
            PushError::VaultRefused { .. } => "vault-refused",
            PushError::VaultUnreachable { .. } => "vault-unreachable",
            PushError::VaultSealed { .. } => "vault-sealed",
            PushError::VaultConflict { .. } => "vault-conflict",
            PushError::NotOurs(_) => "copy-not-ours",
            PushError::Unrecorded(_) => "delivery-unrecorded",
            PushError::Unfinished(_) => "rotation-unfinished",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            PushError::VaultUrl(_) => "Give Vault's address as https://HOST[:PORT] (http only for 127.0.0.1 or localhost). Nothing was written.".into(),
            PushError::VaultPath(_) => "Give the path as MOUNT/PATH, e.g. secret/apps/billing (the KV version 2 mount, then the secret's path). Nothing was written.".into(),
            PushError::Reader(_) => "Name each reader by its IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME). Nothing was created.".into(),
            PushError::SecretName(_) => "Secrets Manager names are 1–512 characters: letters, digits and /_+=.@-. Nothing was created.".into(),
            PushError::NoToken => "Sign in to Vault (bao login or vault login print a token; export it as VAULT_TOKEN), or give an AppRole's VAULT_ROLE_ID and VAULT_SECRET_ID. Nothing was written.".into(),
            PushError::NoLogin => "Paste a Vault token (or an AppRole's role id and secret id) for this server. Nothing was written.".into(),
            PushError::VaultRefused { .. } => "Check that the token is valid and that its policy allows create, update and read on MOUNT/data/PATH and MOUNT/metadata/PATH (delete too, for teardown). The keychain still holds the credentials.".into(),
            PushError::VaultUnreachable { .. } | PushError::VaultSealed { .. } => "Check the address and that Vault is up and unsealed, then try again. The keychain still holds the credentials.".into(),
            PushError::VaultConflict { .. } => "Someone changed that secret since this app looked. Find out who before writing again, or choose another path.".into(),
            PushError::NotOurs(_) => "This app overwrites or deletes only copies it wrote itself. Choose another path or name, or remove that one yourself if you know it is not needed.".into(),
            PushError::Unfinished(_) => "The new key works and is in the keychain; the old key stays active until every copy holds the new one. Fix what the message names, then run the command it gives.".into(),
            PushError::Unrecorded(_) => "The copy was written but this computer could not note it: check that your home folder is writable, then copy to the same store again (this app updates its own copy).".into(),
        }
    }
}
