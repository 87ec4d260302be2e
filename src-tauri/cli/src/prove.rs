//! `prove --key KEY_ARN`: run on the platform where the application runs, with its credentials.

use crate::output;
use csfle_core::error::ErrorReport;
use csfle_core::session::Session;

#[derive(clap::Args)]
pub struct Args {
    /// The master key's ARN (the setup's Done screen and `list` show it).
    #[arg(long, value_name = "KEY_ARN")]
    key: String,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args) -> Result<(), ErrorReport> {
    let proof = Session::on_this_computer().prove_here(args.key).await?;
    if args.json {
        return output::print_json(&proof);
    }
    println!("{}", proof.message);
    Ok(())
}
