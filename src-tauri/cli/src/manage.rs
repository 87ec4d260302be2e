//! `list`, `rotate` and `teardown`: living with a setup after it was made.

use crate::output;
use csfle_core::aws::connect::ConnectOptions;
use csfle_core::error::push::PushError;
use csfle_core::error::{ErrorReport, ProvisionError, Unconfirmed};
use csfle_core::lifecycle::setups::{PolicyHealth, SetupSummary};
use csfle_core::lifecycle::teardown::{TeardownPreview, TeardownReport};
use csfle_core::model::findings::{Finding, FindingAction, FindingStatus};
use csfle_core::model::principal::PrincipalKind;
use csfle_core::model::Identity;
use csfle_core::session::{self, Session};
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
    /// Connects `session` as the admin asked: a profile, a region, or the defaults.
    pub(crate) async fn connect(self, session: &Session) -> Result<Identity, ErrorReport> {
        session
            .connect(ConnectOptions {
                profile: self.profile,
                region: self.region,
            })
            .await
    }
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    target: Target,
    /// Print one JSON array on stdout.
    #[arg(long)]
    json: bool,
    /// Look, by tag among every user and role, for setups made before this app used its own IAM
    /// path (only when asked; what is found is remembered, and listed read-only unless this app
    /// can prove it made it).
    #[arg(long)]
    rescan: bool,
}

#[derive(clap::Args)]
pub struct RotateArgs {
    /// The service account (IAM user) whose access key to rotate.
    #[arg(long)]
    user: String,
    /// At AWS's limit of two keys, delete the user's inactive key first.
    #[arg(long, conflicts_with = "finish")]
    delete_inactive_key: bool,
    /// Finish a rotation that kept the old key active: write the copies still behind, then
    /// deactivate and delete the old key once every copy holds the new one.
    #[arg(long)]
    finish: bool,
    /// With --finish: every new sealed file was imported on its computer.
    #[arg(long, requires = "finish")]
    confirm_imported: bool,
    /// Seconds to wait for IAM to make the new access key usable.
    #[arg(long, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
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
    /// Also schedule the deletion of the master key. Data encrypted with it can never be read
    /// again once KMS deletes it. Refused (and nothing changed) unless this app created the key
    /// for this setup and no other setup or unfinished run uses it. Without it the key is kept.
    #[arg(long)]
    delete_key: bool,
    /// Days before KMS deletes the key (7–30, default 30); it can be cancelled until then.
    #[arg(long, value_name = "DAYS", requires = "delete_key")]
    key_deletion_days: Option<i32>,
    /// With --delete-key --yes: the ARN of the key you approve for deletion, as the preview
    /// (the same command without --yes) shows it. Refused if the setup's key is now another.
    #[arg(long, value_name = "ARN", requires = "delete_key")]
    key_arn: Option<String>,
    /// Confirm: without it nothing is removed, and what would be removed is printed.
    #[arg(long)]
    yes: bool,
    /// For a setup whose key is in another account: the profile of that account, to remove the
    /// setup's statement from the key policy (the key itself is never touched). Without it, the
    /// profile this computer recorded when it made the setup.
    #[arg(long, value_name = "PROFILE")]
    key_profile: Option<String>,
    #[command(flatten)]
    target: Target,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

pub async fn list(args: ListArgs) -> Result<(), ErrorReport> {
    let session = Session::on_this_computer();
    let identity = args.target.connect(&session).await?;
    if args.rescan {
        session.legacy_scan(true).await?;
    }
    let setups = session.list_setups().await?;
    // An account with no users or roles outside our path has nothing to explain.
    match session.legacy_scan(false).await? {
        Some(scan) if scan.users_scanned + scan.roles_scanned > 0 => {
            eprintln!("{}", scan.describe())
        }
        Some(_) => {}
        None => eprintln!(
            "Setups made by versions of this app older than its IAM path /csfle-provisioner/ are \
             looked for only when you ask (it reads every user and role): add --rescan."
        ),
    }
    if args.json {
        return output::print_json(&setups);
    }
    if setups.is_empty() {
        println!(
            "No setups made by csfle-provisioner in account {}.",
            identity.account_id
        );
    }
    for setup in &setups {
        print_setup(setup);
    }
    Ok(())
}

fn print_setup(setup: &SetupSummary) {
    println!(
        "{}  ({})",
        setup.name,
        setup.principal_arn.as_deref().unwrap_or("missing in AWS")
    );
    if let Some(reason) = &setup.ownership_reason {
        println!("  READ-ONLY: {reason}");
    }
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
    print_access_keys(setup);
    print_findings(&setup.findings);
    for copy in &setup.deliveries {
        println!(
            "  copy:     {:?} {} holds {} (written {})",
            copy.kind,
            copy.location,
            csfle_core::mask_access_key_id(&copy.access_key_id),
            output::unix_time_in_words(copy.written_at)
        );
    }
    if let Some(waiting) = &setup.rotation_waiting {
        println!("  ROTATION WAITING: {waiting}");
    }
    if setup.keychain_account.is_empty() {
        println!("  role: no access key, nothing in the keychain");
        return;
    }
    println!(
        "  keychain: {} / {} ({})",
        csfle_core::local::keychain::SERVICE,
        setup.keychain_account,
        if setup.keychain_present {
            "present"
        } else {
            "MISSING"
        }
    );
    if let Some(terms) = &setup.credential_terms {
        println!("  credential-process: {}", output::terms_in_words(terms));
    }
}

fn print_access_keys(setup: &SetupSummary) {
    for key in &setup.access_keys {
        let age = setup
            .key_ages
            .iter()
            .find(|a| a.access_key_id == key.access_key_id);
        println!(
            "  key {}  {}  made {}, last used {}{}{}",
            csfle_core::mask_access_key_id(&key.access_key_id),
            key.status,
            age.map_or("?", |a| a.created.as_str()),
            age.map_or("?", |a| a.last_used.as_str()),
            if key.in_keychain {
                "  (in keychain)"
            } else {
                ""
            },
            match age {
                Some(a) if a.too_old => "  ROTATE NOW: older than 90 days",
                Some(a) if a.unused => "  UNUSED for 45 days or more: remove it",
                _ => "",
            }
        );
    }
}

/// Passed controls on one line; every other one with what AWS says and what fixes it.
fn print_findings(findings: &[Finding]) {
    let passed: Vec<&str> = findings
        .iter()
        .filter(|f| f.status == FindingStatus::Passed)
        .map(|f| f.control.as_str())
        .collect();
    if !passed.is_empty() {
        println!("  Security Hub passes: {}", passed.join(", "));
    }
    for finding in findings
        .iter()
        .filter(|f| f.status != FindingStatus::Passed)
    {
        let status = match finding.status {
            FindingStatus::Failed => "FAILS",
            _ => "could not check",
        };
        println!(
            "  Security Hub {status} {}: {}",
            finding.control, finding.message
        );
        if finding.action == Some(FindingAction::EnableRotation) {
            println!("    fix: csfle-provisioner-cli enable-rotation --key KEY_ARN");
        }
    }
}

#[derive(clap::Args)]
pub struct EnableRotationArgs {
    /// The setup's KMS key (ARN, id or alias/NAME).
    #[arg(long)]
    key: String,
    #[command(flatten)]
    target: Target,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// Turns on automatic yearly rotation of a key's material (Security Hub KMS.4).
pub async fn enable_rotation(args: EnableRotationArgs) -> Result<(), ErrorReport> {
    let session = Session::on_this_computer();
    args.target.connect(&session).await?;
    let report = session.enable_key_rotation(args.key).await?;
    if args.json {
        output::print_json(&report)
    } else {
        println!("{}", report.message);
        Ok(())
    }
}

pub async fn rotate(args: RotateArgs) -> Result<(), ErrorReport> {
    let session =
        Session::on_this_computer().verify_within(Duration::from_secs(args.verify_timeout));
    args.target.connect(&session).await?;
    let report = match args.finish {
        true => {
            session
                .finish_rotation(args.user, args.confirm_imported, None)
                .await?
        }
        false => {
            session
                .rotate(args.user, args.delete_inactive_key, None)
                .await?
        }
    };
    if args.json {
        output::print_json(&report)?;
    } else {
        for copy in &report.copies {
            let state = if copy.holds_old_key() {
                "BEHIND"
            } else {
                "current"
            };
            println!("copy {state}: {}: {}", copy.location, copy.detail);
        }
        println!("{}", report.message);
    }
    if report.old_key_kept {
        // The rotation is not finished: scripts must see it.
        return Err(
            ProvisionError::Push(PushError::Unfinished(report.message.clone())).report(None),
        );
    }
    Ok(())
}

pub async fn teardown(args: TeardownArgs) -> Result<(), ErrorReport> {
    // The waiting period is checked before the first AWS call.
    let delete_key_days = session::key_deletion_days(args.delete_key, args.key_deletion_days)?;
    let delete_key = match args.yes {
        true => session::approved_key_deletion(delete_key_days, args.key_arn.clone())?,
        false => None,
    };
    let (kind, name) = match (args.user, args.role) {
        (Some(user), None) => (PrincipalKind::User, user),
        (None, Some(role)) => (PrincipalKind::Role, role),
        _ => return Err(ProvisionError::NoSetupNamed.report(None)),
    };
    let session = Session::on_this_computer();
    args.target.connect(&session).await?;
    // Without --key-profile, the profile this computer recorded at provision signs in to the
    // key's account (checked against the key's ARN first).
    let key_profile = args.key_profile;
    if !args.yes {
        let preview = session
            .teardown_preview_of(kind, name.clone(), args.delete_key, key_profile)
            .await?;
        print_preview(&preview, args.delete_key);
        let unconfirmed = Unconfirmed::Teardown { name };
        return Err(ProvisionError::NotConfirmed(unconfirmed).report(None));
    }
    let report = session
        .teardown_confirmed(kind, name, delete_key, key_profile, None)
        .await?;
    if args.json {
        output::print_json(&report)?;
    } else {
        print_teardown(&report);
    }
    if report.failed.is_empty() {
        Ok(())
    } else {
        let parts = report.failed.len();
        Err(ProvisionError::TeardownIncomplete { parts }.report(None))
    }
}

fn print_teardown(report: &TeardownReport) {
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

/// What teardown would do, on stderr (stdout stays free for --json).
fn print_preview(preview: &TeardownPreview, delete_key: bool) {
    eprintln!("Tearing down {} would:", preview.name);
    if preview.principal_exists {
        eprintln!("  delete its access keys, keychain item, inline policies and the principal");
    }
    for change in &preview.outside_changes {
        eprintln!("  {change} (added outside this app)");
    }
    if let Some(grant) = &preview.key_grant {
        eprintln!("  remove the {grant}");
    }
    if let Some(access) = &preview.key_account {
        match (&access.profile, &access.problem) {
            (_, Some(problem)) => eprintln!(
                "  (cannot yet: {problem} Add --key-profile with a profile of account {}.)",
                access.account_id
            ),
            (Some(profile), None) => eprintln!(
                "  (in account {} with the profile {profile}, checked)",
                access.account_id
            ),
            (None, None) => eprintln!("  (in account {}, connected)", access.account_id),
        }
    }
    for copy in &preview.copies {
        eprintln!("  {copy}");
    }
    if let Some(arn) = &preview.key_arn {
        match (&preview.key, delete_key) {
            (Some(verdict), true) if verdict.deletable => {
                eprintln!(
                    "  schedule the deletion of KMS key {arn}: {}",
                    verdict.reason
                );
                eprintln!("  (to approve this key, add --yes --key-arn {arn})");
            }
            (Some(verdict), _) => eprintln!("  keep KMS key {arn}: {}", verdict.reason),
            (None, _) => {
                eprintln!("  keep KMS key {arn} (add --delete-key to schedule its deletion)")
            }
        }
    }
}
