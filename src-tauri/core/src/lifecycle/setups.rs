//! The setups view: every setup this app made in the account, found from AWS by our tags and from
//! the local journal, with the health of each part.

use crate::aws::connect::Connection;
use crate::aws::tags;
use crate::aws::{ownership, policy};
use crate::error::aws::AwsFailure;
use crate::error::ProvisionError;
use crate::local::journal::{Journal, RunState};
use crate::local::keychain::{self, Vault};
use crate::model::findings::{judge, key_age, AccessKeyInfo, Subject};
use crate::model::ownership::{
    judge_principal as judge_principal_evidence, made_by_known_run, unproven_message, KnownRun,
    Ownership, PrincipalEvidence,
};
use crate::model::principal::{Principal, PrincipalKind};
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyHealth {
    LeastPrivilege,
    Drifted,
    Missing,
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
    /// Permissions and sign-in material added outside this app (managed policies, groups, other
    /// inline policies, console sign-in, a permissions boundary, …), in words. Any of them
    /// means the setup is no longer least privilege.
    pub outside_changes: Vec<String>,
    pub access_keys: Vec<AccessKeyInfo>,
    /// Empty for a role: it has no access key to store.
    pub keychain_account: String,
    pub keychain_present: bool,
    /// What `credential-process` may hand out, from the keychain item; `None` for a role or
    /// when the item cannot be read.
    pub credential_terms: Option<crate::model::CredentialTerms>,
    pub journal_state: Option<RunState>,
    /// Security Hub controls judged from what AWS says now.
    pub findings: Vec<crate::model::findings::Finding>,
    /// Each access key's age and last use in human terms.
    pub key_ages: Vec<crate::model::findings::KeyAge>,
    /// Whether this app can prove it made the principal: only then may it be rotated or torn
    /// down. An unproven setup is shown read-only.
    pub ownership: Ownership,
    /// Why the app cannot tell, for an unproven setup.
    pub ownership_reason: Option<String>,
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
    // Every page of our IAM path, plus setups older than the path (scanned for once, remembered
    // beside the journal): no cap, and no cost that grows with the rest of the account.
    let dir = crate::lifecycle::discovery::dir_for(journal);
    let found = crate::lifecycle::discovery::principals(connection, Some(&dir)).await?;
    let mut users = named(PrincipalKind::User);
    users.extend(found.users);
    let mut roles = named(PrincipalKind::Role);
    roles.extend(found.roles);
    let state_of = |kind: PrincipalKind, name: &str| {
        runs.iter()
            .rev()
            .find(|r| r.principal_kind == kind && r.principal_name == name)
            .map(|r| r.state)
    };
    let known_of = |kind: PrincipalKind, name: &str| -> Vec<KnownRun> {
        runs.iter()
            .filter(|r| r.principal_kind == kind && r.principal_name == name)
            .map(|r| KnownRun {
                run_id: r.id.clone(),
                started_at: i64::try_from(r.started_at).unwrap_or(i64::MAX),
            })
            .collect()
    };
    let mut setups = Vec::new();
    for name in users {
        let state = state_of(PrincipalKind::User, &name);
        let known = known_of(PrincipalKind::User, &name);
        setups.push(describe(connection, Arc::clone(&vault), &name, state, &known).await?);
    }
    for name in roles {
        let state = state_of(PrincipalKind::Role, &name);
        let known = known_of(PrincipalKind::Role, &name);
        setups.push(describe_role(connection, &name, state, &known).await);
    }
    futures_util::future::join_all(setups.iter_mut().map(|s| attach_findings(connection, s))).await;
    Ok(setups)
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
        outside_changes: vec![],
        access_keys: vec![],
        keychain_account,
        keychain_present: false,
        credential_terms: None,
        journal_state,
        findings: vec![],
        key_ages: vec![],
        // Known only from this computer's journal until AWS shows the principal.
        ownership: Ownership::Proven,
        ownership_reason: None,
    }
}

/// Judges an inline policy document against the least-privilege one for the key it names.
fn judge_policy(summary: &mut SetupSummary, name: &str, document: &serde_json::Value) -> bool {
    // IAM stores documents URL-encoded; one that does not decode says nothing about the key.
    if document.is_null() {
        return false;
    }
    let own_key = policy::single_resource(document);
    let exact = own_key
        .as_deref()
        .is_some_and(|arn| policy::is_least_privilege(document, arn));
    summary.ownership = if exact {
        Ownership::Proven
    } else {
        Ownership::Unproven
    };
    let key_arn = summary.key_arn.clone().or(own_key);
    summary.policy_name = Some(name.to_string());
    summary.policy = match &key_arn {
        Some(arn) if policy::is_least_privilege(document, arn) => PolicyHealth::LeastPrivilege,
        _ => PolicyHealth::Drifted,
    };
    summary.key_arn = key_arn;
    true
}

async fn describe_role(
    connection: &Connection,
    role: &str,
    journal_state: Option<RunState>,
    known: &[KnownRun],
) -> SetupSummary {
    let iam = connection.iam();
    let mut summary = empty(PrincipalKind::Role, role, String::new(), journal_state);
    let Ok(facts) = ownership::facts(&iam, Principal::role(role)).await else {
        return summary;
    };
    summary.principal_arn = Some(facts.arn.clone()).filter(|arn| !arn.is_empty());
    judge_principal(&iam, Principal::role(role), &mut summary).await;
    judge_ownership(&mut summary, &facts, known);
    describe_key(connection, &mut summary).await;
    summary
}

async fn describe(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    user: &str,
    journal_state: Option<RunState>,
    known: &[KnownRun],
) -> Result<SetupSummary, ProvisionError> {
    let iam = connection.iam();
    let account = keychain::account_for(connection.account_id(), user);
    let reader_account = account.clone();
    // Only the key id, ARN and terms are kept: the item's secret is dropped (and zeroized) here.
    let stored_key = keychain::off_thread(&vault, move |vault| {
        let item = vault.load(&reader_account)?;
        crate::local::credentials::LoadedCredentials::parse(&item)
            .map(|c| (c.access_key_id.clone(), c.key_arn.clone(), c.terms()))
    })
    .await
    .ok();
    let mut summary = empty(PrincipalKind::User, user, account, journal_state);
    summary.key_arn = stored_key.as_ref().map(|(_, arn, _)| arn.clone());
    summary.credential_terms = stored_key.as_ref().map(|(_, _, terms)| *terms);
    summary.keychain_present = stored_key.is_some();
    let Ok(facts) = ownership::facts(&iam, Principal::user(user)).await else {
        return Ok(summary);
    };
    summary.principal_arn = Some(facts.arn.clone()).filter(|arn| !arn.is_empty());
    judge_principal(&iam, Principal::user(user), &mut summary).await;
    judge_ownership(&mut summary, &facts, known);
    let in_keychain = stored_key.as_ref().map(|(id, _, _)| id.as_str());
    summary.access_keys = access_keys(&iam, user, in_keychain).await;
    describe_key(connection, &mut summary).await;
    Ok(summary)
}

/// Proven only when the tags, the app's own policy (judged just before) and the IAM path or age
/// agree, or the principal is a run this computer's journal knows, made during that run.
fn judge_ownership(
    summary: &mut SetupSummary,
    facts: &ownership::PrincipalFacts,
    known: &[KnownRun],
) {
    let evidence = PrincipalEvidence {
        tagged_by_app: tags::iam_is_ours(&facts.tags),
        under_app_path: facts.path == tags::IAM_PATH,
        created_at: facts.created_at,
        has_app_policy: summary.ownership == Ownership::Proven && summary.policy_name.is_some(),
    };
    let verdict = match judge_principal_evidence(&evidence) {
        Ok(()) => Ok(()),
        Err(_) if made_by_known_run(facts.run_id(), facts.created_at, known) => Ok(()),
        Err(reason) => Err(reason),
    };
    match verdict {
        Ok(()) => {
            summary.ownership = Ownership::Proven;
            summary.ownership_reason = None;
        }
        Err(reason) => {
            summary.ownership = Ownership::Unproven;
            summary.ownership_reason = Some(unproven_message("It", &reason));
        }
    }
}

/// Names what was added outside this app; anything that widens permissions means drift.
fn note_outside_changes(
    summary: &mut SetupSummary,
    found: Result<Vec<crate::aws::outside_changes::Extra>, AwsFailure>,
) {
    let ours = summary.policy_name.clone();
    match found {
        Ok(extras) => {
            let extras: Vec<_> = extras
                .into_iter()
                .filter(|e| !matches!(e, crate::aws::outside_changes::Extra::InlinePolicy(name) if Some(name) == ours.as_ref()))
                .collect();
            if extras.iter().any(|e| e.widens_permissions())
                && summary.policy == PolicyHealth::LeastPrivilege
            {
                summary.policy = PolicyHealth::Drifted;
            }
            summary.outside_changes = extras.iter().map(|e| e.describe()).collect();
        }
        Err(failure) => summary
            .outside_changes
            .push(format!("could not be checked: {failure}")),
    }
}

/// The key's state, aliases and whether this app made it.
async fn describe_key(connection: &Connection, summary: &mut SetupSummary) {
    let Some(arn) = summary.key_arn.clone() else {
        return;
    };
    let kms = connection.kms_for_key(&arn);
    summary.key_state = match crate::aws::kms::describe_key(&kms, &arn).await {
        Ok(Some(metadata)) => metadata.key_state().map(|s| s.as_str().to_string()),
        Ok(None) | Err(_) => Some("Missing".into()),
    };
    summary.key_created_by_app = crate::aws::ownership::key_is_ours(connection, &arn)
        .await
        .unwrap_or(false);
    if let Ok(aliases) = crate::aws::ownership::key_aliases(connection, &arn).await {
        summary.key_aliases = aliases;
    }
}

/// The setup's inline policy judged (the first that names one key) and what other admins added.
async fn judge_principal(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
    summary: &mut SetupSummary,
) {
    if let Ok(policies) = crate::aws::ownership::inline_policy_names(iam, principal).await {
        for name in &policies {
            let document = crate::aws::iam::inline_policy_document(iam, principal, name).await;
            if let Ok(document) = document {
                if judge_policy(summary, name, &document) {
                    break;
                }
            }
        }
    }
    note_outside_changes(
        summary,
        crate::aws::outside_changes::of_principal(iam, principal, None).await,
    );
}

/// The user's access keys with their age and last use; `in_keychain` marks the stored one.
async fn access_keys(
    iam: &aws_sdk_iam::Client,
    user: &str,
    in_keychain: Option<&str>,
) -> Vec<AccessKeyInfo> {
    let mut listed = Vec::new();
    if let Ok(keys) = crate::aws::ownership::access_keys(iam, user).await {
        for key in &keys {
            let id = key.access_key_id().unwrap_or_default().to_string();
            let last_used = crate::aws::iam::access_key_last_used(iam, &id)
                .await
                .ok()
                .flatten();
            let age_days = key.create_date().and_then(|created| {
                let now = crate::local::journal::now() as i64;
                u32::try_from((now - created.secs()) / 86_400).ok()
            });
            listed.push(AccessKeyInfo {
                in_keychain: in_keychain == Some(id.as_str()),
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
    listed
}

fn subject_of(summary: &SetupSummary) -> Subject<'_> {
    Subject {
        kind: summary.kind,
        name: &summary.name,
        key_state: summary.key_state.as_deref(),
        access_keys: &summary.access_keys,
    }
}

/// Judges a listed setup and stores the result in it. One call per summary.
async fn attach_findings(connection: &Connection, summary: &mut SetupSummary) {
    let subject = subject_of(summary);
    let observed = crate::lifecycle::findings::observe(
        connection,
        &subject,
        summary.key_arn.as_deref(),
        summary.principal_arn.is_some(),
    )
    .await;
    let now = crate::local::journal::now() as i64;
    summary.findings = judge(&subject, &observed, now);
    summary.key_ages = summary
        .access_keys
        .iter()
        .map(|key| key_age(key, now))
        .collect();
}
