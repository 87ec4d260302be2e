//! Retiring a setup: the access keys, the keychain item, the policy, the user, and (when this app
//! made it) the alias and the key, whose deletion is scheduled so it can still be cancelled.

use crate::aws_error::{AwsFailure, AwsFailureKind};
use crate::connect::Connection;
use crate::credential_profile;
use crate::error::ProvisionError;
use crate::journal::{Journal, RunState};
use crate::keychain::{self, Vault};
use crate::ownership;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
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

impl TeardownReport {
    /// Files one AWS call's result under removed or failed (with what to do about it).
    fn record<T, E>(
        &mut self,
        what: String,
        action: &'static str,
        result: Result<T, SdkError<E, HttpResponse>>,
    ) where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match result {
            Ok(_) => self.removed.push(what),
            Err(e) => self.failed.push(format!(
                "{what}: {}",
                explain(AwsFailure::from_sdk(action, &e))
            )),
        }
    }
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
    let account = keychain::account_for(connection.account_id(), user);
    let runs = journal.and_then(|j| j.runs().ok()).unwrap_or_default();
    let ours: Vec<_> = runs
        .iter()
        .filter(|r| {
            r.keychain_account.as_deref() == Some(account.as_str()) && r.state != RunState::TornDown
        })
        .collect();
    // A user that is already gone (an earlier teardown got that far) still leaves its key, alias,
    // keychain item and profiles to finish, known from the journal.
    let user_exists = match ownership::our_user(connection, user).await {
        Ok(_) => true,
        Err(ProvisionError::NotFound(_)) if !ours.is_empty() => false,
        Err(error) => return Err(error),
    };
    let mut report = TeardownReport::default();
    let mut key_arn = None;
    if user_exists {
        key_arn = remove_user(connection, &vault, user, &account, &mut report).await?;
    } else {
        remove_keychain_item(&vault, &account, &mut report).await;
    }
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
    // A partial teardown stays visible in the setups view until a later run finishes it.
    if let (Some(journal), true) = (journal, report.failed.is_empty()) {
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

async fn remove_keychain_item(vault: &Arc<dyn Vault>, account: &str, report: &mut TeardownReport) {
    let keychain_account = account.to_string();
    let removed = keychain::off_thread(vault, move |vault| vault.remove(&keychain_account))
        .await
        .map_err(|e| format!("{e}. {}", e.hint()));
    let what = format!("keychain item {} / {account}", keychain::SERVICE);
    match removed {
        Ok(()) => report.removed.push(what),
        Err(reason) => report.failed.push(format!("{what}: {reason}")),
    }
}

/// Access keys (first, so nothing can use them meanwhile), keychain item, inline policies, user.
/// Returns the key ARN the user's policy named.
async fn remove_user(
    connection: &Connection,
    vault: &Arc<dyn Vault>,
    user: &str,
    account: &str,
    report: &mut TeardownReport,
) -> Result<Option<String>, ProvisionError> {
    let iam = connection.iam();
    for id in ownership::access_key_ids(connection, user).await? {
        report.record(
            format!("access key {}", crate::mask_access_key_id(&id)),
            "iam:DeleteAccessKey",
            iam.delete_access_key()
                .user_name(user)
                .access_key_id(&id)
                .send()
                .await,
        );
    }
    remove_keychain_item(vault, account, report).await;
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
        report.record(
            format!("inline policy {name}"),
            "iam:DeleteUserPolicy",
            iam.delete_user_policy()
                .user_name(user)
                .policy_name(name)
                .send()
                .await,
        );
    }
    report.record(
        format!("IAM user {user}"),
        "iam:DeleteUser",
        iam.delete_user().user_name(user).send().await,
    );
    Ok(key_arn)
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
        report.record(
            format!("inline policy {name}"),
            "iam:DeleteRolePolicy",
            iam.delete_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await,
        );
    }
    report.record(
        format!("IAM role {role}"),
        "iam:DeleteRole",
        iam.delete_role().role_name(role).send().await,
    );
    if let Some(arn) = key_arn {
        retire_key(connection, &arn, days, &mut report).await;
    }
    if let (Some(journal), true) = (journal, report.failed.is_empty()) {
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

fn explain(failure: AwsFailure) -> String {
    format!("{failure}. {}", failure.hint())
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
    // The aliases go first: a key scheduled for deletion with a name still pointing at it would
    // look usable. If they cannot be listed, the key is left for the next teardown run.
    let aliases = match kms.list_aliases().key_id(key_id).send().await {
        Ok(reply) => reply,
        Err(e) => {
            let failure = AwsFailure::from_sdk("kms:ListAliases", &e);
            report
                .failed
                .push(format!("aliases of KMS key {arn}: {}", explain(failure)));
            return;
        }
    };
    let mut aliases_left = false;
    for alias in aliases.aliases().iter().filter_map(|a| a.alias_name()) {
        match kms.delete_alias().alias_name(alias).send().await {
            Ok(_) => report.removed.push(format!("alias {alias}")),
            Err(e) => {
                aliases_left = true;
                report.failed.push(format!(
                    "alias {alias}: {}",
                    explain(AwsFailure::from_sdk("kms:DeleteAlias", &e))
                ));
            }
        }
    }
    if aliases_left {
        return;
    }
    let pending = kms
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .ok()
        .and_then(|d| d.key_metadata().and_then(|m| m.key_state()).cloned());
    if pending == Some(aws_sdk_kms::types::KeyState::PendingDeletion) {
        report
            .removed
            .push(format!("KMS key {arn} (deletion was already scheduled)"));
        return;
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
