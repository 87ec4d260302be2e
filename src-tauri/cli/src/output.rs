//! What the program prints: results on stdout, progress and errors on stderr, never a secret.

use csfle_core::error::{ErrorReport, ProvisionError};
use csfle_core::model::{Plan, Progress, StepId};

pub fn print_error(report: &ErrorReport) {
    eprintln!("error: {}", report.message);
    eprintln!("what to do: {}", report.hint);
    eprintln!("code: {}", report.code);
    if let Some(rollback) = &report.rollback {
        for undone in &rollback.undone {
            eprintln!("rolled back: {undone}");
        }
        for left in &rollback.left_behind {
            eprintln!("LEFT BEHIND (remove it by hand): {left}");
        }
    }
}

pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), ErrorReport> {
    match serde_json::to_string_pretty(value) {
        Ok(text) => {
            println!("{text}");
            Ok(())
        }
        Err(error) => Err(ProvisionError::Unformattable(error.to_string()).report(None)),
    }
}

pub fn print_plan(plan: &Plan) {
    let who = &plan.identity;
    println!(
        "Acting as {} (account {}) in {}",
        who.arn, who.account_id, who.region
    );
    if let Some(endpoint) = &who.endpoint_override {
        println!("Endpoint override: {endpoint} (not the real AWS endpoint)");
    }
    println!("\nPlan:");
    for (n, step) in plan.steps.iter().enumerate() {
        println!("  {}. {:<48} {}", n + 1, step.action, step.target);
        println!("     {}", step.summary);
    }
    println!(
        "\nInline policy {} for {}:\n  {}",
        plan.policy_name, plan.user_name, plan.policy_document
    );
    print_key_grant(plan.key_grant.as_ref());
    println!(
        "\ncredential-process: {}",
        terms_in_words(&plan.credential_terms)
    );
    print_predicted(&plan.findings);
}

/// The second change of a cross-account setup, in the key's account, with its exact JSON.
fn print_key_grant(grant: Option<&csfle_core::model::key_grant::KeyGrant>) {
    let Some(grant) = grant else { return };
    let profile = grant
        .key_profile
        .as_deref()
        .map(|p| format!(", profile {p}"))
        .unwrap_or_default();
    println!(
        "\nKey policy statement in account {} (as {}{profile}), added to the policy of {}; every other statement stays byte for byte:\n{}",
        grant.key_account, grant.key_admin_arn, grant.key_arn, grant.statement
    );
}

/// What `credential-process` hands out for a setup, as `list` and the plan print it.
pub fn terms_in_words(terms: &csfle_core::model::CredentialTerms) -> String {
    format!(
        "session credentials of at most {} s; long-lived key {}",
        terms.max_session_seconds,
        if terms.allow_long_lived {
            "allowed (--long-lived)"
        } else {
            "not handed out"
        }
    )
}

/// The Security Hub findings the setup will have the moment it exists.
fn print_predicted(findings: &[csfle_core::model::findings::Finding]) {
    use csfle_core::model::findings::FindingStatus;
    println!("\nAWS Security Hub, once it exists:");
    for finding in findings {
        let status = match finding.status {
            FindingStatus::Passed => "passes",
            FindingStatus::Failed => "FAILS ",
            FindingStatus::Unknown => "unknown",
        };
        println!("  {status} {:<7} {}", finding.control, finding.message);
    }
}

pub fn print_role_plan(plan: &csfle_core::setup::role_plan::RolePlan) {
    let who = &plan.identity;
    println!(
        "Acting as {} (account {}) in {}",
        who.arn, who.account_id, who.region
    );
    println!("\nPlan:");
    for (n, step) in plan.steps.iter().enumerate() {
        println!("  {}. {:<48} {}", n + 1, step.action, step.target);
        println!("     {}", step.summary);
    }
    println!(
        "\nTrust policy of {}:\n  {}",
        plan.role_name, plan.trust_policy
    );
    println!(
        "\nInline policy {}:\n  {}",
        plan.policy_name, plan.policy_document
    );
    print_key_grant(plan.key_grant.as_ref());
    print_predicted(&plan.findings);
}

fn step_name(step: StepId) -> &'static str {
    match step {
        StepId::CreateKey => "create key",
        StepId::CreateOidcProvider => "create OIDC provider",
        StepId::CreatePodIdentityAssociation => "bind the service account",
        StepId::EnableKeyRotation => "enable key rotation",
        StepId::CreateAlias => "create alias",
        StepId::CreateUser => "create user",
        StepId::PutUserPolicy => "attach policy",
        StepId::CreateAccessKey => "create access key",
        StepId::StoreInKeychain => "store in keychain",
        StepId::Verify => "verify",
        StepId::CreateRole => "create role",
        StepId::PutRolePolicy => "attach role policy",
        StepId::CreateInstanceProfile => "create instance profile",
        StepId::PutKeyPolicy => "key policy in the key's account",
    }
}

pub fn print_progress(event: Progress) {
    match event {
        Progress::Started { step } => eprintln!("… {}", step_name(step)),
        Progress::Finished {
            step,
            detail,
            elapsed_ms,
        } => {
            eprintln!("✓ {} ({elapsed_ms} ms): {detail}", step_name(step))
        }
        Progress::Waiting { message, .. } => eprintln!("  {message}"),
        Progress::Failed { step, message, .. } => eprintln!("✗ {}: {message}", step_name(step)),
        Progress::RolledBack { message, .. } => eprintln!("↩ {message}"),
        Progress::RollbackFailed { message, .. } => eprintln!("! {message}"),
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC` (civil-from-days, proleptic Gregorian).
pub fn unix_time_in_words(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let (hour, minute) = ((seconds % 86_400) / 3600, (seconds % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

#[cfg(test)]
mod tests {
    #[test]
    fn unix_times_read_as_dates() {
        assert_eq!(super::unix_time_in_words(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            super::unix_time_in_words(1_798_761_600),
            "2027-01-01 00:00 UTC"
        );
    }
}
