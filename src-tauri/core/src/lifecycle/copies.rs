//! Keeping every recorded copy of a setup's credentials current when its key changes, and
//! removing them at teardown. A copy that cannot be written keeps the old key alive (rotation
//! does not retire it) and is named with the command that finishes the job.

use crate::aws::connect::Connection;
use crate::error::ProvisionError;
use crate::lifecycle::push;
use crate::local::credentials::LoadedCredentials;
use crate::local::deliveries::{self, Delivery, DeliveryKind, Retiring};
use crate::secret::Sensitive;
use crate::store::login::{self, VaultSignIn};
use crate::store::vault::{self, Vault, VaultTarget};
use serde::Serialize;
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// What happened to one copy when the key changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CopyOutcome {
    pub kind: DeliveryKind,
    pub location: String,
    /// The copy holds the new key now (for a sealed file: a new file was written for it).
    pub written: bool,
    /// Sealed: the new file, which the target must import before the old key goes.
    pub new_file: Option<String>,
    pub detail: String,
}

impl CopyOutcome {
    /// The copy still holds the old key, or waits for the target to import the new file.
    pub fn holds_old_key(&self) -> bool {
        !self.written || self.new_file.is_some()
    }
}

/// Writes `creds` (the key now in the keychain) to every recorded copy of the setup that holds
/// another key. Sealed copies get a new file beside the old one, for the same recipient. Vault
/// copies sign in with the window's login for their server (`logins`), or (CLI, `None`) the
/// environment's.
pub async fn refresh_all(
    connection: &Connection,
    creds: &LoadedCredentials,
    item: &Sensitive,
    logins: Option<&[VaultSignIn]>,
) -> Vec<CopyOutcome> {
    let mut outcomes = Vec::new();
    for delivery in deliveries::of_setup(&creds.account_id, &creds.user_name) {
        if delivery.access_key_id == creds.access_key_id {
            if delivery.kind == DeliveryKind::Sealed && !delivery.confirmed {
                outcomes.push(CopyOutcome {
                    kind: delivery.kind,
                    location: delivery.location.clone(),
                    written: true,
                    new_file: Some(delivery.location.clone()),
                    detail: "waiting for the target to import it".into(),
                });
            }
            continue;
        }
        outcomes.push(refresh_one(connection, creds, item, &delivery, logins).await);
    }
    outcomes
}

async fn refresh_one(
    connection: &Connection,
    creds: &LoadedCredentials,
    item: &Sensitive,
    delivery: &Delivery,
    logins: Option<&[VaultSignIn]>,
) -> CopyOutcome {
    let written = match delivery.kind {
        DeliveryKind::Vault => refresh_vault(creds, delivery, logins).await,
        DeliveryKind::SecretsManager => push::refresh_secret(connection, creds, delivery).await,
        DeliveryKind::Sealed => reseal(creds, item, delivery),
    };
    let outcome = |written, detail: String, new_file| CopyOutcome {
        kind: delivery.kind,
        location: delivery.location.clone(),
        written,
        new_file,
        detail,
    };
    match written {
        Ok(record) => {
            let new_file = (record.kind == DeliveryKind::Sealed).then(|| record.location.clone());
            let detail = match &new_file {
                Some(file) => format!("sealed again for {} in the new file {file}; copy it to that computer and run `csfle-provisioner-cli import {file}` there", record.recipient.clone().unwrap_or_default()),
                None => format!("now holds {}", crate::mask_access_key_id(&record.access_key_id)),
            };
            match deliveries::record(record) {
                Ok(()) => outcome(true, detail, new_file),
                Err(e) => outcome(
                    true,
                    format!("{detail}; this computer could not note it: {e}"),
                    new_file,
                ),
            }
        }
        Err(error) => {
            let report = error.report(None);
            // One sentence each, whatever punctuation the message ends with.
            let message = report.message.trim_end_matches('.');
            outcome(false, format!("{message}. {}", report.hint), None)
        }
    }
}

fn vault_target(delivery: &Delivery) -> Result<VaultTarget, ProvisionError> {
    let url = delivery.vault_url.clone().unwrap_or_default();
    let path = format!(
        "{}/{}",
        delivery.vault_mount.clone().unwrap_or_default(),
        delivery.vault_path.clone().unwrap_or_default()
    );
    Ok(vault::target(&url, &path)?)
}

async fn refresh_vault(
    creds: &LoadedCredentials,
    delivery: &Delivery,
    logins: Option<&[VaultSignIn]>,
) -> Result<Delivery, ProvisionError> {
    let target = vault_target(delivery)?;
    let credential = login::credential_for(logins, &target.url)?;
    let store = Vault::sign_in(target.clone(), credential).await?;
    let version = push::write_vault(&store, creds, delivery.vault_version).await?;
    Ok(push::vault_record(&target, creds, version))
}

/// The new sealed file's name: the old one's, with the new key id before `.age`.
pub fn resealed_path(old: &Path, access_key_id: &str) -> PathBuf {
    let stem = old
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "credentials".into());
    old.with_file_name(format!("{stem}.{access_key_id}.age"))
}

fn reseal(
    creds: &LoadedCredentials,
    item: &Sensitive,
    delivery: &Delivery,
) -> Result<Delivery, ProvisionError> {
    let recipient = delivery.recipient.clone().unwrap_or_default();
    let to = crate::local::sealed::recipient(&recipient)?;
    let out = resealed_path(Path::new(&delivery.location), &creds.access_key_id);
    let bytes = crate::local::sealed::seal(&to, item);
    if bytes.is_empty() {
        return Err(ProvisionError::Delivery(
            "the file could not be sealed".into(),
        ));
    }
    crate::local::sealed::write_new(&out, &bytes).map_err(|e| {
        ProvisionError::Delivery(format!("{} could not be written: {e}", out.display()))
    })?;
    Ok(Delivery {
        location: out.display().to_string(),
        access_key_id: creds.access_key_id.clone(),
        written_at: deliveries::now(),
        confirmed: false,
        ..delivery.clone()
    })
}

/// Remembers that `old` stays active until every copy holds `new`.
pub fn keep_old_key(account_id: &str, user: &str, old: &str, new: &str) -> Result<(), String> {
    deliveries::update(|contents| {
        contents
            .retiring
            .retain(|r| !(r.account_id == account_id && r.user == user));
        contents.retiring.push(Retiring {
            account_id: account_id.to_string(),
            user: user.to_string(),
            old_access_key_id: old.to_string(),
            new_access_key_id: new.to_string(),
            kept_at: deliveries::now(),
        });
    })
}

/// The rotation of the setup waiting to finish, if any.
pub fn waiting(account_id: &str, user: &str) -> Option<Retiring> {
    deliveries::load()
        .retiring
        .into_iter()
        .find(|r| r.account_id == account_id && r.user == user)
}

pub fn done_waiting(account_id: &str, user: &str) -> Result<(), String> {
    deliveries::update(|contents| {
        contents
            .retiring
            .retain(|r| !(r.account_id == account_id && r.user == user))
    })
}

/// Marks the setup's sealed copies holding `access_key_id` as imported (the admin's word).
pub fn confirm_imported(account_id: &str, user: &str, access_key_id: &str) -> Result<(), String> {
    deliveries::update(|contents| {
        for d in contents.deliveries.iter_mut().filter(|d| {
            d.of(account_id, user)
                && d.kind == DeliveryKind::Sealed
                && d.access_key_id == access_key_id
        }) {
            d.confirmed = true;
        }
    })
}

/// What teardown did with the copies: removed, left (not ours, or unreachable), and the sealed
/// files it cannot reach (they are on other computers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopiesRemoved {
    pub removed: Vec<String>,
    pub failed: Vec<String>,
    pub sealed: Vec<String>,
}

/// Removes every pushed copy of the setup that is still this app's, and forgets what is gone.
pub async fn remove_all(
    connection: &Connection,
    account_id: &str,
    user: &str,
    logins: Option<&[VaultSignIn]>,
) -> CopiesRemoved {
    let mut done = CopiesRemoved::default();
    for delivery in deliveries::of_setup(account_id, user) {
        let result = match delivery.kind {
            DeliveryKind::Sealed => {
                done.sealed.push(format!(
                    "the sealed file {} (for {}) and wherever it was imported: this app cannot reach other computers; delete the file, and on the target remove the keychain item",
                    delivery.location,
                    delivery.recipient.clone().unwrap_or_default()
                ));
                let _ = deliveries::forget(&delivery);
                continue;
            }
            DeliveryKind::Vault => remove_vault(&delivery, logins).await,
            DeliveryKind::SecretsManager => push::remove_secret(connection, &delivery).await,
        };
        match result {
            Ok(what) => {
                done.removed.push(format!("copy in {what}"));
                let _ = deliveries::forget(&delivery);
            }
            Err(error) => {
                let report = error.report(None);
                done.failed.push(format!(
                    "copy at {}: {} {}",
                    delivery.location, report.message, report.hint
                ));
            }
        }
    }
    done
}

async fn remove_vault(
    delivery: &Delivery,
    logins: Option<&[VaultSignIn]>,
) -> Result<String, ProvisionError> {
    let target = vault_target(delivery)?;
    let credential = login::credential_for(logins, &target.url)?;
    let store = Vault::sign_in(target, credential).await?;
    Ok(push::remove_vault(&store, delivery).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(written: bool, new_file: Option<&str>) -> CopyOutcome {
        CopyOutcome {
            kind: DeliveryKind::Vault,
            location: "x".into(),
            written,
            new_file: new_file.map(str::to_string),
            detail: String::new(),
        }
    }

    #[test]
    fn a_copy_behind_or_a_file_not_yet_imported_keeps_the_old_key() {
        assert!(!outcome(true, None).holds_old_key());
        assert!(outcome(false, None).holds_old_key());
        assert!(outcome(true, Some("/f.age")).holds_old_key());
    }

    #[test]
    fn a_fresh_sealed_file_sits_beside_the_old_one_named_by_the_new_key() {
        assert_eq!(
            resealed_path(Path::new("/srv/out/app.age"), "AKIANEW"),
            PathBuf::from("/srv/out/app.AKIANEW.age")
        );
        assert_eq!(
            resealed_path(Path::new("/srv/out/app"), "AKIANEW"),
            PathBuf::from("/srv/out/app.AKIANEW.age")
        );
    }
}
