//! Planning a role setup: every input checked against AWS's rules, the role and instance profile
//! names free, the key usable, and each step and document shown before anything changes.

use crate::aws::connect::Connection;
use crate::aws::iam::{self, IamName};
use crate::aws::policy;
use crate::error::ProvisionError;
use crate::model::principal::{PrincipalKind, Trust};
use crate::model::{KeyChoice, PlanStep, PlannedKey, StepId};
use crate::setup::plan::{self, ValidKey};
use crate::validate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
pub struct RoleRequest {
    pub key: KeyChoice,
    pub role_name: String,
    /// `ec2`, `ecs-tasks`, `lambda`, or a principal ARN (or 12-digit account id).
    pub trust: String,
    #[serde(default)]
    pub policy_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RolePlan {
    pub identity: crate::model::Identity,
    pub key: PlannedKey,
    pub role_name: String,
    pub trust: Trust,
    pub trust_policy: String,
    pub policy_name: String,
    pub policy_document: String,
    pub instance_profile: Option<String>,
    pub steps: Vec<PlanStep>,
    /// The Security Hub findings the setup will have the moment it exists.
    pub findings: Vec<crate::model::findings::Finding>,
}

pub async fn plan_role(
    connection: &Connection,
    request: &RoleRequest,
) -> Result<RolePlan, ProvisionError> {
    let role_name = validate::role_name(request.role_name.trim())?;
    let trust = Trust::parse_in(&request.trust, connection.partition())?;
    let key = match &request.key {
        KeyChoice::New { alias, description } => ValidKey::New {
            alias: validate::alias(alias.trim())?,
            description: validate::description(description)?,
        },
        KeyChoice::Existing { key } => {
            ValidKey::Existing(validate::existing_key(key, connection.region())?)
        }
    };
    let policy_name = match request.policy_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => validate::policy_name(name)?,
        _ => validate::policy_name(&validate::default_policy_name(&role_name))?,
    };
    let (role_free, key) = tokio::join!(
        ensure_role_is_new(connection, &role_name, trust.is_ec2()),
        plan::check_key(connection, &key)
    );
    role_free?;
    let key = key?;
    let key_arn = match &key {
        PlannedKey::Existing { arn, .. } => arn.clone(),
        PlannedKey::New { .. } => policy::placeholder_key_arn(
            connection.partition(),
            connection.region(),
            connection.account_id(),
        ),
    };
    let instance_profile = trust.is_ec2().then(|| role_name.clone());
    let mut steps = plan::key_steps(&key, connection.region());
    let step = |id, action: &str, target: String, summary: String| PlanStep {
        id,
        action: action.into(),
        target,
        summary,
    };
    steps.push(step(
        StepId::CreateRole,
        "iam:CreateRole",
        role_name.clone(),
        format!(
            "Create the IAM role {role_name}, which only {} may assume.",
            trust.describe()
        ),
    ));
    steps.push(step(
        StepId::PutRolePolicy,
        "iam:PutRolePolicy",
        format!("{role_name} / {policy_name}"),
        format!("Allow {role_name} kms:Encrypt and kms:Decrypt on this key only (policy below)."),
    ));
    if let Some(profile) = &instance_profile {
        steps.push(step(
            StepId::CreateInstanceProfile,
            "iam:CreateInstanceProfile, iam:AddRoleToInstanceProfile",
            profile.clone(),
            "Make an instance profile so EC2 instances can carry the role.".into(),
        ));
    }
    steps.push(step(StepId::Verify, "sts:AssumeRole, kms:Encrypt, kms:Decrypt", key_arn.clone(), "Prove it works where possible: assume the role and encrypt and decrypt a random test value.".into()));
    Ok(RolePlan {
        findings: crate::setup::plan::predicted(connection, PrincipalKind::Role, &key).await,
        identity: connection.identity.clone(),
        key,
        trust_policy: policy::trust_policy(&trust),
        trust,
        policy_document: policy::kms_policy_document(&key_arn),
        policy_name,
        instance_profile,
        role_name,
        steps,
    })
}

async fn ensure_role_is_new(
    connection: &Connection,
    role: &str,
    with_profile: bool,
) -> Result<(), ProvisionError> {
    let iam = connection.iam();
    if iam::name_taken(&iam, IamName::Role(role)).await? {
        return Err(ProvisionError::RoleExists(format!("IAM role {role}")));
    }
    if with_profile && iam::name_taken(&iam, IamName::InstanceProfile(role)).await? {
        return Err(ProvisionError::RoleExists(format!(
            "instance profile {role}"
        )));
    }
    Ok(())
}
