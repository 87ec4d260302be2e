//! Proving a finished setup again: the round trip with the credentials the keychain holds now.

use super::{report, Session};
use crate::aws::connect::Connection;
use crate::cancel::Cancel;
use crate::error::{ErrorReport, ProvisionError};
use crate::local::credentials::LoadedCredentials;
use crate::local::keychain;
use crate::model::Quiet;
use crate::setup::verify::{self, Probe};
use crate::validate;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
pub struct VerifyReport {
    pub verified: bool,
    pub message: String,
}

impl Session {
    /// Repeats the round trip of the setup this session just finished.
    pub async fn verify_again(&self) -> Result<VerifyReport, ErrorReport> {
        let (connection, outcome) = {
            let state = self.state.lock().await;
            let connection = state
                .connection
                .clone()
                .ok_or_else(|| report(ProvisionError::NotConnected))?;
            let outcome = state
                .outcome
                .clone()
                .ok_or_else(|| report(ProvisionError::NoSetup))?;
            (connection, outcome)
        };
        self.verify_stored(&connection, &outcome.keychain.account)
            .await
    }

    /// Repeats the round trip of `user`'s setup in the connected account.
    pub async fn verify_setup(&self, user: String) -> Result<VerifyReport, ErrorReport> {
        validate::user_name(&user).map_err(report)?;
        let connection = self.connection().await?;
        let account = keychain::account_for(connection.account_id(), &user);
        self.verify_stored(&connection, &account).await
    }

    /// The round trip with the credentials the keychain holds for `account` right now.
    async fn verify_stored(
        &self,
        connection: &Connection,
        account: &str,
    ) -> Result<VerifyReport, ErrorReport> {
        let account = account.to_string();
        let item = keychain::off_thread(&self.vault, move |vault| vault.load(&account))
            .await
            .map_err(report)?;
        let stored = LoadedCredentials::parse(&item).map_err(report)?;
        let probe = Probe {
            access_key_id: &stored.access_key_id,
            secret: &stored.secret_access_key,
            session_token: None,
            key_arn: &stored.key_arn,
            expected_arn: &stored.user_arn,
        };
        verify::verify(
            &connection.config_for_key(&stored.key_arn),
            &probe,
            self.options.verify_limit,
            &Quiet,
            &Cancel::default(),
        )
        .await
        .map_err(report)?;
        Ok(VerifyReport {
            verified: true,
            message: format!(
                "The credentials in your {} encrypted and decrypted a test value with {}.",
                self.vault.store_name(),
                stored.key_arn
            ),
        })
    }
}
