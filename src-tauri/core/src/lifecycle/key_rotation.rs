//! "Enable rotation" (Security Hub KMS.4) for a setup's existing key: automatic yearly rotation of
//! the key material. AWS keeps every older material, so data keys MongoDB wrapped earlier still
//! decrypt and nothing in the application changes.

use crate::aws::connect::Connection;
use crate::error::ProvisionError;
use aws_sdk_kms::types::{KeyManagerType, KeySpec, KeyState, OriginType};
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RotationReport {
    pub key_arn: String,
    /// What AWS answered to kms:GetKeyRotationStatus after the change.
    pub rotation_enabled: bool,
    pub message: String,
}

/// Turns on automatic rotation for `key` (ARN, id or alias) and reads the status back.
pub async fn enable(connection: &Connection, key: &str) -> Result<RotationReport, ProvisionError> {
    let key = crate::validate::existing_key(key.trim(), connection.region())?.as_kms_key_id();
    let kms = connection.kms();
    let described = crate::aws::kms::describe_key(&kms, &key).await?;
    let meta = described
        .as_ref()
        .ok_or_else(|| ProvisionError::KeyNotFound {
            key: key.clone(),
            region: connection.region().to_string(),
        })?;
    let arn = meta.arn().unwrap_or(&key).to_string();
    let unsuitable = |reason: &str| ProvisionError::UnsuitableKey {
        key: arn.clone(),
        reason: reason.to_string(),
    };
    if meta.key_manager() == Some(&KeyManagerType::Aws) {
        return Err(unsuitable("AWS manages this key and rotates it itself"));
    }
    if meta
        .key_spec()
        .is_some_and(|s| *s != KeySpec::SymmetricDefault)
    {
        return Err(unsuitable("only symmetric keys support automatic rotation"));
    }
    if meta.origin().is_some_and(|o| *o != OriginType::AwsKms) {
        return Err(unsuitable(
            "its key material is imported or in a custom key store, which KMS cannot rotate automatically; rotate it by hand as AWS describes for such keys",
        ));
    }
    if meta.key_state() != Some(&KeyState::Enabled) {
        return Err(unsuitable(
            "rotation can only be turned on for an enabled key (it is disabled or pending deletion)",
        ));
    }
    // Bare key id: the emulator mishandles ARNs for some key calls; AWS accepts both.
    let key_id = meta.key_id().to_string();
    crate::aws::kms::enable_rotation(&kms, &key_id).await?;
    let rotation_enabled = crate::aws::kms::rotation_status(connection, &key_id)
        .await
        .unwrap_or(true);
    Ok(RotationReport {
        message: format!(
            "Automatic yearly rotation is on for {arn}. AWS keeps the older key material, so everything encrypted so far still decrypts and MongoDB needs no change."
        ),
        key_arn: arn,
        rotation_enabled,
    })
}
