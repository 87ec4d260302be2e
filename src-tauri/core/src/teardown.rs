//! Retiring a setup: the access keys, the keychain item, the policy, the user, and (when this app
//! made it) the alias and the key, whose deletion is scheduled so it can still be cancelled.

use crate::aws_error::{AwsFailure, AwsFailureKind};
use crate::connect::Connection;
use crate::credential_profile;
use crate::error::ProvisionError;
use crate::journal::{Journal, RunState};
use crate::keychain::{self, Vault};
use crate::ownership;
use serde::Serialize;
use std::sync::Arc;
use ts_rs::TS;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct TeardownReport {
    pub removed: Vec<String>,
    /// Things deliberately not touched (a key this app did not create) and why.
    pub kept: Vec<String>,
    pub failed: Vec<String>,
    /// When KMS will delete the key; it can be cancelled until then.
    pub key_deletion_date: Option<String>,
}

/// KMS's allowed waiting period for key deletion.
pub fn check_days(days: i32) -> Result<i32, ProvisionError> {
    if (7..=30).contains(&days) {
        Ok(days)
    } else {
        Err(ProvisionError::Input(crate::validate::InputError {
            field: crate::validate::Field::KeyDeletionDays,
            rule: format!("must be between 7 and 30 days (got {days})"),
        }))
    }
}

pub async fn teardown(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
    user: &str,
    key_deletion_days: i32,
) -> Result<TeardownReport, ProvisionError> {
    crate::validate::user_name(user)?;
    let days = check_days(key_deletion_days)?;
    ownership::our_user(connection, user).await?;
    let iam = connection.iam();
    let mut report = TeardownReport::default();
    let mut outcome = |what: String, result: Result<(), String>| match result {
        Ok(()) => report.removed.push(what),
        Err(reason) => report.failed.push(format!("{what}: {reason}")),
    };

    // Credentials stop working first, so nothing can use them while the rest is removed.
    let keys = iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:ListAccessKeys", &e))?;
    for key in keys.access_key_metadata() {
        let id = key.access_key_id().unwrap_or_default();
        let result = iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(id)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteAccessKey", &e))
            .map_err(explain);
        outcome(
            format!("access key {}", crate::mask_access_key_id(id)),
            result,
        );
    }

    let account = keychain::account_for(connection.account_id(), user);
    let keychain_vault = Arc::clone(&vault);
    let keychain_account = account.clone();
    let removed = tokio::task::spawn_blocking(move || keychain_vault.remove(&keychain_account))
        .await
        .map_err(|_| "the keychain call did not finish".to_string())
        .and_then(|r| r.map_err(|e| format!("{e}. {}", e.hint())));
    outcome(
        format!("keychain item {} / {account}", keychain::SERVICE),
        removed,
    );

    // The key the setup used: from its policy, which names exactly one key ARN.
    let mut key_arn = None;
    let policies = iam
        .list_user_policies()
        .user_name(user)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:ListUserPolicies", &e))?;
    for name in policies.policy_names() {
        if key_arn.is_none() {
            key_arn = policy_key_arn(&iam, user, name).await;
        }
        let result = iam
            .delete_user_policy()
            .user_name(user)
            .policy_name(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteUserPolicy", &e))
            .map_err(explain);
        outcome(format!("inline policy {name}"), result);
    }
    let result = iam
        .delete_user()
        .user_name(user)
        .send()
        .await
        .map(drop)
        .map_err(|e| AwsFailure::from_sdk("iam:DeleteUser", &e))
        .map_err(explain);
    outcome(format!("IAM user {user}"), result);

    let runs = journal.and_then(|j| j.runs().ok()).unwrap_or_default();
    let ours: Vec<_> = runs
        .iter()
        .filter(|r| r.keychain_account.as_deref() == Some(account.as_str()))
        .collect();
    if key_arn.is_none() {
        key_arn = ours.iter().find_map(|r| r.key_arn.clone());
    }
    if let Some(arn) = key_arn {
        retire_key(connection, &arn, days, &mut report).await;
    }
    for profile in ours.iter().flat_map(|r| r.aws_profiles.iter()) {
        match credential_profile::remove_profile(profile) {
            Ok(()) => report.removed.push(format!("AWS profile {profile}")),
            Err(e) => report.failed.push(format!("AWS profile {profile}: {e}")),
        }
    }
    if let Some(journal) = journal {
        let _ = journal.update(|runs| {
            for run in runs
                .iter_mut()
                .filter(|r| r.keychain_account.as_deref() == Some(account.as_str()))
            {
                run.state = RunState::TornDown;
            }
        });
    }
    Ok(report)
}

fn explain(failure: AwsFailure) -> String {
    format!("{failure}. {}", failure.hint())
}

/// Removes a role setup: its inline policies, its instance profiles, the role, and the key when
/// this app made it. Only a role carrying our tag is touched.
pub async fn teardown_role(
    connection: &Connection,
    journal: Option<&Journal>,
    role: &str,
    key_deletion_days: i32,
) -> Result<TeardownReport, ProvisionError> {
    crate::validate::role_name(role)?;
    let days = check_days(key_deletion_days)?;
    let iam = connection.iam();
    let tags = iam
        .list_role_tags()
        .role_name(role)
        .send()
        .await
        .map_err(|e| {
            let failure = AwsFailure::from_sdk("iam:ListRoleTags", &e);
            if failure.kind == AwsFailureKind::NotFound {
                ProvisionError::NotFound(format!("The IAM role {role} does not exist"))
            } else {
                failure.into()
            }
        })?;
    if !crate::tags::iam_is_ours(tags.tags()) {
        return Err(ProvisionError::NotOurs(format!("the IAM role {role}")));
    }
    let mut report = TeardownReport::default();
    let profiles = iam
        .list_instance_profiles_for_role()
        .role_name(role)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:ListInstanceProfilesForRole", &e))?;
    for profile in profiles.instance_profiles() {
        let name = profile.instance_profile_name();
        let item = crate::rollback::Created::InstanceProfile {
            name: name.to_string(),
            role: Some(role.to_string()),
        };
        let vault: Arc<dyn Vault> = Arc::new(crate::keychain::OsVault);
        match crate::rollback::undo(&item, connection, &vault).await {
            Ok(()) => report.removed.push(format!("instance profile {name}")),
            Err(reason) => report
                .failed
                .push(format!("instance profile {name}: {reason}")),
        }
    }
    let mut key_arn = None;
    let policies = iam
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:ListRolePolicies", &e))?;
    for name in policies.policy_names() {
        if key_arn.is_none() {
            if let Ok(reply) = iam
                .get_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await
            {
                key_arn = crate::policy::decode_document(reply.policy_document())
                    .and_then(|d| crate::policy::single_resource(&d));
            }
        }
        match iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
        {
            Ok(_) => report.removed.push(format!("inline policy {name}")),
            Err(e) => report.failed.push(format!(
                "inline policy {name}: {}",
                explain(AwsFailure::from_sdk("iam:DeleteRolePolicy", &e))
            )),
        }
    }
    match iam.delete_role().role_name(role).send().await {
        Ok(_) => report.removed.push(format!("IAM role {role}")),
        Err(e) => report.failed.push(format!(
            "IAM role {role}: {}",
            explain(AwsFailure::from_sdk("iam:DeleteRole", &e))
        )),
    }
    if let Some(arn) = key_arn {
        retire_key(connection, &arn, days, &mut report).await;
    }
    if let Some(journal) = journal {
        let _ = journal.update(|runs| {
            for run in runs.iter_mut().filter(|r| {
                r.principal_kind == crate::journal::PrincipalKind::Role
                    && r.principal_name == role
                    && r.account_id == connection.account_id()
            }) {
                run.state = RunState::TornDown;
            }
        });
    }
    Ok(report)
}

async fn policy_key_arn(iam: &aws_sdk_iam::Client, user: &str, name: &str) -> Option<String> {
    let reply = iam
        .get_user_policy()
        .user_name(user)
        .policy_name(name)
        .send()
        .await
        .ok()?;
    let document = crate::policy::decode_document(reply.policy_document())?;
    crate::policy::single_resource(&document)
}

/// Removes the key's aliases and schedules its deletion, only when this app made the key.
async fn retire_key(connection: &Connection, arn: &str, days: i32, report: &mut TeardownReport) {
    let kms = connection.kms();
    match ownership::key_is_ours(connection, arn).await {
        Ok(true) => {}
        Ok(false) => {
            report
                .kept
                .push(format!("KMS key {arn}: this app did not create it"));
            return;
        }
        Err(e) => {
            report.failed.push(format!("KMS key {arn}: {e}"));
            return;
        }
    }
    let key_id = arn.rsplit('/').next().unwrap_or(arn);
    if let Ok(aliases) = kms.list_aliases().key_id(key_id).send().await {
        for alias in aliases.aliases().iter().filter_map(|a| a.alias_name()) {
            match kms.delete_alias().alias_name(alias).send().await {
                Ok(_) => report.removed.push(format!("alias {alias}")),
                Err(e) => report.failed.push(format!(
                    "alias {alias}: {}",
                    AwsFailure::from_sdk("kms:DeleteAlias", &e)
                )),
            }
        }
    }
    // The bare key id: AWS takes either form, some emulators only this one.
    match kms
        .schedule_key_deletion()
        .key_id(key_id)
        .pending_window_in_days(days)
        .send()
        .await
    {
        Ok(reply) => {
            let date = reply.deletion_date().map(|d| d.to_string());
            report.removed.push(format!(
                "KMS key {arn}: deletion scheduled in {days} days (cancel it with kms:CancelKeyDeletion until then)"
            ));
            report.key_deletion_date = date;
        }
        Err(e) => {
            let failure = AwsFailure::from_sdk("kms:ScheduleKeyDeletion", &e);
            if failure.kind == AwsFailureKind::NotFound {
                report.removed.push(format!("KMS key {arn} (already gone)"));
            } else {
                report.failed.push(format!("KMS key {arn}: {failure}"));
            }
        }
    }
}
