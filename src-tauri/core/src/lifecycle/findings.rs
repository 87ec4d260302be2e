//! The Security Hub controls of each listed setup, judged ([`crate::model::findings`]) from what
//! AWS says now.

use crate::aws::connect::Connection;
use crate::aws::kms;
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
    crate::aws::iam::policies_on_user(&connection.iam(), user)
        .await
        .map_err(|failure| failure.to_string())
}
