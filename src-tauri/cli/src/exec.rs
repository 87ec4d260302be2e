//! `exec --user NAME -- COMMAND [ARGS…]`: runs COMMAND with the setup's session credentials in its
//! environment only (never in an argument, a file or this program's output), and passes its exit
//! status through. For drivers that read no AWS profile: Go, C, PHP.

use csfle_core::error::{ErrorReport, ProvisionError};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The service account (IAM user) whose session credentials the command gets.
    #[arg(long)]
    user: String,
    /// The AWS account id, when the user has setups in several accounts.
    #[arg(long)]
    account: Option<String>,
    /// How long the session credentials last (default: one hour, or the setup's cap if
    /// shorter). Above the setup's cap (provision --max-session-seconds) it is refused.
    #[arg(long, value_name = "SECONDS",
          value_parser = clap::value_parser!(i32).range(900..=129_600))]
    duration_seconds: Option<i32>,
    #[command(flatten)]
    store: crate::store::StoreArg,
    /// The command and its arguments, after `--`.
    #[arg(required = true, last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// The child's exit status, or 1 when it could not be started or was killed by a signal.
pub async fn run(args: Args) -> Result<ExitCode, ErrorReport> {
    let environment = args
        .store
        .session()?
        .exec_environment(args.user, args.account, args.duration_seconds)
        .await?;
    let Some((program, rest)) = args.command.split_first() else {
        return Err(ProvisionError::Config("name the command to run after --".into()).report(None));
    };
    let mut child = std::process::Command::new(program);
    child.args(rest);
    // Whatever credentials this program had must not leak into, or override, the child's.
    for inherited in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CREDENTIAL_EXPIRATION",
    ] {
        child.env_remove(inherited);
    }
    for (name, value) in &environment.variables {
        child.env(name, value.expose());
    }
    let status = child.status().map_err(|error| {
        ProvisionError::Config(format!("could not start {program}: {error}")).report(None)
    })?;
    drop(environment);
    Ok(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}
