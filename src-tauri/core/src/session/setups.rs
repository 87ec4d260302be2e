//! Living with the setups made: list them, rotate, turn on key rotation, let IAM use a key, tear
//! down; and the policy an administrator needs for all of it.

use super::{report, Session};
use crate::aws::connect::Connection;
use crate::error::{ErrorReport, ProvisionError, Unconfirmed};
use crate::lifecycle::copies;
use crate::lifecycle::discovery::{self, LegacyScan};
use crate::lifecycle::key_rotation::{self, RotationReport};
use crate::lifecycle::rotate::{self, RotateOptions, RotateReport};
use crate::lifecycle::setups::{self, SetupSummary};
use crate::lifecycle::teardown::{self, KeyDeletion, TeardownPreview, TeardownReport};
use crate::model::principal::PrincipalKind;
use crate::store::login::VaultSignIn;
use crate::{aws::admin_policy, aws::key_policy, setup::plan, validate};
use std::sync::Arc;

/// What [`Session::fix_key_policy_if`] found, and did when confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPolicyFix {
    /// The key policy lets IAM policies grant access already: nothing to do.
    AlreadyAllowed { arn: String },
    /// Not confirmed: `statement` is what would be added. Nothing was changed.
    NeedsConfirmation { arn: String, statement: String },
    /// The statement was added.
    Added { arn: String },
}

/// The IAM policy document an administrator needs for everything this program does; `legacy`
/// adds the statement for setups made before the app's IAM path.
pub fn admin_policy(legacy: bool) -> serde_json::Value {
    admin_policy::document(admin_policy::Options { legacy })
}

/// What the admin of the account holding `key_arn` needs for a cross-account setup; the ARN is
/// checked as a key ARN first.
pub fn key_account_admin_policy(key_arn: &str) -> Result<serde_json::Value, ErrorReport> {
    let region = crate::aws::connect::key_region(key_arn).unwrap_or_default();
    match crate::validate::existing_key(key_arn, region).map_err(report)? {
        crate::validate::KeyRef::Arn { .. } => Ok(admin_policy::key_account_document(key_arn.trim())),
        _ => Err(report(crate::validate::InputError {
            field: crate::validate::Field::ExistingKey,
            rule: "the key account's policy names one key by its full ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)".into(),
        })),
    }
}

/// The waiting period when the master key is to be deleted too: `days`, else KMS's longest,
/// checked against KMS's rule before anything else happens; `None` keeps the key.
pub fn key_deletion_days(delete_key: bool, days: Option<i32>) -> Result<Option<i32>, ErrorReport> {
    if !delete_key {
        return Ok(None);
    }
    let days = days.unwrap_or(teardown::DEFAULT_KEY_DELETION_DAYS);
    teardown::check_days(days).map(Some).map_err(report)
}

/// The key deletion an admin approved: the key's ARN exactly as the preview showed it (checked
/// as an ARN before any AWS call) and the days. Asking for days without naming the key is
/// refused: the server must not pick the key on its own.
pub fn approved_key_deletion(
    days: Option<i32>,
    key_arn: Option<String>,
) -> Result<Option<KeyDeletion>, ErrorReport> {
    let Some(days) = days else {
        return Ok(None);
    };
    let days = teardown::check_days(days).map_err(report)?;
    let Some(key_arn) = key_arn else {
        return Err(report(ProvisionError::NotConfirmed(Unconfirmed::KeyArn)));
    };
    let key_arn = validate::key_arn(&key_arn).map_err(report)?;
    Ok(Some(KeyDeletion { key_arn, days }))
}

/// The ARN of the existing key `key` names, when it can serve CSFLE.
async fn suitable_key(connection: &Connection, key: &str) -> Result<String, ErrorReport> {
    let key_ref = validate::existing_key(key, connection.region()).map_err(report)?;
    plan::suitable_key_arn(connection, &key_ref)
        .await
        .map_err(report)
}

/// The key account's profile the admin named, checked as a profile name; blank is none.
fn checked_key_profile(profile: Option<String>) -> Result<Option<String>, ErrorReport> {
    match profile.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(name) => {
            validate::profile(name).map_err(report)?;
            Ok(Some(name.to_string()))
        }
        None => Ok(None),
    }
}

fn kind_of(role: bool) -> PrincipalKind {
    if role {
        PrincipalKind::Role
    } else {
        PrincipalKind::User
    }
}

impl Session {
    pub async fn list_setups(&self) -> Result<Vec<SetupSummary>, ErrorReport> {
        self.list_setups_each(|_| ()).await
    }

    /// Like [`Session::list_setups`], handing each setup to `on_setup` as soon as it is judged (in
    /// the order the reads finish), so the window fills card by card; the answer is the whole list
    /// in its stable order.
    pub async fn list_setups_each(
        &self,
        on_setup: impl Fn(SetupSummary) + Send + Sync,
    ) -> Result<Vec<SetupSummary>, ErrorReport> {
        let connection = self.connection().await?;
        let each = |setup: &SetupSummary| on_setup(setup.clone());
        setups::list_each(&connection, Arc::clone(&self.vault), self.journal(), &each)
            .await
            .map_err(report)
    }

    /// The remembered look for setups older than the app's IAM path, so the setups view can say
    /// how they were found; with `rescan` it looks now (every user and role of the account), and
    /// only then: a first listing never scans. It is kept beside the journal: the one data folder
    /// both front ends use.
    pub async fn legacy_scan(&self, rescan: bool) -> Result<Option<LegacyScan>, ErrorReport> {
        let connection = self.connection().await?;
        let dir = discovery::dir_for(self.journal());
        if rescan {
            return discovery::scan(&connection, &dir)
                .await
                .map(Some)
                .map_err(report);
        }
        Ok(discovery::remembered(&dir, connection.account_id()))
    }

    /// "Enable rotation" on a setup's key (Security Hub KMS.4).
    pub async fn enable_key_rotation(&self, key: String) -> Result<RotationReport, ErrorReport> {
        let connection = self.connection().await?;
        key_rotation::enable(&connection, &key)
            .await
            .map_err(report)
    }

    pub async fn rotate(
        &self,
        user: String,
        delete_inactive_key: bool,
        vault_logins: Option<Vec<VaultSignIn>>,
    ) -> Result<RotateReport, ErrorReport> {
        let connection = self.connection().await?;
        let options = RotateOptions {
            delete_inactive_key,
            verify_limit: self.options.verify_limit,
            journal: self.options.journal.clone(),
            vault_logins,
        };
        rotate::rotate(&connection, Arc::clone(&self.vault), &user, &options)
            .await
            .map_err(report)
    }

    /// `rotate --finish`: the copies still behind get the key in the keychain, then the old key
    /// the rotation kept goes; `confirm_imported` is the admin's word that every new sealed file
    /// was imported on its computer. `vault_logins`: the window's logins for the Vault servers
    /// of the copies (the CLI passes `None` and reads the environment).
    pub async fn finish_rotation(
        &self,
        user: String,
        confirm_imported: bool,
        vault_logins: Option<Vec<VaultSignIn>>,
    ) -> Result<RotateReport, ErrorReport> {
        let connection = self.connection().await?;
        rotate::finish(
            &connection,
            Arc::clone(&self.vault),
            &user,
            confirm_imported,
            vault_logins.as_deref(),
        )
        .await
        .map_err(report)
    }

    /// The IAM policy an administrator needs for everything this app does, to copy.
    pub fn admin_policy(&self) -> String {
        serde_json::to_string_pretty(&admin_policy(true)).unwrap_or_default()
    }

    /// Adds the account's Encrypt/Decrypt statement (`key_policy::encrypt_decrypt_statement`) to
    /// an existing key's policy, because the admin chose to after planning stopped on that key.
    /// Returns a sentence saying what changed.
    pub async fn fix_key_policy(&self, key: String) -> Result<String, ErrorReport> {
        let connection = self.connection().await?;
        let arn = suitable_key(&connection, &key).await?;
        key_policy::allow_iam(&connection, &arn)
            .await
            .map_err(report)?;
        Ok(format!(
            "IAM policies of account {} can now grant kms:Encrypt and kms:Decrypt on {arn} (and nothing else). Review the plan again.",
            connection.account_id()
        ))
    }

    /// Reads the key policy first; adds the statement only when `confirmed` (the CLI's --yes).
    pub async fn fix_key_policy_if(
        &self,
        key: String,
        confirmed: bool,
    ) -> Result<KeyPolicyFix, ErrorReport> {
        let connection = self.connection().await?;
        let arn = suitable_key(&connection, &key).await?;
        match key_policy::check(&connection, &arn).await {
            Ok(()) => return Ok(KeyPolicyFix::AlreadyAllowed { arn }),
            Err(ProvisionError::KeyPolicyBlocksIam { statement, .. }) if !confirmed => {
                return Ok(KeyPolicyFix::NeedsConfirmation { arn, statement })
            }
            Err(ProvisionError::KeyPolicyBlocksIam { .. }) => {}
            Err(other) => return Err(report(other)),
        }
        key_policy::allow_iam(&connection, &arn)
            .await
            .map_err(report)?;
        Ok(KeyPolicyFix::Added { arn })
    }

    /// What tearing down a setup would do, including whether its key may be deleted too;
    /// `key_profile` is the profile the admin chose for a key in another account (else the one
    /// this computer recorded when it made the setup).
    pub async fn teardown_preview(
        &self,
        name: String,
        role: bool,
        key_profile: Option<String>,
    ) -> Result<TeardownPreview, ErrorReport> {
        self.teardown_preview_of(kind_of(role), name, true, key_profile)
            .await
    }

    /// The same; `judge_key` also works out whether the key could be deleted (it reads every
    /// setup in the account, so the CLI asks only with --delete-key).
    pub async fn teardown_preview_of(
        &self,
        kind: PrincipalKind,
        name: String,
        judge_key: bool,
        key_profile: Option<String>,
    ) -> Result<TeardownPreview, ErrorReport> {
        let connection = self.connection().await?;
        let vault = Arc::clone(&self.vault);
        let key_profile = checked_key_profile(key_profile)?;
        let setup = (kind, name.as_str());
        let journal = self.journal();
        teardown::preview(
            &connection,
            vault,
            journal,
            setup,
            judge_key,
            key_profile.as_deref(),
        )
        .await
        .map_err(report)
    }

    /// `confirmation` must repeat the principal's name: the typed confirmation of the GUI.
    /// The key is kept unless `delete_key_days` is given with `key_arn`, the key the preview
    /// showed the admin (a separate question in the GUI). `vault_logins`: the tokens typed for
    /// the Vault servers holding copies, which teardown removes.
    pub async fn teardown(
        &self,
        name: String,
        role: bool,
        delete_key: (Option<i32>, Option<String>),
        confirmation: String,
        key_profile: Option<String>,
        vault_logins: Vec<VaultSignIn>,
    ) -> Result<TeardownReport, ErrorReport> {
        let (delete_key_days, key_arn) = delete_key;
        let delete_key = approved_key_deletion(delete_key_days, key_arn)?;
        if confirmation.trim() != name {
            return Err(report(ProvisionError::NotConfirmed(
                Unconfirmed::TypedName { name },
            )));
        }
        let vault_logins = Some(vault_logins);
        self.teardown_confirmed(kind_of(role), name, delete_key, key_profile, vault_logins)
            .await
    }

    /// Tears the setup down once the front end has its admin's confirmation. What could not be
    /// removed is in the report's `failed`, for the front end to show beside what was. Vault
    /// copies sign in with `vault_logins` (the window), or with `None` the environment's (the CLI).
    pub async fn teardown_confirmed(
        &self,
        kind: PrincipalKind,
        name: String,
        delete_key: Option<KeyDeletion>,
        key_profile: Option<String>,
        vault_logins: Option<Vec<VaultSignIn>>,
    ) -> Result<TeardownReport, ErrorReport> {
        let connection = self.connection().await?;
        let vault = Arc::clone(&self.vault);
        let journal = self.journal();
        let delete_key = delete_key.as_ref();
        let key_profile = checked_key_profile(key_profile)?;
        let setup = (kind, name.as_str());
        let torn = teardown::tear_down(
            &connection,
            vault,
            journal,
            setup,
            delete_key,
            key_profile.as_deref(),
        );
        let mut done = torn.await.map_err(report)?;
        if kind == PrincipalKind::Role {
            return Ok(done);
        }
        // The copies hold a key that is gone now; removing them cannot strand anything.
        let logins = vault_logins.as_deref();
        let copies = copies::remove_all(&connection, connection.account_id(), &name, logins).await;
        done.removed.extend(copies.removed);
        done.failed.extend(copies.failed);
        done.kept.extend(copies.sealed);
        Ok(done)
    }
}
