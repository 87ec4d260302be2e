//! `fix-key-policy` (let IAM policies use an existing key, when the admin chooses to) and
//! `admin-policy` (the least-privilege IAM policy an admin needs to run this program).

use crate::manage::Target;
use crate::output;
use csfle_core::error::{ErrorReport, ProvisionError, Unconfirmed};
use csfle_core::session::{self, KeyPolicyFix, Session};

#[derive(clap::Args)]
pub struct FixKeyPolicyArgs {
    /// The key: ARN, id, or alias/NAME.
    #[arg(long)]
    key: String,
    /// Confirm: without it the statement to add is printed and nothing is changed.
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    target: Target,
}

pub async fn fix_key_policy(args: FixKeyPolicyArgs) -> Result<(), ErrorReport> {
    let session = Session::on_this_computer();
    args.target.connect(&session).await?;
    match session.fix_key_policy_if(args.key, args.yes).await? {
        KeyPolicyFix::AlreadyAllowed { arn } => println!(
            "The key policy of {arn} already lets IAM policies grant access. Nothing to do."
        ),
        KeyPolicyFix::NeedsConfirmation { arn, statement } => {
            eprintln!("This statement would be added to the key policy of {arn}:\n{statement}");
            let unconfirmed = ProvisionError::NotConfirmed(Unconfirmed::KeyPolicy);
            return Err(unconfirmed.report(None));
        }
        KeyPolicyFix::Added { arn } => println!(
            "IAM policies of the account can now grant kms:Encrypt and kms:Decrypt on {arn} (and nothing else). Plan the setup again."
        ),
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct AdminPolicyArgs {
    /// Leave out the statement for setups made before the app's IAM path (users and roles at
    /// "/", statement LegacySetupsAtRootPath): without it, such setups cannot be rotated or torn
    /// down with this policy.
    #[arg(long)]
    no_legacy: bool,
    /// Print instead the policy the admin of the account that holds this key (a key in another
    /// account than the application's) needs: read the key, read and write its key policy.
    #[arg(long, value_name = "KEY_ARN", conflicts_with = "no_legacy")]
    key_account: Option<String>,
}

/// Prints the IAM policy document with every action this program calls, and nothing else.
pub fn admin_policy(args: AdminPolicyArgs) -> Result<(), ErrorReport> {
    match args.key_account {
        Some(key_arn) => output::print_json(&session::key_account_admin_policy(&key_arn)?),
        None => output::print_json(&session::admin_policy(!args.no_legacy)),
    }
}

#[derive(clap::Args)]
pub struct PendingDeletionsArgs {
    /// Print one JSON array on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: Target,
}

/// Lists this app's keys that KMS will delete, with the date; each can still be cancelled.
pub async fn pending_deletions(args: PendingDeletionsArgs) -> Result<(), ErrorReport> {
    let session = Session::on_this_computer();
    args.target.connect(&session).await?;
    let pending = session.pending_deletions().await?;
    if args.json {
        return crate::output::print_json(&pending);
    }
    if pending.is_empty() {
        println!("No key of this app is waiting for deletion in this region.");
    }
    for key in &pending {
        let when = key
            .deletion_date
            .map(|secs| format!("deleted at {secs} (unix time)"))
            .unwrap_or_else(|| "deletion date unknown".into());
        println!("{}  {when}  {}", key.key_arn, key.description);
    }
    if !pending.is_empty() {
        println!("Cancel one with: csfle-provisioner-cli cancel-key-deletion --key ARN");
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct CancelKeyDeletionArgs {
    /// The ARN of the key whose deletion to cancel (pending-deletions lists them).
    #[arg(long, value_name = "ARN")]
    key: String,
    #[command(flatten)]
    target: Target,
}

pub async fn cancel_key_deletion(args: CancelKeyDeletionArgs) -> Result<(), ErrorReport> {
    let session = Session::on_this_computer();
    args.target.connect(&session).await?;
    println!("{}", session.cancel_key_deletion(args.key).await?);
    Ok(())
}
