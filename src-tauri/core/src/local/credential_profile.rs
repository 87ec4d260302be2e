//! Lets applications read the keychain through the AWS SDKs' own `credential_process` setting:
//! an AWS profile whose credentials come from `csfle-provisioner-cli credential-process`, so no
//! plaintext credentials file is needed.

use crate::error::keychain::KeychainError;
use crate::error::ProvisionError;
use crate::local::aws_config_file::{self, ConfigEditError};
use crate::local::credentials::LoadedCredentials;
use crate::local::keychain::Vault;
use crate::local::profiles;
use std::path::{Path, PathBuf};

/// The keychain account for `user`: `account_id/user`. Without an account id, the candidates are
/// the accounts of this machine's setups of `user` in the journal, each probed in the keychain
/// (stores cannot all be searched the same way, and an item the admin deleted must not count).
pub fn resolve_account(
    vault: &dyn Vault,
    user: &str,
    account_id: Option<&str>,
) -> Result<String, ProvisionError> {
    if let Some(account_id) = account_id {
        return Ok(crate::local::keychain::account_for(account_id, user));
    }
    let runs = crate::local::journal::Journal::open_default()
        .runs()
        .map_err(|e| ProvisionError::Journal(e.to_string()))?;
    let mut candidates = journal_accounts(&runs, user);
    let mut present = Vec::new();
    for account in candidates.drain(..) {
        match vault.load(&account) {
            Ok(_) => present.push(account),
            Err(KeychainError::NotFound { .. }) => {}
            Err(other) => return Err(other.into()),
        }
    }
    match present.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(KeychainError::NotFound {
            account: format!("<any account>/{user}"),
        }
        .into()),
        several => Err(ProvisionError::Ambiguous(format!(
            "{user} has credentials for several AWS accounts ({}); pass --account",
            several.join(", ")
        ))),
    }
}

/// The keychain accounts the journal names for `user`'s setups that were not torn down.
fn journal_accounts(runs: &[crate::local::journal::Run], user: &str) -> Vec<String> {
    use crate::local::journal::RunState;
    let mut accounts: Vec<String> = runs
        .iter()
        .filter(|run| run.principal_name == user)
        .filter(|run| matches!(run.state, RunState::Complete | RunState::InProgress))
        .filter_map(|run| run.keychain_account.clone())
        .filter(|account| account.split_once('/').map(|(_, u)| u) == Some(user))
        .collect();
    accounts.sort();
    accounts.dedup();
    accounts
}

/// The `credential_process` line: the CLI by absolute path, quoted for the SDKs' shell-like split.
pub fn command_line(cli: &Path, user: &str, account_id: &str) -> String {
    format!(
        "\"{}\" credential-process --user {user} --account {account_id}",
        cli.display()
    )
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ProfileWritten {
    pub profile: String,
    pub config_file: String,
    pub backup: Option<String>,
}

/// Adds (or refreshes) `profile` in the AWS config file for the setup in `account`, keeping a
/// backup of the previous file and replacing it atomically.
pub fn write_profile(
    vault: &dyn Vault,
    account: &str,
    profile: &str,
    cli: &Path,
) -> Result<ProfileWritten, ProvisionError> {
    let item = vault.load(account)?;
    let stored = LoadedCredentials::parse(&item)?;
    let (account_id, user) = account
        .split_once('/')
        .unwrap_or((stored.account_id.as_str(), account));
    let lines = aws_config_file::section_lines(
        profile,
        &stored.region,
        &command_line(cli, user, account_id),
    );
    let path = profiles::config_path().ok_or_else(|| {
        ProvisionError::Config("the home folder is unknown (HOME is not set)".into())
    })?;
    edit_config(&path, |original| {
        aws_config_file::upsert(original, profile, &lines)
    })
    .map(|backup| ProfileWritten {
        profile: profile.to_string(),
        config_file: path.display().to_string(),
        backup: backup.map(|b| b.display().to_string()),
    })
}

/// Removes our `profile` section; a profile that is not there is already removed.
pub fn remove_profile(profile: &str) -> Result<(), ProvisionError> {
    let Some(path) = profiles::config_path() else {
        return Ok(());
    };
    if !path.exists() {
        return Ok(());
    }
    edit_config(&path, |original| aws_config_file::remove(original, profile)).map(drop)
}

fn edit_config(
    path: &Path,
    edit: impl FnOnce(&str) -> Result<String, ConfigEditError>,
) -> Result<Option<PathBuf>, ProvisionError> {
    let io = |e: std::io::Error| ProvisionError::Config(format!("{}: {e}", path.display()));
    let original = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    let edited = edit(original.as_deref().unwrap_or_default())
        .map_err(|e| ProvisionError::Config(e.to_string()))?;
    if original.as_deref() == Some(edited.as_str()) {
        return Ok(None);
    }
    let backup = match &original {
        Some(text) => {
            // One backup, replaced each time: a folder of dated copies would grow without bound
            // and spread the file's contents around. It is private whatever the original's mode.
            let backup = path.with_file_name(format!(
                "{}.csfle-backup",
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ));
            crate::local::atomic_file::replace_private(&backup, text.as_bytes()).map_err(io)?;
            Some(backup)
        }
        None => None,
    };
    crate::local::atomic_file::replace(path, edited.as_bytes()).map_err(io)?;
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::journal::{Run, RunState};
    use crate::model::principal::PrincipalKind;

    fn run(account: &str, user: &str, state: RunState) -> Run {
        Run {
            id: format!("{account}-{user}-{state:?}"),
            account_id: account.into(),
            region: "us-east-1".into(),
            endpoint: None,
            principal_kind: PrincipalKind::User,
            principal_name: user.into(),
            policy_name: format!("csfle-kms-{user}"),
            key_arn: None,
            key_alias: None,
            keychain_account: Some(crate::local::keychain::account_for(account, user)),
            state,
            started_at: 1,
            created: vec![],
            aws_profiles: vec![],
            new_key_description: None,
        }
    }

    #[test]
    fn candidates_are_the_live_setups_of_that_user_once_each() {
        let runs = vec![
            run("111122223333", "app", RunState::Complete),
            run("111122223333", "app", RunState::Complete),
            run("444455556666", "app", RunState::TornDown),
            run("777788889999", "app", RunState::RolledBack),
            run("111122223333", "app2", RunState::Complete),
            run("999988887777", "app", RunState::InProgress),
        ];
        assert_eq!(
            journal_accounts(&runs, "app"),
            vec!["111122223333/app", "999988887777/app"]
        );
        assert!(journal_accounts(&runs, "nobody").is_empty());
    }
}
