//! The app's live checks while the admin types, and the key picker's listing.

use super::{report, Session};
use crate::error::{ErrorReport, ProvisionError};
use crate::setup::keys::{self, KeySummary};
use crate::setup::plan;
use crate::validate::{self, InputError};
use serde::Serialize;
use ts_rs::TS;

/// The answer to a live field check: `message` says what is wrong when `ok` is false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldCheck {
    pub ok: bool,
    pub message: Option<String>,
}

impl FieldCheck {
    fn passed() -> Self {
        FieldCheck {
            ok: true,
            message: None,
        }
    }

    fn failed(message: impl Into<String>) -> Self {
        FieldCheck {
            ok: false,
            message: Some(message.into()),
        }
    }

    fn from_input(result: Result<String, InputError>) -> Result<String, Self> {
        result.map_err(|e| FieldCheck::failed(e.rule))
    }
}

impl Session {
    /// The region's keys, handed to `emit` page by page (the picker paints the first at once);
    /// returns how many there were.
    pub async fn list_keys(
        &self,
        emit: impl FnMut(Vec<KeySummary>) + Send,
    ) -> Result<u32, ErrorReport> {
        let connection = self.connection().await?;
        keys::stream_keys(&connection, emit)
            .await
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            .map_err(report)
    }

    /// The keys the picker shows, or one the admin typed; each answers, usable or with a reason.
    pub async fn describe_keys(&self, refs: Vec<String>) -> Result<Vec<KeySummary>, ErrorReport> {
        let connection = self.connection().await?;
        Ok(keys::describe_keys(&connection, refs).await)
    }

    /// IAM's naming rules, then whether the user exists already.
    pub async fn check_user_name(&self, name: String) -> Result<FieldCheck, ErrorReport> {
        let name = match FieldCheck::from_input(validate::user_name(name.trim())) {
            Ok(name) => name,
            Err(check) => return Ok(check),
        };
        let connection = self.connection().await?;
        match plan::ensure_user_is_new(&connection, &name).await {
            Ok(()) => Ok(FieldCheck::passed()),
            Err(error @ ProvisionError::UserExists(_)) => {
                Ok(FieldCheck::failed(format!("{error}. {}", error.hint())))
            }
            Err(error) => Err(report(error)),
        }
    }

    /// KMS's alias rules, then whether the alias is taken in this region.
    pub async fn check_alias(&self, alias: String) -> Result<FieldCheck, ErrorReport> {
        let alias = match FieldCheck::from_input(validate::alias(alias.trim())) {
            Ok(alias) => alias,
            Err(check) => return Ok(check),
        };
        let connection = self.connection().await?;
        match plan::ensure_alias_is_free(&connection, &alias).await {
            Ok(()) => Ok(FieldCheck::passed()),
            Err(error @ ProvisionError::AliasExists(_)) => {
                Ok(FieldCheck::failed(error.to_string()))
            }
            Err(error) => Err(report(error)),
        }
    }

    pub fn check_policy_name(&self, name: String) -> FieldCheck {
        let name = name.trim();
        if name.is_empty() {
            return FieldCheck::passed();
        }
        match FieldCheck::from_input(validate::policy_name(name)) {
            Ok(_) => FieldCheck::passed(),
            Err(check) => check,
        }
    }
}
