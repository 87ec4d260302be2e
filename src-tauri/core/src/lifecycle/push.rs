//! Copies of a user setup's credentials in the organisation's secret store: a Vault/OpenBao KV v2
//! path (check-and-set, custom metadata naming the setup) or a Secrets Manager secret (a
//! customer-managed KMS key, a resource policy for the named readers, this app's tags). Each copy
//! is written only where nothing is, or where this app's own copy of the same setup is, and every
//! write is recorded (names only) for rotation and teardown.

use crate::aws::connect::Connection;
use crate::aws::secrets_manager as sm;
use crate::aws::tags::{CREATED_BY_KEY, CREATED_BY_VALUE};
use crate::error::push::PushError;
use crate::error::ProvisionError;
use crate::local::credentials::LoadedCredentials;
use crate::local::deliveries::{self, Delivery, DeliveryKind};
use crate::secret::Sensitive;
use crate::store::vault::{Vault, VaultTarget};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// The Vault custom-metadata key naming the setup (`<account id>/<user>`).
pub const VAULT_SETUP_KEY: &str = "csfle-provisioner:setup";
pub const VAULT_KEY_ID_KEY: &str = "csfle-provisioner:access-key-id";

pub fn setup_id(account_id: &str, user: &str) -> String {
    format!("{account_id}/{user}")
}

/// The JSON object every pushed copy holds: the access key, and the context an application
/// needs beside it (key ARN, region), none of it secret but the one field.
pub fn copy_json(creds: &LoadedCredentials) -> Sensitive {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Copy<'a> {
        access_key_id: &'a str,
        secret_access_key: &'a str,
        key_arn: &'a str,
        region: &'a str,
        account_id: &'a str,
        user_arn: &'a str,
        user_name: &'a str,
        written_by: &'a str,
    }
    let mut buffer = Zeroizing::new(Vec::with_capacity(2048));
    let copy = Copy {
        access_key_id: &creds.access_key_id,
        secret_access_key: creds.secret_access_key.expose(),
        key_arn: &creds.key_arn,
        region: &creds.region,
        account_id: &creds.account_id,
        user_arn: &creds.user_arn,
        user_name: &creds.user_name,
        written_by: CREATED_BY_VALUE,
    };
    let _ = serde_json::to_writer(&mut *buffer, &copy);
    Sensitive::new(String::from_utf8(std::mem::take(&mut *buffer)).unwrap_or_default())
}

/// Whether the Vault path's metadata says this app wrote it for `setup`.
fn vault_is_ours(custom: &BTreeMap<String, String>, setup: &str) -> bool {
    custom.get(CREATED_BY_KEY).map(String::as_str) == Some(CREATED_BY_VALUE)
        && custom.get(VAULT_SETUP_KEY).map(String::as_str) == Some(setup)
}

/// The version Vault has now, if this app may write the next one: none yet (0), or this app's
/// copy of the same setup that nobody wrote over since (`recorded`, when it knows one).
async fn vault_cas(vault: &Vault, setup: &str, recorded: Option<u64>) -> Result<u64, PushError> {
    let shown = vault.target().display();
    let Some(metadata) = vault.metadata().await? else {
        return Ok(0);
    };
    if !vault_is_ours(&metadata.custom, setup) {
        return Err(PushError::NotOurs(format!(
            "{shown} already holds a secret this app did not write for {setup} (its custom metadata does not name it); it was left as it was"
        )));
    }
    match recorded {
        Some(version) if version != metadata.current_version => Err(PushError::NotOurs(format!(
            "{shown} is at version {}, but this app wrote version {version}: someone else wrote over it, so it was left as it was",
            metadata.current_version
        ))),
        _ => Ok(metadata.current_version),
    }
}

/// Writes the copy at the Vault path (a new version, check-and-set) and its custom metadata.
/// Returns the version written.
pub async fn write_vault(
    vault: &Vault,
    creds: &LoadedCredentials,
    recorded: Option<u64>,
) -> Result<u64, PushError> {
    let setup = setup_id(&creds.account_id, &creds.user_name);
    let cas = vault_cas(vault, &setup, recorded).await?;
    let version = vault.write(&copy_json(creds), cas).await?;
    let custom = BTreeMap::from([
        (CREATED_BY_KEY.to_string(), CREATED_BY_VALUE.to_string()),
        (VAULT_SETUP_KEY.to_string(), setup),
        (VAULT_KEY_ID_KEY.to_string(), creds.access_key_id.clone()),
    ]);
    vault.set_custom_metadata(&custom).await?;
    Ok(version)
}

/// The record of a Vault copy just written.
pub fn vault_record(target: &VaultTarget, creds: &LoadedCredentials, version: u64) -> Delivery {
    Delivery {
        account_id: creds.account_id.clone(),
        user: creds.user_name.clone(),
        kind: DeliveryKind::Vault,
        location: target.display(),
        recipient: None,
        vault_url: Some(target.url.clone()),
        vault_mount: Some(target.mount.clone()),
        vault_path: Some(target.path.clone()),
        vault_version: Some(version),
        region: None,
        kms_key: None,
        readers: vec![],
        access_key_id: creds.access_key_id.clone(),
        written_at: deliveries::now(),
        confirmed: true,
    }
}

/// Removes the Vault copy (its metadata and every version) if it is still the one this app
/// wrote: its custom metadata names the setup and nobody wrote a version after ours.
pub async fn remove_vault(vault: &Vault, delivery: &Delivery) -> Result<String, PushError> {
    let setup = setup_id(&delivery.account_id, &delivery.user);
    let shown = vault.target().display();
    let Some(metadata) = vault.metadata().await? else {
        return Ok(format!("{shown}: already gone"));
    };
    if !vault_is_ours(&metadata.custom, &setup)
        || delivery
            .vault_version
            .is_some_and(|v| v != metadata.current_version)
    {
        return Err(PushError::NotOurs(format!(
            "{shown} now holds something this app did not write (version {}); it was left as it was",
            metadata.current_version
        )));
    }
    vault.destroy().await?;
    Ok(format!(
        "{shown}: the copy, its metadata and all its versions"
    ))
}

/// What the admin asked for a Secrets Manager copy.
#[derive(Debug, Clone)]
pub struct SecretRequest {
    pub name: String,
    pub readers: Vec<String>,
    /// A customer-managed key the admin named; `None` makes one tagged as this app's.
    pub kms_key: Option<String>,
}

/// Writes the Secrets Manager copy: a new secret (with its key and resource policy) where none
/// is, or a new `AWSCURRENT` version of this app's own secret for the same setup. Returns the
/// record.
pub async fn write_secret(
    connection: &Connection,
    creds: &LoadedCredentials,
    request: &SecretRequest,
) -> Result<Delivery, ProvisionError> {
    let setup = setup_id(&creds.account_id, &creds.user_name);
    let value = copy_json(creds);
    let token = uuid_like();
    let found = sm::describe(connection, &request.name).await?;
    let (arn, kms_key) = match found {
        Some(secret) if !secret.is_ours_for(&setup) => {
            return Err(PushError::NotOurs(format!(
                "the secret {} exists and its tags do not say this app made it for {setup}; it was left as it was",
                secret.arn
            ))
            .into())
        }
        Some(secret) if secret.deleted => {
            return Err(ProvisionError::Delivery(format!(
                "the secret {} is scheduled for deletion; restore it in the Secrets Manager console or choose another name",
                secret.arn
            )))
        }
        Some(secret) => {
            sm::put_value(connection, &secret.arn, &value, &token).await?;
            (secret.arn, secret.kms_key_id.unwrap_or_default())
        }
        None => {
            let key = secret_key(connection, creds, request).await?;
            let (arn, _) = sm::create(connection, &request.name, &key, &setup, &value, &token).await?;
            (arn, key)
        }
    };
    sm::put_policy(connection, &arn, &sm::resource_policy(&request.readers)).await?;
    Ok(Delivery {
        account_id: creds.account_id.clone(),
        user: creds.user_name.clone(),
        kind: DeliveryKind::SecretsManager,
        location: arn,
        recipient: None,
        vault_url: None,
        vault_mount: None,
        vault_path: None,
        vault_version: None,
        region: Some(connection.region().to_string()),
        kms_key: Some(kms_key),
        readers: request.readers.clone(),
        access_key_id: creds.access_key_id.clone(),
        written_at: deliveries::now(),
        confirmed: true,
    })
}

/// The key encrypting a new secret: the admin's (it must be a customer-managed symmetric key,
/// not `aws/secretsmanager`), or a new one tagged as this app's for the setup.
async fn secret_key(
    connection: &Connection,
    creds: &LoadedCredentials,
    request: &SecretRequest,
) -> Result<String, ProvisionError> {
    if let Some(key) = &request.kms_key {
        let key_ref = crate::validate::existing_key(key, connection.region())?;
        return crate::setup::plan::suitable_key_arn(connection, &key_ref).await;
    }
    let description = format!(
        "csfle-provisioner: encrypts the Secrets Manager copy of {}'s credentials",
        creds.user_name
    );
    let run_id = crate::setup::run_frame::new_run_id();
    let (_, arn) =
        crate::aws::kms::create_key(connection, &description, &creds.user_name, &run_id).await?;
    Ok(arn)
}

/// A new version of the recorded secret, after checking its tags again.
pub async fn refresh_secret(
    connection: &Connection,
    creds: &LoadedCredentials,
    delivery: &Delivery,
) -> Result<Delivery, ProvisionError> {
    let setup = setup_id(&creds.account_id, &creds.user_name);
    match sm::describe(connection, &delivery.location).await? {
        Some(secret) if secret.is_ours_for(&setup) && !secret.deleted => {
            sm::put_value(connection, &secret.arn, &copy_json(creds), &uuid_like()).await?;
        }
        _ => {
            return Err(PushError::NotOurs(format!(
                "the secret {} is gone, scheduled for deletion, or no longer tagged as this app's; it was not written",
                delivery.location
            ))
            .into())
        }
    }
    Ok(Delivery {
        access_key_id: creds.access_key_id.clone(),
        written_at: deliveries::now(),
        ..delivery.clone()
    })
}

/// Schedules the secret's deletion (the default 30-day recovery window) if its tags still say
/// this app made it for the setup.
pub async fn remove_secret(
    connection: &Connection,
    delivery: &Delivery,
) -> Result<String, ProvisionError> {
    let setup = setup_id(&delivery.account_id, &delivery.user);
    match sm::describe(connection, &delivery.location).await? {
        None => Ok(format!("{}: already gone", delivery.location)),
        Some(secret) if secret.deleted => Ok(format!(
            "{}: already scheduled for deletion",
            delivery.location
        )),
        Some(secret) if secret.is_ours_for(&setup) => {
            sm::schedule_deletion(connection, &secret.arn).await?;
            Ok(format!(
                "{}: scheduled for deletion (Secrets Manager's 30-day recovery window; restorable until then)",
                secret.arn
            ))
        }
        Some(secret) => Err(PushError::NotOurs(format!(
            "the secret {} is no longer tagged as this app's; it was left as it was",
            secret.arn
        ))
        .into()),
    }
}

/// A request token for Secrets Manager (32–64 characters): 128 random bits in hex.
fn uuid_like() -> String {
    format!("{:032x}", rand::random::<u128>())
}
