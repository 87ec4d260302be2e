//! `list`, `rotate` and `teardown`: living with a setup after it was made.

use crate::output;
use csfle_core::connect::{self, ConnectOptions, Connection};
use csfle_core::error::ErrorReport;
use csfle_core::journal::Journal;
use csfle_core::keychain::{OsVault, Vault};
use csfle_core::rotate::{self, RotateOptions};
use csfle_core::setups::{self, PolicyHealth};
use csfle_core::teardown;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Target {
    /// AWS region (default: from the profile or the environment).
    #[arg(long)]
    region: Option<String>,
    /// Profile of ~/.aws/config to act as (default: the default credential chain).
    #[arg(long)]
    profile: Option<String>,
}

impl Target {
    async fn connect(self) -> Result<Connection, ErrorReport> {
        connect::connect(&ConnectOptions {
            profile: self.profile,
            region: self.region,
        })
        .await
        .map_err(|e| e.report(None))
    }
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    target: Target,
    /// Print one JSON array on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct RotateArgs {
    /// The service account (IAM user) whose access key to rotate.
    #[arg(long)]
    user: String,
    /// At AWS's limit of two keys, delete the user's inactive key first.
    #[arg(long)]
    delete_inactive_key: bool,
    /// Seconds to wait for IAM to make the new access key usable.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    verify_timeout: u64,
    #[command(flatten)]
    target: Target,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("principal").required(true).args(["user", "role"])))]
pub struct TeardownArgs {
    /// The service account (IAM user) whose setup to remove.
    #[arg(long)]
    user: Option<String>,
    /// The IAM role whose setup to remove (instead of a user).
    #[arg(long)]
    role: Option<String>,
    /// Days before KMS deletes a key this app created (7–30); it can be cancelled until then.
    #[arg(long, value_name = "DAYS")]
    key_deletion_days: i32,
    /// Confirm: without it nothing is removed.
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    target: Target,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

pub async fn list(args: ListArgs) -> Result<(), ErrorReport> {
    let connection = args.target.connect().await?;
    let journal = Journal::open_default();
    let setups = setups::list(&connection, Arc::new(OsVault), Some(&journal))
        .await
        .map_err(|e| e.report(None))?;
    if args.json {
        return output::print_json(&setups);
    }
    if setups.is_empty() {
        println!(
            "No setups made by csfle-provisioner in account {}.",
            connection.account_id()
        );
    }
    for setup in &setups {
        println!(
            "{}  ({})",
            setup.name,
            setup.principal_arn.as_deref().unwrap_or("missing in AWS")
        );
        println!(
            "  key:      {} [{}] {}",
            setup.key_arn.as_deref().unwrap_or("unknown"),
            setup.key_state.as_deref().unwrap_or("?"),
            setup.key_aliases.join(", ")
        );
        let policy = match setup.policy {
            PolicyHealth::LeastPrivilege => "least privilege",
            PolicyHealth::Drifted => "DRIFTED from the least-privilege policy",
            PolicyHealth::Missing => "MISSING",
        };
        println!(
            "  policy:   {} ({policy})",
            setup.policy_name.as_deref().unwrap_or("-")
        );
        for key in &setup.access_keys {
            println!(
                "  key {}  {}  {} days old, last used {}{}",
                csfle_core::mask_access_key_id(&key.access_key_id),
                key.status,
                key.age_days.map_or("?".into(), |d| d.to_string()),
                key.last_used.as_deref().unwrap_or("never"),
                if key.in_keychain {
                    "  (in keychain)"
                } else {
                    ""
                }
            );
        }
        if setup.keychain_account.is_empty() {
            println!("  role: no access key, nothing in the keychain");
            continue;
        }
        println!(
            "  keychain: {} / {} ({})",
            csfle_core::keychain::SERVICE,
            setup.keychain_account,
            if setup.keychain_present {
                "present"
            } else {
                "MISSING"
            }
        );
    }
    Ok(())
}

pub async fn rotate(args: RotateArgs) -> Result<(), ErrorReport> {
    let connection = args.target.connect().await?;
    let options = RotateOptions {
        delete_inactive_key: args.delete_inactive_key,
        verify_limit: Duration::from_secs(args.verify_timeout),
        journal: Some(Arc::new(Journal::open_default())),
    };
    let vault: Arc<dyn Vault> = Arc::new(OsVault);
    let report = rotate::rotate(&connection, vault, &args.user, &options)
        .await
        .map_err(|e| e.report(None))?;
    if args.json {
        output::print_json(&report)
    } else {
        println!("{}", report.message);
        Ok(())
    }
}

pub async fn teardown(args: TeardownArgs) -> Result<(), ErrorReport> {
    teardown::check_days(args.key_deletion_days).map_err(|e| e.report(None))?;
    let name = args.user.clone().or(args.role.clone()).unwrap_or_default();
    if !args.yes {
        return Err(ErrorReport {
            code: "not-confirmed".into(),
            message: format!("Tearing down {name} deletes its credentials, policy and principal, and schedules the deletion of a key this app made"),
            hint: "Add --yes to confirm. Nothing was changed.".into(),
            rollback: None,
        });
    }
    let connection = args.target.connect().await?;
    let journal = Journal::open_default();
    let report = match &args.role {
        Some(role) => {
            teardown::teardown_role(&connection, Some(&journal), role, args.key_deletion_days).await
        }
        None => {
            teardown::teardown(
                &connection,
                Arc::new(OsVault),
                Some(&journal),
                &name,
                args.key_deletion_days,
            )
            .await
        }
    }
    .map_err(|e| e.report(None))?;
    if args.json {
        output::print_json(&report)?;
    } else {
        for line in &report.removed {
            println!("removed: {line}");
        }
        for line in &report.kept {
            println!("kept:    {line}");
        }
        for line in &report.failed {
            eprintln!("FAILED (remove it by hand): {line}");
        }
    }
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(ErrorReport {
            code: "teardown-incomplete".into(),
            message: format!("{} part(s) of the setup could not be removed", report.failed.len()),
            hint: "See the lines marked FAILED; fix the cause (often a missing permission) and run teardown again.".into(),
            rollback: None,
        })
    }
}
