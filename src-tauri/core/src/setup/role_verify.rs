//! Proving a role setup from the admin's computer: the policy IAM stores is the one planned, and,
//! where the trust lets the admin assume the role, its temporary credentials encrypt and decrypt.

use crate::aws::connect::Connection;
use crate::aws::{iam, policy, sts};
use crate::cancel::Cancel;
use crate::error::aws::AwsFailureKind;
use crate::error::ProvisionError;
use crate::model::principal::{Principal, Trust};
use crate::model::{Progress, ProgressSink, StepId};
use crate::setup::role_plan::RolePlan;
use crate::setup::run_frame::ApplyOptions;
use crate::setup::verify::{self, Probe};
use tokio::time::Instant;

/// Assumes the role when the admin is the trusted principal (or in the trusted account) and runs
/// the round trip with its temporary credentials; otherwise checks the stored policy document.
pub(crate) async fn verify_role(
    connection: &Connection,
    plan: &RolePlan,
    role_arn: &str,
    key_arn: &str,
    options: &ApplyOptions,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<(bool, String), ProvisionError> {
    let principal = Principal::role(&plan.role_name);
    let stored =
        iam::inline_policy_document(&connection.iam(), principal, &plan.policy_name).await?;
    if !policy::is_least_privilege(&stored, key_arn) {
        return Err(ProvisionError::RoundTrip(
            "IAM does not hold the policy that was sent".into(),
        ));
    }
    if matches!(
        plan.trust,
        Trust::WebIdentity { .. } | Trust::PodIdentity { .. }
    ) {
        return stored_trust_is_planned(connection, plan).await;
    }
    if !assumable_from_here(connection, &plan.trust) {
        return Ok((false, format!(
            "Only {} can assume this role, so it was not assumed from here; IAM holds exactly the least-privilege policy.",
            plan.trust.describe()
        )));
    }
    let deadline = verify::deadline_for(options.verify_limit);
    let credentials = assume_when_allowed(connection, role_arn, deadline, sink, cancel).await?;
    // An assumed-role ARN drops the role's path: arn:<partition>:sts::<account>:assumed-role/<name>.
    let partition = role_arn.split(':').nth(1).unwrap_or("aws");
    let session_arn = format!(
        "arn:{partition}:sts::{}:assumed-role/{}",
        connection.account_id(),
        plan.role_name
    );
    let probe = Probe {
        access_key_id: &credentials.access_key_id,
        secret: &credentials.secret,
        session_token: Some(&credentials.session_token),
        key_arn,
        expected_arn: &session_arn,
    };
    verify::verify_until(
        &connection.config_for_key(key_arn),
        &probe,
        deadline,
        options.verify_limit,
        sink,
        cancel,
    )
    .await?;
    Ok((
        true,
        "Assumed the role and encrypted and decrypted a random 32-byte value with its credentials"
            .into(),
    ))
}

/// A web-identity role can be assumed only with the platform's token, never from here: what can
/// be proven is that IAM holds exactly the planned trust (one issuer, one subject, the STS
/// audience) beside the least-privilege policy.
async fn stored_trust_is_planned(
    connection: &Connection,
    plan: &RolePlan,
) -> Result<(bool, String), ProvisionError> {
    let stored = crate::aws::oidc::trust_document(&connection.iam(), &plan.role_name).await?;
    let planned: serde_json::Value = serde_json::from_str(&plan.trust_policy).unwrap_or_default();
    if stored != planned {
        return Err(ProvisionError::RoundTrip(
            "IAM does not hold the trust policy that was sent".into(),
        ));
    }
    Ok((
        false,
        format!(
            "Only {} can assume this role, so it was not assumed from here. IAM holds exactly the \
             planned trust and the least-privilege policy. The workload proves it by encrypting \
             with the key once it runs with the role.",
            plan.trust.describe()
        ),
    ))
}

/// True when the trust names the admin's own identity or account root: only then can this
/// computer assume the role.
fn assumable_from_here(connection: &Connection, trust: &Trust) -> bool {
    let admin_account_root = format!(
        "arn:{}:iam::{}:root",
        connection.partition(),
        connection.account_id()
    );
    match trust {
        Trust::Principal { arn } => *arn == admin_account_root || *arn == connection.identity.arn,
        Trust::Service { .. } | Trust::WebIdentity { .. } | Trust::PodIdentity { .. } => false,
    }
}

/// AssumeRole, waited out at the credential probes' pace while IAM propagates the new role
/// (refused or throttled), until `deadline`.
async fn assume_when_allowed(
    connection: &Connection,
    role_arn: &str,
    deadline: Instant,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<sts::SessionCredentials, ProvisionError> {
    let client = aws_sdk_sts::Client::new(&connection.config);
    let mut pace = verify::Pace::new();
    loop {
        match sts::assume_role(&client, role_arn, "csfle-provisioner-verify").await {
            Ok(credentials) => return Ok(credentials),
            Err(failure) => {
                let throttled = failure.kind == AwsFailureKind::Throttled;
                if !(throttled || failure.kind == AwsFailureKind::AccessDenied)
                    || Instant::now() >= deadline
                {
                    return Err(ProvisionError::RoundTrip(failure.to_string()));
                }
                sink.emit(Progress::Waiting {
                    step: StepId::Verify,
                    message: "Waiting for AWS to let the new role be assumed".into(),
                });
                pace.pause(throttled, deadline, cancel).await?;
            }
        }
    }
}
