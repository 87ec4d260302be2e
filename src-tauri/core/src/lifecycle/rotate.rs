//! Rotating a setup's access key with no moment in which the keychain holds a key that does not
//! work: create the new key, prove it, replace the keychain item atomically, then retire the old
//! key. Whatever fails, exactly one working key remains, and it is the one in the keychain.

use crate::aws::connect::Connection;
use crate::aws::{iam, iam_remove, ownership};
use crate::cancel::Cancel;
use crate::error::ProvisionError;
use crate::lifecycle::copies::{self, CopyOutcome};
use crate::local::credentials::{LoadedCredentials, StoredCredentials};
use crate::local::journal::Journal;
use crate::local::keychain::{self, Vault};
use crate::model::created::Created;
use crate::model::principal::Principal;
use crate::model::Quiet;
use crate::secret::Sensitive;
use crate::setup::verify::{self, Probe};
use crate::store::login::VaultSignIn;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RotateReport {
    pub user_name: String,
    pub new_access_key_id: String,
    pub old_access_key_id: String,
    pub old_key_deleted: bool,
    pub deleted_inactive_key: Option<String>,
    /// The old key stays active: a copy of the credentials still holds it (see `copies`).
    pub old_key_kept: bool,
    /// Every recorded copy (Vault, Secrets Manager, sealed files) and whether it got the new key.
    pub copies: Vec<CopyOutcome>,
    pub message: String,
}

pub struct RotateOptions {
    pub delete_inactive_key: bool,
    pub verify_limit: Duration,
    pub journal: Option<Arc<Journal>>,
    /// The window's Vault logins, one per server; `None` (the CLI) reads the environment.
    pub vault_logins: Option<Vec<VaultSignIn>>,
}

pub async fn rotate(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    user: &str,
    options: &RotateOptions,
) -> Result<RotateReport, ProvisionError> {
    crate::validate::user_name(user)?;
    refuse_while_waiting(connection, user)?;
    // Only a user this app can prove it made gets a new key (a copied tag is not enough).
    crate::aws::proof::prove(connection, Principal::user(user), &[]).await?;
    let account = keychain::account_for(connection.account_id(), user);
    let read_account = account.clone();
    let old_item = keychain::off_thread(&vault, move |vault| vault.load(&read_account)).await?;
    let old = LoadedCredentials::parse(&old_item)?;
    let iam_client = connection.iam();

    let (deleted_inactive_key, remaining) = make_room(
        &iam_client,
        user,
        &old.access_key_id,
        options.delete_inactive_key,
    )
    .await?;
    let (new_id, new_secret) = iam::create_access_key(&iam_client, user, &remaining).await?;
    let rotation = Rotation {
        connection,
        vault: &vault,
        user,
        account: &account,
        old: &old,
        new_id: &new_id,
    };
    // From here on, any failure removes the new key, and the old one stays in the keychain.
    let stored = match rotation.prove(&new_secret, options.verify_limit).await {
        Ok(()) => rotation.store(&new_secret).await,
        Err(error) => Err(error),
    };
    if let Err(error) = stored {
        return Err(rotation.undo_new(error).await);
    }
    // Session credentials cached from the old key must not be handed out again.
    let _ = crate::local::session_credentials::forget_off_thread(&vault, &account).await;
    let mut report = RotateReport {
        user_name: user.to_string(),
        new_access_key_id: new_id.clone(),
        old_access_key_id: old.access_key_id.clone(),
        old_key_deleted: false,
        deleted_inactive_key,
        old_key_kept: false,
        copies: vec![],
        message: String::new(),
    };
    // Every copy gets the new key before the old one goes; one that cannot keeps the old alive.
    let new_item = rotation.item(&new_secret);
    let new_creds = LoadedCredentials::parse(&new_item)?;
    let logins = options.vault_logins.as_deref();
    report.copies = copies::refresh_all(connection, &new_creds, &new_item, logins).await;
    if let Some(journal) = &options.journal {
        rotation.record(journal);
    }
    if report.copies.iter().any(CopyOutcome::holds_old_key) {
        let kept = copies::keep_old_key(connection.account_id(), user, &old.access_key_id, &new_id);
        report.old_key_kept = true;
        report.message = kept_message(
            user,
            (&new_id, &old.access_key_id),
            &report.copies,
            kept.err(),
            logins.is_some(),
        );
        return Ok(report);
    }
    report.old_key_deleted = rotation.retire_old(old_item).await?;
    report.message = done_message(&new_id, &old.access_key_id, report.old_key_deleted);
    Ok(report)
}

/// A rotation that kept the old key must finish first: a third key is over AWS's limit, and the
/// copies behind would be skipped.
fn refuse_while_waiting(connection: &Connection, user: &str) -> Result<(), ProvisionError> {
    if let Some(waiting) = copies::waiting(connection.account_id(), user) {
        return Err(crate::error::push::PushError::Unfinished(format!(
            "The last rotation of {user} is not finished: the old key {} is still active because a copy did not get the new key {}. Run `csfle-provisioner-cli rotate --user {user} --finish` first",
            crate::mask_access_key_id(&waiting.old_access_key_id),
            crate::mask_access_key_id(&waiting.new_access_key_id)
        ))
        .into());
    }
    Ok(())
}

/// `rotate --finish`: writes the new key (the one in the keychain) to every copy still behind,
/// and once every copy holds it (sealed files: the admin confirmed the import with
/// `confirm_imported`), deactivates and deletes the old key the rotation kept.
pub async fn finish(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    user: &str,
    confirm_imported: bool,
    vault_logins: Option<&[VaultSignIn]>,
) -> Result<RotateReport, ProvisionError> {
    crate::validate::user_name(user)?;
    let Some(waiting) = copies::waiting(connection.account_id(), user) else {
        return Err(ProvisionError::NotFound(format!(
            "no rotation of {user} is waiting to finish: every copy already holds the key in the keychain"
        )));
    };
    crate::aws::proof::prove(connection, Principal::user(user), &[]).await?;
    let account = keychain::account_for(connection.account_id(), user);
    let item = keychain::off_thread(&vault, move |vault| vault.load(&account)).await?;
    let creds = LoadedCredentials::parse(&item)?;
    if creds.access_key_id != waiting.new_access_key_id {
        return Err(ProvisionError::Ambiguous(format!(
            "the keychain holds {}, not the new key {} of the rotation waiting to finish: rotate again",
            crate::mask_access_key_id(&creds.access_key_id),
            crate::mask_access_key_id(&waiting.new_access_key_id)
        )));
    }
    if confirm_imported {
        copies::confirm_imported(connection.account_id(), user, &creds.access_key_id)
            .map_err(ProvisionError::Journal)?;
    }
    let outcomes = copies::refresh_all(connection, &creds, &item, vault_logins).await;
    let mut report = RotateReport {
        user_name: user.to_string(),
        new_access_key_id: creds.access_key_id.clone(),
        old_access_key_id: waiting.old_access_key_id.clone(),
        old_key_deleted: false,
        deleted_inactive_key: None,
        old_key_kept: true,
        copies: outcomes,
        message: String::new(),
    };
    if report.copies.iter().any(CopyOutcome::holds_old_key) {
        report.message = kept_message(
            user,
            (&creds.access_key_id, &waiting.old_access_key_id),
            &report.copies,
            None,
            vault_logins.is_some(),
        );
        return Ok(report);
    }
    let iam_client = connection.iam();
    iam_remove::deactivate_access_key(&iam_client, user, &waiting.old_access_key_id).await?;
    report.old_key_kept = false;
    report.old_key_deleted =
        iam_remove::delete_access_key(&iam_client, user, &waiting.old_access_key_id)
            .await
            .is_ok();
    let _ = copies::done_waiting(connection.account_id(), user);
    report.message = done_message(
        &creds.access_key_id,
        &waiting.old_access_key_id,
        report.old_key_deleted,
    );
    Ok(report)
}

/// Which copies are behind, and how to finish the rotation: the card's "Finish rotation" for
/// the window (`window`), the command for the CLI.
fn kept_message(
    user: &str,
    (new_id, old_id): (&str, &str),
    copies: &[CopyOutcome],
    unrecorded: Option<String>,
    window: bool,
) -> String {
    let (new, old) = (
        crate::mask_access_key_id(new_id),
        crate::mask_access_key_id(old_id),
    );
    let behind: Vec<String> = copies
        .iter()
        .filter(|c| c.holds_old_key())
        .map(|c| format!("{}: {}", c.location, c.detail))
        .collect();
    let sealed_waiting = copies.iter().any(|c| c.written && c.new_file.is_some());
    let mut message = format!(
        "The keychain now holds the new access key {new}. The old key {old} stays active because these copies do not hold the new key yet: {}. ",
        behind.join("; ").trim_end_matches('.')
    );
    if window {
        message.push_str("When the cause is fixed, choose Finish rotation on the setup's card");
        if sealed_waiting {
            message.push_str(
                " (tick the import once each new sealed file was imported on its computer)",
            );
        }
    } else {
        message.push_str(&format!(
            "When the cause is fixed, run `csfle-provisioner-cli rotate --user {user} --finish`"
        ));
        if sealed_waiting {
            message.push_str(
                " (add --confirm-imported once each new sealed file was imported on its computer)",
            );
        }
    }
    message
        .push_str(": it writes the copies still behind, then deactivates and deletes the old key.");
    if let Some(reason) = unrecorded {
        message.push_str(&format!(" This computer could not note the waiting rotation ({reason}): delete the old key {old} in the AWS console once every copy holds {new}."));
    }
    message
}

/// One rotation in progress: the old credentials as the keychain held them, and the new key.
struct Rotation<'a> {
    connection: &'a Connection,
    vault: &'a Arc<dyn Vault>,
    user: &'a str,
    account: &'a str,
    old: &'a LoadedCredentials,
    new_id: &'a str,
}

impl Rotation<'_> {
    /// The new key alone encrypts and decrypts with the setup's key, in the key's region.
    async fn prove(&self, new_secret: &Sensitive, limit: Duration) -> Result<(), ProvisionError> {
        let probe = Probe {
            access_key_id: self.new_id,
            secret: new_secret,
            session_token: None,
            key_arn: &self.old.key_arn,
            expected_arn: &self.old.user_arn,
        };
        verify::verify(
            &self.connection.config_for_key(&self.old.key_arn),
            &probe,
            limit,
            &Quiet,
            &Cancel::default(),
        )
        .await
    }

    fn label(&self) -> String {
        keychain::label_for(self.connection.account_id(), self.user)
    }

    /// Replaces the keychain item (one atomic write) with the new key and the same context.
    async fn store(&self, new_secret: &Sensitive) -> Result<(), ProvisionError> {
        let sealed = self.item(new_secret);
        let (account, label) = (self.account.to_string(), self.label());
        keychain::off_thread(self.vault, move |vault| {
            vault.save(&account, &label, &sealed)
        })
        .await
        .map_err(ProvisionError::from)
    }

    /// The keychain item's text with the new key and the old item's context.
    fn item(&self, new_secret: &Sensitive) -> Sensitive {
        let old = self.old;
        StoredCredentials {
            access_key_id: self.new_id,
            secret_access_key: new_secret,
            key_arn: &old.key_arn,
            key_alias: old.key_alias.as_deref(),
            region: &old.region,
            account_id: self.connection.account_id(),
            principal_arn: &old.user_arn,
            principal_name: self.user,
            policy_name: &old.policy_name,
            terms: old.terms().into(),
        }
        .seal()
    }

    /// Deletes the new key (best effort) and hands back why the rotation stopped.
    async fn undo_new(&self, reason: ProvisionError) -> ProvisionError {
        let _ = iam_remove::delete_access_key(&self.connection.iam(), self.user, self.new_id).await;
        reason
    }

    /// The keychain holds the new key: deactivate the old one, then delete it. If deactivating
    /// is refused, the old item goes back so the key in the keychain is still the only working
    /// one. Returns whether the old key was deleted.
    async fn retire_old(&self, old_item: Sensitive) -> Result<bool, ProvisionError> {
        let iam_client = self.connection.iam();
        let old_id = self.old.access_key_id.as_str();
        if let Err(failure) =
            iam_remove::deactivate_access_key(&iam_client, self.user, old_id).await
        {
            let (account, label) = (self.account.to_string(), self.label());
            let restored = keychain::off_thread(self.vault, move |vault| {
                vault.save(&account, &label, &old_item)
            })
            .await;
            return match restored {
                Ok(()) => Err(self.undo_new(failure.into()).await),
                _ => Err(ProvisionError::RoundTrip(format!(
                    "{failure}; the keychain now holds the new key {} and the old key {} is still active: deactivate it in the AWS console",
                    crate::mask_access_key_id(self.new_id),
                    crate::mask_access_key_id(old_id)
                ))),
            };
        }
        Ok(
            iam_remove::delete_access_key(&iam_client, self.user, old_id)
                .await
                .is_ok(),
        )
    }

    /// The journal's runs for this keychain item now name the new key instead of the old.
    fn record(&self, journal: &Journal) {
        let _ = journal.update(|runs| {
            for run in runs
                .iter_mut()
                .filter(|r| r.keychain_account.as_deref() == Some(self.account))
            {
                run.created.retain(
                    |c| !matches!(c, Created::AccessKey { id, .. } if *id == self.old.access_key_id),
                );
                run.created.push(Created::AccessKey {
                    user: self.user.to_string(),
                    id: self.new_id.to_string(),
                });
            }
        });
    }
}

fn done_message(new_id: &str, old_id: &str, old_key_deleted: bool) -> String {
    let (new, old) = (
        crate::mask_access_key_id(new_id),
        crate::mask_access_key_id(old_id),
    );
    if old_key_deleted {
        format!("The keychain now holds the new access key {new}; the old key {old} was deleted.")
    } else {
        format!("The keychain now holds the new access key {new}; the old key {old} is deactivated but could not be deleted: delete it in the AWS console.")
    }
}

/// AWS allows two access keys per user. With two, the one not in the keychain must go first:
/// only an inactive one, and only when the admin said so. Returns the deleted key and the ids
/// that remain.
async fn make_room(
    iam_client: &aws_sdk_iam::Client,
    user: &str,
    in_keychain: &str,
    delete_inactive: bool,
) -> Result<(Option<String>, Vec<String>), ProvisionError> {
    let keys = ownership::access_keys(iam_client, user).await?;
    let others: Vec<_> = keys
        .iter()
        .filter(|k| k.access_key_id() != Some(in_keychain))
        .collect();
    let ids: Vec<String> = keys
        .iter()
        .filter_map(|k| k.access_key_id().map(str::to_string))
        .collect();
    if ids.len() < 2 {
        return Ok((None, ids));
    }
    let inactive = others
        .iter()
        .find(|k| k.status() == Some(&aws_sdk_iam::types::StatusType::Inactive))
        .and_then(|k| k.access_key_id())
        .map(str::to_string);
    match inactive {
        Some(id) if delete_inactive => {
            iam_remove::delete_access_key(iam_client, user, &id).await?;
            let remaining = ids.into_iter().filter(|k| *k != id).collect();
            Ok((Some(id), remaining))
        }
        Some(id) => Err(ProvisionError::KeyLimit {
            user: user.to_string(),
            detail: format!(
                "; the other key {} is inactive",
                crate::mask_access_key_id(&id)
            ),
            inactive: Some(id),
        }),
        None => Err(ProvisionError::KeyLimit {
            user: user.to_string(),
            detail: "; both are active".into(),
            inactive: None,
        }),
    }
}
