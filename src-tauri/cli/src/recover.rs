//! `recover`: find setups whose run was killed part-way, and resume or clean them up.

use crate::output;
use csfle_core::aws::connect::{self, ConnectOptions};
use csfle_core::error::ErrorReport;
use csfle_core::lifecycle::recovery;
use csfle_core::local::journal::Journal;
use csfle_core::local::keychain::{OsVault, Vault};
use csfle_core::setup::run_frame::ApplyOptions;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("action").args(["resume", "clean_up"])))]
pub struct Args {
    /// Finish each interrupted setup (keeps what exists, makes the rest).
    #[arg(long)]
    resume: bool,
    /// Remove everything each interrupted setup made.
    #[arg(long)]
    clean_up: bool,
    /// AWS region (default: from the profile or the environment).
    #[arg(long)]
    region: Option<String>,
    /// Profile of ~/.aws/config to act as.
    #[arg(long)]
    profile: Option<String>,
    /// Seconds to wait for IAM to make a new access key usable (with --resume).
    #[arg(long, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    verify_timeout: u64,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args) -> Result<(), ErrorReport> {
    let connection = connect::connect(&ConnectOptions {
        profile: args.profile,
        region: args.region,
    })
    .await
    .map_err(|e| e.report(None))?;
    let journal = Arc::new(Journal::open_default());
    let runs = recovery::interrupted(&journal, &connection);
    if !args.resume && !args.clean_up {
        let summaries: Vec<_> = runs.iter().map(recovery::summary).collect();
        if args.json {
            return output::print_json(&summaries);
        }
        if summaries.is_empty() {
            println!("No interrupted setups.");
        }
        for run in &summaries {
            println!(
                "Interrupted setup of {} in {} (run {}):",
                run.user_name, run.region, run.run_id
            );
            for item in &run.created {
                println!("  made: {item}");
            }
        }
        if !summaries.is_empty() {
            println!(
                "Run again with --resume to finish them or --clean-up to remove what they made."
            );
        }
        return Ok(());
    }
    let vault: Arc<dyn Vault> = Arc::new(OsVault);
    let options = ApplyOptions {
        verify_limit: Duration::from_secs(args.verify_timeout),
        journal: Some(Arc::clone(&journal)),
    };
    let mut results = Vec::new();
    for run in &runs {
        if args.resume {
            let outcome = recovery::resume(
                &connection,
                Arc::clone(&vault),
                &options,
                run,
                &output::print_progress,
                &crate::signals::cancel_on_interrupt(),
            )
            .await
            .map_err(|failure| failure.error.report(Some(failure.rollback)))?;
            if !args.json {
                println!("Resumed: {} is set up and verified.", outcome.user_name);
            }
            results.push(serde_json::to_value(&outcome).unwrap_or_default());
        } else {
            let report = recovery::clean_up(
                &connection,
                &vault,
                &journal,
                run,
                &output::print_progress,
                &crate::signals::cancel_on_interrupt(),
            )
            .await
            .map_err(|e| e.report(None))?;
            if !report.left_behind.is_empty() {
                return Err(ErrorReport {
                    code: "cleanup-incomplete".into(),
                    message: format!(
                        "Some of what the interrupted setup of {} made could not be removed",
                        run.principal_name
                    ),
                    hint: "See the lines above; fix the cause and run recover --clean-up again."
                        .into(),
                    rollback: Some(report),
                });
            }
            if !args.json {
                println!(
                    "Cleaned up: nothing of the interrupted setup of {} is left.",
                    run.principal_name
                );
            }
            results.push(serde_json::to_value(&report).unwrap_or_default());
        }
    }
    if args.json {
        output::print_json(&results)?;
    }
    Ok(())
}
