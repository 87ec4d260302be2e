//! The setups view: every setup this app made in the account, found from AWS by our tags and from
//! the local journal, with the health of each part.

use crate::aws_error::AwsFailure;
use crate::connect::Connection;
use crate::error::ProvisionError;
use crate::journal::{Journal, PrincipalKind, RunState};
use crate::keychain::{self, Vault};
use crate::{policy, tags};
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;
use ts_rs::TS;

/// Users are checked for our tag up to this many; larger accounts still list journal entries.
const MAX_USERS_SCANNED: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyHealth {
    LeastPrivilege,
    Drifted,
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AccessKeyInfo {
    pub access_key_id: String,
    pub status: String,
    pub age_days: Option<u32>,
    pub last_used: Option<String>,
    pub in_keychain: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SetupSummary {
    pub kind: PrincipalKind,
    /// The IAM user or role name.
    pub name: String,
    pub principal_arn: Option<String>,
    pub key_arn: Option<String>,
    pub key_aliases: Vec<String>,
    pub key_state: Option<String>,
    pub key_created_by_app: bool,
    pub policy_name: Option<String>,
    pub policy: PolicyHealth,
    pub access_keys: Vec<AccessKeyInfo>,
    /// Empty for a role: it has no access key to store.
    pub keychain_account: String,
    pub keychain_present: bool,
    pub journal_state: Option<RunState>,
}

pub async fn list(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
) -> Result<Vec<SetupSummary>, ProvisionError> {
    let runs: Vec<_> = journal
        .and_then(|j| j.runs().ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r.account_id == connection.account_id()
                && r.state != RunState::RolledBack
                && r.state != RunState::TornDown
        })
        .collect();
    let named = |kind: PrincipalKind| -> BTreeSet<String> {
        runs.iter()
            .filter(|r| r.principal_kind == kind)
            .map(|r| r.principal_name.clone())
            .collect()
    };
    let mut users = named(PrincipalKind::User);
    users.extend(tagged_users(connection).await?);
    let mut roles = named(PrincipalKind::Role);
    roles.extend(tagged_roles(connection).await?);
    let state_of = |kind: PrincipalKind, name: &str| {
        runs.iter()
            .rev()
            .find(|r| r.principal_kind == kind && r.principal_name == name)
            .map(|r| r.state)
    };
    let mut setups = Vec::new();
    for name in users {
        let state = state_of(PrincipalKind::User, &name);
        setups.push(describe(connection, Arc::clone(&vault), &name, state).await?);
    }
    for name in roles {
        let state = state_of(PrincipalKind::Role, &name);
        setups.push(describe_role(connection, &name, state).await);
    }
    Ok(setups)
}

async fn tagged_users(connection: &Connection) -> Result<Vec<String>, ProvisionError> {
    let iam = connection.iam();
    let mut users = Vec::new();
    let mut pages = iam.list_users().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsFailure::from_sdk("iam:ListUsers", &e))?;
        users.extend(page.users().iter().map(|u| u.user_name().to_string()));
        if users.len() >= MAX_USERS_SCANNED {
            users.truncate(MAX_USERS_SCANNED);
            break;
        }
    }
    let checked: Vec<Option<String>> = futures_util::stream::iter(users.into_iter().map(|user| {
        let iam = iam.clone();
        async move {
            let reply = iam.list_user_tags().user_name(&user).send().await.ok()?;
            tags::iam_is_ours(reply.tags()).then_some(user)
        }
    }))
    .buffered(10)
    .collect()
    .await;
    Ok(checked.into_iter().flatten().collect())
}

async fn tagged_roles(connection: &Connection) -> Result<Vec<String>, ProvisionError> {
    let iam = connection.iam();
    let mut roles = Vec::new();
    let mut pages = iam.list_roles().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsFailure::from_sdk("iam:ListRoles", &e))?;
        roles.extend(page.roles().iter().map(|r| r.role_name().to_string()));
        if roles.len() >= MAX_USERS_SCANNED {
            roles.truncate(MAX_USERS_SCANNED);
            break;
        }
    }
    let checked: Vec<Option<String>> = futures_util::stream::iter(roles.into_iter().map(|role| {
        let iam = iam.clone();
        async move {
            let reply = iam.list_role_tags().role_name(&role).send().await.ok()?;
            tags::iam_is_ours(reply.tags()).then_some(role)
        }
    }))
    .buffered(10)
    .collect()
    .await;
    Ok(checked.into_iter().flatten().collect())
}

fn empty(
    kind: PrincipalKind,
    name: &str,
    keychain_account: String,
    journal_state: Option<RunState>,
) -> SetupSummary {
    SetupSummary {
        kind,
        name: name.to_string(),
        principal_arn: None,
        key_arn: None,
        key_aliases: vec![],
        key_state: None,
        key_created_by_app: false,
        policy_name: None,
        policy: PolicyHealth::Missing,
        access_keys: vec![],
        keychain_account,
        keychain_present: false,
        journal_state,
    }
}

/// Judges an inline policy document against the least-privilege one for the key it names.
fn judge_policy(summary: &mut SetupSummary, name: &str, encoded: &str) -> bool {
    let Some(document) = policy::decode_document(encoded) else {
        return false;
    };
    let key_arn = summary
        .key_arn
        .clone()
        .or_else(|| policy::single_resource(&document));
    summary.policy_name = Some(name.to_string());
    summary.policy = match &key_arn {
        Some(arn) if policy::is_least_privilege(&document, arn) => PolicyHealth::LeastPrivilege,
        _ => PolicyHealth::Drifted,
    };
    summary.key_arn = key_arn;
    true
}

async fn describe_role(
    connection: &Connection,
    role: &str,
    journal_state: Option<RunState>,
) -> SetupSummary {
    let iam = connection.iam();
    let mut summary = empty(PrincipalKind::Role, role, String::new(), journal_state);
    let Ok(found) = iam.get_role().role_name(role).send().await else {
        return summary;
    };
    summary.principal_arn = found.role().map(|r| r.arn().to_string());
    if let Ok(policies) = iam.list_role_policies().role_name(role).send().await {
        for name in policies.policy_names() {
            if let Ok(reply) = iam
                .get_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await
            {
                if judge_policy(&mut summary, name, reply.policy_document()) {
                    break;
                }
            }
        }
    }
    describe_key(connection, &mut summary).await;
    summary
}

async fn describe(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    user: &str,
    journal_state: Option<RunState>,
) -> Result<SetupSummary, ProvisionError> {
    let iam = connection.iam();
    let account = keychain::account_for(connection.account_id(), user);
    let reader_account = account.clone();
    // Only the key id and ARN are kept: the item's secret is dropped (and zeroized) right here.
    let stored_key = keychain::off_thread(&vault, move |vault| {
        let item = vault.load(&reader_account)?;
        crate::credentials::LoadedCredentials::parse(&item).map(|c| (c.access_key_id, c.key_arn))
    })
    .await
    .ok();
    let mut summary = empty(PrincipalKind::User, user, account, journal_state);
    summary.key_arn = stored_key.as_ref().map(|(_, arn)| arn.clone());
    summary.keychain_present = stored_key.is_some();
    let Ok(found) = iam.get_user().user_name(user).send().await else {
        return Ok(summary);
    };
    summary.principal_arn = found.user().map(|u| u.arn().to_string());

    if let Ok(policies) = iam.list_user_policies().user_name(user).send().await {
        for name in policies.policy_names() {
            if let Ok(reply) = iam
                .get_user_policy()
                .user_name(user)
                .policy_name(name)
                .send()
                .await
            {
                if judge_policy(&mut summary, name, reply.policy_document()) {
                    break;
                }
            }
        }
    }
    let in_keychain = stored_key.as_ref().map(|(id, _)| id.clone());
    if let Ok(keys) = iam.list_access_keys().user_name(user).send().await {
        for key in keys.access_key_metadata() {
            let id = key.access_key_id().unwrap_or_default().to_string();
            let last_used = iam
                .get_access_key_last_used()
                .access_key_id(&id)
                .send()
                .await
                .ok()
                .and_then(|r| {
                    r.access_key_last_used()
                        .and_then(|u| u.last_used_date().map(|d| d.to_string()))
                });
            let age_days = key.create_date().and_then(|created| {
                let now = crate::journal::now() as i64;
                u32::try_from((now - created.secs()) / 86_400).ok()
            });
            summary.access_keys.push(AccessKeyInfo {
                in_keychain: in_keychain.as_deref() == Some(id.as_str()),
                access_key_id: id,
                status: key
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                age_days,
                last_used,
            });
        }
    }
    describe_key(connection, &mut summary).await;
    Ok(summary)
}

/// The key's state, aliases and whether this app made it.
async fn describe_key(connection: &Connection, summary: &mut SetupSummary) {
    let Some(arn) = summary.key_arn.clone() else {
        return;
    };
    let kms = connection.kms();
    if let Ok(described) = kms.describe_key().key_id(&arn).send().await {
        summary.key_state = described
            .key_metadata()
            .and_then(|m| m.key_state())
            .map(|s| s.as_str().to_string());
    } else {
        summary.key_state = Some("Missing".into());
    }
    summary.key_created_by_app = crate::ownership::key_is_ours(connection, &arn)
        .await
        .unwrap_or(false);
    let key_id = arn.rsplit('/').next().unwrap_or(&arn);
    if let Ok(aliases) = kms.list_aliases().key_id(key_id).send().await {
        summary.key_aliases = aliases
            .aliases()
            .iter()
            .filter_map(|a| a.alias_name().map(str::to_string))
            .collect();
    }
}
