//! `recover`: find setups whose run was killed part-way, and resume or clean them up.

use crate::output;
use csfle_core::aws::connect::ConnectOptions;
use csfle_core::error::{ErrorReport, ProvisionError, Unconfirmed};
use csfle_core::lifecycle::recovery::InterruptedRun;
use csfle_core::session::Session;
use std::time::Duration;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("action").args(["resume", "clean_up"])))]
pub struct Args {
    /// Finish each interrupted setup (keeps what exists, makes the rest).
    #[arg(long)]
    resume: bool,
    /// Remove everything each interrupted setup made (AWS must show it made by that run).
    /// Without --yes, prints what would be removed and changes nothing.
    #[arg(long)]
    clean_up: bool,
    /// Confirm --clean-up.
    #[arg(long, requires = "clean_up")]
    yes: bool,
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
    let session =
        Session::on_this_computer().verify_within(Duration::from_secs(args.verify_timeout));
    session
        .connect(ConnectOptions {
            profile: args.profile,
            region: args.region,
        })
        .await?;
    let runs = session.interrupted_runs().await?;
    if !args.resume && !args.clean_up {
        return print_runs(&runs, args.json);
    }
    if args.clean_up && !args.yes {
        return preview_clean_up(&session, &runs, args.json).await;
    }
    // One switch for the whole command: after the first Ctrl-C no further run starts.
    session.stop_on(crate::signals::cancel_on_interrupt());
    let mut results = Vec::new();
    for run in &runs {
        let id = run.run_id.clone();
        let result = if args.resume {
            let outcome = session.resume_run(id, &output::print_progress).await?;
            if !args.json {
                println!("Resumed: {} is set up and verified.", outcome.user_name);
            }
            serde_json::to_value(&outcome)
        } else {
            // Anything left behind comes back as an error, with what was and was not removed.
            let report = session.clean_up_run(id, &output::print_progress).await?;
            if !args.json {
                println!(
                    "Cleaned up: nothing of the interrupted setup of {} is left.",
                    run.user_name
                );
            }
            serde_json::to_value(&report)
        };
        results.push(result.unwrap_or_default());
    }
    if args.json {
        output::print_json(&results)?;
    }
    Ok(())
}

/// What --clean-up would remove, proven against AWS, and what it would leave alone.
async fn preview_clean_up(
    session: &Session,
    runs: &[InterruptedRun],
    json: bool,
) -> Result<(), ErrorReport> {
    let mut previews = Vec::new();
    for run in runs {
        previews.push(session.clean_up_preview(run.run_id.clone()).await?);
    }
    if json {
        output::print_json(&previews)?;
    }
    for preview in &previews {
        eprintln!(
            "Cleaning up the interrupted setup of {} would remove:",
            preview.principal_name
        );
        for item in &preview.remove {
            eprintln!("  {item}");
        }
        for item in &preview.left_alone {
            eprintln!("  (left alone) {item}");
        }
    }
    Err(ProvisionError::NotConfirmed(Unconfirmed::CleanUp).report(None))
}

fn print_runs(runs: &[InterruptedRun], json: bool) -> Result<(), ErrorReport> {
    if json {
        return output::print_json(&runs);
    }
    if runs.is_empty() {
        println!("No interrupted setups.");
    }
    for run in runs {
        println!(
            "Interrupted setup of {} in {} (run {}):",
            run.user_name, run.region, run.run_id
        );
        for item in &run.created {
            println!("  made: {item}");
        }
    }
    if !runs.is_empty() {
        println!("Run again with --resume to finish them or --clean-up to remove what they made.");
    }
    Ok(())
}
