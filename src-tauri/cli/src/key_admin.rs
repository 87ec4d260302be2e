//! `fix-key-policy` (let IAM policies use an existing key, when the admin chooses to) and
//! `admin-policy` (the least-privilege IAM policy an admin needs to run this program).

use crate::manage::Target;
use crate::output;
use csfle_core::error::ErrorReport;
use csfle_core::{aws::key_policy, aws::permissions, validate};

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
    let connection = args.target.connect().await?;
    let key_ref = validate::existing_key(&args.key, connection.region())
        .map_err(|e| csfle_core::error::ProvisionError::from(e).report(None))?;
    let arn = csfle_core::setup::plan::suitable_key_arn(&connection, &key_ref)
        .await
        .map_err(|e| e.report(None))?;
    match key_policy::check(&connection, &arn).await {
        Ok(()) => {
            println!(
                "The key policy of {arn} already lets IAM policies grant access. Nothing to do."
            );
            return Ok(());
        }
        Err(csfle_core::error::ProvisionError::KeyPolicyBlocksIam { statement, .. })
            if !args.yes =>
        {
            eprintln!("This statement would be added to the key policy of {arn}:\n{statement}");
            return Err(ErrorReport {
                code: "not-confirmed".into(),
                message: "The key policy was not changed".into(),
                hint: "Add --yes to add the statement (it needs kms:PutKeyPolicy).".into(),
                rollback: None,
            });
        }
        Err(csfle_core::error::ProvisionError::KeyPolicyBlocksIam { .. }) => {}
        Err(other) => return Err(other.report(None)),
    }
    key_policy::allow_iam(&connection, &arn)
        .await
        .map_err(|e| e.report(None))?;
    println!("IAM policies of the account can now grant access to {arn}. Plan the setup again.");
    Ok(())
}

#[derive(clap::Args)]
pub struct AdminPolicyArgs {}

/// Prints the IAM policy document with every action this program calls, and nothing else.
pub fn admin_policy(_args: AdminPolicyArgs) -> Result<(), ErrorReport> {
    output::print_json(&permissions::admin_policy())
}
