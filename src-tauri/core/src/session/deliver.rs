//! Delivering a user setup's credentials to the computer where the application runs, never
//! shown: the target prints its age recipient (`receive`), the admin's computer seals the keychain
//! item to it (`deliver`), the target opens it into its own keychain (`import`). After that,
//! credential-process, exec and aws-profile work there as on the admin's computer.

use super::{report, Session};
use crate::error::{ErrorReport, ProvisionError};
use crate::local::credentials::LoadedCredentials;
use crate::local::keychain;
use crate::local::sealed::{self, IDENTITY_ACCOUNT, MAX_SEALED_BYTES};
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Delivered {
    /// Why this computer could not note the delivery, if it could not (rotation then cannot
    /// write a fresh file for this recipient).
    pub recorded: Option<String>,
    pub user: String,
    pub recipient: String,
    pub file: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub user: String,
    pub account_id: String,
    pub keychain_account: String,
    pub store: String,
}

impl Session {
    /// This computer's age recipient, making its identity (in this computer's keychain) on first
    /// use. The recipient is public: it can be sent by chat or mail.
    pub fn receive(&self) -> Result<String, ErrorReport> {
        let vault = self.vault.as_ref();
        let identity = match vault.load(IDENTITY_ACCOUNT) {
            Ok(identity) => identity,
            Err(crate::error::keychain::KeychainError::NotFound { .. }) => {
                let made = sealed::new_identity();
                let label =
                    "csfle-provisioner: this computer's key for receiving sealed credentials";
                vault.save(IDENTITY_ACCOUNT, label, &made).map_err(report)?;
                made
            }
            Err(other) => return Err(report(other)),
        };
        sealed::recipient_of(&identity).map_err(report)
    }

    /// Seals `user`'s keychain item to `recipient` in a new file `out` (refused if it exists).
    pub fn deliver_to_file(
        &self,
        user: String,
        account_id: Option<String>,
        recipient: String,
        out: PathBuf,
    ) -> Result<Delivered, ErrorReport> {
        seal_to_file(self.vault.as_ref(), user, account_id, recipient, out)
    }

    /// The window's "Send to another computer": `user`'s setup in the connected account, sealed
    /// off the async threads (the keychain answers synchronously).
    pub async fn deliver_from_window(
        &self,
        user: String,
        recipient: String,
        out: String,
    ) -> Result<Delivered, ErrorReport> {
        let out = PathBuf::from(out.trim());
        // The window has no working folder the admin knows of: a relative path would land anywhere.
        if !out.is_absolute() {
            return Err(report(ProvisionError::Delivery(format!(
                "{} is not a full path (it must start at the top of a drive or folder tree)",
                out.display()
            ))));
        }
        let account_id = Some(self.connection().await?.account_id().to_string());
        let vault = std::sync::Arc::clone(&self.vault);
        tokio::task::spawn_blocking(move || {
            seal_to_file(vault.as_ref(), user, account_id, recipient, out)
        })
        .await
        .map_err(|_| report(ProvisionError::Cancelled))?
    }

    /// Where the window suggests saving `user`'s sealed file: the Downloads folder, else
    /// Documents, else the home folder; a name that is not taken yet.
    pub fn suggested_delivery_path(&self, user: &str) -> Result<String, ErrorReport> {
        crate::validate::user_name(user).map_err(report)?;
        let home = std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" })
            .map(PathBuf::from)
            .filter(|home| home.is_absolute())
            .ok_or_else(|| report(ProvisionError::Config("the home folder is unknown".into())))?;
        let folder = ["Downloads", "Documents"]
            .iter()
            .map(|name| home.join(name))
            .find(|dir| dir.is_dir())
            .unwrap_or(home);
        let free = (1..100)
            .map(|n| match n {
                1 => folder.join(format!("{user}.age")),
                n => folder.join(format!("{user}-{n}.age")),
            })
            .find(|path| !path.exists())
            .unwrap_or_else(|| folder.join(format!("{user}.age")));
        Ok(free.display().to_string())
    }

    /// Opens a file sealed to this computer and stores the setup in this computer's keychain, as
    /// one item, exactly as provision stores it.
    pub fn import(&self, file: PathBuf) -> Result<Imported, ErrorReport> {
        let sealed_bytes = read_bounded(&file).map_err(|e| {
            report(ProvisionError::Delivery(format!(
                "{} could not be read: {e}",
                file.display()
            )))
        })?;
        let vault = self.vault.as_ref();
        let identity = vault.load(IDENTITY_ACCOUNT).map_err(report)?;
        let item = sealed::open(&identity, &sealed_bytes).map_err(report)?;
        let stored = LoadedCredentials::parse(&item).map_err(report)?;
        crate::validate::user_name(&stored.user_name).map_err(report)?;
        if stored.account_id.len() != 12 || !stored.account_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(report(ProvisionError::Delivery(
                "the sealed item names no AWS account".into(),
            )));
        }
        let account = keychain::account_for(&stored.account_id, &stored.user_name);
        let label = keychain::label_for(&stored.account_id, &stored.user_name);
        vault.save(&account, &label, &item).map_err(report)?;
        crate::local::imported::remember(&account).map_err(|e| {
            report(ProvisionError::Delivery(format!("the setup was stored, but this computer could not note it ({e}); pass --account {} to credential-process", stored.account_id)))
        })?;
        Ok(Imported {
            user: stored.user_name.clone(),
            account_id: stored.account_id.clone(),
            keychain_account: account,
            store: vault.store_name(),
        })
    }
}

/// Seals the keychain item of `user` to `recipient` in the new file `out`.
fn seal_to_file(
    vault: &dyn keychain::Vault,
    user: String,
    account_id: Option<String>,
    recipient: String,
    out: PathBuf,
) -> Result<Delivered, ErrorReport> {
    crate::validate::user_name(&user).map_err(report)?;
    let to = sealed::recipient(&recipient).map_err(report)?;
    let out = std::path::absolute(&out)
        .map_err(|e| report(ProvisionError::Delivery(format!("{}: {e}", out.display()))))?;
    let account =
        crate::local::credential_profile::resolve_account(vault, &user, account_id.as_deref())
            .map_err(report)?;
    let item = vault.load(&account).map_err(report)?;
    // The item must be one of ours: a sealed file the target cannot use helps nobody.
    let stored = LoadedCredentials::parse(&item).map_err(report)?;
    let bytes = sealed::seal(&to, &item);
    if bytes.is_empty() {
        return Err(report(ProvisionError::Delivery(
            "the file could not be sealed".into(),
        )));
    }
    sealed::write_new(&out, &bytes).map_err(|e| {
        report(ProvisionError::Delivery(format!(
            "{} could not be written: {e}",
            out.display()
        )))
    })?;
    let recorded = crate::local::deliveries::record(sealed_record(
        &stored,
        &account,
        &user,
        recipient.trim(),
        &out,
    ));
    Ok(Delivered {
        recorded: recorded.err(),
        user,
        recipient: recipient.trim().to_string(),
        file: out.display().to_string(),
    })
}

fn read_bounded(file: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(file)?
        .take(MAX_SEALED_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SEALED_BYTES {
        return Err(std::io::Error::other(
            "it is too large to be a sealed setup",
        ));
    }
    Ok(bytes)
}

fn sealed_record(
    stored: &LoadedCredentials,
    account: &str,
    user: &str,
    recipient: &str,
    out: &Path,
) -> crate::local::deliveries::Delivery {
    use crate::local::deliveries::{Delivery, DeliveryKind};
    Delivery {
        account_id: account.split('/').next().unwrap_or_default().to_string(),
        user: user.to_string(),
        kind: DeliveryKind::Sealed,
        location: out.display().to_string(),
        recipient: Some(recipient.to_string()),
        vault_url: None,
        vault_mount: None,
        vault_path: None,
        vault_version: None,
        region: None,
        kms_key: None,
        readers: vec![],
        access_key_id: stored.access_key_id.clone(),
        written_at: crate::local::deliveries::now(),
        // The first file: nothing waits on its import (no old key to keep).
        confirmed: true,
    }
}
