//! Whether a master key may be scheduled for deletion. Deleting a key destroys every piece of data
//! encrypted under it, so the answer is "no" unless this app created the key for exactly this setup
//! (tags, and KMS's unchangeable creation time inside the setup's own run) and no other setup,
//! unfinished run or principal this app knows of uses it. When the check itself
//! cannot be completed, the answer is also "no".

use crate::aws::connect::Connection;
use crate::aws::tags;
use crate::error::ProvisionError;
use crate::local::journal::{Journal, RunState};
use crate::local::keychain::Vault;
use crate::model::created::Created;
use crate::model::ownership::{key_made_for_principal, made_during_run, SAME_RUN_WINDOW_SECONDS};
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

/// The setup asking to delete its key.
#[derive(Debug, Clone, Copy)]
pub struct Setup<'a> {
    pub kind: PrincipalKind,
    pub name: &'a str,
    /// IAM's `CreateDate` of its user or role (unix seconds); `None` once it is gone, when the
    /// journal's record of the run that made the key is the only evidence.
    pub created_at: Option<i64>,
}

/// Checks `key_arn` for deletion on behalf of `setup`.
pub async fn judge(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
    setup: Setup<'_>,
    key_arn: &str,
) -> KeyVerdict {
    let Setup { kind, name, .. } = setup;
    let refuse = |reason: String, used_by: Vec<String>| KeyVerdict {
        key_arn: key_arn.to_string(),
        deletable: false,
        used_by,
        reason,
    };
    match made_for(connection, journal, setup, key_arn).await {
        Ok(Made::ForThisSetup) => {}
        Ok(Made::NotByApp) => {
            return refuse(
                format!("This app did not create this key for {name}, so it is kept."),
                vec![],
            )
        }
        Ok(Made::BeforeTheSetup) => {
            return refuse(
                format!(
                    "KMS says this key was made at another time than {name}, not by the run \
                     that made the setup: it is someone else's, or older, whatever its tags say, \
                     so it is kept."
                ),
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

enum Made {
    ForThisSetup,
    /// Tags and journal do not say this app made it for this setup.
    NotByApp,
    /// Tags may say so, but KMS's own creation time says the key is not the setup's run's.
    BeforeTheSetup,
}

/// Whether the key is this setup's own: it carries this app's tag, was made for this principal
/// (its service-account tag names it, or a journal run for it recorded creating the key), and
/// KMS's `CreationDate`, which nobody can change, falls in the run that made the setup.
async fn made_for(
    connection: &Connection,
    journal: Option<&Journal>,
    setup: Setup<'_>,
    key_arn: &str,
) -> Result<Made, ProvisionError> {
    let kms_client = connection.kms_for_key(key_arn);
    let key_tags = crate::aws::kms::tags_of(&kms_client, key_arn).await?;
    if !tags::kms_is_ours(&key_tags) {
        return Ok(Made::NotByApp);
    }
    let tagged_for_this = key_tags
        .iter()
        .any(|t| t.tag_key() == tags::SERVICE_ACCOUNT_KEY && t.tag_value() == setup.name);
    let runs_that_made_it: Vec<_> = journal
        .and_then(|j| j.runs().ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.principal_kind == setup.kind && r.principal_name == setup.name)
        .filter(|r| {
            r.created
                .iter()
                .any(|c| matches!(c, Created::Key { arn, .. } if arn == key_arn))
        })
        .collect();
    if !tagged_for_this && runs_that_made_it.is_empty() {
        return Ok(Made::NotByApp);
    }
    let Some(key_created_at) = crate::aws::kms::describe_key(&kms_client, key_arn)
        .await?
        .and_then(|m| m.creation_date().map(|d| d.secs()))
    else {
        return Ok(Made::BeforeTheSetup);
    };
    let in_run = match setup.created_at {
        Some(principal_created_at) => key_made_for_principal(key_created_at, principal_created_at),
        None => runs_that_made_it.iter().any(|run| {
            let started = i64::try_from(run.started_at).unwrap_or(i64::MAX);
            made_during_run(key_created_at, started, started + SAME_RUN_WINDOW_SECONDS)
        }),
    };
    Ok(if in_run {
        Made::ForThisSetup
    } else {
        Made::BeforeTheSetup
    })
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
