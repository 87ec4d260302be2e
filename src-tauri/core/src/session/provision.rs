//! Making a setup: plan, then apply the plan the admin reviewed, for a user or a role.
//!
//! The app connects first (its Connect step) and plans later; the CLI plans in one go with
//! [`Session::connect_and_plan`], which checks the request offline before connecting. Planning
//! checks it again either way.

use super::{failed, report, Session, State};
use crate::aws::connect::{ConnectOptions, Connection};
use crate::error::{ErrorReport, ProvisionError};
use crate::local::session_credentials;
use crate::model::principal::Trust;
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
        let connection = self.connection().await?;
        let plan = plan::plan(&connection, &request, &self.vault)
            .await
            .map_err(report)?;
        self.state.lock().await.plan = Some(plan.clone());
        Ok(plan)
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
        let connection = self.connection().await?;
        let plan = crate::setup::role_plan::plan_role(&connection, &request)
            .await
            .map_err(report)?;
        self.state.lock().await.role_plan = Some(plan.clone());
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

/// The checks [`role::plan_role`] makes before its first AWS call, made without a connection
/// (a bare account id in the trust is read in the commercial partition, as any would pass).
pub(super) fn validate_role_request(request: &RoleRequest, region: &str) -> Result<(), InputError> {
    let role_name = validate::role_name(request.role_name.trim())?;
    Trust::parse(&request.trust)?;
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
