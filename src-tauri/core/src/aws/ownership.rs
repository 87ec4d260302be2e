//! Whether a resource is this app's to change. Rotate and teardown act only on a principal
//! [`prove`] shows this app made (tags, its own inline policy, its IAM path or age); a tag alone
//! proves nothing, since anyone allowed to tag can write ours.

use crate::aws::connect::Connection;
use crate::aws::pages;
use crate::aws::tags;
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use crate::model::ownership::{
    judge_principal, made_by_known_run, made_during_run, unix_now, unproven_message, KnownRun,
    PrincipalEvidence,
};
use crate::model::principal::{Principal, PrincipalKind};

/// What IAM shows of a user or role in one call (`GetUser`/`GetRole`): enough to prove it ours.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalFacts {
    pub arn: String,
    pub path: String,
    /// IAM's `CreateDate`, unix seconds: nobody can change it.
    pub created_at: i64,
    pub tags: Vec<aws_sdk_iam::types::Tag>,
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

/// A principal this app can prove it made, with what the proof found.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    pub facts: PrincipalFacts,
    /// The app's own inline policy: its name and the one key it grants. `None` only when the
    /// proof is a run this computer's journal knows (the policy may already be removed).
    pub policy: Option<(String, String)>,
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
            })
        }
    }
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

/// The app's own inline policy on the principal: (its name, the one key it grants), the first
/// that grants exactly kms:Encrypt and kms:Decrypt on one key. Its name is the admin's choice
/// (any name), so the document is what counts.
pub async fn app_policy(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
) -> Result<Option<(String, String)>, ProvisionError> {
    for name in inline_policy_names(iam, principal).await? {
        let document = crate::aws::iam::inline_policy_document(iam, principal, &name).await?;
        if let Some(arn) = crate::aws::policy::single_resource(&document) {
            if crate::aws::policy::is_least_privilege(&document, &arn) {
                return Ok(Some((name, arn)));
            }
        }
    }
    Ok(None)
}

/// Proves the principal this app's, or refuses with why not (before anything is changed):
/// its tags, its own inline policy and its IAM path (or an age from before the path) must all
/// agree, or it must carry the run tag of a run in `known_runs` and have been made during it.
/// Extra policies, groups or a password someone added since do not matter here.
pub async fn prove(
    connection: &Connection,
    principal: Principal<'_>,
    known_runs: &[KnownRun],
) -> Result<Proof, ProvisionError> {
    let iam = connection.iam();
    let facts = facts(&iam, principal).await.map_err(|failure| {
        if failure.kind == AwsFailureKind::NotFound {
            ProvisionError::NotFound(format!("The {} does not exist", principal.describe()))
        } else {
            failure.into()
        }
    })?;
    let tagged_by_app = tags::iam_is_ours(&facts.tags);
    // Without the app's tag there is nothing to prove: the policies are not even read.
    let policy = match tagged_by_app {
        true => app_policy(&iam, principal).await?,
        false => None,
    };
    let evidence = PrincipalEvidence {
        tagged_by_app,
        under_app_path: facts.path == tags::IAM_PATH,
        created_at: facts.created_at,
        has_app_policy: policy.is_some(),
    };
    let verdict = judge_principal(&evidence);
    let by_run = made_by_known_run(facts.run_id(), facts.created_at, known_runs);
    match verdict {
        Ok(()) => Ok(Proof { facts, policy }),
        Err(_) if by_run => Ok(Proof { facts, policy }),
        Err(reason) => Err(ProvisionError::NotOurs(unproven_message(
            &format!("The {}", principal.describe()),
            &reason,
        ))),
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
