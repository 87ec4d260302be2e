//! The Security Hub controls of each listed setup, judged ([`crate::model::findings`]) from what
//! AWS says now.

use crate::aws::connect::Connection;
use crate::aws::kms;
use crate::error::aws::AwsFailure;
use crate::model::findings::{Observed, Subject};
use crate::model::principal::PrincipalKind;

/// What the controls need beyond the setup's summary: the key's rotation and, for a user that
/// exists, every policy on it.
pub async fn observe(
    connection: &Connection,
    subject: &Subject<'_>,
    key_arn: Option<&str>,
    principal_exists: bool,
) -> Observed {
    let rotation = async {
        match key_arn {
            Some(arn) if subject.key_state != Some("Missing") => {
                Some(kms::rotation_status(connection, arn).await)
            }
            _ => None,
        }
    };
    let policies = async {
        match subject.kind {
            PrincipalKind::User if principal_exists => {
                Some(user_policies(connection, subject.name).await)
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
