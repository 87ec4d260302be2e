//! Making a setup: plan, then apply the plan the admin reviewed, for a user or a role.
//!
//! The app connects first (its Connect step) and plans later; the CLI plans in one go with
//! [`Session::connect_and_plan`], which checks the request offline before connecting. Planning
//! checks it again either way.

use super::{failed, report, Session, State};
use crate::aws::connect::{self, ConnectOptions, Connection};
use crate::error::{ErrorReport, ProvisionError};
use crate::local::session_credentials;
use crate::model::key_grant::KeyGrant;
use crate::model::principal::Trust;
use crate::model::Identity;
use crate::model::{KeyChoice, Outcome, Plan, ProgressSink, SetupRequest};
use crate::setup::apply;
use crate::setup::plan;
use crate::setup::role::{self, RoleOutcome};
use crate::setup::role_plan::RolePlan;
use crate::setup::role_plan::RoleRequest;
use crate::validate::{self, InputError};
use std::sync::Arc;

impl Session {
    pub async fn plan(&self, request: SetupRequest) -> Result<Plan, ErrorReport> {
        let connection = self
            .with_key_profile(request.key_profile.as_deref())
            .await?;
        let mut plan = plan::plan(&connection, &request, &self.vault)
            .await
            .map_err(report)?;
        name_key_profile(&mut plan.key_grant, &request.key_profile);
        let mut state = self.state.lock().await;
        state.connection = Some(connection);
        state.plan = Some(plan.clone());
        Ok(plan)
    }

    /// Connects the account that holds the master key (a second profile), beside the workload's
    /// connection: teardown and rollback remove the key-policy statement with it.
    pub async fn connect_key_account(
        &self,
        options: ConnectOptions,
    ) -> Result<Identity, ErrorReport> {
        let connection = self.with_key_profile(options.profile.as_deref()).await?;
        let identity = connection
            .key_account
            .as_ref()
            .map(|k| k.identity.clone())
            .ok_or_else(|| report(ProvisionError::NotConnected))?;
        self.state.lock().await.connection = Some(connection);
        Ok(identity)
    }

    /// The workload's connection with the key account of `profile` beside it (none without).
    async fn with_key_profile(&self, profile: Option<&str>) -> Result<Connection, ErrorReport> {
        let base = self.connection().await?.with_key_account(None);
        let Some(profile) = profile.map(str::trim).filter(|p| !p.is_empty()) else {
            return Ok(base);
        };
        let options = ConnectOptions {
            profile: Some(profile.to_string()),
            region: Some(base.region().to_string()),
        };
        let key_account = connect::connect(&options).await.map_err(report)?;
        Ok(base.with_key_account(Some(key_account)))
    }

    /// Load the configuration → its region → check `request` against AWS's rules offline →
    /// connect → plan. The plan waits for [`Session::apply`].
    pub async fn connect_and_plan(
        &self,
        options: ConnectOptions,
        request: SetupRequest,
    ) -> Result<Plan, ErrorReport> {
        self.connect_after(&options, |region| {
            plan::validate_request(&request, region)?;
            if let Some(profile) = request
                .key_profile
                .as_deref()
                .filter(|p| !p.trim().is_empty())
            {
                validate::profile(profile.trim())?;
            }
            plan::credential_terms(&request).map(drop)
        })
        .await?;
        self.plan(request).await
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
            .map_err(failed)?;
        self.state.lock().await.outcome = Some(outcome.clone());
        Ok(outcome)
    }

    pub async fn plan_role(&self, request: RoleRequest) -> Result<RolePlan, ErrorReport> {
        let connection = self
            .with_key_profile(request.key_profile.as_deref())
            .await?;
        let mut plan = crate::setup::role_plan::plan_role(&connection, &request)
            .await
            .map_err(report)?;
        name_key_profile(&mut plan.key_grant, &request.key_profile);
        let mut state = self.state.lock().await;
        state.connection = Some(connection);
        state.role_plan = Some(plan.clone());
        Ok(plan)
    }

    /// [`Session::connect_and_plan`] for a role. The plan waits for [`Session::apply_role`].
    pub async fn connect_and_plan_role(
        &self,
        options: ConnectOptions,
        request: RoleRequest,
    ) -> Result<RolePlan, ErrorReport> {
        self.connect_after(&options, |region| validate_role_request(&request, region))
            .await?;
        self.plan_role(request).await
    }

    pub async fn apply_role(&self, sink: &dyn ProgressSink) -> Result<RoleOutcome, ErrorReport> {
        let (connection, plan) = self.reviewed(|state| state.role_plan.take()).await?;
        self.cancellable(|cancel| async move {
            role::apply_role(&connection, &plan, sink, &cancel, &self.options).await
        })
        .await
        .map_err(failed)
    }

    /// The connection and the plan `take` removes from the state (each plan is applied once).
    async fn reviewed<P>(
        &self,
        take: impl FnOnce(&mut State) -> Option<P>,
    ) -> Result<(Connection, P), ErrorReport> {
        let mut state = self.state.lock().await;
        let connection = state
            .connection
            .clone()
            .ok_or_else(|| report(ProvisionError::NotConnected))?;
        let plan = take(&mut state).ok_or_else(|| report(ProvisionError::NoPlan))?;
        Ok((connection, plan))
    }
}

fn name_key_profile(grant: &mut Option<KeyGrant>, profile: &Option<String>) {
    if let Some(grant) = grant {
        grant.key_profile = profile.clone();
    }
}

/// The checks [`role::plan_role`] makes before its first AWS call, made without a connection
/// (a bare account id in the trust is read in the commercial partition, as any would pass).
pub(super) fn validate_role_request(request: &RoleRequest, region: &str) -> Result<(), InputError> {
    let role_name = validate::role_name(request.role_name.trim())?;
    Trust::parse(&request.trust)?;
    if let Some(profile) = request
        .key_profile
        .as_deref()
        .filter(|p| !p.trim().is_empty())
    {
        validate::profile(profile.trim())?;
    }
    match &request.key {
        KeyChoice::New { alias, description } => {
            validate::alias(alias.trim())?;
            validate::description(description)?;
        }
        KeyChoice::Existing { key } => {
            validate::existing_key(key, region)?;
        }
    }
    match request.policy_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => validate::policy_name(name)?,
        _ => validate::policy_name(&validate::default_policy_name(&role_name))?,
    };
    Ok(())
}

/// Where an application on the role's compute gets its credentials, in a sentence.
pub fn credential_source(outcome: &RoleOutcome) -> String {
    session_credentials::role_credential_source(
        &outcome.trust,
        &outcome.role_arn,
        outcome.instance_profile_arn.as_deref(),
    )
}
