//! Planning a role setup: every input checked against AWS's rules, the role and instance profile
//! names free, the key usable, and each step and document shown before anything changes.

use crate::aws::connect::Connection;
use crate::aws::iam::{self, IamName};
use crate::aws::policy;
use crate::error::ProvisionError;
use crate::model::principal::{PrincipalKind, Trust, TrustRequest};
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
    /// The AWS profile of the account that holds an existing key of another account.
    #[serde(default)]
    pub key_profile: Option<String>,
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
    /// The IAM OIDC provider a web-identity trust names, and whether the setup creates it.
    pub oidc_provider: Option<OidcProviderPlan>,
    pub steps: Vec<PlanStep>,
    /// The Security Hub findings the setup will have the moment it exists.
    pub findings: Vec<crate::model::findings::Finding>,
    /// For a key in another account: the statement its key policy gets, in that account.
    pub key_grant: Option<crate::model::key_grant::KeyGrant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OidcProviderPlan {
    pub arn: String,
    /// The issuer's URL without `https://`.
    pub issuer: String,
    /// True when the account already has it: the setup uses it as it is and never removes it.
    pub exists: bool,
}

/// The provider a web-identity trust needs: the account's own if it has one for the issuer (it
/// must accept the STS audience), else one the setup creates.
async fn plan_provider(
    connection: &Connection,
    trust: &Trust,
) -> Result<Option<OidcProviderPlan>, ProvisionError> {
    let Trust::WebIdentity { issuer, .. } = trust else {
        return Ok(None);
    };
    let arn = policy::oidc_provider_arn(connection.partition(), connection.account_id(), issuer);
    let found = crate::aws::oidc::provider(&connection.iam(), &arn).await?;
    if let Some(existing) = &found {
        let audience = crate::model::web_identity::STS_AUDIENCE;
        if !existing.client_ids.iter().any(|id| id == audience) {
            return Err(ProvisionError::Config(format!(
                "The account's OIDC provider {arn} does not accept the audience {audience}, so no \
                 token of {issuer} could assume the role. Nothing was changed: add {audience} to \
                 the provider's audiences (IAM console, or iam:AddClientIDToOpenIDConnectProvider), \
                 or ask its owner to."
            )));
        }
    }
    Ok(Some(OidcProviderPlan {
        arn,
        issuer: issuer.clone(),
        exists: found.is_some(),
    }))
}

pub async fn plan_role(
    connection: &Connection,
    request: &RoleRequest,
) -> Result<RolePlan, ProvisionError> {
    let role_name = validate::role_name(request.role_name.trim())?;
    let trust = resolve_trust(connection, &request.trust).await?;
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
    let (role_free, key, oidc_provider) = tokio::join!(
        ensure_role_is_new(connection, &role_name, trust.is_ec2()),
        plan::check_key(connection, &key),
        plan_provider(connection, &trust)
    );
    role_free?;
    let key = key?;
    let oidc_provider = oidc_provider?;
    let key_arn = match &key {
        PlannedKey::Existing { arn, .. } => arn.clone(),
        PlannedKey::New { .. } => policy::placeholder_key_arn(
            connection.partition(),
            connection.region(),
            connection.account_id(),
        ),
    };
    let instance_profile = trust.is_ec2().then(|| role_name.clone());
    let names = StepNames {
        role: &role_name,
        policy: &policy_name,
        key_arn: &key_arn,
    };
    let key_grant = crate::setup::cross_account::plan_grant(
        connection,
        PrincipalKind::Role,
        &role_name,
        &key_arn,
    )
    .await?;
    let mut steps = role_steps(connection, &key, &trust, &names, oidc_provider.as_ref());
    if let Some(grant) = &key_grant {
        // After the role policy (the role must exist for KMS to accept a statement naming it),
        // before the proof.
        let at = steps.len().saturating_sub(1);
        steps.insert(at, crate::setup::cross_account::grant_step(grant));
    }
    Ok(RolePlan {
        key_grant,
        findings: crate::setup::plan::predicted(connection, PrincipalKind::Role, &key).await,
        identity: connection.identity.clone(),
        key,
        trust_policy: policy::trust_policy(&trust, connection.partition(), connection.account_id()),
        trust,
        policy_document: policy::kms_policy_document(&key_arn),
        policy_name,
        instance_profile,
        oidc_provider,
        role_name,
        steps,
    })
}

/// The names the steps speak of.
struct StepNames<'a> {
    role: &'a str,
    policy: &'a str,
    key_arn: &'a str,
}

/// Every step of the role setup, in order, each with the AWS action it sends.
fn role_steps(
    connection: &Connection,
    key: &PlannedKey,
    trust: &Trust,
    names: &StepNames<'_>,
    oidc_provider: Option<&OidcProviderPlan>,
) -> Vec<PlanStep> {
    let (role_name, policy_name) = (names.role, names.policy);
    let mut steps = plan::key_steps(key, connection.region());
    let step = |id, action: &str, target: String, summary: String| PlanStep {
        id,
        action: action.into(),
        target,
        summary,
    };
    if let Some(provider) = oidc_provider.filter(|p| !p.exists) {
        steps.push(step(
            StepId::CreateOidcProvider,
            "iam:CreateOpenIDConnectProvider",
            provider.arn.clone(),
            format!(
                "The account has no OIDC provider for {} yet: create it, with the audience sts.amazonaws.com, so IAM accepts its tokens. Teardown removes it again only if no other role trusts it.",
                provider.issuer
            ),
        ));
    }
    steps.push(step(
        StepId::CreateRole,
        "iam:CreateRole",
        role_name.to_string(),
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
    if let Trust::PodIdentity {
        cluster,
        namespace,
        service_account,
        ..
    } = trust
    {
        steps.push(step(
            StepId::CreatePodIdentityAssociation,
            "eks:CreatePodIdentityAssociation",
            format!("{cluster} / {namespace}/{service_account}"),
            format!("Bind the service account {namespace}/{service_account} of {cluster} to {role_name}: EKS hands its pods the role's credentials. Teardown removes the association."),
        ));
    }
    if trust.is_ec2() {
        let profile = names.role;
        steps.push(step(
            StepId::CreateInstanceProfile,
            "iam:CreateInstanceProfile, iam:AddRoleToInstanceProfile",
            profile.to_string(),
            "Make an instance profile so EC2 instances can carry the role.".into(),
        ));
    }
    let verify = match trust {
        Trust::WebIdentity { .. } | Trust::PodIdentity { .. } => step(StepId::Verify, "iam:GetRole, iam:GetRolePolicy", names.key_arn.to_string(), "Check that IAM holds exactly the planned trust and policy: only the workload's own token can assume the role, so it cannot be assumed from here.".into()),
        _ => step(StepId::Verify, "sts:AssumeRole, kms:Encrypt, kms:Decrypt", names.key_arn.to_string(), "Prove it works where possible: assume the role and encrypt and decrypt a random test value.".into()),
    };
    steps.push(verify);
    steps
}

/// The trust as typed, with what only AWS can tell filled in: an EKS cluster's OIDC issuer
/// (IRSA) or ARN (Pod Identity, whose service account must not be bound to a role already).
async fn resolve_trust(connection: &Connection, value: &str) -> Result<Trust, ProvisionError> {
    Ok(match TrustRequest::read(value, connection.partition())? {
        TrustRequest::Ready(trust) => trust,
        TrustRequest::PodIdentity(account) => {
            let cluster = crate::aws::eks::cluster(connection, &account.cluster).await?;
            let service_account = (account.namespace.as_str(), account.service_account.as_str());
            let bound =
                crate::aws::eks::associations(connection, &account.cluster, Some(service_account))
                    .await?;
            if let Some(existing) = bound.first() {
                return Err(ProvisionError::Config(format!(
                    "The service account {}/{} of {} is already bound to {} (EKS allows one role per service account). Nothing was changed: choose another service account, or remove that association first.",
                    account.namespace, account.service_account, account.cluster, existing.role_arn
                )));
            }
            Trust::PodIdentity {
                cluster: account.cluster,
                cluster_arn: cluster.arn,
                namespace: account.namespace,
                service_account: account.service_account,
            }
        }
        TrustRequest::Eks(account) => {
            let issuer = crate::aws::eks::cluster_issuer(connection, &account.cluster).await?;
            let found = account.with_issuer(&issuer);
            Trust::WebIdentity {
                issuer: found.issuer,
                subject: found.subject,
                source: found.source,
            }
        }
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
