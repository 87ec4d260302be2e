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
    // Setups imported from another computer have no run in this one's journal.
    candidates.extend(
        crate::local::imported::accounts()
            .into_iter()
            .filter(|account| account.split_once('/').map(|(_, u)| u) == Some(user)),
    );
    candidates.sort();
    candidates.dedup();
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

/// The `credential_process` line: the CLI by absolute path, quoted for the SDKs' shell-like split,
/// then the arguments (a validated user name and a 12-digit account id: nothing to quote).
pub fn command_line(
    cli: &Path,
    user: &str,
    account_id: &str,
    store: Option<&str>,
) -> Result<String, ProvisionError> {
    let program = cli
        .to_str()
        .ok_or_else(|| ProvisionError::OwnPath(format!("{} is not valid UTF-8", cli.display())))?;
    refuse_transient(cli, &std::env::temp_dir())?;
    let store = store
        .map(|flag| format!(" --store {flag}"))
        .unwrap_or_default();
    Ok(format!(
        "{} credential-process --user {user} --account {account_id}{store}",
        quoted(program, cfg!(windows))?
    ))
}

/// `program` as one word of a `credential_process` line, in double quotes. The AWS SDKs split
/// that line like a command line: on Unix botocore with `shlex` (POSIX rules) and others through
/// `sh -c`; in both, inside double quotes, `\"` and `\\` stand for `"` and `\`, while `$` and
/// `` ` `` mean different things to each, so a path with them is refused. On Windows the line goes
/// to CreateProcess or `cmd /C`, which have no escape for `"` (no Windows path contains one).
pub fn quoted(program: &str, windows: bool) -> Result<String, ProvisionError> {
    let unquotable = |c: char| c.is_control() || (!windows && matches!(c, '$' | '`'));
    if let Some(bad) = program.chars().find(|c| unquotable(*c)) {
        return Err(ProvisionError::OwnPath(format!(
            "{program:?} contains {bad:?}, which the AWS SDKs do not read alike; install the program in a folder without it"
        )));
    }
    if windows {
        if program.contains('"') {
            return Err(ProvisionError::OwnPath(format!(
                "{program:?} cannot be quoted for Windows"
            )));
        }
        return Ok(format!("\"{program}\""));
    }
    let mut out = String::with_capacity(program.len() + 2);
    out.push('"');
    for c in program.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

/// Refuses a program path that will not last: under the temporary folder (a download opened in
/// place, `cargo run` from /tmp), where macOS runs a quarantined app it has not moved
/// (App Translocation: a random read-only mount that is gone after a restart), a disk image or
/// other volume mounted under `/Volumes/` (the app started from the opened .dmg: gone once it is
/// ejected), or an AppImage's own mount (`.mount_*`, gone when the AppImage exits). A program in
/// a build folder (`cargo run`'s target/) is kept: it lasts until the developer removes it.
pub fn refuse_transient(cli: &Path, temp_dir: &Path) -> Result<(), ProvisionError> {
    let text = cli.to_string_lossy();
    let refuse = |reason: &str| {
        Err(ProvisionError::TransientCliPath {
            path: text.to_string(),
            reason: reason.to_string(),
        })
    };
    if text.contains("/AppTranslocation/") {
        return refuse("macOS runs this copy from App Translocation until it is moved");
    }
    if text.starts_with("/Volumes/") {
        return refuse("it runs from a mounted disk image or volume, which is gone once ejected");
    }
    let appimage_mount = cli.components().any(|part| {
        part.as_os_str()
            .to_str()
            .is_some_and(|name| name.starts_with(".mount_"))
    });
    if appimage_mount {
        return refuse("it runs from inside an AppImage, whose mount is gone when it exits");
    }
    let temp = std::fs::canonicalize(temp_dir).unwrap_or_else(|_| temp_dir.to_path_buf());
    let real = std::fs::canonicalize(cli).unwrap_or_else(|_| cli.to_path_buf());
    let under_temp = [temp_dir, temp.as_path()]
        .iter()
        .any(|t| !t.as_os_str().is_empty() && (cli.starts_with(t) || real.starts_with(t)));
    if under_temp {
        return refuse("it is under the temporary folder");
    }
    if text.to_ascii_lowercase().contains("\\temp\\") {
        return refuse("it is under a Temp folder");
    }
    Ok(())
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
    let path = profiles::config_path().ok_or_else(|| {
        ProvisionError::Config("the home folder is unknown (HOME is not set)".into())
    })?;
    write_profile_at(vault, account, profile, cli, &path)
}

/// [`write_profile`] into the config file at `path`.
pub fn write_profile_at(
    vault: &dyn Vault,
    account: &str,
    profile: &str,
    cli: &Path,
    path: &Path,
) -> Result<ProfileWritten, ProvisionError> {
    let item = vault.load(account)?;
    let stored = LoadedCredentials::parse(&item)?;
    let (account_id, user) = account
        .split_once('/')
        .unwrap_or((stored.account_id.as_str(), account));
    // The region read back from the keychain item goes into the config file: a known region
    // only, so the item cannot add lines (a newline, another setting) to the profile.
    let region = crate::validate::region(&stored.region)?;
    let lines = aws_config_file::section_lines(
        profile,
        &region,
        &command_line(cli, user, account_id, vault.store_flag())?,
    );
    edit_config(path, |original| {
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
            // Never through a link: a link planted at the backup's name would get the config.
            if std::fs::symlink_metadata(&backup).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(ProvisionError::BackupIsLink(backup.display().to_string()));
            }
            crate::local::atomic_file::write_new_private(&backup, text.as_bytes()).map_err(io)?;
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
    use crate::secret::Sensitive;

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
            key_profile: None,
        }
    }

    /// A keychain with one item whose text is `item`.
    struct OneItem(String);

    impl Vault for OneItem {
        fn store_name(&self) -> String {
            "test".into()
        }
        fn save(&self, _: &str, _: &str, _: &Sensitive) -> Result<(), KeychainError> {
            Ok(())
        }
        fn load(&self, _: &str) -> Result<Sensitive, KeychainError> {
            Ok(Sensitive::new(self.0.clone()))
        }
        fn remove(&self, _: &str) -> Result<(), KeychainError> {
            Ok(())
        }
        fn check_reachable(&self) -> Result<(), KeychainError> {
            Ok(())
        }
    }

    fn item(region: &str) -> OneItem {
        OneItem(
            serde_json::json!({"Version": 1, "AccessKeyId": "AKIA", "SecretAccessKey": "s", "KeyArn": "k",
                "Region": region, "UserArn": "arn:aws:iam::111122223333:user/app"})
            .to_string(),
        )
    }

    #[test]
    fn the_region_read_back_is_checked_before_it_reaches_the_config_file() {
        let dir = std::env::temp_dir().join(format!(
            "csfle-profile-region-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config");
        std::fs::write(&config, "[default]\nregion = eu-west-1\n").unwrap();
        let cli = Path::new("/usr/bin/csfle-provisioner-cli");
        let tampered = item("us-east-1\ncredential_process = /bin/sh -c evil");
        let error =
            write_profile_at(&tampered, "111122223333/app", "csfle-app", cli, &config).unwrap_err();
        assert_eq!(error.code(), "invalid-input", "{error}");
        assert_eq!(
            std::fs::read_to_string(&config).unwrap(),
            "[default]\nregion = eu-west-1\n"
        );
        write_profile_at(
            &item("eu-central-1"),
            "111122223333/app",
            "csfle-app",
            cli,
            &config,
        )
        .unwrap();
        let written = std::fs::read_to_string(&config).unwrap();
        assert!(written.contains("region = eu-central-1\n"), "{written}");
        assert!(written.contains(
            "credential_process = \"/usr/bin/csfle-provisioner-cli\" credential-process --user app --account 111122223333"
        ), "{written}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_program_is_quoted_as_the_sdks_split_it() {
        assert_eq!(
            quoted("/opt/csfle provisioner/cli", false).unwrap(),
            "\"/opt/csfle provisioner/cli\""
        );
        assert_eq!(
            quoted(r#"/opt/a"b\c/cli"#, false).unwrap(),
            r#""/opt/a\"b\\c/cli""#
        );
        assert!(quoted("/opt/$HOME/cli", false).is_err());
        assert!(quoted("/opt/`id`/cli", false).is_err());
        assert!(quoted("/opt/a\nb/cli", false).is_err());
        assert_eq!(
            quoted(r"C:\Program Files\csfle\cli.exe", true).unwrap(),
            r#""C:\Program Files\csfle\cli.exe""#
        );
        assert!(quoted(r#"C:\a"b\cli.exe"#, true).is_err());
    }

    /// What a POSIX shell-like split (botocore's shlex, `sh -c`) makes of a double-quoted word.
    fn posix_unquote(word: &str) -> String {
        let inner = &word[1..word.len() - 1];
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.push(chars.next().unwrap()),
                '"' => panic!("an unescaped quote ends the word early"),
                other => out.push(other),
            }
        }
        out
    }

    #[test]
    fn the_quoted_program_splits_back_into_the_same_path() {
        for path in [
            "/usr/bin/cli",
            "/Users/me/My Apps/cli",
            r#"/odd "dir"\x/cli"#,
        ] {
            let word = quoted(path, false).unwrap();
            assert_eq!(posix_unquote(&word), path);
        }
    }

    #[test]
    fn a_transient_install_path_is_refused() {
        let temp = std::env::temp_dir();
        let in_temp = temp.join("csfle-provisioner-cli");
        let error = refuse_transient(&in_temp, &temp).unwrap_err();
        assert_eq!(error.code(), "cli-path-transient");
        assert!(command_line(&in_temp, "app", "111122223333", None).is_err());
        let translocated = Path::new(
            "/private/var/folders/ab/xyz/T/AppTranslocation/1234-5678/d/csfle-provisioner.app/Contents/MacOS/csfle-provisioner-cli",
        );
        assert!(refuse_transient(translocated, &temp).is_err());
        let windows_temp = Path::new(r"C:\Users\me\AppData\Local\Temp\cli.exe");
        assert!(refuse_transient(windows_temp, &temp).is_err());
        let from_dmg = Path::new(
            "/Volumes/csfle-provisioner/csfle-provisioner.app/Contents/MacOS/csfle-provisioner-cli",
        );
        let refused = refuse_transient(from_dmg, &temp).unwrap_err();
        assert!(refused.to_string().contains("disk image"), "{refused}");
        // An AppImage mounts itself under $TMPDIR, which need not be the temporary folder asked.
        let appimage = Path::new("/run/user/1000/.mount_csfleXyZ12/usr/bin/csfle-provisioner-cli");
        let refused = refuse_transient(appimage, Path::new("/var/tmp")).unwrap_err();
        assert!(refused.to_string().contains("AppImage"), "{refused}");
        assert!(refuse_transient(Path::new("/usr/bin/csfle-provisioner-cli"), &temp).is_ok());
        assert!(refuse_transient(
            Path::new("/home/dev/csfle/target/debug/csfle-provisioner-cli"),
            &temp
        )
        .is_ok());
        assert!(refuse_transient(
            Path::new("/Applications/csfle-provisioner.app/Contents/MacOS/csfle-provisioner-cli"),
            &temp
        )
        .is_ok());
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
