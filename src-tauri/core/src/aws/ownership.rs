//! What AWS shows of a principal or key of this app: its facts (path, creation time, tags), its
//! policies, keys and aliases, and whether a run made it. The proof built on them is
//! [`crate::aws::proof`].

use crate::aws::connect::Connection;
use crate::aws::pages;
use crate::aws::tags;
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use crate::model::ownership::{made_during_run, unix_now, KnownRun};
use crate::model::principal::{Principal, PrincipalKind};

/// What IAM shows of a user or role in one call (`GetUser`/`GetRole`): enough to prove it ours.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalFacts {
    pub arn: String,
    pub path: String,
    /// IAM's `CreateDate`, unix seconds: nobody can change it.
    pub created_at: i64,
    pub tags: Vec<aws_sdk_iam::types::Tag>,
    /// The ARN of its permissions boundary, if it has one.
    pub boundary: Option<String>,
    /// A role's trust policy, decoded (`None` for a user, or one IAM's copy of does not decode).
    pub trust: Option<serde_json::Value>,
}

impl PrincipalFacts {
    /// The value of the run tag, if it has one.
    pub fn run_id(&self) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key() == tags::RUN_KEY)
            .map(|t| t.value())
    }
}

/// The user's or role's ARN, path, creation time and tags; `NotFound` when it does not exist.
pub async fn facts(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
) -> Result<PrincipalFacts, AwsFailure> {
    let seconds = |date: &aws_smithy_types::DateTime| date.secs();
    match principal.kind {
        PrincipalKind::User => {
            let reply = iam.get_user().user_name(principal.name).send().await;
            let reply = reply.map_err(|e| AwsFailure::from_sdk("iam:GetUser", &e))?;
            let user = reply.user().ok_or_else(|| empty_reply("iam:GetUser"))?;
            Ok(PrincipalFacts {
                arn: user.arn().to_string(),
                path: user.path().to_string(),
                created_at: seconds(user.create_date()),
                tags: user.tags().to_vec(),
                boundary: boundary_arn(user.permissions_boundary()),
                trust: None,
            })
        }
        PrincipalKind::Role => {
            let reply = iam.get_role().role_name(principal.name).send().await;
            let reply = reply.map_err(|e| AwsFailure::from_sdk("iam:GetRole", &e))?;
            let role = reply.role().ok_or_else(|| empty_reply("iam:GetRole"))?;
            Ok(PrincipalFacts {
                arn: role.arn().to_string(),
                path: role.path().to_string(),
                created_at: seconds(role.create_date()),
                tags: role.tags().to_vec(),
                boundary: boundary_arn(role.permissions_boundary()),
                trust: role
                    .assume_role_policy_document()
                    .and_then(crate::aws::policy::decode_document),
            })
        }
    }
}

fn boundary_arn(
    boundary: Option<&aws_sdk_iam::types::AttachedPermissionsBoundary>,
) -> Option<String> {
    boundary
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string)
}

fn empty_reply(action: &'static str) -> AwsFailure {
    AwsFailure {
        action,
        kind: AwsFailureKind::Other,
        code: None,
        message: "AWS answered without the principal".into(),
        status: None,
    }
}

/// True when this app made the key (its tags say so).
pub async fn key_is_ours(connection: &Connection, key: &str) -> Result<bool, ProvisionError> {
    let key_tags = crate::aws::kms::tags_of(&connection.kms_for_key(key), key).await?;
    Ok(tags::kms_is_ours(&key_tags))
}

/// The ids of every access key of `user`, active or not.
pub async fn access_key_ids(
    connection: &Connection,
    user: &str,
) -> Result<Vec<String>, ProvisionError> {
    Ok(access_keys(&connection.iam(), user)
        .await?
        .iter()
        .filter_map(|k| k.access_key_id().map(str::to_string))
        .collect())
}

/// Every access key of `user`, all pages.
pub async fn access_keys(
    iam: &aws_sdk_iam::Client,
    user: &str,
) -> Result<Vec<aws_sdk_iam::types::AccessKeyMetadata>, AwsFailure> {
    pages::all(
        iam.list_access_keys()
            .user_name(user)
            .into_paginator()
            .send(),
        "iam:ListAccessKeys",
        |page| page.access_key_metadata().to_vec(),
    )
    .await
}

/// The names of every inline policy of a user or role, all pages.
pub async fn inline_policy_names(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
) -> Result<Vec<String>, AwsFailure> {
    match principal.kind {
        PrincipalKind::User => {
            pages::all(
                iam.list_user_policies()
                    .user_name(principal.name)
                    .into_paginator()
                    .send(),
                "iam:ListUserPolicies",
                |page| page.policy_names().to_vec(),
            )
            .await
        }
        PrincipalKind::Role => {
            pages::all(
                iam.list_role_policies()
                    .role_name(principal.name)
                    .into_paginator()
                    .send(),
                "iam:ListRolePolicies",
                |page| page.policy_names().to_vec(),
            )
            .await
        }
    }
}

/// The names of every instance profile holding `role`, all pages.
pub async fn instance_profile_names(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Vec<String>, AwsFailure> {
    pages::all(
        iam.list_instance_profiles_for_role()
            .role_name(role)
            .into_paginator()
            .send(),
        "iam:ListInstanceProfilesForRole",
        |page| {
            page.instance_profiles()
                .iter()
                .map(|p| p.instance_profile_name().to_string())
                .collect()
        },
    )
    .await
}

/// Every alias that points at the key (found in the key's own region), all pages.
pub async fn key_aliases(connection: &Connection, key: &str) -> Result<Vec<String>, AwsFailure> {
    let key_id = key.rsplit('/').next().unwrap_or(key);
    pages::all(
        connection
            .kms_for_key(key)
            .list_aliases()
            .key_id(key_id)
            .into_paginator()
            .send(),
        "kms:ListAliases",
        |page| {
            page.aliases()
                .iter()
                .filter_map(|a| a.alias_name().map(str::to_string))
                .collect()
        },
    )
    .await
}

/// True when the user or role carries `run`'s tag and IAM made it while the run ran (from its
/// start to now); one that does not exist was not made.
pub async fn made_in_run(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
    run: &KnownRun,
) -> Result<bool, AwsFailure> {
    match facts(iam, principal).await {
        Ok(found) => Ok(found.run_id() == Some(run.run_id.as_str())
            && made_during_run(found.created_at, run.started_at, unix_now())),
        Err(failure) if failure.kind == AwsFailureKind::NotFound => Ok(false),
        Err(failure) => Err(failure),
    }
}

/// The user's or role's ARN as IAM gives it.
pub async fn principal_arn(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
) -> Result<String, AwsFailure> {
    match principal.kind {
        PrincipalKind::User => {
            let reply = iam.get_user().user_name(principal.name).send().await;
            let reply = reply.map_err(|e| AwsFailure::from_sdk("iam:GetUser", &e))?;
            Ok(reply
                .user()
                .map(|u| u.arn().to_string())
                .unwrap_or_default())
        }
        PrincipalKind::Role => {
            let reply = iam.get_role().role_name(principal.name).send().await;
            let reply = reply.map_err(|e| AwsFailure::from_sdk("iam:GetRole", &e))?;
            Ok(reply
                .role()
                .map(|r| r.arn().to_string())
                .unwrap_or_default())
        }
    }
}

/// The user's or role's tags.
pub async fn tags_of(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
) -> Result<Vec<aws_sdk_iam::types::Tag>, AwsFailure> {
    match principal.kind {
        PrincipalKind::User => iam
            .list_user_tags()
            .user_name(principal.name)
            .send()
            .await
            .map(|r| r.tags().to_vec())
            .map_err(|e| AwsFailure::from_sdk("iam:ListUserTags", &e)),
        PrincipalKind::Role => iam
            .list_role_tags()
            .role_name(principal.name)
            .send()
            .await
            .map(|r| r.tags().to_vec())
            .map_err(|e| AwsFailure::from_sdk("iam:ListRoleTags", &e)),
    }
}
