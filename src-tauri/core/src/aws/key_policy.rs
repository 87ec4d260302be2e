//! Whether an existing key's policy lets IAM policies grant access to it. Without the account's
//! "Enable IAM User Permissions" statement (KMS's default) no IAM policy can, so the setup's
//! least-privilege policy would be refused for ever: AccessDenied that no amount of waiting for
//! propagation cures. Planning stops on such a key and shows the statement that would fix it;
//! the app adds it only when the admin asks. That statement is narrow: it lets the account's
//! IAM policies grant kms:Encrypt and kms:Decrypt on this key (all a setup's service account
//! uses) and nothing else, never KMS's default `kms:*` for the account.

use crate::aws::connect::Connection;
use crate::error::aws::AwsFailure;
use crate::error::ProvisionError;
use serde_json::{json, Value};

/// The statement fix-key-policy adds: IAM policies of the account may grant exactly
/// kms:Encrypt and kms:Decrypt on this key (`Resource: "*"` in a key policy is the key itself).
/// The account, not the setup's principal: the setup's user or role does not exist yet when the
/// plan stops, and a key policy naming a principal that does not exist is refused.
pub fn encrypt_decrypt_statement(partition: &str, account: &str) -> Value {
    json!({
        "Sid": FIX_SID,
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
        "Action": ["kms:Encrypt", "kms:Decrypt"],
        "Resource": "*"
    })
}

/// The `Sid` of the statement fix-key-policy adds.
pub const FIX_SID: &str = "Let IAM policies of the account grant Encrypt and Decrypt";

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

/// True when some Allow statement gives the account (or everyone, subject to IAM) the actions
/// CSFLE needs, so that an IAM policy can grant them.
pub fn lets_iam_grant(document: &Value, partition: &str, account: &str) -> bool {
    let root = format!("arn:{partition}:iam::{account}:root");
    crate::aws::policy::statements(document)
        .into_iter()
        .any(|statement| {
            if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
                return false;
            }
            let principal = statement.get("Principal");
            let to_account = principal.and_then(Value::as_str) == Some("*")
                || strings(principal.and_then(|p| p.get("AWS")))
                    .iter()
                    .any(|p| *p == root || *p == account || *p == "*");
            let actions = strings(statement.get("Action"));
            let grants = |wanted: &str| {
                actions
                    .iter()
                    .any(|a| *a == "*" || *a == "kms:*" || a.eq_ignore_ascii_case(wanted))
            };
            to_account && grants("kms:Encrypt") && grants("kms:Decrypt")
        })
}

/// The key's policy exactly as KMS holds it (kms:GetKeyPolicy, in the key's region).
pub(crate) async fn current_text(
    connection: &Connection,
    key_arn: &str,
) -> Result<String, ProvisionError> {
    let reply = connection
        .kms_for_key(key_arn)
        .get_key_policy()
        .key_id(key_arn)
        .policy_name("default")
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("kms:GetKeyPolicy", &e))?;
    Ok(reply.policy().unwrap_or("{}").to_string())
}

/// The key's policy as a document (the one reader of key policies in the app).
pub(crate) async fn current(
    connection: &Connection,
    key_arn: &str,
) -> Result<Value, ProvisionError> {
    let text = current_text(connection, key_arn).await?;
    serde_json::from_str(&text).map_err(|e| {
        ProvisionError::RoundTrip(format!(
            "the key policy of {key_arn} is not valid JSON: {e}"
        ))
    })
}

/// Stops a plan whose key would refuse the setup's IAM policy.
pub async fn check(connection: &Connection, key_arn: &str) -> Result<(), ProvisionError> {
    let document = current(connection, key_arn).await?;
    if lets_iam_grant(&document, connection.partition(), connection.account_id()) {
        return Ok(());
    }
    let statement = encrypt_decrypt_statement(connection.partition(), connection.account_id());
    Err(ProvisionError::KeyPolicyBlocksIam {
        key: key_arn.to_string(),
        statement: serde_json::to_string_pretty(&statement).unwrap_or_default(),
    })
}

/// Adds [`encrypt_decrypt_statement`] to the key policy (the admin asked for it), the rest kept
/// as it was. Returns the new policy document.
pub async fn allow_iam(connection: &Connection, key_arn: &str) -> Result<String, ProvisionError> {
    let mut document = current(connection, key_arn).await?;
    if lets_iam_grant(&document, connection.partition(), connection.account_id()) {
        return Ok(serde_json::to_string_pretty(&document).unwrap_or_default());
    }
    let statement = encrypt_decrypt_statement(connection.partition(), connection.account_id());
    match document.get_mut("Statement") {
        Some(Value::Array(items)) => items.push(statement),
        Some(single) => *single = json!([single.take(), statement]),
        None => document["Statement"] = json!([statement]),
    }
    let text = serde_json::to_string_pretty(&document).unwrap_or_default();
    put(connection, key_arn, &text).await?;
    Ok(text)
}

/// kms:PutKeyPolicy of `text`, in the key's region.
pub(crate) async fn put(
    connection: &Connection,
    key_arn: &str,
    text: &str,
) -> Result<(), AwsFailure> {
    connection
        .kms_for_key(key_arn)
        .put_key_policy()
        .key_id(key_arn)
        .policy_name("default")
        .policy(text)
        .send()
        .await
        .map(drop)
        .map_err(|e| AwsFailure::from_sdk("kms:PutKeyPolicy", &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_lets_iam_grant_and_a_locked_one_does_not() {
        let default = json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "kms:*",
            "Resource": "*"
        }]});
        assert!(lets_iam_grant(&default, "aws", "111122223333"));
        assert!(
            !lets_iam_grant(&default, "aws", "999988887777"),
            "another account's root"
        );
        let locked = json!({"Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/KeyAdmin"},
            "Action": ["kms:Create*", "kms:Describe*", "kms:Put*"],
            "Resource": "*"
        }]});
        assert!(!lets_iam_grant(&locked, "aws", "111122223333"));
        let denied = json!({"Statement": {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}});
        assert!(!lets_iam_grant(&denied, "aws", "111122223333"));
        let listed = json!({"Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": ["111122223333"]},
            "Action": ["kms:Encrypt", "kms:Decrypt"],
            "Resource": "*"
        }]});
        assert!(lets_iam_grant(&listed, "aws", "111122223333"));
        let gov = json!({"Statement": [encrypt_decrypt_statement("aws-us-gov", "111122223333")]});
        assert!(lets_iam_grant(&gov, "aws-us-gov", "111122223333"));
        let fix = json!({"Statement": [encrypt_decrypt_statement("aws", "111122223333")]});
        assert!(
            lets_iam_grant(&fix, "aws", "111122223333"),
            "the fix itself suffices"
        );
    }

    #[test]
    fn the_fix_grants_encrypt_and_decrypt_to_the_account_and_nothing_else() {
        assert_eq!(
            encrypt_decrypt_statement("aws", "111122223333"),
            json!({
                "Sid": "Let IAM policies of the account grant Encrypt and Decrypt",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": ["kms:Encrypt", "kms:Decrypt"],
                "Resource": "*"
            })
        );
    }
}
