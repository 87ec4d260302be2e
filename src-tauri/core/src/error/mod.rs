//! Every way provisioning can fail, each with a stable code and a next step for the admin.

pub mod aws;
pub mod keychain;
pub mod push;
pub mod sealed;

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
    Sealed(#[from] crate::error::sealed::SealError),
    #[error("{0}")]
    Delivery(String),
    #[error(transparent)]
    Push(#[from] crate::error::push::PushError),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NotOurs(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Console(String),
    #[error("The key policy of {key} does not let IAM policies grant access to it, so the setup's policy would be refused for ever. The statement that fixes it:\n{statement}")]
    KeyPolicyBlocksIam { key: String, statement: String },
    /// A key in another account than the workload's: what is wrong and what to do, in words
    /// that name both accounts.
    #[error("{message}")]
    CrossAccount { message: String, hint: String },
    /// The key policy changed between this app's read and its write.
    #[error("The key policy of {0} changed while this app was editing it (someone else wrote it meanwhile), so this app did not write it")]
    KeyPolicyRace(String),
    #[error("The master key {key} is kept: {reason}")]
    KeyKept { key: String, reason: String },
    #[error("The master key of {name} is now {found}, not the key you approved for deletion ({approved}); nothing was changed")]
    KeyNotApproved {
        name: String,
        approved: String,
        found: String,
    },
    #[error("{user} already has two access keys, AWS's limit{detail}")]
    KeyLimit {
        user: String,
        detail: String,
        inactive: Option<String>,
    },
    /// `{0}` names it: "IAM role web-app", "instance profile web-app".
    #[error("The {0} already exists")]
    RoleExists(String),
    // What a front end asked out of turn, or the admin did not confirm: the session's own checks.
    #[error("Not connected to AWS yet")]
    NotConnected,
    #[error("There is no reviewed plan to apply")]
    NoPlan,
    #[error("There is no finished setup to verify")]
    NoSetup,
    #[error("{0}")]
    NotConfirmed(Unconfirmed),
    #[error("That interrupted setup is no longer waiting")]
    RunGone,
    #[error("Some of what the interrupted setup of {principal} made could not be removed")]
    CleanupIncomplete { principal: String },
    #[error("{parts} part(s) of the setup could not be removed")]
    TeardownIncomplete { parts: usize },
    #[error("Name exactly one setup: --user NAME or --role NAME")]
    NoSetupNamed,
    #[error("AWS account id: must be 12 digits (got {0:?})")]
    AccountId(String),
    // The programs around the engine: the CLI beside the app, its own path, its output.
    #[error("csfle-provisioner-cli is not installed next to the app")]
    CliMissing,
    #[error("could not find this program's own path: {0}")]
    OwnPath(String),
    #[error("credential-process prints the secret access key, so it does not write to a terminal")]
    TerminalRefused,
    #[error("could not write the credentials: {0}")]
    CredentialsUnwritten(String),
    #[error("could not format the result: {0}")]
    Unformattable(String),
    // What credential-process may hand out, and where this computer keeps things (issue 16).
    #[error("The setup of {user} was not provisioned with --allow-long-lived, so credential-process hands out session credentials only; the stored key was not printed")]
    LongLivedRefused { user: String },
    #[error("Session credentials of {asked} s were asked for; the setup of {user} allows at most {max} s")]
    SessionTooLong { user: String, asked: i32, max: i32 },
    #[error("{path} looks like a temporary location ({reason}); an AWS profile naming it would stop working when it goes")]
    TransientCliPath { path: String, reason: String },
    #[error("{0} is a symbolic link; the backup is not written through it")]
    BackupIsLink(String),
}

/// What the admin did not confirm; each front end asks in its own way (a typed name, --yes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unconfirmed {
    /// The app's typed confirmation did not repeat the setup's name.
    TypedName { name: String },
    /// The CLI's teardown without --yes: it printed what would be removed instead.
    Teardown { name: String },
    /// The CLI's fix-key-policy without --yes: it printed the statement instead.
    KeyPolicy,
    /// A key deletion asked for without naming the key the admin approved.
    KeyArn,
    /// The CLI's recover --clean-up without --yes: it printed what would be removed instead.
    CleanUp,
}

impl std::fmt::Display for Unconfirmed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unconfirmed::TypedName { .. } => write!(f, "The confirmation does not match the name"),
            Unconfirmed::Teardown { name } => write!(
                f,
                "Tearing down {name} deletes its credentials, policy and principal"
            ),
            Unconfirmed::KeyPolicy => write!(f, "The key policy was not changed"),
            Unconfirmed::CleanUp => write!(f, "Nothing of the interrupted setups was removed"),
            Unconfirmed::KeyArn => write!(
                f,
                "Deleting the master key needs the key you approved, by its ARN"
            ),
        }
    }
}

impl Unconfirmed {
    fn hint(&self) -> String {
        match self {
            Unconfirmed::TypedName { name } => {
                format!("Type {name} exactly to confirm. Nothing was changed.")
            }
            Unconfirmed::Teardown { .. } => "Add --yes to confirm. Nothing was changed.".into(),
            Unconfirmed::KeyPolicy => {
                "Add --yes to add the statement (it needs kms:PutKeyPolicy).".into()
            }
            Unconfirmed::CleanUp => "Add --yes to remove what is listed. Nothing was changed.".into(),
            Unconfirmed::KeyArn => "Run teardown without --yes to see the key, then add --key-arn with its ARN. Nothing was changed.".into(),
        }
    }
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
            ProvisionError::KeyNotApproved { .. } => "key-not-approved",
            ProvisionError::Sealed(_) => "sealed-file",
            ProvisionError::Delivery(_) => "delivery-failed",
            ProvisionError::Push(p) => p.code(),
            ProvisionError::KeyPolicyBlocksIam { .. } => "key-policy-blocks-iam",
            ProvisionError::CrossAccount { .. } => "cross-account-key",
            ProvisionError::KeyPolicyRace(_) => "key-policy-changed-meanwhile",
            ProvisionError::Unsupported(_) => "unsupported",
            ProvisionError::Console(_) => "no-console-link",
            ProvisionError::RoleExists(_) => "role-exists",
            ProvisionError::NotConnected => "not-connected",
            ProvisionError::NoPlan => "no-plan",
            ProvisionError::NoSetup => "no-setup",
            ProvisionError::NotConfirmed(_) => "not-confirmed",
            ProvisionError::RunGone => "not-found",
            ProvisionError::CleanupIncomplete { .. } => "cleanup-incomplete",
            ProvisionError::TeardownIncomplete { .. } => "teardown-incomplete",
            ProvisionError::NoSetupNamed | ProvisionError::AccountId(_) => "invalid-input",
            ProvisionError::CliMissing => "cli-missing",
            ProvisionError::OwnPath(_) => "internal",
            ProvisionError::TerminalRefused => "terminal-refused",
            ProvisionError::CredentialsUnwritten(_) | ProvisionError::Unformattable(_) => {
                "output-failed"
            }
            ProvisionError::LongLivedRefused { .. } => "long-lived-not-allowed",
            ProvisionError::SessionTooLong { .. } => "session-duration-above-cap",
            ProvisionError::TransientCliPath { .. } => "cli-path-transient",
            ProvisionError::BackupIsLink(_) => "aws-config-backup-link",
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
            ProvisionError::NotOurs(_) => "This app changes only what it can prove it made: its tags, its own inline policy and its IAM path must all agree, because anyone allowed to tag can copy a tag. Manage this one in the AWS console.".into(),
            ProvisionError::Unsupported(_) => "Clean it up instead (nothing it made is kept), then start the setup again.".into(),
            ProvisionError::Console(_) => "Copy the ARN with the Copy button beside it and find it in the AWS console (https://console.aws.amazon.com/) yourself.".into(),
            ProvisionError::KeyPolicyBlocksIam { key, .. } => format!("Nothing was changed. Add the statement to the key policy (the app can: \"Let IAM policies use this key\", or csfle-provisioner-cli fix-key-policy --key {key}; it needs kms:PutKeyPolicy), ask the key's owner to, or choose another key."),
            ProvisionError::CrossAccount { hint, .. } => hint.clone(),
            ProvisionError::KeyPolicyRace(_) => "Nothing of the other admin's change was overwritten. Try again in a moment; if it keeps happening, ask who else edits this key's policy.".into(),
            ProvisionError::Sealed(crate::error::sealed::SealError::Recipient(_)) => "On the target computer run `csfle-provisioner-cli receive` and paste the age1… line it prints. Nothing was read or written.".into(),
            ProvisionError::Sealed(_) => "Seal the file again to this computer's recipient (`csfle-provisioner-cli receive` prints it here), or import it on the computer it was sealed to. Nothing was stored.".into(),
            ProvisionError::Push(p) => p.hint(),
            ProvisionError::Delivery(_) => "Nothing was written. Choose another file name or folder and try again.".into(),
            ProvisionError::KeyNotApproved { .. } => "Someone changed the setup since you looked. Open the teardown again, check which key it names, and approve that one (or keep the key).".into(),
            ProvisionError::KeyKept { .. } => "Nothing was changed. Tear the setup down without deleting the key (the key costs little and keeps your data readable), or first tear down the other setups that use it.".into(),
            ProvisionError::KeyLimit { inactive: Some(_), .. } => "Delete the inactive key first (the app can do it: choose \"Delete the inactive key\", or pass --delete-inactive-key), then rotate.".into(),
            ProvisionError::KeyLimit { inactive: None, .. } => "Both keys are active and one of them is not the one in the keychain. Find out which application uses it, deactivate it in the AWS console, then rotate again.".into(),
            ProvisionError::RoleExists(_) => "Choose another role name. This app never reuses a role or instance profile it did not make, so it left that one as it was.".into(),
            ProvisionError::NotConnected => "Go back to the first step and check the connection.".into(),
            ProvisionError::NoPlan => "Go back to Review and confirm the plan again.".into(),
            ProvisionError::NoSetup => "Finish a setup first.".into(),
            ProvisionError::NotConfirmed(what) => what.hint(),
            ProvisionError::RunGone => "Reload the list of setups.".into(),
            ProvisionError::CleanupIncomplete { .. } => "See the lines above; fix the cause (often a missing permission) and clean up again (recover --clean-up, or Clean up in the app).".into(),
            ProvisionError::TeardownIncomplete { .. } => "See the lines marked FAILED; fix the cause (often a missing permission) and run teardown again.".into(),
            ProvisionError::NoSetupNamed => "csfle-provisioner-cli list shows the setups. Nothing was changed.".into(),
            ProvisionError::AccountId(_) => "Correct the account id and try again.".into(),
            ProvisionError::CliMissing => "Install the command-line program with the app, then try again.".into(),
            ProvisionError::OwnPath(_) => "Run csfle-provisioner-cli by its full path.".into(),
            ProvisionError::TerminalRefused => "Use it through an AWS profile (csfle-provisioner-cli aws-profile), where the AWS SDK reads it.".into(),
            ProvisionError::CredentialsUnwritten(_) => "The AWS SDK that ran this command stopped reading; try again.".into(),
            ProvisionError::Unformattable(_) => "Run again without --json.".into(),
            ProvisionError::LongLivedRefused { .. } => "Drop --long-lived: AWS SDKs and MongoDB drivers accept session credentials. Only a tool that cannot use a session token needs the stored key; for it, provision a setup with --allow-long-lived.".into(),
            ProvisionError::SessionTooLong { max, .. } => format!("Ask for at most {max} seconds, or leave --duration-seconds out (one hour, or the cap if it is shorter). The cap is chosen when provisioning (--max-session-seconds, 900–43200)."),
            ProvisionError::TransientCliPath { .. } => "Install the app (or the command-line program) in a permanent place, e.g. move it to Applications on macOS, then add the profile again. The AWS config file was not changed.".into(),
            ProvisionError::BackupIsLink(_) => "Remove or rename that link (nobody but you should be able to make links in ~/.aws), then try again. The AWS config file was not changed.".into(),
        }
    }

    /// The report a front end shows, with what rollback did when there was one.
    pub fn report(&self, rollback: Option<RollbackReport>) -> ErrorReport {
        ErrorReport {
            code: self.code().to_string(),
            message: self.to_string(),
            hint: self.hint(),
            rollback: rollback.map(Box::new),
        }
    }
}

/// What rollback undid and what it could not: the admin must know about every leftover.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct RollbackReport {
    pub undone: Vec<String>,
    pub left_behind: Vec<String>,
    /// Named by the journal but not shown by AWS as made by the run: not touched, not counted
    /// as left behind.
    pub left_alone: Vec<String>,
}

/// The error shape every front end shows: `{code, message, hint}`, plus rollback when relevant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ErrorReport {
    pub code: String,
    pub message: String,
    pub hint: String,
    /// Boxed: most errors have none, and every `Result` carrying an `ErrorReport` stays small.
    pub rollback: Option<Box<RollbackReport>>,
}
