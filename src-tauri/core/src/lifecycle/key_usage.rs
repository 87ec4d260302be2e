//! Whether a master key may be scheduled for deletion. Deleting a key destroys every piece of data
//! encrypted under it, so the answer is "no" unless this app created the key for exactly this setup
//! and no other setup, unfinished run or principal this app knows of uses it. When the check itself
//! cannot be completed, the answer is also "no".

use crate::aws::connect::Connection;
use crate::aws::tags;
use crate::error::ProvisionError;
use crate::local::journal::{Journal, RunState};
use crate::local::keychain::Vault;
use crate::model::created::Created;
use crate::model::principal::PrincipalKind;
use serde::Serialize;
use std::sync::Arc;
use ts_rs::TS;

/// The verdict on one key, with the reason in words an admin can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct KeyVerdict {
    pub key_arn: String,
    pub deletable: bool,
    /// Other setups or runs that use the key; any entry blocks deletion.
    pub used_by: Vec<String>,
    pub reason: String,
}

/// Checks `key_arn` for deletion on behalf of the setup `(kind, name)`.
pub async fn judge(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
    kind: PrincipalKind,
    name: &str,
    key_arn: &str,
) -> KeyVerdict {
    let refuse = |reason: String, used_by: Vec<String>| KeyVerdict {
        key_arn: key_arn.to_string(),
        deletable: false,
        used_by,
        reason,
    };
    match made_for(connection, journal, kind, name, key_arn).await {
        Ok(true) => {}
        Ok(false) => {
            return refuse(
                format!("This app did not create this key for {name}, so it is kept."),
                vec![],
            )
        }
        Err(e) => {
            return refuse(
                format!(
                    "Whether this app created the key could not be checked ({e}), so it is kept."
                ),
                vec![],
            )
        }
    }
    match users_besides(connection, vault, journal, kind, name, key_arn).await {
        Ok(used_by) if used_by.is_empty() => KeyVerdict {
            key_arn: key_arn.to_string(),
            deletable: true,
            used_by,
            reason: "No other setup of this app and no unfinished run uses it, but applications \
                     this app does not know of might. Data encrypted with this key can never be \
                     read again once KMS deletes it. The deletion waits the chosen number of days \
                     and can be cancelled until then."
                .into(),
        },
        Ok(used_by) => refuse(
            format!(
                "The key is still used by {}; it is kept. Tear those down first, or keep the key.",
                used_by.join(", ")
            ),
            used_by,
        ),
        Err(e) => refuse(
            format!("Who else uses the key could not be checked ({e}), so it is kept."),
            vec![],
        ),
    }
}

/// True when the key carries this app's tag and was made for this principal: its
/// service-account tag names it, or a journal run for it recorded creating the key.
async fn made_for(
    connection: &Connection,
    journal: Option<&Journal>,
    kind: PrincipalKind,
    name: &str,
    key_arn: &str,
) -> Result<bool, ProvisionError> {
    let key_tags = crate::aws::kms::tags_of(&connection.kms_for_key(key_arn), key_arn).await?;
    if !tags::kms_is_ours(&key_tags) {
        return Ok(false);
    }
    let tagged_for_this = key_tags
        .iter()
        .any(|t| t.tag_key() == tags::SERVICE_ACCOUNT_KEY && t.tag_value() == name);
    let journaled_for_this = journal
        .and_then(|j| j.runs().ok())
        .unwrap_or_default()
        .iter()
        .filter(|r| r.principal_kind == kind && r.principal_name == name)
        .flat_map(|r| r.created.iter())
        .any(|c| matches!(c, Created::Key { arn, .. } if arn == key_arn));
    Ok(tagged_for_this || journaled_for_this)
}

/// Every other setup (found the way the setups view finds them) and every unfinished run that
/// names the key.
async fn users_besides(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
    kind: PrincipalKind,
    name: &str,
    key_arn: &str,
) -> Result<Vec<String>, ProvisionError> {
    let is_self = |k: PrincipalKind, n: &str| k == kind && n == name;
    let describe = |k: PrincipalKind, n: &str| match k {
        PrincipalKind::User => format!("the setup of IAM user {n}"),
        PrincipalKind::Role => format!("the setup of IAM role {n}"),
    };
    let mut used_by: Vec<String> = crate::lifecycle::setups::list(connection, vault, journal)
        .await?
        .into_iter()
        .filter(|s| s.key_arn.as_deref() == Some(key_arn) && !is_self(s.kind, &s.name))
        .map(|s| describe(s.kind, &s.name))
        .collect();
    let runs = match journal {
        Some(journal) => journal
            .runs()
            .map_err(|e| ProvisionError::Journal(e.to_string()))?,
        None => vec![],
    };
    for run in runs.iter().filter(|r| {
        r.state == RunState::InProgress
            && r.key_arn.as_deref() == Some(key_arn)
            && !is_self(r.principal_kind, &r.principal_name)
    }) {
        let entry = format!("an unfinished run for {}", run.principal_name);
        if !used_by.contains(&entry) {
            used_by.push(entry);
        }
    }
    used_by.sort();
    used_by.dedup();
    Ok(used_by)
}
