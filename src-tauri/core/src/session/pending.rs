//! Keys waiting for deletion, and cancelling a deletion (both front ends).

use super::{report, Session};
use crate::aws::kms_pending;
use crate::error::{ErrorReport, ProvisionError};
use crate::validate;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PendingDeletion {
    pub key_arn: String,
    pub description: String,
    /// When KMS deletes the key, unix seconds; it can be cancelled until then.
    #[ts(type = "number | null")]
    pub deletion_date: Option<i64>,
}

impl Session {
    /// This app's keys in the connected region that KMS will delete.
    pub async fn pending_deletions(&self) -> Result<Vec<PendingDeletion>, ErrorReport> {
        let connection = self.connection().await?;
        let pending = kms_pending::of_app(&connection).await.map_err(report)?;
        Ok(pending
            .into_iter()
            .map(|key| PendingDeletion {
                key_arn: key.arn,
                description: key.description,
                deletion_date: key.deletion_date,
            })
            .collect())
    }

    /// Cancels the deletion of `key_arn` and enables it again: only a key of this app that is
    /// pending deletion now (checked again here, not taken from the list the admin saw).
    pub async fn cancel_key_deletion(&self, key_arn: String) -> Result<String, ErrorReport> {
        let key_arn = validate::key_arn(&key_arn).map_err(report)?;
        let connection = self.connection().await?;
        let pending = kms_pending::of_app(&connection).await.map_err(report)?;
        let Some(key) = pending.into_iter().find(|k| k.arn == key_arn) else {
            return Err(report(ProvisionError::NotFound(format!(
                "{key_arn} is not a key of this app waiting for deletion in {}",
                connection.region()
            ))));
        };
        kms_pending::cancel_deletion(&connection.kms(), &key.key_id)
            .await
            .map_err(report)?;
        Ok(format!(
            "The deletion of {key_arn} is cancelled and the key is enabled again: data encrypted with it stays readable."
        ))
    }
}
