//! Whether a resource is this app's to change: only what carries our `created-by` tag is ever
//! modified or deleted by rotate and teardown.

use crate::aws::connect::Connection;
use crate::aws::pages;
use crate::aws::tags;
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;

/// The user's ARN when it exists and this app made it.
pub async fn our_user(connection: &Connection, user: &str) -> Result<String, ProvisionError> {
    let iam = connection.iam();
    let reply = iam.get_user().user_name(user).send().await.map_err(|e| {
        let failure = AwsFailure::from_sdk("iam:GetUser", &e);
        if failure.kind == AwsFailureKind::NotFound {
            ProvisionError::NotFound(format!("The IAM user {user} does not exist"))
        } else {
            failure.into()
        }
    })?;
    let arn = reply
        .user()
        .map(|u| u.arn().to_string())
        .unwrap_or_default();
    let user_tags = iam
        .list_user_tags()
        .user_name(user)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:ListUserTags", &e))?;
    if tags::iam_is_ours(user_tags.tags()) {
        Ok(arn)
    } else {
        Err(ProvisionError::NotOurs(format!("the IAM user {user}")))
    }
}

/// True when this app made the key (its tags say so).
pub async fn key_is_ours(connection: &Connection, key: &str) -> Result<bool, ProvisionError> {
    let reply = connection
        .kms_for_key(key)
        .list_resource_tags()
        .key_id(key)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("kms:ListResourceTags", &e))?;
    Ok(tags::kms_is_ours(reply.tags()))
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

/// The names of every inline policy of `user`, all pages.
pub async fn user_policy_names(
    iam: &aws_sdk_iam::Client,
    user: &str,
) -> Result<Vec<String>, AwsFailure> {
    pages::all(
        iam.list_user_policies()
            .user_name(user)
            .into_paginator()
            .send(),
        "iam:ListUserPolicies",
        |page| page.policy_names().to_vec(),
    )
    .await
}

/// The names of every inline policy of `role`, all pages.
pub async fn role_policy_names(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Vec<String>, AwsFailure> {
    pages::all(
        iam.list_role_policies()
            .role_name(role)
            .into_paginator()
            .send(),
        "iam:ListRolePolicies",
        |page| page.policy_names().to_vec(),
    )
    .await
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
