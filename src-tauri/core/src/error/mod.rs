//! Every way provisioning can fail, each with a stable code and a next step for the admin.

pub mod aws;
pub mod keychain;

use crate::validate::InputError;
use aws::{AwsFailure, AwsFailureKind};
use keychain::KeychainError;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("No AWS credentials could be loaded: {0}")]
    NoCredentials(String),
    #[error("{0}")]
    Aws(#[from] AwsFailure),
    #[error("The IAM user {0} already exists")]
    UserExists(String),
    #[error("The alias {0} is already in use in this region")]
    AliasExists(String),
    #[error("No KMS key {key} was found in {region}")]
    KeyNotFound { key: String, region: String },
    #[error("The key {key} cannot be used: {reason}")]
    UnsuitableKey { key: String, reason: String },
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error("The new access key did not become usable within {seconds} s (last answer: {last})")]
    NotLive { seconds: u64, last: String },
    #[error("The new credentials could not use the key: {0}")]
    RoundTrip(String),
    #[error("Cancelled before it finished")]
    Cancelled,
    #[error("{0}")]
    Journal(String),
    #[error("{0}")]
    Ambiguous(String),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    NotFound(String),
    #[error("This app did not create {0}, so it will not change it")]
    NotOurs(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("The key policy of {key} does not let IAM policies grant access to it, so the setup's policy would be refused for ever. The statement that fixes it:\n{statement}")]
    KeyPolicyBlocksIam { key: String, statement: String },
    #[error("The master key {key} is kept: {reason}")]
    KeyKept { key: String, reason: String },
    #[error("{user} already has two access keys, AWS's limit{detail}")]
    KeyLimit {
        user: String,
        detail: String,
        inactive: Option<String>,
    },
}

impl ProvisionError {
    /// Stable, machine-readable; front ends and scripts may match on it.
    pub fn code(&self) -> &'static str {
        match self {
            ProvisionError::Input(_) => "invalid-input",
            ProvisionError::NoCredentials(_) => "no-credentials",
            ProvisionError::Aws(f) => match f.kind {
                AwsFailureKind::AccessDenied => "aws-access-denied",
                AwsFailureKind::InvalidCredentials => "aws-invalid-credentials",
                AwsFailureKind::ExpiredCredentials => "aws-expired-credentials",
                AwsFailureKind::Throttled => "aws-throttled",
                AwsFailureKind::Unreachable => "aws-unreachable",
                AwsFailureKind::NotFound => "aws-not-found",
                AwsFailureKind::AlreadyExists => "aws-already-exists",
                AwsFailureKind::LimitExceeded => "aws-limit-exceeded",
                AwsFailureKind::Conflict => "aws-delete-conflict",
                AwsFailureKind::Other => "aws-error",
            },
            ProvisionError::UserExists(_) => "user-exists",
            ProvisionError::AliasExists(_) => "alias-exists",
            ProvisionError::KeyNotFound { .. } => "key-not-found",
            ProvisionError::UnsuitableKey { .. } => "key-unsuitable",
            ProvisionError::Keychain(k) => k.code(),
            ProvisionError::NotLive { .. } => "credentials-not-live",
            ProvisionError::RoundTrip(_) => "verify-failed",
            ProvisionError::Cancelled => "cancelled",
            ProvisionError::Journal(_) => "journal-unwritable",
            ProvisionError::Ambiguous(_) => "ambiguous",
            ProvisionError::Config(_) => "aws-config-file",
            ProvisionError::NotFound(_) => "not-found",
            ProvisionError::NotOurs(_) => "not-ours",
            ProvisionError::KeyLimit { .. } => "access-key-limit",
            ProvisionError::KeyKept { .. } => "key-deletion-refused",
            ProvisionError::KeyPolicyBlocksIam { .. } => "key-policy-blocks-iam",
            ProvisionError::Unsupported(_) => "unsupported",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            ProvisionError::Input(_) => "Correct the field and try again. Nothing was changed in AWS.".into(),
            ProvisionError::NoCredentials(_) => "Choose an AWS profile that has credentials (or sign in with aws sso login), then connect again.".into(),
            ProvisionError::Aws(failure) => failure.hint(),
            ProvisionError::UserExists(_) => "Choose a new user name. This app never reuses an existing user, so it cannot change one it did not create.".into(),
            ProvisionError::AliasExists(_) => "Choose another alias, or pick that key under \"Use an existing key\".".into(),
            ProvisionError::KeyNotFound { .. } => "Check the key ARN, id or alias and the region.".into(),
            ProvisionError::UnsuitableKey { .. } => "Choose an enabled symmetric encryption key that your account manages, or create a new one.".into(),
            ProvisionError::Keychain(k) => k.hint(),
            ProvisionError::NotLive { .. } => "IAM can take a while to make new keys usable. Everything was rolled back; try again in a few minutes.".into(),
            ProvisionError::RoundTrip(_) => "Check that the key's policy lets the account's IAM policies grant access (the default key policy does).".into(),
            ProvisionError::Cancelled => "Nothing is left half-made; start again when you are ready.".into(),
            ProvisionError::Journal(_) => "Check that your home folder has free space and is writable. Nothing was changed in AWS.".into(),
            ProvisionError::Ambiguous(_) => "Say which one you mean, as the message suggests.".into(),
            ProvisionError::Config(_) => "Choose another profile name, or check that your AWS config file is writable. It was not changed.".into(),
            ProvisionError::NotFound(_) => "Check the name, the account and the region.".into(),
            ProvisionError::NotOurs(_) => "Only resources tagged created-by=csfle-provisioner are changed by this app. Manage this one in the AWS console.".into(),
            ProvisionError::Unsupported(_) => "Clean it up instead (nothing it made is kept), then start the setup again.".into(),
            ProvisionError::KeyPolicyBlocksIam { key, .. } => format!("Nothing was changed. Add the statement to the key policy (the app can: \"Let IAM policies use this key\", or csfle-provisioner-cli fix-key-policy --key {key}; it needs kms:PutKeyPolicy), ask the key's owner to, or choose another key."),
            ProvisionError::KeyKept { .. } => "Nothing was changed. Tear the setup down without deleting the key (the key costs little and keeps your data readable), or first tear down the other setups that use it.".into(),
            ProvisionError::KeyLimit { inactive: Some(_), .. } => "Delete the inactive key first (the app can do it: choose \"Delete the inactive key\", or pass --delete-inactive-key), then rotate.".into(),
            ProvisionError::KeyLimit { inactive: None, .. } => "Both keys are active and one of them is not the one in the keychain. Find out which application uses it, deactivate it in the AWS console, then rotate again.".into(),
        }
    }

    /// The report a front end shows, with what rollback did when there was one.
    pub fn report(&self, rollback: Option<RollbackReport>) -> ErrorReport {
        ErrorReport {
            code: self.code().to_string(),
            message: self.to_string(),
            hint: self.hint(),
            rollback,
        }
    }
}

/// What rollback undid and what it could not: the admin must know about every leftover.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct RollbackReport {
    pub undone: Vec<String>,
    pub left_behind: Vec<String>,
}

/// The error shape every front end shows: `{code, message, hint}`, plus rollback when relevant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ErrorReport {
    pub code: String,
    pub message: String,
    pub hint: String,
    pub rollback: Option<RollbackReport>,
}
