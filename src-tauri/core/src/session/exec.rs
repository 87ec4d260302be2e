//! `exec`: session credentials for one child process, in its environment only. For drivers that
//! read no AWS profile (Go, C, PHP): they read `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
//! `AWS_SESSION_TOKEN` from the environment, which this gives to exactly the command asked for.

use super::{report, Session};
use crate::error::{ErrorReport, ProvisionError};
use crate::secret::Sensitive;
use serde::Deserialize;

/// The variables the child gets, each value kept in zeroized memory until the child is started.
pub struct ExecEnvironment {
    pub variables: Vec<(&'static str, Sensitive)>,
}

impl std::fmt::Debug for ExecEnvironment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.variables.iter().map(|(name, _)| *name).collect();
        f.debug_struct("ExecEnvironment")
            .field("variables", &names)
            .finish()
    }
}

/// Borrowed from the answer itself, so no other copy of the secret is made before the child's.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: Option<&'a str>,
}

impl Session {
    /// Session credentials for `user`'s setup (never the long-lived key) and the key's region,
    /// as the environment of one child process.
    pub async fn exec_environment(
        &self,
        user: String,
        account_id: Option<String>,
        duration_seconds: Option<i32>,
    ) -> Result<ExecEnvironment, ErrorReport> {
        let region = self.setup_region(&user, account_id.as_deref())?;
        let answer = self
            .credential_process(user, account_id, false, duration_seconds)
            .await?;
        let parsed: Answer = serde_json::from_str(answer.expose()).map_err(|_| {
            report(ProvisionError::RoundTrip(
                "the session credentials could not be read".into(),
            ))
        })?;
        let Some(token) = parsed.session_token else {
            return Err(report(ProvisionError::RoundTrip(
                "STS gave no session token".into(),
            )));
        };
        let variables = vec![
            (
                "AWS_ACCESS_KEY_ID",
                Sensitive::new(parsed.access_key_id.to_string()),
            ),
            (
                "AWS_SECRET_ACCESS_KEY",
                Sensitive::new(parsed.secret_access_key.to_string()),
            ),
            ("AWS_SESSION_TOKEN", Sensitive::new(token.to_string())),
            ("AWS_REGION", Sensitive::new(region.clone())),
            ("AWS_DEFAULT_REGION", Sensitive::new(region)),
        ];
        Ok(ExecEnvironment { variables })
    }

    /// The region of the setup's master key, from its keychain item.
    fn setup_region(&self, user: &str, account_id: Option<&str>) -> Result<String, ErrorReport> {
        crate::validate::user_name(user).map_err(report)?;
        let vault = self.vault.as_ref();
        let account = crate::local::credential_profile::resolve_account(vault, user, account_id)
            .map_err(report)?;
        let item = vault.load(&account).map_err(report)?;
        let stored = crate::local::credentials::LoadedCredentials::parse(&item).map_err(report)?;
        crate::validate::region(&stored.region).map_err(report)
    }
}
