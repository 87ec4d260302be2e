//! `receive`, `deliver` and `import`: a user setup's credentials sealed to the computer where the
//! application runs, never displayed on the way.

use crate::output;
use csfle_core::error::ErrorReport;
use csfle_core::session::Session;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ReceiveArgs {
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: crate::store::StoreArg,
}

#[derive(clap::Args)]
pub struct DeliverArgs {
    /// The service account (IAM user) whose credentials to send.
    #[arg(long)]
    user: String,
    /// The AWS account id, when the user has setups in several accounts.
    #[arg(long)]
    account: Option<String>,
    /// The target computer's age recipient (age1…), as `receive` prints it there.
    #[arg(long, value_name = "AGE_RECIPIENT")]
    to: String,
    /// The sealed file to write (a new file; an existing one is never replaced).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// A file sealed to this computer by `deliver`.
    file: PathBuf,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: crate::store::StoreArg,
}

/// Prints this computer's age recipient (a public value), making its identity on first use.
pub fn receive(args: ReceiveArgs) -> Result<(), ErrorReport> {
    let recipient = args.store.session()?.receive()?;
    if args.json {
        return output::print_json(&serde_json::json!({ "recipient": recipient }));
    }
    println!("{recipient}");
    eprintln!("Send this line to the admin (it is public). They run `deliver --to` with it; then run `import FILE` here.");
    Ok(())
}

pub fn deliver(args: DeliverArgs) -> Result<(), ErrorReport> {
    let delivered =
        Session::on_this_computer().deliver_to_file(args.user, args.account, args.to, args.out)?;
    if args.json {
        return output::print_json(&delivered);
    }
    println!(
        "Sealed the credentials of {} to {} in {}. Only that computer can open it: copy the file there and run `csfle-provisioner-cli import {}`.",
        delivered.user, delivered.recipient, delivered.file, delivered.file
    );
    Ok(())
}

pub fn import(args: ImportArgs) -> Result<(), ErrorReport> {
    let imported = args.store.session()?.import(args.file)?;
    if args.json {
        return output::print_json(&imported);
    }
    println!(
        "Stored the credentials of {} (account {}) in {}. credential-process --user {}, exec and aws-profile now work on this computer.",
        imported.user, imported.account_id, imported.store, imported.user
    );
    Ok(())
}
