//! The Security Hub controls of each listed setup, judged ([`crate::model::findings`]) from what
//! AWS says now.

use crate::aws::connect::Connection;
use crate::aws::kms;
use crate::error::aws::AwsFailure;
use crate::lifecycle::setups::SetupSummary;
use crate::model::findings::{judge, key_age, Observed, Subject};
use crate::model::principal::PrincipalKind;

fn subject_of(summary: &SetupSummary) -> Subject<'_> {
    Subject {
        kind: summary.kind,
        name: &summary.name,
        key_state: summary.key_state.as_deref(),
        access_keys: &summary.access_keys,
    }
}

/// Judges a listed setup and stores the result in it. One call per summary.
pub async fn attach(connection: &Connection, summary: &mut SetupSummary) {
    let observed = observe(connection, summary).await;
    let now = crate::local::journal::now() as i64;
    summary.findings = judge(&subject_of(summary), &observed, now);
    summary.key_ages = summary
        .access_keys
        .iter()
        .map(|key| key_age(key, now))
        .collect();
}

async fn observe(connection: &Connection, summary: &SetupSummary) -> Observed {
    let rotation = async {
        match &summary.key_arn {
            Some(arn) if summary.key_state.as_deref() != Some("Missing") => {
                Some(kms::rotation_status(connection, arn).await)
            }
            _ => None,
        }
    };
    let policies = async {
        match summary.kind {
            PrincipalKind::User if summary.principal_arn.is_some() => {
                Some(user_policies(connection, &summary.name).await)
            }
            _ => None,
        }
    };
    let (rotation_enabled, user_policies) = tokio::join!(rotation, policies);
    Observed {
        rotation_enabled,
        user_policies,
    }
}

async fn user_policies(connection: &Connection, user: &str) -> Result<Vec<String>, String> {
    let iam = connection.iam();
    // Both lists at once: the setups view waits for the slowest setup.
    let (inline, attached) = tokio::join!(
        iam.list_user_policies().user_name(user).send(),
        iam.list_attached_user_policies().user_name(user).send()
    );
    let inline =
        inline.map_err(|e| AwsFailure::from_sdk("iam:ListUserPolicies", &e).to_string())?;
    let attached = attached
        .map_err(|e| AwsFailure::from_sdk("iam:ListAttachedUserPolicies", &e).to_string())?;
    let mut names: Vec<String> = inline.policy_names().to_vec();
    names.extend(
        attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_string)),
    );
    Ok(names)
}
