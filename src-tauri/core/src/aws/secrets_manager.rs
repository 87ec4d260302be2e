//! Small functions over Secrets Manager: a setup's copy as a secret encrypted with a
//! customer-managed KMS key, readable only by the principals the admin named, tagged as this
//! app's so that rotation and teardown touch only secrets it made.

use crate::aws::connect::Connection;
use crate::aws::tags::{CREATED_BY_KEY, CREATED_BY_VALUE};
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::push::PushError;
use crate::error::ProvisionError;
use crate::secret::Sensitive;
use aws_sdk_secretsmanager::types::Tag;

/// Ties a secret to the setup whose credentials it holds (`<account id>/<user>`).
pub const SETUP_TAG: &str = "csfle-provisioner:setup";

pub fn client(connection: &Connection) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&connection.config)
}

/// What DescribeSecret says about a secret, names only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub arn: String,
    pub name: String,
    pub kms_key_id: Option<String>,
    pub tags: Vec<(String, String)>,
    pub deleted: bool,
}

impl Described {
    /// Its tags say this app made it for `setup`.
    pub fn is_ours_for(&self, setup: &str) -> bool {
        let has = |k: &str, v: &str| self.tags.iter().any(|(tk, tv)| tk == k && tv == v);
        has(CREATED_BY_KEY, CREATED_BY_VALUE) && has(SETUP_TAG, setup)
    }
}

/// Checks a secret name against Secrets Manager's rule (1–512 of letters, digits and /_+=.@-),
/// and refuses names ending like the random suffix Secrets Manager appends (`-xxxxxx`), which
/// AWS advises against because a partial ARN would then be ambiguous.
pub fn check_name(name: &str) -> Result<(), PushError> {
    let ok = !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
    let suffix_like = name.rsplit_once('-').is_some_and(|(_, tail)| {
        tail.len() == 6 && tail.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !ok {
        return Err(PushError::SecretName(format!(
            "{name:?} is not a Secrets Manager name"
        )));
    }
    if suffix_like {
        return Err(PushError::SecretName(format!(
            "{name:?} ends with a hyphen and six characters, like the suffix Secrets Manager adds to ARNs; choose a name that does not"
        )));
    }
    Ok(())
}

/// Checks a reader: an IAM role or user ARN of any account (the principals a resource policy
/// can name one by one; an account root would let the whole account in).
pub fn check_reader(arn: &str) -> Result<(), PushError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && (parts[5].starts_with("role/") || parts[5].starts_with("user/"))
        && parts[5].len() > 5
        && parts[5]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(PushError::Reader(format!(
            "{arn:?} is not an IAM role or user ARN"
        )))
    }
}

/// The resource policy: the named readers may read the secret's value; every other principal
/// is denied it, whatever its IAM policies allow (an explicit Deny wins). The Deny names the
/// readers by `aws:PrincipalArn`, which for a role session is the role's ARN, so the readers'
/// sessions are not caught by it. Nothing else is granted: managing the secret stays with IAM.
pub fn resource_policy(readers: &[String]) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TheNamedReadersMayReadIt",
                "Effect": "Allow",
                "Principal": {"AWS": readers},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*"
            },
            {
                "Sid": "NobodyElseMayReadIt",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalArn": readers}}
            }
        ]
    })
}

fn tag(key: &str, value: &str) -> Option<Tag> {
    Some(Tag::builder().key(key).value(value).build())
}

/// Creates the secret with its first value. `token` makes a resent create the same create (the
/// SDK resends with it), so a lost reply cannot make two secrets.
pub async fn create(
    connection: &Connection,
    name: &str,
    kms_key: &str,
    setup: &str,
    value: &Sensitive,
    token: &str,
) -> Result<(String, String), ProvisionError> {
    let reply = client(connection)
        .create_secret()
        .name(name)
        .description(format!(
            "MongoDB CSFLE credentials of {setup}, written by csfle-provisioner"
        ))
        .kms_key_id(kms_key)
        .secret_string(value.expose())
        .client_request_token(token)
        .set_tags(Some(
            [tag(CREATED_BY_KEY, CREATED_BY_VALUE), tag(SETUP_TAG, setup)]
                .into_iter()
                .flatten()
                .collect(),
        ))
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("secretsmanager:CreateSecret", &e))?;
    Ok((
        reply.arn().unwrap_or_default().to_string(),
        reply.version_id().unwrap_or_default().to_string(),
    ))
}

pub async fn put_policy(
    connection: &Connection,
    arn: &str,
    policy: &serde_json::Value,
) -> Result<(), ProvisionError> {
    client(connection)
        .put_resource_policy()
        .secret_id(arn)
        .resource_policy(policy.to_string())
        .block_public_policy(true)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("secretsmanager:PutResourcePolicy", &e))?;
    Ok(())
}

/// A new version with `AWSCURRENT` (the old one becomes `AWSPREVIOUS`). Returns its id.
pub async fn put_value(
    connection: &Connection,
    arn: &str,
    value: &Sensitive,
    token: &str,
) -> Result<String, ProvisionError> {
    let reply = client(connection)
        .put_secret_value()
        .secret_id(arn)
        .secret_string(value.expose())
        .client_request_token(token)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("secretsmanager:PutSecretValue", &e))?;
    Ok(reply.version_id().unwrap_or_default().to_string())
}

/// The secret named `id` (name or ARN), or `None` when there is none.
pub async fn describe(
    connection: &Connection,
    id: &str,
) -> Result<Option<Described>, ProvisionError> {
    match client(connection)
        .describe_secret()
        .secret_id(id)
        .send()
        .await
    {
        Ok(reply) => Ok(Some(Described {
            arn: reply.arn().unwrap_or_default().to_string(),
            name: reply.name().unwrap_or_default().to_string(),
            kms_key_id: reply.kms_key_id().map(str::to_string),
            tags: reply
                .tags()
                .iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_string(),
                        t.value().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            deleted: reply.deleted_date().is_some(),
        })),
        Err(error) => {
            let failure = AwsFailure::from_sdk("secretsmanager:DescribeSecret", &error);
            if failure.kind == AwsFailureKind::NotFound
                || failure.code.as_deref() == Some("ResourceNotFoundException")
            {
                Ok(None)
            } else {
                Err(failure.into())
            }
        }
    }
}

/// Schedules the secret's deletion with Secrets Manager's default recovery window (30 days):
/// it can be restored until then.
pub async fn schedule_deletion(connection: &Connection, arn: &str) -> Result<(), ProvisionError> {
    client(connection)
        .delete_secret()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("secretsmanager:DeleteSecret", &e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_readers_and_denies_everybody_else() {
        let readers = vec!["arn:aws:iam::123456789012:role/app".to_string()];
        let policy = resource_policy(&readers);
        let statements = policy["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[0]["Effect"], "Allow");
        assert_eq!(statements[0]["Principal"]["AWS"][0], readers[0]);
        assert_eq!(statements[1]["Effect"], "Deny");
        assert_eq!(statements[1]["Principal"], "*");
        assert_eq!(
            statements[1]["Condition"]["StringNotEquals"]["aws:PrincipalArn"][0],
            readers[0]
        );
        for s in statements {
            assert_eq!(s["Action"], "secretsmanager:GetSecretValue");
        }
    }

    #[test]
    fn readers_and_names_follow_aws_rules() {
        assert!(check_reader("arn:aws:iam::123456789012:role/app").is_ok());
        assert!(check_reader("arn:aws:iam::123456789012:user/team/app").is_ok());
        for bad in [
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:sts::123456789012:assumed-role/app/s",
            "*",
            "arn:aws:iam::12345:role/app",
        ] {
            assert!(check_reader(bad).is_err(), "{bad}");
        }
        assert!(check_name("prod/app/csfle").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("bad name").is_err());
        assert!(check_name("app-abc123").is_err());
    }
}
