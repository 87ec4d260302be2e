//! `credential-process` and `aws-profile`: applications read the keychain through their AWS SDK.

use crate::output;
use csfle_core::error::{ErrorReport, ProvisionError};
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
    /// cannot use a session token. Refused unless the setup was provisioned with
    /// --allow-long-lived.
    #[arg(long, conflicts_with = "duration_seconds")]
    long_lived: bool,
    /// How long the session credentials last (default: one hour, or the setup's cap when that is
    /// shorter). Above the setup's cap (provision --max-session-seconds) it is refused.
    #[arg(long, value_name = "SECONDS",
          value_parser = clap::value_parser!(i32).range(900..=129_600))]
    duration_seconds: Option<i32>,
    #[command(flatten)]
    store: crate::store::StoreArg,
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
    #[command(flatten)]
    store: crate::store::StoreArg,
}

/// Prints `{"Version":1,"AccessKeyId","SecretAccessKey","SessionToken","Expiration"}` for the AWS
/// SDKs, and nothing else: session credentials made with the stored key, cached in the keychain.
/// With `--long-lived`, the stored key itself without a session token, only for a setup
/// provisioned with `--allow-long-lived`.
pub async fn credential_process(args: CredentialProcessArgs) -> Result<(), ErrorReport> {
    // The answer holds the secret: it is for an AWS SDK's pipe, never for a person's screen.
    if std::io::stdout().is_terminal() {
        return Err(ProvisionError::TerminalRefused.report(None));
    }
    let answer = args
        .store
        .session()?
        .credential_process(
            args.user,
            args.account,
            args.long_lived,
            args.duration_seconds,
        )
        .await?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(answer.expose().as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush())
        .map_err(|e| ProvisionError::CredentialsUnwritten(e.to_string()).report(None))
}

/// Adds the profile without calling AWS: the setup is found on this computer.
pub async fn aws_profile(args: AwsProfileArgs) -> Result<(), ErrorReport> {
    let written = args
        .store
        .session()?
        .add_aws_profile_here(args.user, args.profile, args.account)
        .await?;
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
