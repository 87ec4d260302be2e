//! Applications read the keychain through their AWS SDK: an AWS profile whose credentials come
//! from `csfle-provisioner-cli credential-process`, and that command's answer.

use super::{report, Session};
use crate::error::{ErrorReport, ProvisionError};
use crate::local::credential_profile::{self, ProfileWritten};
use crate::local::journal::RunState;
use crate::local::session_credentials;
use crate::secret::Sensitive;
use crate::validate;
use std::path::PathBuf;
use std::sync::Arc;

/// A 12-digit AWS account id, when the admin names one.
pub(super) fn check_account(account: Option<&str>) -> Result<(), ErrorReport> {
    match account {
        Some(id) if id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()) => {
            Err(report(ProvisionError::AccountId(id.to_string())))
        }
        _ => Ok(()),
    }
}

/// The command-line program shipped beside the app's own binary.
fn companion_cli() -> Option<PathBuf> {
    let name = if cfg!(windows) {
        "csfle-provisioner-cli.exe"
    } else {
        "csfle-provisioner-cli"
    };
    let beside = std::env::current_exe().ok()?.parent()?.join(name);
    beside.exists().then_some(beside)
}

impl Session {
    /// The app's "Add an AWS profile": `user`'s setup in the connected account, read through the
    /// command-line program installed next to the app.
    pub async fn add_aws_profile(
        &self,
        user: String,
        profile: String,
    ) -> Result<ProfileWritten, ErrorReport> {
        validate::user_name(&user).map_err(report)?;
        validate::profile(&profile).map_err(report)?;
        let connection = self.connection().await?;
        let cli = companion_cli().ok_or_else(|| report(ProvisionError::CliMissing))?;
        let account_id = Some(connection.account_id().to_string());
        self.write_profile(user, account_id, profile, cli).await
    }

    /// The CLI's `aws-profile`: no AWS call. Without `account_id` the setup is found on this
    /// computer (the journal, then the keychain); the profile runs this very program.
    pub async fn add_aws_profile_here(
        &self,
        user: String,
        profile: String,
        account_id: Option<String>,
    ) -> Result<ProfileWritten, ErrorReport> {
        validate::user_name(&user).map_err(report)?;
        validate::profile(&profile).map_err(report)?;
        check_account(account_id.as_deref())?;
        let cli =
            std::env::current_exe().map_err(|e| report(ProvisionError::OwnPath(e.to_string())))?;
        self.write_profile(user, account_id, profile, cli).await
    }

    /// Writes the profile for `user`'s keychain item, then remembers it in the journal so that
    /// tearing the setup down removes it too.
    async fn write_profile(
        &self,
        user: String,
        account_id: Option<String>,
        profile: String,
        cli: PathBuf,
    ) -> Result<ProfileWritten, ErrorReport> {
        let vault = Arc::clone(&self.vault);
        let name = profile.clone();
        // Keychain reads and the config file edit are blocking calls: off the async threads.
        let (account, written) = tokio::task::spawn_blocking(move || {
            let vault = vault.as_ref();
            let account = credential_profile::resolve_account(vault, &user, account_id.as_deref())?;
            let written = credential_profile::write_profile(vault, &account, &name, &cli)?;
            Ok::<_, ProvisionError>((account, written))
        })
        .await
        .map_err(|_| report(ProvisionError::Cancelled))?
        .map_err(report)?;
        self.remember_profile(&account, &profile);
        Ok(written)
    }

    /// Notes `profile` on the completed runs of the setup in keychain `account`: a torn-down or
    /// rolled-back run of the same name must not take it along when it is cleaned up.
    pub(super) fn remember_profile(&self, account: &str, profile: &str) {
        let Some(journal) = self.journal() else {
            return;
        };
        // The profile works without the note; only teardown's tidying would miss it.
        let _ = journal.update(|runs| {
            for run in runs.iter_mut().filter(|r| {
                r.state == RunState::Complete && r.keychain_account.as_deref() == Some(account)
            }) {
                if !run.aws_profiles.iter().any(|p| p == profile) {
                    run.aws_profiles.push(profile.to_string());
                }
            }
        });
    }

    /// The answer of `credential-process` for `user`'s setup: session credentials made with the
    /// stored key and cached in the keychain (a cache hit is one keychain read; only a miss calls
    /// STS), at most as long as the setup's cap. With `long_lived`, the stored key itself, but
    /// only for a setup provisioned with `--allow-long-lived`. It holds the secret: for an AWS
    /// SDK's pipe only.
    pub async fn credential_process(
        &self,
        user: String,
        account_id: Option<String>,
        long_lived: bool,
        duration_seconds: Option<i32>,
    ) -> Result<Sensitive, ErrorReport> {
        validate::user_name(&user).map_err(report)?;
        check_account(account_id.as_deref())?;
        let vault = self.vault.as_ref();
        let account = credential_profile::resolve_account(vault, &user, account_id.as_deref())
            .map_err(report)?;
        if long_lived {
            return session_credentials::long_lived(vault, &account).map_err(report);
        }
        session_credentials::serve(vault, &account, duration_seconds)
            .await
            .map_err(report)
    }
}
