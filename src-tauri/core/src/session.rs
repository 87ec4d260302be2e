//! One admin's session in a front end: the checked connection, the plan awaiting confirmation,
//! and the last outcome. Both front ends go through it: the desktop app's commands are one-line
//! calls into this, and the command-line program parses its arguments, calls one use case here
//! and prints the answer. Neither has a provisioning sequence of its own.
//!
//! Every failure leaves as an [`ErrorReport`] built from a [`ProvisionError`] variant, so each
//! code, message and hint is written once, in `error.rs`.

use crate::aws::connect::{self, ConnectOptions, Connection};
use crate::cancel::Cancel;
use crate::error::{ErrorReport, ProvisionError};
use crate::local::journal::Journal;
use crate::local::keychain::{OsVault, Vault};
use crate::local::profiles::ProfileInfo;
use crate::model::{Identity, Outcome, Plan};
use crate::setup::role_plan::RolePlan;
use crate::setup::run_frame::ApplyFailure;
use crate::setup::run_frame::ApplyOptions;
use crate::validate::{regions, InputError};
use aws_config::SdkConfig;
use serde::Serialize;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;
use tokio::sync::Mutex;
use ts_rs::TS;

mod checks;
pub mod console;
mod deliver;
mod exec;
mod pending;
mod profiles;
mod prove;
mod provision;
mod push;
mod recover;
mod setups;
mod verify;

#[cfg(test)]
mod tests;

pub use checks::FieldCheck;
pub use deliver::{Delivered, Imported};
pub use pending::PendingDeletion;
pub use prove::ProofHere;
pub use provision::credential_source;
pub use push::{CopyTarget, PushSetup, Pushed};
pub use setups::{
    admin_policy, approved_key_deletion, key_account_admin_policy, key_deletion_days, KeyPolicyFix,
};
pub use verify::VerifyReport;

/// What the first screen needs before any AWS call.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub store_name: String,
    /// `AWS_ENDPOINT_URL` when set: every screen says so.
    pub endpoint_override: Option<String>,
    pub regions: Vec<String>,
    pub default_region: Option<String>,
    pub profiles: Vec<ProfileInfo>,
}

#[derive(Default)]
struct State {
    connection: Option<Connection>,
    plan: Option<Plan>,
    outcome: Option<Outcome>,
    role_plan: Option<RolePlan>,
}

pub struct Session {
    vault: Arc<dyn Vault>,
    options: ApplyOptions,
    state: Mutex<State>,
    /// The switch of the run in progress, for [`Session::cancel`].
    running: StdMutex<Option<Cancel>>,
    /// The caller's own switch (the CLI's Ctrl-C), used by every run from [`Session::stop_on`] on.
    caller_cancel: StdMutex<Option<Cancel>>,
}

fn report(error: impl Into<ProvisionError>) -> ErrorReport {
    error.into().report(None)
}

fn failed(failure: ApplyFailure) -> ErrorReport {
    failure.error.report(Some(failure.rollback))
}

impl Session {
    pub fn new(vault: Arc<dyn Vault>, options: ApplyOptions) -> Session {
        Session {
            vault,
            options,
            state: Mutex::new(State::default()),
            running: StdMutex::new(None),
            caller_cancel: StdMutex::new(None),
        }
    }

    /// A session on this computer: the OS keychain and the journal in the app's data folder, the
    /// same ones whichever front end runs, so each sees what the other made.
    pub fn on_this_computer() -> Session {
        let options = ApplyOptions {
            journal: Some(Arc::new(Journal::open_default())),
            ..ApplyOptions::default()
        };
        Session::new(Arc::new(OsVault), options)
    }

    /// A session on this computer that keeps and reads credentials in `store`, or without it in
    /// the keychain when it answers, else systemd-creds (see [`crate::local::store::open`]): for
    /// the commands that run where the application runs (receive, import, credential-process,
    /// exec, aws-profile).
    pub fn on_this_computer_in(
        store: Option<crate::local::store::StoreKind>,
    ) -> Result<Session, ErrorReport> {
        let vault = crate::local::store::open(store).map_err(report)?;
        let options = ApplyOptions {
            journal: Some(Arc::new(Journal::open_default())),
            ..ApplyOptions::default()
        };
        Ok(Session::new(vault, options))
    }

    /// How long runs wait for IAM to make a new access key usable.
    pub fn verify_within(mut self, limit: Duration) -> Session {
        self.options.verify_limit = limit;
        self
    }

    pub fn info(&self) -> AppInfo {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let profiles = crate::local::profiles::list();
        let default_region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .or_else(|| {
                profiles
                    .iter()
                    .find(|p| p.name == "default")
                    .and_then(|p| p.region.clone())
            });
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            store_name: self.vault.store_name(),
            endpoint_override: env("AWS_ENDPOINT_URL"),
            regions: regions::all().map(str::to_string).collect(),
            default_region,
            profiles,
        }
    }

    pub async fn connect(&self, options: ConnectOptions) -> Result<Identity, ErrorReport> {
        let config = connect::load_config(&options).await.map_err(report)?;
        self.establish(config).await
    }

    /// Connects as the window's Connect screen does: the identity, and the account's alias when
    /// the identity may read it, so the admin sees a name beside the account id. (The CLI's runs
    /// make no such extra call: their AWS calls are exactly those of the reliability matrix.)
    pub async fn connect_named(&self, options: ConnectOptions) -> Result<Identity, ErrorReport> {
        let config = connect::load_config(&options).await.map_err(report)?;
        let alias = connect::account_alias(&config);
        let (identity, alias) = tokio::join!(self.establish(config.clone()), alias);
        let mut identity = identity?;
        identity.account_alias = alias;
        // Only onto the connection just made: a newer connect may have replaced it meanwhile.
        if let Some(connection) = self.state.lock().await.connection.as_mut() {
            if connection.identity.arn == identity.arn
                && connection.identity.region == identity.region
            {
                connection.identity.account_alias = identity.account_alias.clone();
            }
        }
        Ok(identity)
    }

    /// Loads the configuration and its region without calling AWS, and hands both to `check`
    /// before connecting: a typo is refused before the first AWS call.
    async fn connect_after(
        &self,
        options: &ConnectOptions,
        check: impl FnOnce(&str) -> Result<(), InputError>,
    ) -> Result<Identity, ErrorReport> {
        let config = connect::load_config(options).await.map_err(report)?;
        let region = connect::region_of(&config).map_err(report)?;
        check(&region).map_err(report)?;
        self.establish(config).await
    }

    /// Asks STS who the configuration acts as; a new connection forgets the old plan and outcome.
    async fn establish(&self, config: SdkConfig) -> Result<Identity, ErrorReport> {
        let connection = connect::establish(config).await.map_err(report)?;
        let identity = connection.identity.clone();
        *self.state.lock().await = State {
            connection: Some(connection),
            ..State::default()
        };
        Ok(identity)
    }

    async fn connection(&self) -> Result<Connection, ErrorReport> {
        self.state
            .lock()
            .await
            .connection
            .clone()
            .ok_or_else(|| report(ProvisionError::NotConnected))
    }

    fn journal(&self) -> Option<&Journal> {
        self.options.journal.as_deref()
    }

    /// Runs `work` with a cancel switch that [`Session::cancel`] can flip meanwhile: the caller's
    /// (see [`Session::stop_on`]) when it gave one, else a fresh one for this run.
    async fn cancellable<T, F: std::future::Future<Output = T>>(
        &self,
        work: impl FnOnce(Cancel) -> F,
    ) -> T {
        let cancel = self
            .caller_cancel
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .unwrap_or_default();
        self.set_running(Some(cancel.clone()));
        let result = work(cancel).await;
        self.set_running(None);
        result
    }

    fn set_running(&self, cancel: Option<Cancel>) {
        if let Ok(mut running) = self.running.lock() {
            *running = cancel;
        }
    }

    /// Stops a running apply at its next step boundary; it then rolls back.
    pub fn cancel(&self) {
        if let Ok(running) = self.running.lock() {
            if let Some(cancel) = running.as_ref() {
                cancel.cancel();
            }
        }
    }

    /// From now on every run also stops when `cancel` is flipped: a front end with its own way
    /// to cancel (the CLI's first Ctrl-C) hands its switch in before it applies.
    pub fn stop_on(&self, cancel: Cancel) {
        if let Ok(mut caller) = self.caller_cancel.lock() {
            *caller = Some(cancel);
        }
    }
}
