//! Input checks against AWS's own naming rules, run before any AWS call so that a typo
//! costs nothing and changes nothing.

pub mod regions;
use serde::Serialize;
use ts_rs::TS;

/// Which input a validation message is about, named as the admin sees it on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Field {
    UserName,
    RoleName,
    KeyAlias,
    KeyDescription,
    ExistingKey,
    PolicyName,
    Region,
    Profile,
    KeyDeletionDays,
    KeyArn,
    Trust,
    MaxSessionSeconds,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::UserName => "IAM user name",
            Field::RoleName => "IAM role name",
            Field::KeyAlias => "Key alias",
            Field::KeyDescription => "Key description",
            Field::ExistingKey => "Existing key",
            Field::PolicyName => "Policy name",
            Field::Region => "Region",
            Field::Profile => "AWS profile",
            Field::KeyDeletionDays => "Key deletion waiting period",
            Field::KeyArn => "Key to delete",
            Field::Trust => "Who may assume the role",
            Field::MaxSessionSeconds => "Longest session credentials",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {rule}", field.label())]
pub struct InputError {
    pub field: Field,
    pub rule: String,
}

fn invalid<T>(field: Field, rule: impl Into<String>) -> Result<T, InputError> {
    Err(InputError {
        field,
        rule: rule.into(),
    })
}

fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

fn iam_name(field: Field, value: &str, max: usize) -> Result<String, InputError> {
    let len = value.chars().count();
    if len == 0 || len > max {
        return invalid(
            field,
            format!("must be 1–{max} characters long (it is {len})"),
        );
    }
    if let Some(bad) = value.chars().find(|c| !is_iam_name_char(*c)) {
        return invalid(
            field,
            format!("may only contain letters, digits and + = , . @ _ - (found {bad:?})"),
        );
    }
    Ok(value.to_string())
}

/// IAM user names: 1–64 of `[A-Za-z0-9+=,.@_-]`.
pub fn user_name(value: &str) -> Result<String, InputError> {
    iam_name(Field::UserName, value, 64)
}

/// IAM role names: 1–64 of `[A-Za-z0-9+=,.@_-]`.
pub fn role_name(value: &str) -> Result<String, InputError> {
    iam_name(Field::RoleName, value, 64)
}

/// Inline policy names: 1–128 of `[A-Za-z0-9+=,.@_-]`.
pub fn policy_name(value: &str) -> Result<String, InputError> {
    iam_name(Field::PolicyName, value, 128)
}

/// The inline policy name used when the admin leaves it empty.
pub fn default_policy_name(principal_name: &str) -> String {
    format!("csfle-kms-{principal_name}")
}

/// KMS alias names: `alias/` followed by 1–250 of `[A-Za-z0-9/_-]`; `alias/aws/` is AWS's own.
pub fn alias(value: &str) -> Result<String, InputError> {
    let Some(name) = value.strip_prefix("alias/") else {
        return invalid(
            Field::KeyAlias,
            "must start with alias/ (for example alias/app-csfle)",
        );
    };
    if value.starts_with("alias/aws/") {
        return invalid(
            Field::KeyAlias,
            "alias/aws/ is reserved for keys that AWS manages; choose another name",
        );
    }
    let len = name.chars().count();
    if len == 0 || len > 250 {
        return invalid(
            Field::KeyAlias,
            format!("the name after alias/ must be 1–250 characters long (it is {len})"),
        );
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "/_-".contains(*c)))
    {
        return invalid(
            Field::KeyAlias,
            format!("may only contain letters, digits, /, _ and - after alias/ (found {bad:?})"),
        );
    }
    Ok(value.to_string())
}

/// KMS key descriptions: up to 8192 characters.
pub fn description(value: &str) -> Result<String, InputError> {
    if value.chars().count() > 8192 {
        return invalid(
            Field::KeyDescription,
            "must be at most 8192 characters long",
        );
    }
    Ok(value.to_string())
}

/// A region this app knows (see [`regions`]).
pub fn region(value: &str) -> Result<String, InputError> {
    if value.is_empty() {
        return invalid(
            Field::Region,
            "choose the AWS region that holds (or will hold) the key",
        );
    }
    match regions::partition_of(value) {
        Some(_) => Ok(value.to_string()),
        None => invalid(
            Field::Region,
            format!("{value:?} is not an AWS region this app knows (for example us-east-1)"),
        ),
    }
}

/// The bounds of a setup's cap on session credentials: AWS's minimum (15 minutes), and 12 hours.
pub const SESSION_CAP_RANGE: std::ops::RangeInclusive<i32> = 900..=43_200;

/// The longest session credentials a setup hands out: 900–43200 seconds (15 minutes to 12 hours).
pub fn max_session_seconds(value: i32) -> Result<i32, InputError> {
    let range = SESSION_CAP_RANGE;
    if !range.contains(&value) {
        return invalid(
            Field::MaxSessionSeconds,
            format!(
                "must be {}–{} seconds (it is {value})",
                range.start(),
                range.end()
            ),
        );
    }
    Ok(value)
}

/// Profile names as the AWS shared config files allow them: no spaces, brackets or control characters.
pub fn profile(value: &str) -> Result<String, InputError> {
    if value.is_empty() || value.len() > 128 {
        return invalid(Field::Profile, "must be 1–128 characters long");
    }
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "[]#;".contains(c))
    {
        return invalid(Field::Profile, "may not contain spaces, brackets, # or ;");
    }
    Ok(value.to_string())
}

/// How the admin named an existing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// `arn:<partition>:kms:<region>:<account>:key/<id>`
    Arn {
        partition: String,
        region: String,
        account: String,
        key_id: String,
    },
    /// A bare key id (UUID or multi-Region `mrk-…`).
    Id(String),
    /// `alias/<name>`
    Alias(String),
}

impl KeyRef {
    /// The string KMS accepts as `KeyId` for this reference.
    pub fn as_kms_key_id(&self) -> String {
        match self {
            KeyRef::Arn {
                partition,
                region,
                account,
                key_id,
            } => format!("arn:{partition}:kms:{region}:{account}:key/{key_id}"),
            KeyRef::Id(id) => id.clone(),
            KeyRef::Alias(alias) => alias.clone(),
        }
    }
}

fn is_key_id(value: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    if let Some(rest) = value.strip_prefix("mrk-") {
        return hex(rest, 32);
    }
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, part)| hex(part, *n))
}

/// A key's full ARN and nothing else (no alias, no bare id): what an admin approves for deletion.
pub fn key_arn(value: &str) -> Result<String, InputError> {
    let value = value.trim();
    let region = value.split(':').nth(3).unwrap_or_default();
    match existing_key(value, region) {
        Ok(KeyRef::Arn { .. }) => Ok(value.to_string()),
        Ok(_) => invalid(
            Field::KeyArn,
            "must be the key's ARN (arn:aws:kms:<region>:<account>:key/<id>), as the teardown preview shows it",
        ),
        Err(error) => Err(InputError {
            field: Field::KeyArn,
            rule: error.rule,
        }),
    }
}

const KEY_FORMS: &str = "enter a key ARN (arn:aws:kms:<region>:<account>:key/<id>), a key id or an alias (alias/<name>)";

/// An existing key given as a key ARN, key id or alias, checked against `region` when it is an ARN.
pub fn existing_key(value: &str, region: &str) -> Result<KeyRef, InputError> {
    let value = value.trim();
    if value.starts_with("alias/") {
        return alias(value).map(KeyRef::Alias).map_err(|e| InputError {
            field: Field::ExistingKey,
            rule: e.rule,
        });
    }
    if is_key_id(value) {
        return Ok(KeyRef::Id(value.to_string()));
    }
    let Some(rest) = value.strip_prefix("arn:") else {
        return invalid(Field::ExistingKey, KEY_FORMS);
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [partition, service, key_region, account, resource] = parts[..] else {
        return invalid(Field::ExistingKey, KEY_FORMS);
    };
    if service != "kms" {
        return invalid(
            Field::ExistingKey,
            format!("this is an ARN for {service}, not for a KMS key"),
        );
    }
    let Some(expected_partition) = regions::partition_of(key_region) else {
        return invalid(
            Field::ExistingKey,
            format!("the ARN names an unknown region {key_region:?}"),
        );
    };
    if partition != expected_partition {
        return invalid(
            Field::ExistingKey,
            format!(
                "region {key_region} belongs to partition {expected_partition}, not {partition}"
            ),
        );
    }
    if key_region != region {
        return invalid(
            Field::ExistingKey,
            format!("the key is in {key_region} but the chosen region is {region}; choose region {key_region} or another key"),
        );
    }
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return invalid(
            Field::ExistingKey,
            "the account in the ARN must be 12 digits",
        );
    }
    match resource.strip_prefix("key/") {
        Some(id) if is_key_id(id) => Ok(KeyRef::Arn {
            partition: partition.to_string(),
            region: key_region.to_string(),
            account: account.to_string(),
            key_id: id.to_string(),
        }),
        Some(_) => invalid(
            Field::ExistingKey,
            "the part after key/ is not a KMS key id",
        ),
        None if resource.starts_with("alias/") => invalid(
            Field::ExistingKey,
            "this is an alias ARN; enter the alias itself (alias/<name>) or the key ARN",
        ),
        None => invalid(Field::ExistingKey, KEY_FORMS),
    }
}

#[cfg(test)]
mod tests;
