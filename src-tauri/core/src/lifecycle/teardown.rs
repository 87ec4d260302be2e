//! Retiring a setup: the access keys, the keychain item, what other admins attached, the policy
//! and the user (or role). The master key and its alias are kept unless the admin asks for the key
//! to go too, and even then only a key this app made for this setup and nothing else uses.

use crate::aws::connect::Connection;
use crate::aws::outside_changes::{self, Extra};
use crate::aws::{iam_remove, kms, ownership};
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use crate::lifecycle::key_grant_teardown::{
    key_account_access, release_key_grant, GrantFate, KeyAccountAccess, KeyProfileChoice,
};
use crate::lifecycle::key_usage::{self, KeyVerdict};
use crate::lifecycle::teardown_evidence::{copies_preview, journal_runs, known_runs};
use crate::local::credential_profile;
use crate::local::journal::{Journal, RunState};
use crate::local::keychain::{self, Vault};
use crate::model::principal::{Principal, PrincipalKind};
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
    fn record(&mut self, what: String, result: Result<(), AwsFailure>) {
        match result {
            Ok(()) => self.removed.push(what),
            Err(failure) => self.failed.push(format!("{what}: {}", explain(failure))),
        }
    }
}

/// The key deletion the admin approved: exactly this key, after this many days. The server
/// works out the setup's key again at teardown and refuses if it is not this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDeletion {
    pub key_arn: String,
    pub days: i32,
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

/// The longest waiting period KMS allows: the most time to notice a mistake and cancel.
pub const DEFAULT_KEY_DELETION_DAYS: i32 = 30;

/// What a teardown will do, shown before the admin confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TeardownPreview {
    pub kind: PrincipalKind,
    pub name: String,
    /// False when an earlier teardown already removed the principal.
    pub principal_exists: bool,
    /// Permissions and sign-in material someone added outside this app, each with what teardown
    /// does about it (detach, leave, delete), so that IAM lets the principal be deleted.
    pub outside_changes: Vec<String>,
    /// The master key the setup uses, if one could be found.
    pub key_arn: Option<String>,
    pub key_aliases: Vec<String>,
    /// Whether the master key may also be scheduled for deletion, and why (not). Only worked out
    /// when asked for: it reads every setup in the account.
    pub key: Option<KeyVerdict>,
    /// For a key in another account: the statement of its key policy this setup owns, and what
    /// teardown does with it.
    pub key_grant: Option<String>,
    /// The recorded copies of the credentials (Vault, Secrets Manager, sealed files), each with
    /// what teardown does about it.
    pub copies: Vec<String>,
    /// For a key in another account: the profile that removes the statement there, checked, or
    /// why none is at hand (the window then asks for the key's account profile).
    pub key_account: Option<KeyAccountAccess>,
}

/// Reads what tearing down `(kind, name)` involves, and with `judge_key` whether its key could
/// be deleted too; `key_profile` is the profile of the key's account the admin chose, if any
/// (else the one recorded at provision). Changes nothing.
pub async fn preview(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
    (kind, name): (PrincipalKind, &str),
    judge_key: bool,
    key_profile: Option<&str>,
) -> Result<TeardownPreview, ProvisionError> {
    let inspected = inspect(
        connection,
        vault,
        journal,
        (kind, name),
        judge_key,
        key_profile,
    );
    inspected.await.map(|(preview, _)| preview)
}

/// The preview, and the connection teardown works with: the workload's, with the key account's
/// beside it once that is checked.
async fn inspect(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
    (kind, name): (PrincipalKind, &str),
    judge_key: bool,
    key_profile: Option<&str>,
) -> Result<(TeardownPreview, Option<Connection>), ProvisionError> {
    // A principal already removed by an earlier teardown may still leave its key (kept then,
    // or its deletion failed) and its profiles to finish: known from the journal, torn-down
    // runs included.
    let known = journal_runs(journal, connection, kind, name, true);
    let iam = connection.iam();
    let principal = Principal { kind, name };
    match kind {
        PrincipalKind::User => crate::validate::user_name(name)?,
        PrincipalKind::Role => crate::validate::role_name(name)?,
    };
    let proof = match crate::aws::proof::prove(connection, principal, &known_runs(&known)).await {
        Ok(proof) => Some(proof),
        Err(ProvisionError::NotFound(_)) if !known.is_empty() => None,
        Err(error) => return Err(error),
    };
    let policy = proof.as_ref().and_then(|p| p.policy.clone());
    let extras = match &proof {
        Some(_) => {
            let ours = policy.as_ref().map(|(name, _)| name.as_str());
            outside_changes::of_principal(&iam, principal, ours).await?
        }
        None => vec![],
    };
    let exists = proof.is_some();
    let policy_key = policy.map(|(_, arn)| arn);
    let key_arn = policy_key.or_else(|| known.iter().rev().find_map(|r| r.key_arn.clone()));
    let mut key_aliases = vec![];
    let mut key = None;
    if let Some(arn) = &key_arn {
        key_aliases = ownership::key_aliases(connection, arn)
            .await
            .unwrap_or_default();
        if judge_key {
            let made_at = proof.as_ref().map(|p| p.facts.created_at);
            let setup = key_usage::Setup {
                kind,
                name,
                created_at: made_at,
            };
            key = Some(key_usage::judge(connection, vault, journal, setup, arn).await);
        }
    }
    let key_grant = crate::lifecycle::key_grant_teardown::preview_line(
        connection,
        kind,
        name,
        key_arn.as_deref(),
    );
    let choice = KeyProfileChoice {
        chosen: key_profile,
        runs: &known,
    };
    let (joined, key_account) = key_account_access(connection, key_arn.as_deref(), &choice).await;
    let preview = TeardownPreview {
        key_account,
        key_grant,
        kind,
        name: name.to_string(),
        principal_exists: exists,
        outside_changes: extras.iter().map(Extra::removal).collect(),
        key_arn,
        key_aliases,
        key,
        copies: copies_preview(connection.account_id(), kind, name),
    };
    Ok((preview, joined))
}

/// Refuses, before any change, a key deletion the preview found unsafe or a key other than the
/// one the admin approved.
fn check_key_deletion(
    preview: &TeardownPreview,
    delete_key: Option<&KeyDeletion>,
) -> Result<Option<(String, i32)>, ProvisionError> {
    let Some(approved) = delete_key else {
        return Ok(None);
    };
    let days = check_days(approved.days)?;
    match &preview.key {
        Some(verdict) if verdict.key_arn != approved.key_arn => {
            Err(ProvisionError::KeyNotApproved {
                name: preview.name.clone(),
                approved: approved.key_arn.clone(),
                found: verdict.key_arn.clone(),
            })
        }
        Some(verdict) if verdict.deletable => Ok(Some((verdict.key_arn.clone(), days))),
        Some(verdict) => Err(ProvisionError::KeyKept {
            key: verdict.key_arn.clone(),
            reason: verdict.reason.clone(),
        }),
        None => Err(ProvisionError::KeyKept {
            key: "(none found)".into(),
            reason: format!("no master key could be found for {}", preview.name),
        }),
    }
}

/// Removes a user setup. The master key and its alias are kept unless `delete_key` is given;
/// then the key is scheduled for deletion only when [`key_usage::judge`] allows it, and otherwise
/// nothing at all is changed.
pub async fn teardown(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
    user: &str,
    delete_key: Option<&KeyDeletion>,
) -> Result<TeardownReport, ProvisionError> {
    let setup = (PrincipalKind::User, user);
    tear_down(connection, vault, journal, setup, delete_key, None).await
}

/// Both kinds of setup: preview (and refuse an unsafe key deletion before any change), remove
/// the principal, then the key's fate and the profiles, and the journal last. `key_profile` is
/// the key account's profile the admin chose; without it the one recorded at provision is used.
pub async fn tear_down(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
    (kind, name): (PrincipalKind, &str),
    delete_key: Option<&KeyDeletion>,
    key_profile: Option<&str>,
) -> Result<TeardownReport, ProvisionError> {
    if let Some(approved) = delete_key {
        check_days(approved.days)?;
    }
    let judge_key = delete_key.is_some();
    let setup = (kind, name);
    let vault_here = Arc::clone(&vault);
    let (preview, joined) = inspect(
        connection,
        vault_here,
        journal,
        setup,
        judge_key,
        key_profile,
    )
    .await?;
    let retire = check_key_deletion(&preview, delete_key)?;
    let mut report = TeardownReport::default();
    let key = (preview.key_arn.as_deref(), preview.principal_exists);
    let key_side = joined.as_ref().unwrap_or(connection);
    let access = preview.key_account.as_ref();
    let deleting = delete_key.is_some();
    match release_key_grant(key_side, kind, name, key, deleting, access).await? {
        GrantFate::Nothing => {}
        GrantFate::Removed(what) => report.removed.push(what),
        GrantFate::Kept(what) => report.kept.push(what),
        GrantFate::Failed(what) => {
            report.failed.push(what);
            return Ok(report);
        }
    }
    match (kind, preview.principal_exists) {
        (PrincipalKind::User, exists) => {
            let account = keychain::account_for(connection.account_id(), name);
            if exists {
                remove_user(connection, &vault, name, &account, &mut report).await?;
            } else {
                remove_keychain_item(&vault, &account, &mut report).await;
            }
        }
        (PrincipalKind::Role, true) => {
            remove_role(connection, (&vault, journal), name, &mut report).await?
        }
        (PrincipalKind::Role, false) => {}
    }
    finish(connection, journal, &preview, retire, &mut report).await;
    if report.failed.is_empty() {
        mark_torn_down(connection, journal, kind, name, &mut report);
    }
    Ok(report)
}

/// The key (deleted or explicitly kept) and the AWS profiles, common to users and roles.
async fn finish(
    connection: &Connection,
    journal: Option<&Journal>,
    preview: &TeardownPreview,
    retire: Option<(String, i32)>,
    report: &mut TeardownReport,
) {
    match (retire, &preview.key_arn) {
        (Some((arn, days)), _) => retire_key(connection, &arn, days, report).await,
        (None, Some(arn)) => {
            let aliases = if preview.key_aliases.is_empty() {
                String::new()
            } else {
                format!(" and its alias {}", preview.key_aliases.join(", "))
            };
            report.kept.push(format!(
                "KMS key {arn}{aliases}: kept, so data encrypted with it stays readable"
            ));
        }
        (None, None) => {}
    }
    let runs = journal_runs(journal, connection, preview.kind, &preview.name, false);
    for profile in runs.iter().flat_map(|r| r.aws_profiles.iter()) {
        match credential_profile::remove_profile(profile) {
            Ok(()) => report.removed.push(format!("AWS profile {profile}")),
            Err(e) => report.failed.push(format!("AWS profile {profile}: {e}")),
        }
    }
}

/// A partial teardown stays visible in the setups view until a later run finishes it. A journal
/// that cannot be written is reported like any other part that could not be finished.
fn mark_torn_down(
    connection: &Connection,
    journal: Option<&Journal>,
    kind: PrincipalKind,
    name: &str,
    report: &mut TeardownReport,
) {
    let Some(journal) = journal else { return };
    let marked = journal.update(|runs| {
        for run in runs.iter_mut().filter(|r| {
            r.principal_kind == kind
                && r.principal_name == name
                && r.account_id == connection.account_id()
        }) {
            run.state = RunState::TornDown;
        }
    });
    if let Err(error) = marked {
        report.failed.push(format!(
            "the local journal still lists {name} ({error}); run teardown again once the app's data folder is writable"
        ));
    }
}

async fn remove_keychain_item(vault: &Arc<dyn Vault>, account: &str, report: &mut TeardownReport) {
    if let Err(e) = crate::local::session_credentials::forget_off_thread(vault, account).await {
        report.failed.push(format!(
            "keychain item {} / {}: {e}. {}",
            keychain::SERVICE,
            crate::local::session_credentials::cache_account(account),
            e.hint()
        ));
    }
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

/// Access keys (first, so nothing can use them meanwhile), keychain item, what other admins
/// attached, inline policies, user.
async fn remove_user(
    connection: &Connection,
    vault: &Arc<dyn Vault>,
    user: &str,
    account: &str,
    report: &mut TeardownReport,
) -> Result<(), ProvisionError> {
    let iam = connection.iam();
    for id in ownership::access_key_ids(connection, user).await? {
        report.record(
            format!("access key {}", crate::mask_access_key_id(&id)),
            iam_remove::delete_access_key(&iam, user, &id).await,
        );
    }
    remove_keychain_item(vault, account, report).await;
    // Every inline policy goes (they are part of the user); managed policies and groups are only
    // detached and left, since other principals may use them.
    remove_extras(&iam, Principal::user(user), report).await?;
    report.record(
        format!("IAM user {user}"),
        iam_remove::delete_principal(&iam, Principal::user(user)).await,
    );
    Ok(())
}

/// Removes a role setup: its instance profiles, what other admins attached, its inline
/// policies and the role. The key follows the same rule as for users.
pub async fn teardown_role(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
    role: &str,
    delete_key: Option<&KeyDeletion>,
) -> Result<TeardownReport, ProvisionError> {
    let setup = (PrincipalKind::Role, role);
    tear_down(connection, vault, journal, setup, delete_key, None).await
}

async fn remove_role(
    connection: &Connection,
    (vault, journal): (&Arc<dyn Vault>, Option<&Journal>),
    role: &str,
    report: &mut TeardownReport,
) -> Result<(), ProvisionError> {
    let iam = connection.iam();
    let profiles = crate::aws::ownership::instance_profile_names(&iam, role).await?;
    for name in profiles {
        // Someone else's profile that holds the role only loses the role; it is theirs.
        if !crate::aws::iam::instance_profile_is_ours(&iam, &name).await? {
            report.record(
                format!(
                    "role {role} taken out of instance profile {name} (not made by this app, kept)"
                ),
                iam_remove::remove_role_from_instance_profile(&iam, &name, role).await,
            );
            continue;
        }
        let item = crate::model::created::Created::InstanceProfile {
            name: name.clone(),
            role: Some(role.to_string()),
        };
        match crate::setup::rollback::undo(&item, connection, vault).await {
            Ok(()) => report.removed.push(format!("instance profile {name}")),
            Err(reason) => report
                .failed
                .push(format!("instance profile {name}: {reason}")),
        }
    }
    // One GetRole: the facts carry the trust policy too. The role's Pod Identity associations go
    // before the extras, so a failure there also keeps the permissions boundary (removed last).
    let facts = ownership::facts(&iam, Principal::role(role)).await?;
    let trust = facts.trust.clone().unwrap_or_default();
    let failed_before = report.failed.len();
    for fate in crate::lifecycle::pod_identity_teardown::unbind(connection, &facts, &trust).await {
        file_fate(fate, report);
    }
    let still_bound = report.failed.len() > failed_before;
    remove_extras(&iam, Principal::role(role), report).await?;
    if still_bound {
        // The role's trust names the cluster: without the role the next run could not find the
        // association again, and a role made later with this name would inherit the binding.
        report.failed.push(format!(
            "IAM role {role}: not deleted, because a Pod Identity association of it could not be removed; run teardown again when that is fixed"
        ));
        return Ok(());
    }
    let deleted = iam_remove::delete_principal(&iam, Principal::role(role)).await;
    let role_gone = deleted.is_ok();
    report.record(format!("IAM role {role}"), deleted);
    if let (true, Some(provider)) = (role_gone, crate::aws::oidc::federated_provider(&trust)) {
        use crate::lifecycle::oidc_teardown::{retire_provider, runs_that_made};
        let made_by = runs_that_made(journal, connection.account_id(), &provider);
        let fate = retire_provider(&iam, &facts, &provider, &made_by).await;
        file_fate(fate, report);
    }
    Ok(())
}

fn file_fate(fate: crate::lifecycle::oidc_teardown::ProviderFate, report: &mut TeardownReport) {
    use crate::lifecycle::oidc_teardown::ProviderFate;
    match fate {
        ProviderFate::Gone => {}
        ProviderFate::Removed(what) => report.removed.push(what),
        ProviderFate::Kept(what) => report.kept.push(what),
        ProviderFate::Failed(what) => report.failed.push(what),
    }
}

/// What other admins attached, in the order listed, and the permissions boundary last: removing
/// a boundary gives the principal more rights, so it goes only when every earlier removal of
/// this teardown succeeded (a failed one leaves it attached, for the next run to finish).
async fn remove_extras(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
    report: &mut TeardownReport,
) -> Result<(), ProvisionError> {
    let is_boundary = |extra: &Extra| matches!(extra, Extra::PermissionsBoundary(_));
    let mut extras = outside_changes::of_principal(iam, principal, None).await?;
    extras.sort_by_key(is_boundary);
    for extra in extras {
        if is_boundary(&extra) && !report.failed.is_empty() {
            report.failed.push(format!(
                "{}: not done, because a removal above failed. A permissions boundary only limits the principal, so it is removed last, once everything else is gone; run teardown again when the failures above are fixed",
                extra.removal()
            ));
            continue;
        }
        match outside_changes::remove_from(iam, principal, &extra).await {
            Ok(()) => report.removed.push(extra.removal()),
            Err(failure) => {
                report
                    .failed
                    .push(format!("{}: {}", extra.removal(), explain(failure)))
            }
        }
    }
    Ok(())
}

fn explain(failure: AwsFailure) -> String {
    format!("{failure}. {}", failure.hint())
}

/// Removes the key's aliases and schedules its deletion. Only called for a key that
/// [`key_usage::judge`] found deletable.
async fn retire_key(connection: &Connection, arn: &str, days: i32, report: &mut TeardownReport) {
    let kms_client = connection.kms_for_key(arn);
    let key_id = arn.rsplit('/').next().unwrap_or(arn);
    // The aliases go first: a key scheduled for deletion with a name still pointing at it would
    // look usable. If they cannot be listed, the key is left for the next teardown run.
    let aliases = match ownership::key_aliases(connection, arn).await {
        Ok(aliases) => aliases,
        Err(failure) => {
            report
                .failed
                .push(format!("aliases of KMS key {arn}: {}", explain(failure)));
            return;
        }
    };
    let mut aliases_left = false;
    for alias in &aliases {
        match kms::delete_alias(&kms_client, alias).await {
            Ok(()) => report.removed.push(format!("alias {alias}")),
            Err(failure) => {
                aliases_left = true;
                report
                    .failed
                    .push(format!("alias {alias}: {}", explain(failure)));
            }
        }
    }
    if aliases_left {
        return;
    }
    let pending = kms::describe_key(&kms_client, key_id)
        .await
        .ok()
        .flatten()
        .and_then(|m| m.key_state);
    if pending == Some(aws_sdk_kms::types::KeyState::PendingDeletion) {
        report
            .removed
            .push(format!("KMS key {arn} (deletion was already scheduled)"));
        return;
    }
    // The bare key id: AWS takes either form, some emulators only this one.
    match kms::schedule_deletion(&kms_client, key_id, days).await {
        Ok(date) => {
            report.removed.push(format!(
                "KMS key {arn}: deletion scheduled in {days} days (cancel it with kms:CancelKeyDeletion until then)"
            ));
            report.key_deletion_date = date;
        }
        Err(failure) => {
            if failure.kind == AwsFailureKind::NotFound {
                report.removed.push(format!("KMS key {arn} (already gone)"));
            } else {
                report.failed.push(format!("KMS key {arn}: {failure}"));
            }
        }
    }
}
