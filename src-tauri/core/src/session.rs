//! One admin's session in a front end: the checked connection, the plan awaiting confirmation,
//! and the last outcome. The desktop app's commands are one-line calls into this.

use crate::aws::connect::{self, ConnectOptions, Connection};
use crate::cancel::Cancel;
use crate::error::{ErrorReport, ProvisionError};
use crate::local::credentials::LoadedCredentials;
use crate::local::keychain::{self, Vault};
use crate::local::profiles::{self, ProfileInfo};
use crate::model::{Identity, Outcome, Plan, ProgressSink, Quiet, SetupRequest};
use crate::setup::apply;
use crate::setup::keys::{self, KeySummary};
use crate::setup::run_frame::ApplyOptions;
use crate::setup::verify::{self, Probe};
use crate::validate::{self, InputError};
use crate::{setup::plan, validate::regions};
use serde::Serialize;
use std::sync::{Arc, Mutex as StdMutex};
use tokio::sync::Mutex;
use ts_rs::TS;

mod manage;

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

#[derive(Debug, Clone, Serialize, TS)]
pub struct VerifyReport {
    pub verified: bool,
    pub message: String,
}

#[derive(Default)]
struct State {
    connection: Option<Connection>,
    plan: Option<Plan>,
    outcome: Option<Outcome>,
    role_plan: Option<crate::setup::role_plan::RolePlan>,
}

pub struct Session {
    vault: Arc<dyn Vault>,
    options: ApplyOptions,
    state: Mutex<State>,
    running: StdMutex<Option<Cancel>>,
}

fn not_connected() -> ErrorReport {
    ErrorReport {
        code: "not-connected".into(),
        message: "Not connected to AWS yet".into(),
        hint: "Go back to the first step and check the connection.".into(),
        rollback: None,
    }
}

impl Session {
    pub fn new(vault: Arc<dyn Vault>, options: ApplyOptions) -> Session {
        Session {
            vault,
            options,
            state: Mutex::new(State::default()),
            running: StdMutex::new(None),
        }
    }

    pub fn info(&self) -> AppInfo {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let profiles = profiles::list();
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
        let connection = connect::connect(&options)
            .await
            .map_err(|e| e.report(None))?;
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
            .ok_or_else(not_connected)
    }

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
            .map_err(|e| e.report(None))
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
            Err(error) => Err(error.report(None)),
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
            Err(error) => Err(error.report(None)),
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

    pub async fn plan(&self, request: SetupRequest) -> Result<Plan, ErrorReport> {
        let connection = self.connection().await?;
        let plan = plan::plan(&connection, &request, &self.vault)
            .await
            .map_err(|e| e.report(None))?;
        self.state.lock().await.plan = Some(plan.clone());
        Ok(plan)
    }

    /// Applies the plan the admin reviewed: the front end cannot substitute another.
    pub async fn apply(&self, sink: &dyn ProgressSink) -> Result<Outcome, ErrorReport> {
        let (connection, plan) = self.reviewed(|state| state.plan.take()).await?;
        let outcome = self
            .cancellable(|cancel| async move {
                apply::apply(
                    &connection,
                    &plan,
                    Arc::clone(&self.vault),
                    sink,
                    &cancel,
                    &self.options,
                )
                .await
            })
            .await
            .map_err(|failure| failure.error.report(Some(failure.rollback)))?;
        self.state.lock().await.outcome = Some(outcome.clone());
        Ok(outcome)
    }

    /// The connection and the plan `take` removes from the state (each plan is applied once).
    async fn reviewed<P>(
        &self,
        take: impl FnOnce(&mut State) -> Option<P>,
    ) -> Result<(Connection, P), ErrorReport> {
        let mut state = self.state.lock().await;
        let connection = state.connection.clone().ok_or_else(not_connected)?;
        let plan = take(&mut state).ok_or_else(|| ErrorReport {
            code: "no-plan".into(),
            message: "There is no reviewed plan to apply".into(),
            hint: "Go back to Review and confirm the plan again.".into(),
            rollback: None,
        })?;
        Ok((connection, plan))
    }

    /// Runs `work` with a cancel switch that [`Session::cancel`] can flip meanwhile.
    async fn cancellable<T, F: std::future::Future<Output = T>>(
        &self,
        work: impl FnOnce(Cancel) -> F,
    ) -> T {
        let cancel = Cancel::default();
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

    /// Repeats the round trip with the credentials as the keychain holds them now.
    pub async fn verify_again(&self) -> Result<VerifyReport, ErrorReport> {
        let (connection, outcome) = {
            let state = self.state.lock().await;
            let connection = state.connection.clone().ok_or_else(not_connected)?;
            let outcome = state.outcome.clone().ok_or_else(|| ErrorReport {
                code: "no-setup".into(),
                message: "There is no finished setup to verify".into(),
                hint: "Finish a setup first.".into(),
                rollback: None,
            })?;
            (connection, outcome)
        };
        self.verify_stored(&connection, &outcome.keychain.account)
            .await
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
            .map_err(|e| ProvisionError::from(e).report(None))?;
        let stored =
            LoadedCredentials::parse(&item).map_err(|e| ProvisionError::from(e).report(None))?;
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
        .map_err(|e| e.report(None))?;
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
