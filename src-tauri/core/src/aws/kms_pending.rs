//! Keys of this app waiting for deletion, and undoing a deletion: the one way back from the worst
//! mistake, for the whole waiting period KMS keeps the key.

use crate::aws::connect::Connection;
use crate::aws::{kms, tags};
use crate::error::aws::AwsFailure;
use crate::error::ProvisionError;

/// A key KMS will delete, as the admin needs to decide about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingKey {
    pub key_id: String,
    pub arn: String,
    pub description: String,
    /// When KMS deletes it, unix seconds.
    pub deletion_date: Option<i64>,
}

/// Every key of the connection's region that carries this app's tag and is pending deletion.
pub async fn of_app(connection: &Connection) -> Result<Vec<PendingKey>, ProvisionError> {
    let client = connection.kms();
    let mut pending = Vec::new();
    for (key_id, arn) in kms::all_keys(&client, 1000).await? {
        let Some(metadata) = kms::describe_key(&client, &key_id).await? else {
            continue;
        };
        if metadata.key_state() != Some(&aws_sdk_kms::types::KeyState::PendingDeletion) {
            continue;
        }
        if !tags::kms_is_ours(&kms::tags_of(&client, &key_id).await?) {
            continue;
        }
        pending.push(PendingKey {
            key_id,
            arn,
            description: metadata.description().unwrap_or_default().to_string(),
            deletion_date: metadata.deletion_date().map(|d| d.secs()),
        });
    }
    Ok(pending)
}

/// Cancels the deletion and enables the key again (KMS leaves a cancelled key disabled). By bare
/// key id: the emulator mishandles ARNs for these two calls, AWS takes both.
pub async fn cancel_deletion(client: &aws_sdk_kms::Client, key_id: &str) -> Result<(), AwsFailure> {
    client
        .cancel_key_deletion()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("kms:CancelKeyDeletion", &e))?;
    client
        .enable_key()
        .key_id(key_id)
        .send()
        .await
        .map(drop)
        .map_err(|e| AwsFailure::from_sdk("kms:EnableKey", &e))
}
