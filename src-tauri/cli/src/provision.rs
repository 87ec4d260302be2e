//! `provision`: a KMS key and a user (or role) for CSFLE, planned, then applied by the session.

use crate::output;
use csfle_core::aws::connect::ConnectOptions;
use csfle_core::error::ErrorReport;
use csfle_core::model::{KeyChoice, SetupRequest};
use csfle_core::session::{self, Session};
use csfle_core::setup::role_plan::RoleRequest;
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
    /// Who may assume the role: ec2, ecs-tasks, lambda, a principal ARN / account id,
    /// github:OWNER/REPO:environment:NAME, github:OWNER/REPO:ref:refs/heads/BRANCH, or
    /// oidc:https://ISSUER::SUBJECT (another OIDC issuer, one exact subject).
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
    /// For --existing-key KEY_ARN of another account: the profile of the account that holds the
    /// key. Its key policy gets one statement naming the new role or user (Encrypt and Decrypt
    /// only), written with that profile's credentials.
    #[arg(long, value_name = "PROFILE", requires = "existing_key")]
    key_profile: Option<String>,
    /// Show the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Let `credential-process --long-lived` print the stored access key itself, for a tool that
    /// cannot use a session token. Off by default: applications get session credentials only.
    #[arg(long, conflicts_with = "role")]
    allow_long_lived: bool,
    /// The longest session credentials `credential-process` makes for this setup (900–43200
    /// seconds; default 3600). A longer request is refused.
    #[arg(long, value_name = "SECONDS", conflicts_with = "role",
          value_parser = clap::value_parser!(i32).range(900..=43_200))]
    max_session_seconds: Option<i32>,
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
    let options = ConnectOptions {
        profile: args.profile,
        region: args.region,
    };
    let session =
        Session::on_this_computer().verify_within(Duration::from_secs(args.verify_timeout));
    let run = Run {
        session: &session,
        options,
        dry_run: args.dry_run,
        json: args.json,
    };
    match args.role {
        Some(role) => {
            let request = RoleRequest {
                key,
                role_name: role,
                trust: args.trust.unwrap_or_default(),
                policy_name: args.policy_name,
                key_profile: args.key_profile,
            };
            run.role(request).await
        }
        None => {
            let request = SetupRequest {
                key,
                user_name: args.user.unwrap_or_default(),
                policy_name: args.policy_name,
                allow_long_lived: args.allow_long_lived,
                max_session_seconds: args.max_session_seconds,
                key_profile: args.key_profile,
            };
            run.user(request).await
        }
    }
}

fn unreachable_by_clap() -> KeyChoice {
    // The argument group makes one of the two required; clap exits before we get here.
    KeyChoice::Existing { key: String::new() }
}

/// One `provision` command: the session checks every input before the first AWS call (so a typo
/// costs nothing), plans, and applies unless this is a dry run; this prints.
struct Run<'a> {
    session: &'a Session,
    options: ConnectOptions,
    dry_run: bool,
    json: bool,
}

impl Run<'_> {
    /// Prints the plan; true when the run stops there (a dry run).
    fn show<P: serde::Serialize>(&self, plan: &P, print: fn(&P)) -> Result<bool, ErrorReport> {
        match (self.dry_run, self.json) {
            (true, true) => output::print_json(plan).map(|()| true),
            (true, false) => {
                print(plan);
                println!("\nDry run: nothing was changed.");
                Ok(true)
            }
            (false, true) => Ok(false),
            (false, false) => {
                print(plan);
                println!();
                Ok(false)
            }
        }
    }

    async fn user(self, request: SetupRequest) -> Result<(), ErrorReport> {
        let plan = self
            .session
            .connect_and_plan(self.options.clone(), request)
            .await?;
        if self.show(&plan, output::print_plan)? {
            return Ok(());
        }
        let plan_terms = plan.credential_terms;
        self.session.stop_on(crate::signals::cancel_on_interrupt());
        let outcome = self.session.apply(&output::print_progress).await?;
        if self.json {
            return output::print_json(&outcome);
        }
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
        println!(
            "  credential-process: {}",
            output::terms_in_words(&plan_terms)
        );
        Ok(())
    }

    async fn role(self, request: RoleRequest) -> Result<(), ErrorReport> {
        let plan = self
            .session
            .connect_and_plan_role(self.options.clone(), request)
            .await?;
        if self.show(&plan, output::print_role_plan)? {
            return Ok(());
        }
        self.session.stop_on(crate::signals::cancel_on_interrupt());
        let outcome = self.session.apply_role(&output::print_progress).await?;
        if self.json {
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
        println!("  credentials: {}", session::credential_source(&outcome));
        if let Some(snippet) = &outcome.workload_snippet {
            println!("\nIn the workflow:\n{snippet}");
        }
        Ok(())
    }
}
