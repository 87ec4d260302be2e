//! What a run has made so far, each entry recorded the moment AWS (or the keychain) confirmed
//! it: the journal keeps the list across crashes, rollback and recovery undo it in reverse.

use crate::model::StepId;

/// The keychain item's service attribute (every setup's item carries it).
pub const KEYCHAIN_SERVICE: &str = "csfle-provisioner";

/// The shortest waiting period KMS allows before deleting a key: the longest chance to undo.
pub const KEY_DELETION_DAYS: i32 = 7;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
pub enum Created {
    Key {
        key_id: String,
        arn: String,
    },
    Alias(String),
    User(String),
    Policy {
        user: String,
        name: String,
    },
    AccessKey {
        user: String,
        id: String,
    },
    KeychainItem(String),
    Role(String),
    RolePolicy {
        role: String,
        name: String,
    },
    InstanceProfile {
        name: String,
        role: Option<String>,
    },
    /// An IAM OIDC provider this run made because the account had none for the issuer.
    OidcProvider {
        arn: String,
    },
    /// An EKS Pod Identity association binding a service account to the run's role.
    PodIdentityAssociation {
        cluster: String,
        id: String,
    },
    /// The statement this run added to the key policy of a key in another account.
    KeyPolicyStatement {
        key_arn: String,
        sid: String,
        principal_arn: String,
    },
}

impl Created {
    pub fn step(&self) -> StepId {
        match self {
            Created::Key { .. } => StepId::CreateKey,
            Created::Alias(_) => StepId::CreateAlias,
            Created::User(_) => StepId::CreateUser,
            Created::Policy { .. } => StepId::PutUserPolicy,
            Created::AccessKey { .. } => StepId::CreateAccessKey,
            Created::KeychainItem(_) => StepId::StoreInKeychain,
            Created::Role(_) => StepId::CreateRole,
            Created::RolePolicy { .. } => StepId::PutRolePolicy,
            Created::InstanceProfile { .. } => StepId::CreateInstanceProfile,
            Created::OidcProvider { .. } => StepId::CreateOidcProvider,
            Created::PodIdentityAssociation { .. } => StepId::CreatePodIdentityAssociation,
            Created::KeyPolicyStatement { .. } => StepId::PutKeyPolicy,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Created::Key { arn, .. } => format!("KMS key {arn} (scheduled for deletion in {KEY_DELETION_DAYS} days; cancellable until then)"),
            Created::Alias(alias) => format!("alias {alias}"),
            Created::User(user) => format!("IAM user {user}"),
            Created::Policy { user, name } => format!("inline policy {name} of {user}"),
            Created::AccessKey { user, id } => format!("access key {} of {user}", crate::mask_access_key_id(id)),
            Created::KeychainItem(account) => format!("keychain item {} / {account}", KEYCHAIN_SERVICE),
            Created::Role(role) => format!("IAM role {role}"),
            Created::RolePolicy { role, name } => format!("inline policy {name} of role {role}"),
            Created::InstanceProfile { name, .. } => format!("instance profile {name}"),
            Created::OidcProvider { arn } => format!("OIDC provider {arn}"),
            Created::PodIdentityAssociation { cluster, id } => {
                format!("Pod Identity association {id} in {cluster}")
            }
            Created::KeyPolicyStatement { key_arn, sid, .. } => {
                format!("statement {sid} in the key policy of {key_arn}")
            }
        }
    }
}
