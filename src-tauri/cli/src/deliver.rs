//! `receive`, `deliver` and `import`: a user setup's credentials sealed to the computer where the
//! application runs, never displayed on the way.

use crate::output;
use csfle_core::error::{ErrorReport, ProvisionError};
use csfle_core::lifecycle::push::SecretRequest;
use csfle_core::session::{PushSetup, Session};
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
#[command(group(clap::ArgGroup::new("destination").required(true).args(["to", "vault", "secrets_manager"])))]
pub struct DeliverArgs {
    /// The service account (IAM user) whose credentials to send.
    #[arg(long)]
    user: String,
    /// The AWS account id, when the user has setups in several accounts.
    #[arg(long)]
    account: Option<String>,
    /// The target computer's age recipient (age1…), as `receive` prints it there.
    #[arg(long, value_name = "AGE_RECIPIENT", requires = "out")]
    to: Option<String>,
    /// The sealed file to write (a new file; an existing one is never replaced).
    #[arg(long, value_name = "FILE", requires = "to")]
    out: Option<PathBuf>,
    /// Copy into HashiCorp Vault or OpenBao at this address (https; http only for 127.0.0.1).
    /// The token comes from VAULT_TOKEN, or AppRole's VAULT_ROLE_ID and VAULT_SECRET_ID.
    #[arg(long, value_name = "URL", requires = "vault_path")]
    vault: Option<String>,
    /// The KV version 2 mount and path: MOUNT/PATH (e.g. secret/apps/billing).
    #[arg(long, value_name = "MOUNT/PATH", requires = "vault")]
    vault_path: Option<String>,
    /// Copy into AWS Secrets Manager as a secret of this name (in the session's region).
    #[arg(long, value_name = "NAME")]
    secrets_manager: Option<String>,
    /// An IAM role or user ARN allowed to read the secret (repeat for several); nobody else may.
    #[arg(
        long = "reader",
        value_name = "PRINCIPAL_ARN",
        requires = "secrets_manager"
    )]
    readers: Vec<String>,
    /// The customer-managed KMS key (ARN, id or alias/NAME) that encrypts the secret; without
    /// it a new key tagged as this app's is made.
    #[arg(long, value_name = "KEY", requires = "secrets_manager")]
    secret_key: Option<String>,
    /// Print where the copy goes and what is written (the resource policy too); change nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    target: crate::manage::Target,
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

pub async fn deliver(args: DeliverArgs) -> Result<(), ErrorReport> {
    let (to, out) = match (args.to.clone(), args.out.clone()) {
        (Some(to), Some(out)) => (to, out),
        _ => return push(args).await,
    };
    let delivered =
        Session::on_this_computer().deliver_to_file(args.user, args.account, to, out)?;
    if args.json {
        return output::print_json(&delivered);
    }
    if let Some(reason) = &delivered.recorded {
        eprintln!("warning: this computer could not note the delivery ({reason}); rotation will not know to seal a new file for this recipient");
    }
    println!(
        "Sealed the credentials of {} to {} in {}. Only that computer can open it: copy the file there and run `csfle-provisioner-cli import {}`.",
        delivered.user, delivered.recipient, delivered.file, delivered.file
    );
    Ok(())
}

/// `deliver --vault …` or `deliver --secrets-manager …`.
async fn push(args: DeliverArgs) -> Result<(), ErrorReport> {
    let session = Session::on_this_computer();
    let setup = PushSetup {
        user: args.user,
        account_id: args.account,
        dry_run: args.dry_run,
    };
    let pushed = match (args.vault, args.vault_path, args.secrets_manager) {
        (Some(url), Some(path), None) => session.deliver_to_vault(setup, url, path, None).await?,
        (None, None, Some(name)) => {
            if !setup.dry_run {
                args.target.connect(&session).await?;
            }
            let request = SecretRequest {
                name,
                readers: args.readers,
                kms_key: args.secret_key,
            };
            session.deliver_to_secrets_manager(setup, request).await?
        }
        _ => {
            return Err(ProvisionError::Delivery(
                "name one destination: --to with --out, --vault with --vault-path, or --secrets-manager".into(),
            )
            .report(None))
        }
    };
    if args.json {
        return output::print_json(&pushed);
    }
    let verb = if pushed.dry_run {
        "Would copy"
    } else {
        "Copied"
    };
    println!(
        "{verb} the credentials of {} (access key {}) to {}:",
        pushed.user,
        csfle_core::mask_access_key_id(&pushed.access_key_id),
        pushed.location
    );
    for (n, step) in pushed.steps.iter().enumerate() {
        println!("  {}. {step}", n + 1);
    }
    if let Some(policy) = &pushed.resource_policy {
        println!(
            "Resource policy:\n{}",
            serde_json::to_string_pretty(policy).unwrap_or_default()
        );
    }
    if let Some(version) = pushed.vault_version {
        println!("Vault holds it as version {version}.");
    }
    if !pushed.dry_run {
        println!("Rotation keeps this copy current; teardown removes it.");
    }
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
