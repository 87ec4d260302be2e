//! Small functions over KMS's API: one call (or one careful create) each, errors mapped to what
//! an admin can act on.

use crate::aws::careful::{self, Found};
use crate::aws::connect::Connection;
use crate::aws::tags;
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use crate::model::ownership::{made_by_call, made_during_run, unix_now};

/// kms:GetKeyRotationStatus, by bare key id (the emulator mishandles ARNs for some key calls).
pub async fn rotation_status(connection: &Connection, key: &str) -> Result<bool, String> {
    rotation_enabled(&connection.kms(), key)
        .await
        .map_err(|failure| failure.to_string())
}

/// kms:GetKeyRotationStatus through `kms`, by bare key id.
pub async fn rotation_enabled(kms: &aws_sdk_kms::Client, key: &str) -> Result<bool, AwsFailure> {
    let key_id = key.rsplit('/').next().unwrap_or(key);
    kms.get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .map(|reply| reply.key_rotation_enabled())
        .map_err(|e| AwsFailure::from_sdk("kms:GetKeyRotationStatus", &e))
}

/// Returns (key id, key ARN). After a lost reply the key is looked for by the run's tag, and
/// adopted (and later rolled back) instead of orphaned only if it is what this call asked for:
/// made after the call was sent, with the description asked for and KMS's default key policy.
/// A key planted with the run's tag fails one of these; two that pass are a conflict.
pub async fn create_key(
    connection: &Connection,
    description: &str,
    principal: &str,
    run_id: &str,
) -> Result<(String, String), ProvisionError> {
    let kms = connection.kms();
    let call_started = unix_now();
    careful::create(
        || async {
            let reply = kms
                .create_key()
                .key_spec(aws_sdk_kms::types::KeySpec::SymmetricDefault)
                .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
                .description(description)
                .set_tags(Some(tags::kms_tags(principal, run_id)))
                .customize()
                .config_override(careful::kms_no_retry())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("kms:CreateKey", &e))?;
            let metadata = reply.key_metadata();
            Ok((
                metadata.map(|m| m.key_id().to_string()).unwrap_or_default(),
                metadata
                    .and_then(|m| m.arn())
                    .unwrap_or_default()
                    .to_string(),
            ))
        },
        || async {
            let asked = Asked {
                description,
                call_started,
            };
            adoptable_key(connection, run_id, &asked).await
        },
    )
    .await
}

/// What a CreateKey call asked for, to tell its key from one planted with the same tag.
struct Asked<'a> {
    description: &'a str,
    call_started: i64,
}

/// The one key carrying `run_id`'s tag that this run's CreateKey made, if any.
async fn adoptable_key(
    connection: &Connection,
    run_id: &str,
    asked: &Asked<'_>,
) -> Result<Found<(String, String)>, ProvisionError> {
    let mut fitting = Vec::new();
    for key in keys_tagged_with(connection, run_id).await? {
        let fits = !key.pending_deletion
            && made_by_call(key.created_at, asked.call_started)
            && key.description == asked.description
            && has_default_policy(connection, &key.key_id).await?;
        if fits {
            fitting.push((key.key_id, key.arn));
        }
    }
    match fitting.len() {
        0 => Ok(Found::Nothing),
        1 => Ok(Found::Ours(fitting.remove(0))),
        _ => Err(ProvisionError::RoundTrip(format!(
            "{} keys carry this run's tag and look as this run asked ({}); this app cannot \
             tell which one it made, so it adopts none. Look at the keys in the KMS console.",
            fitting.len(),
            fitting
                .iter()
                .map(|(_, arn)| arn.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// True when the key's policy is the one KMS gives a key made without a policy: one statement
/// for this account's root. A planter's key policy names the planter.
async fn has_default_policy(connection: &Connection, key_id: &str) -> Result<bool, ProvisionError> {
    let document = crate::aws::key_policy::current(connection, key_id).await?;
    let root = format!(
        "arn:{}:iam::{}:root",
        connection.partition(),
        connection.account_id()
    );
    Ok(crate::aws::policy::is_default_key_policy(&document, &root))
}

/// A key carrying a run's tag, with what KMS says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedKey {
    pub key_id: String,
    pub arn: String,
    /// KMS's `CreationDate`, unix seconds: nobody can change it.
    pub created_at: i64,
    pub description: String,
    pub pending_deletion: bool,
}

/// Every key of the region whose run tag is `run_id`. A key whose tags cannot be read makes the
/// answer unknown, which is an error, never a silent "none".
pub async fn keys_tagged_with(
    connection: &Connection,
    run_id: &str,
) -> Result<Vec<TaggedKey>, ProvisionError> {
    let kms = connection.kms();
    let mut unreadable = None;
    let mut found = Vec::new();
    let mut pages = kms.list_keys().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsFailure::from_sdk("kms:ListKeys", &e))?;
        for key in page.keys() {
            let Some(id) = key.key_id() else { continue };
            let tagged = match kms.list_resource_tags().key_id(id).send().await {
                Ok(tagged) => tagged,
                Err(e) => {
                    unreadable = Some(AwsFailure::from_sdk("kms:ListResourceTags", &e));
                    continue;
                }
            };
            let runs = tagged
                .tags()
                .iter()
                .any(|t| t.tag_key() == tags::RUN_KEY && t.tag_value() == run_id);
            if runs {
                found.push(tagged_key(&kms, id, key.key_arn().unwrap_or_default()).await?);
            }
        }
    }
    match unreadable {
        Some(failure) => Err(failure.into()),
        None => Ok(found),
    }
}

async fn tagged_key(
    kms: &aws_sdk_kms::Client,
    id: &str,
    arn: &str,
) -> Result<TaggedKey, ProvisionError> {
    let metadata = describe_key(kms, id).await?;
    let metadata = metadata.as_ref();
    Ok(TaggedKey {
        key_id: id.to_string(),
        arn: arn.to_string(),
        created_at: metadata
            .and_then(|m| m.creation_date())
            .map_or(i64::MAX, |d| d.secs()),
        description: metadata
            .and_then(|m| m.description())
            .unwrap_or_default()
            .to_string(),
        pending_deletion: metadata
            .and_then(|m| m.key_state())
            .is_some_and(|s| *s == aws_sdk_kms::types::KeyState::PendingDeletion),
    })
}

/// The live key a run made: carrying `run_id`'s tag, made while the run ran (from
/// `run_started_at` to now, the app's clock) and not already scheduled for deletion.
pub async fn key_made_by_run(
    connection: &Connection,
    run_id: &str,
    run_started_at: i64,
) -> Result<Option<(String, String)>, ProvisionError> {
    let now = unix_now();
    Ok(keys_tagged_with(connection, run_id)
        .await?
        .into_iter()
        .find(|k| !k.pending_deletion && made_during_run(k.created_at, run_started_at, now))
        .map(|k| (k.key_id, k.arn)))
}

/// Turns on KMS's yearly automatic rotation of the key material (Security Hub KMS.4). Rotation
/// is invisible to MongoDB: KMS keeps every older key material, so no data key needs rewrapping.
pub async fn enable_rotation(
    kms: &aws_sdk_kms::Client,
    key_id: &str,
) -> Result<String, ProvisionError> {
    careful::through_lag(|| async {
        kms.enable_key_rotation()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("kms:EnableKeyRotation", &e))
    })
    .await?;
    Ok("Automatic yearly rotation of the key material is on".into())
}

pub async fn create_alias(
    kms: &aws_sdk_kms::Client,
    alias: &str,
    key_id: &str,
) -> Result<String, ProvisionError> {
    careful::create(
        || async {
            careful::through_lag(|| async {
                kms.create_alias()
                    .alias_name(alias)
                    .target_key_id(key_id)
                    .customize()
                    .config_override(careful::kms_no_retry())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| AwsFailure::from_sdk("kms:CreateAlias", &e))
            })
            .await
        },
        || async {
            let found = kms
                .describe_key()
                .key_id(alias)
                .send()
                .await
                .map(|d| d.key_metadata().map(|m| m.key_id().to_string()));
            Ok(match found {
                Ok(Some(target)) if target == key_id => Found::Ours(()),
                Ok(_) => Found::Conflict(ProvisionError::AliasExists(alias.to_string())),
                Err(e)
                    if AwsFailure::from_sdk("kms:DescribeKey", &e).kind
                        == AwsFailureKind::NotFound =>
                {
                    Found::Nothing
                }
                Err(e) => return Err(AwsFailure::from_sdk("kms:DescribeKey", &e).into()),
            })
        },
    )
    .await?;
    Ok(alias.to_string())
}

pub async fn delete_alias(kms: &aws_sdk_kms::Client, alias: &str) -> Result<(), AwsFailure> {
    kms.delete_alias()
        .alias_name(alias)
        .send()
        .await
        .map(drop)
        .map_err(|e| AwsFailure::from_sdk("kms:DeleteAlias", &e))
}

/// Schedules the key's deletion after `days` (7–30); cancellable until then. By bare key id:
/// AWS takes either form, some emulators only this one. Returns the deletion date AWS set.
pub async fn schedule_deletion(
    kms: &aws_sdk_kms::Client,
    key_id: &str,
    days: i32,
) -> Result<Option<String>, AwsFailure> {
    let scheduled = kms
        .schedule_key_deletion()
        .key_id(key_id)
        .pending_window_in_days(days)
        .send()
        .await
        .map(|reply| reply.deletion_date().map(|d| d.to_string()))
        .map_err(|e| AwsFailure::from_sdk("kms:ScheduleKeyDeletion", &e));
    match scheduled {
        // A lost reply the SDK sent again, or a rollback run twice: KMS refuses a key whose
        // deletion is already scheduled. That is the goal state, so ask KMS and say so.
        Err(failure) if failure.code.as_deref() == Some("KMSInvalidStateException") => {
            match describe_key(kms, key_id).await {
                Ok(Some(metadata))
                    if metadata.key_state()
                        == Some(&aws_sdk_kms::types::KeyState::PendingDeletion) =>
                {
                    Ok(metadata.deletion_date().map(|d| d.to_string()))
                }
                _ => Err(failure),
            }
        }
        other => other,
    }
}

/// The key's tags (by ARN or id, through a client of the key's region).
pub async fn tags_of(
    kms: &aws_sdk_kms::Client,
    key: &str,
) -> Result<Vec<aws_sdk_kms::types::Tag>, AwsFailure> {
    kms.list_resource_tags()
        .key_id(key)
        .send()
        .await
        .map(|reply| reply.tags.unwrap_or_default())
        .map_err(|e| AwsFailure::from_sdk("kms:ListResourceTags", &e))
}

/// The key's metadata; `None` when KMS has no such key (id, ARN or alias) in the client's region.
pub async fn describe_key(
    kms: &aws_sdk_kms::Client,
    key: &str,
) -> Result<Option<aws_sdk_kms::types::KeyMetadata>, AwsFailure> {
    match kms.describe_key().key_id(key).send().await {
        Ok(reply) => Ok(reply.key_metadata),
        Err(e) => {
            let failure = AwsFailure::from_sdk("kms:DescribeKey", &e);
            match failure.kind {
                AwsFailureKind::NotFound => Ok(None),
                _ => Err(failure),
            }
        }
    }
}

/// kms:Encrypt of `plaintext` under `key`: the ciphertext, if KMS returned one.
pub async fn encrypt(
    kms: &aws_sdk_kms::Client,
    key: &str,
    plaintext: &[u8],
) -> Result<Option<aws_smithy_types::Blob>, AwsFailure> {
    kms.encrypt()
        .key_id(key)
        .plaintext(aws_smithy_types::Blob::new(plaintext.to_vec()))
        .send()
        .await
        .map(|reply| reply.ciphertext_blob)
        .map_err(|e| AwsFailure::from_sdk("kms:Encrypt", &e))
}

/// kms:Decrypt of `ciphertext`, naming the key it must have been made with.
pub async fn decrypt(
    kms: &aws_sdk_kms::Client,
    key: &str,
    ciphertext: aws_smithy_types::Blob,
) -> Result<Option<aws_smithy_types::Blob>, AwsFailure> {
    kms.decrypt()
        .key_id(key)
        .ciphertext_blob(ciphertext)
        .send()
        .await
        .map(|reply| reply.plaintext)
        .map_err(|e| AwsFailure::from_sdk("kms:Decrypt", &e))
}

/// Every key of the client's region as (key id, key ARN), all pages of `page_size`.
pub async fn all_keys(
    kms: &aws_sdk_kms::Client,
    page_size: i32,
) -> Result<Vec<(String, String)>, AwsFailure> {
    let mut keys = Vec::new();
    let mut pages = kms.list_keys().limit(page_size).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsFailure::from_sdk("kms:ListKeys", &e))?;
        keys.extend(page.keys().iter().filter_map(|k| {
            Some((
                k.key_id()?.to_string(),
                k.key_arn().unwrap_or_default().to_string(),
            ))
        }));
    }
    Ok(keys)
}

/// Every alias that names a key, handed to `on_page` as (alias, target key id) one page of
/// `page_size` at a time, as AWS returns them: a picker can show the first page at once.
pub async fn alias_pages(
    kms: &aws_sdk_kms::Client,
    page_size: i32,
    mut on_page: impl FnMut(Vec<(String, String)>),
) -> Result<(), AwsFailure> {
    let mut pages = kms.list_aliases().limit(page_size).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsFailure::from_sdk("kms:ListAliases", &e))?;
        on_page(
            page.aliases()
                .iter()
                .filter_map(|a| Some((a.alias_name()?.to_string(), a.target_key_id()?.to_string())))
                .collect(),
        );
    }
    Ok(())
}
