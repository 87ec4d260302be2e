//! `credential-process` and `aws-profile`: applications read the keychain through their AWS SDK.

use crate::output;
use csfle_core::error::{ErrorReport, ProvisionError};
use csfle_core::local::credential_profile;
use csfle_core::local::credentials::{credential_process_output, LoadedCredentials};
use csfle_core::local::journal::{Journal, RunState};
use csfle_core::local::keychain::{OsVault, Vault};
use csfle_core::local::session_credentials;
use csfle_core::validate;
use std::io::{IsTerminal, Write};

#[derive(clap::Args)]
pub struct CredentialProcessArgs {
    /// The service account (IAM user) whose credentials to print.
    #[arg(long)]
    user: String,
    /// The AWS account id, when the user has setups in several accounts.
    #[arg(long)]
    account: Option<String>,
    /// Print the stored long-lived access key instead of session credentials, for tools that
    /// cannot use a session token.
    #[arg(long)]
    long_lived: bool,
    /// How long the session credentials last (900–129600 seconds).
    #[arg(long, value_name = "SECONDS", default_value_t = session_credentials::DEFAULT_DURATION_SECONDS,
          value_parser = clap::value_parser!(i32).range(900..=129_600))]
    duration_seconds: i32,
}

#[derive(clap::Args)]
pub struct AwsProfileArgs {
    /// The service account (IAM user) whose keychain item the profile reads.
    #[arg(long)]
    user: String,
    /// Name of the profile to add to the AWS config file.
    #[arg(long)]
    profile: String,
    /// The AWS account id, when the user has setups in several accounts.
    #[arg(long)]
    account: Option<String>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

fn report(error: impl Into<ProvisionError>) -> ErrorReport {
    error.into().report(None)
}

fn check_account(account: Option<&str>) -> Result<(), ErrorReport> {
    match account {
        Some(id) if id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()) => Err(ErrorReport {
            code: "invalid-input".into(),
            message: format!("AWS account id: must be 12 digits (got {id:?})"),
            hint: "Correct the account id and try again.".into(),
            rollback: None,
        }),
        _ => Ok(()),
    }
}

/// Prints `{"Version":1,"AccessKeyId","SecretAccessKey","SessionToken","Expiration"}` for the AWS
/// SDKs, and nothing else: session credentials made with the stored key, cached in the keychain.
/// With `--long-lived`, the stored key itself without a session token.
pub fn credential_process(args: CredentialProcessArgs) -> Result<(), ErrorReport> {
    // The answer holds the secret: it is for an AWS SDK's pipe, never for a person's screen.
    if std::io::stdout().is_terminal() {
        return Err(ErrorReport {
            code: "terminal-refused".into(),
            message: "credential-process prints the secret access key, so it does not write to a terminal".into(),
            hint: "Use it through an AWS profile (csfle-provisioner-cli aws-profile), where the AWS SDK reads it.".into(),
            rollback: None,
        });
    }
    validate::user_name(&args.user).map_err(report)?;
    check_account(args.account.as_deref())?;
    let vault = OsVault;
    let account = credential_profile::resolve_account(&vault, &args.user, args.account.as_deref())
        .map_err(report)?;
    let answer = if args.long_lived {
        let item = vault.load(&account).map_err(report)?;
        let stored = LoadedCredentials::parse(&item).map_err(report)?;
        credential_process_output(&stored.access_key_id, &stored.secret_access_key)
    } else {
        // A cache hit is one keychain read; only a miss calls STS. This function is synchronous
        // (the keychain answers synchronously), so it waits for the STS call on the runtime.
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(session_credentials::serve(
                &vault,
                &account,
                args.duration_seconds,
            ))
        })
        .map_err(|e| e.report(None))?
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(answer.expose().as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush())
        .map_err(|e| ErrorReport {
            code: "output-failed".into(),
            message: format!("could not write the credentials: {e}"),
            hint: "The AWS SDK that ran this command stopped reading; try again.".into(),
            rollback: None,
        })
}

pub fn aws_profile(args: AwsProfileArgs) -> Result<(), ErrorReport> {
    validate::user_name(&args.user).map_err(report)?;
    validate::profile(&args.profile).map_err(report)?;
    check_account(args.account.as_deref())?;
    let vault = OsVault;
    let account = credential_profile::resolve_account(&vault, &args.user, args.account.as_deref())
        .map_err(report)?;
    let cli = std::env::current_exe().map_err(|e| ErrorReport {
        code: "internal".into(),
        message: format!("could not find this program's own path: {e}"),
        hint: "Run csfle-provisioner-cli by its full path.".into(),
        rollback: None,
    })?;
    let written = credential_profile::write_profile(&vault, &account, &args.profile, &cli)
        .map_err(|e| e.report(None))?;
    remember_profile(&account, &args.profile);
    if args.json {
        return output::print_json(&written);
    }
    println!(
        "Added profile {} to {}",
        written.profile, written.config_file
    );
    if let Some(backup) = &written.backup {
        println!("The previous file was saved as {backup}");
    }
    println!(
        "Applications using the AWS default credentials now read the keychain with AWS_PROFILE={}",
        written.profile
    );
    Ok(())
}

/// Notes the profile in the journal so tearing the setup down removes it too.
fn remember_profile(account: &str, profile: &str) {
    let _ = Journal::open_default().update(|runs| {
        for run in runs.iter_mut().filter(|r| {
            r.state == RunState::Complete && r.keychain_account.as_deref() == Some(account)
        }) {
            if !run.aws_profiles.iter().any(|p| p == profile) {
                run.aws_profiles.push(profile.to_string());
            }
        }
    });
}
