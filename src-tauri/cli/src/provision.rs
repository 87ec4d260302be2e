use crate::output;
use csfle_core::aws::connect::{self, ConnectOptions};
use csfle_core::error::{ErrorReport, ProvisionError};
use csfle_core::local::journal::Journal;
use csfle_core::local::keychain::{OsVault, Vault};
use csfle_core::model::{KeyChoice, SetupRequest};
use csfle_core::setup::apply;
use csfle_core::setup::plan;
use csfle_core::setup::role;
use csfle_core::setup::role_plan::RoleRequest;
use csfle_core::setup::run_frame::ApplyOptions;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("key").required(true).args(["new_key", "existing_key"])))]
#[command(group(clap::ArgGroup::new("principal").required(true).args(["user", "role"])))]
pub struct Args {
    /// Name of the new IAM user (the application's service account; its access key goes to the keychain).
    #[arg(long)]
    user: Option<String>,
    /// Name of a new IAM role instead of a user (recommended in production on AWS): no access key.
    #[arg(long, requires = "trust")]
    role: Option<String>,
    /// Who may assume the role: ec2, ecs-tasks, lambda, or a principal ARN / account id.
    #[arg(long, requires = "role")]
    trust: Option<String>,
    /// Create a new KMS key with this alias (alias/<name>).
    #[arg(long, value_name = "ALIAS")]
    new_key: Option<String>,
    /// Use this existing key: key ARN, key id or alias.
    #[arg(long, value_name = "KEY")]
    existing_key: Option<String>,
    /// Description of the new key.
    #[arg(
        long,
        default_value = "MongoDB CSFLE master key (created by csfle-provisioner)"
    )]
    description: String,
    /// Name of the inline policy (default: csfle-kms-<user>).
    #[arg(long)]
    policy_name: Option<String>,
    /// AWS region (default: from the profile or the environment).
    #[arg(long)]
    region: Option<String>,
    /// Profile of ~/.aws/config to act as (default: the default credential chain).
    #[arg(long)]
    profile: Option<String>,
    /// Show the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Seconds to wait for IAM to make the new access key usable.
    #[arg(long, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    verify_timeout: u64,
}

pub async fn run(args: Args) -> Result<(), ErrorReport> {
    let key = match (args.new_key, args.existing_key) {
        (Some(alias), _) => KeyChoice::New {
            alias,
            description: args.description,
        },
        (None, Some(key)) => KeyChoice::Existing { key },
        (None, None) => unreachable_by_clap(),
    };
    if let Some(role) = args.role {
        let request = RoleRequest {
            key,
            role_name: role,
            trust: args.trust.unwrap_or_default(),
            policy_name: args.policy_name,
        };
        return provision_role(
            request,
            args.profile,
            args.region,
            args.dry_run,
            args.json,
            args.verify_timeout,
        )
        .await;
    }
    let request = SetupRequest {
        key,
        user_name: args.user.unwrap_or_default(),
        policy_name: args.policy_name,
    };
    let options = ConnectOptions {
        profile: args.profile,
        region: args.region,
    };
    // Every input is checked before the first AWS call, so a typo costs nothing.
    let config = connect::load_config(&options)
        .await
        .map_err(|e| e.report(None))?;
    let region = connect::region_of(&config).map_err(|e| e.report(None))?;
    plan::validate_request(&request, &region).map_err(|e| ProvisionError::from(e).report(None))?;
    let connection = connect::establish(config)
        .await
        .map_err(|e| e.report(None))?;
    let vault: Arc<dyn Vault> = Arc::new(OsVault);
    let plan = plan::plan(&connection, &request, &vault)
        .await
        .map_err(|e| e.report(None))?;
    if args.dry_run {
        return if args.json {
            output::print_json(&plan)
        } else {
            output::print_plan(&plan);
            println!("\nDry run: nothing was changed.");
            Ok(())
        };
    }
    if !args.json {
        output::print_plan(&plan);
        println!();
    }
    let apply_options = ApplyOptions {
        verify_limit: Duration::from_secs(args.verify_timeout),
        journal: Some(Arc::new(Journal::open_default())),
    };
    let sink = output::print_progress;
    let outcome = apply::apply(
        &connection,
        &plan,
        vault,
        &sink,
        &crate::signals::cancel_on_interrupt(),
        &apply_options,
    )
    .await
    .map_err(|failure| failure.error.report(Some(failure.rollback)))?;
    if args.json {
        output::print_json(&outcome)
    } else {
        println!(
            "Done. The credentials are in your {} and work.",
            outcome.keychain.store
        );
        println!("  key:        {} ({})", outcome.key_arn, outcome.region);
        println!("  user:       {}", outcome.user_arn);
        println!(
            "  access key: {}",
            csfle_core::mask_access_key_id(&outcome.access_key_id)
        );
        println!(
            "  keychain:   {} / {}",
            outcome.keychain.service, outcome.keychain.account
        );
        Ok(())
    }
}

fn unreachable_by_clap() -> KeyChoice {
    // The argument group makes one of the two required; clap exits before we get here.
    KeyChoice::Existing { key: String::new() }
}

async fn provision_role(
    request: RoleRequest,
    profile: Option<String>,
    region: Option<String>,
    dry_run: bool,
    json: bool,
    verify_timeout: u64,
) -> Result<(), ErrorReport> {
    let options = ConnectOptions { profile, region };
    let config = connect::load_config(&options)
        .await
        .map_err(|e| e.report(None))?;
    let region = connect::region_of(&config).map_err(|e| e.report(None))?;
    // The same checks plan_role makes, before the first AWS call.
    csfle_core::validate::role_name(request.role_name.trim())
        .map_err(|e| ProvisionError::from(e).report(None))?;
    role::Trust::parse(&request.trust).map_err(|e| ProvisionError::from(e).report(None))?;
    let probe = SetupRequest {
        key: request.key.clone(),
        user_name: request.role_name.clone(),
        policy_name: request.policy_name.clone(),
    };
    plan::validate_request(&probe, &region).map_err(|e| ProvisionError::from(e).report(None))?;
    let connection = connect::establish(config)
        .await
        .map_err(|e| e.report(None))?;
    let plan = role::plan_role(&connection, &request)
        .await
        .map_err(|e| e.report(None))?;
    if dry_run {
        return if json {
            output::print_json(&plan)
        } else {
            output::print_role_plan(&plan);
            println!("\nDry run: nothing was changed.");
            Ok(())
        };
    }
    if !json {
        output::print_role_plan(&plan);
        println!();
    }
    let options = ApplyOptions {
        verify_limit: Duration::from_secs(verify_timeout),
        journal: Some(Arc::new(Journal::open_default())),
    };
    let sink = output::print_progress;
    let outcome = role::apply_role(
        &connection,
        &plan,
        &sink,
        &crate::signals::cancel_on_interrupt(),
        &options,
    )
    .await
    .map_err(|failure| failure.error.report(Some(failure.rollback)))?;
    if json {
        return output::print_json(&outcome);
    }
    println!(
        "Done. The role {} is ready; it has no access key to store.",
        outcome.role_arn
    );
    println!("  key:      {} ({})", outcome.key_arn, outcome.region);
    if let Some(profile) = &outcome.instance_profile_arn {
        println!("  instance profile: {profile} (attach it to your EC2 instances)");
    }
    println!("  verified: {}", outcome.verification);
    println!(
        "  credentials: {}",
        csfle_core::local::session_credentials::role_credential_source(
            &outcome.trust,
            &outcome.role_arn,
            outcome.instance_profile_arn.as_deref()
        )
    );
    Ok(())
}
