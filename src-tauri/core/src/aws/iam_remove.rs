//! Small functions over IAM's API for what rollback, recovery and teardown remove: one call each.
//! "Not found" is left to the caller, which usually counts it as removed.

use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::model::principal::{Principal, PrincipalKind};

/// A removal whose target is already gone reached its goal: "not found" counts as removed.
pub fn gone_is_fine<T>(result: Result<T, AwsFailure>) -> Result<(), AwsFailure> {
    match result {
        Ok(_) => Ok(()),
        Err(failure) if failure.kind == AwsFailureKind::NotFound => Ok(()),
        Err(failure) => Err(failure),
    }
}

pub async fn delete_access_key(
    iam: &aws_sdk_iam::Client,
    user: &str,
    id: &str,
) -> Result<(), AwsFailure> {
    iam.delete_access_key()
        .user_name(user)
        .access_key_id(id)
        .send()
        .await
        .map(drop)
        .map_err(|e| AwsFailure::from_sdk("iam:DeleteAccessKey", &e))
}

/// Marks the key Inactive: it stops working at once but can still be turned back on.
pub async fn deactivate_access_key(
    iam: &aws_sdk_iam::Client,
    user: &str,
    id: &str,
) -> Result<(), AwsFailure> {
    iam.update_access_key()
        .user_name(user)
        .access_key_id(id)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .map(drop)
        .map_err(|e| AwsFailure::from_sdk("iam:UpdateAccessKey", &e))
}

pub async fn delete_inline_policy(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
    name: &str,
) -> Result<(), AwsFailure> {
    match principal.kind {
        PrincipalKind::User => iam
            .delete_user_policy()
            .user_name(principal.name)
            .policy_name(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteUserPolicy", &e)),
        PrincipalKind::Role => iam
            .delete_role_policy()
            .role_name(principal.name)
            .policy_name(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteRolePolicy", &e)),
    }
}

/// DeleteUser or DeleteRole: IAM refuses while anything is still attached (DeleteConflict).
pub async fn delete_principal(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
) -> Result<(), AwsFailure> {
    match principal.kind {
        PrincipalKind::User => iam
            .delete_user()
            .user_name(principal.name)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteUser", &e)),
        PrincipalKind::Role => iam
            .delete_role()
            .role_name(principal.name)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteRole", &e)),
    }
}

pub async fn remove_role_from_instance_profile(
    iam: &aws_sdk_iam::Client,
    name: &str,
    role: &str,
) -> Result<(), AwsFailure> {
    iam.remove_role_from_instance_profile()
        .instance_profile_name(name)
        .role_name(role)
        .send()
        .await
        .map(drop)
        .map_err(|e| AwsFailure::from_sdk("iam:RemoveRoleFromInstanceProfile", &e))
}

pub async fn delete_instance_profile(
    iam: &aws_sdk_iam::Client,
    name: &str,
) -> Result<(), AwsFailure> {
    iam.delete_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .map(drop)
        .map_err(|e| AwsFailure::from_sdk("iam:DeleteInstanceProfile", &e))
}
