//! The data that crosses from the engine to its front ends. None of these types can hold a secret:
//! the access key id is an identifier, the secret access key lives only in [`crate::secret::Sensitive`].

pub mod created;
pub mod findings;
pub mod key_grant;
pub mod ownership;
pub mod principal;
pub mod web_identity;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Who is acting, as AWS sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Identity {
    pub account_id: String,
    /// The account's alias (iam:ListAccountAliases), when it has one and the identity may read it:
    /// a name the admin recognises beside the twelve digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub account_alias: Option<String>,
    pub arn: String,
    pub region: String,
    /// Set when requests go somewhere other than AWS itself (the sandbox emulator, a proxy).
    pub endpoint_override: Option<String>,
}

/// The master key: a new one, or one the account already has.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum KeyChoice {
    New { alias: String, description: String },
    Existing { key: String },
}

/// What the admin asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
pub struct SetupRequest {
    pub key: KeyChoice,
    pub user_name: String,
    /// Empty or absent: derived from the user name.
    #[serde(default)]
    pub policy_name: Option<String>,
    /// Whether `credential-process --long-lived` may print the stored key itself. Off unless the
    /// admin asks for it explicitly (the CLI's `--allow-long-lived`); the app sends false.
    #[serde(default)]
    pub allow_long_lived: bool,
    /// The longest session credentials `credential-process` makes for this setup; absent: one hour.
    #[serde(default)]
    pub max_session_seconds: Option<i32>,
    /// The AWS profile of the account that holds an existing key of another account.
    #[serde(default)]
    pub key_profile: Option<String>,
}

/// What `credential-process` may hand out for a user setup, recorded in its keychain item (not
/// secret) and shown in the setups view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct CredentialTerms {
    /// The stored long-lived key may be printed (`--long-lived`); otherwise session credentials only.
    pub allow_long_lived: bool,
    /// Session credentials last at most this long; a longer request is refused.
    pub max_session_seconds: i32,
}

impl CredentialTerms {
    /// One hour, unless the admin chose otherwise when provisioning.
    pub const DEFAULT_MAX_SESSION_SECONDS: i32 = 3_600;
    /// The bounds a setup's cap may be chosen in: AWS's minimum, and 12 hours.
    pub const MAX_SESSION_RANGE: std::ops::RangeInclusive<i32> = crate::validate::SESSION_CAP_RANGE;
}

impl Default for CredentialTerms {
    fn default() -> Self {
        CredentialTerms {
            allow_long_lived: false,
            max_session_seconds: Self::DEFAULT_MAX_SESSION_SECONDS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum StepId {
    CreateKey,
    EnableKeyRotation,
    CreateAlias,
    CreateUser,
    PutUserPolicy,
    CreateAccessKey,
    StoreInKeychain,
    Verify,
    CreateRole,
    PutRolePolicy,
    CreateInstanceProfile,
    CreateOidcProvider,
    CreatePodIdentityAssociation,
    /// The statement in the key policy of a key in another account.
    PutKeyPolicy,
}

/// One line of the plan: the AWS action (as IAM names it), what it acts on, and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PlanStep {
    pub id: StepId,
    pub action: String,
    pub target: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PlannedKey {
    New { alias: String, description: String },
    Existing { arn: String, alias: Option<String> },
}

/// Where the credentials go: `store` is the name the OS gives its keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct KeychainRef {
    pub service: String,
    pub account: String,
    pub store: String,
    /// Where the item is kept and whether it leaves this machine (e.g. Windows: Local persistence).
    pub note: String,
}

/// Everything that will happen, shown before anything happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Plan {
    pub identity: Identity,
    pub key: PlannedKey,
    pub user_name: String,
    pub policy_name: String,
    /// The exact document PutUserPolicy will send; for a new key the ARN is shown as a placeholder.
    pub policy_document: String,
    pub steps: Vec<PlanStep>,
    pub keychain: KeychainRef,
    /// What `credential-process` will hand out, recorded in the keychain item.
    pub credential_terms: CredentialTerms,
    /// The Security Hub findings the setup will have the moment it exists.
    pub findings: Vec<crate::model::findings::Finding>,
    /// For a key in another account: the statement its key policy gets, in that account.
    pub key_grant: Option<key_grant::KeyGrant>,
}

/// What a finished setup produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Outcome {
    pub key_arn: String,
    pub key_alias: Option<String>,
    pub region: String,
    pub user_arn: String,
    pub user_name: String,
    pub policy_name: String,
    pub access_key_id: String,
    pub keychain: KeychainRef,
    pub verified: bool,
    /// Things the admin should know although the setup works, e.g. that the local journal could
    /// not be written (the setups view and crash recovery then miss this run).
    pub warnings: Vec<String>,
}

/// Streamed while a plan is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum Progress {
    Started {
        step: StepId,
    },
    Finished {
        step: StepId,
        detail: String,
        elapsed_ms: u32,
    },
    /// Still working, for example waiting for IAM to make a new key live.
    Waiting {
        step: StepId,
        message: String,
    },
    Failed {
        step: StepId,
        message: String,
        elapsed_ms: u32,
    },
    RolledBack {
        step: StepId,
        message: String,
    },
    RollbackFailed {
        step: StepId,
        message: String,
    },
}

/// Receives progress events; the GUI forwards them over IPC, the CLI prints them.
pub trait ProgressSink: Send + Sync {
    fn emit(&self, event: Progress);
}

impl<F: Fn(Progress) + Send + Sync> ProgressSink for F {
    fn emit(&self, event: Progress) {
        self(event)
    }
}

/// A sink for callers that do not watch progress.
pub struct Quiet;

impl ProgressSink for Quiet {
    fn emit(&self, _event: Progress) {}
}
