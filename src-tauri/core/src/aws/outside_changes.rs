//! What other admins added to a service account after this app made it: permissions beyond the
//! one least-privilege policy, and sign-in material that keeps IAM from deleting the principal.
//! The setups view names each one; teardown detaches or removes each one (never deleting a
//! managed policy or a group, which others may use) so that the principal itself can go.

use crate::aws::iam_remove::gone_is_fine;
use crate::aws::pages;
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::model::principal::{Principal, PrincipalKind};
use aws_sdk_iam::Client;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extra {
    ManagedPolicy { arn: String, name: String },
    Group(String),
    InlinePolicy(String),
    ConsolePassword,
    MfaDevice(String),
    SigningCertificate(String),
    SshKey(String),
    ServiceCredential(String),
    PermissionsBoundary(String),
}

impl Extra {
    /// In words for the setups view and the teardown confirmation.
    pub fn describe(&self) -> String {
        match self {
            Extra::ManagedPolicy { name, .. } => format!("managed policy {name} is attached"),
            Extra::Group(group) => format!("member of the IAM group {group}"),
            Extra::InlinePolicy(name) => format!("another inline policy, {name}"),
            Extra::ConsolePassword => {
                "a console password (it can sign in to the AWS console)".into()
            }
            Extra::MfaDevice(serial) => format!("an MFA device ({serial})"),
            Extra::SigningCertificate(id) => format!("a signing certificate ({id})"),
            Extra::SshKey(id) => format!("an SSH public key ({id})"),
            Extra::ServiceCredential(id) => format!("a service-specific credential ({id})"),
            Extra::PermissionsBoundary(arn) => format!("a permissions boundary ({arn})"),
        }
    }

    /// What teardown does about it, in words.
    pub fn removal(&self) -> String {
        match self {
            Extra::ManagedPolicy { name, .. } => {
                format!("detach managed policy {name} (the policy itself is kept)")
            }
            Extra::Group(group) => format!("leave group {group} (the group is kept)"),
            Extra::InlinePolicy(name) => format!("delete inline policy {name}"),
            Extra::ConsolePassword => "delete the console password".into(),
            Extra::MfaDevice(serial) => format!("deactivate and remove MFA device {serial}"),
            Extra::SigningCertificate(id) => format!("delete signing certificate {id}"),
            Extra::SshKey(id) => format!("delete SSH public key {id}"),
            Extra::ServiceCredential(id) => format!("delete service-specific credential {id}"),
            Extra::PermissionsBoundary(_) => "remove the permissions boundary".into(),
        }
    }

    /// Grants something beyond kms:Encrypt/kms:Decrypt on one key (as opposed to sign-in material).
    pub fn widens_permissions(&self) -> bool {
        matches!(
            self,
            Extra::ManagedPolicy { .. } | Extra::Group(_) | Extra::InlinePolicy(_)
        )
    }
}

/// Everything on a user or role besides its inline policy `ours` (and a user's access keys, a
/// role's instance profiles: those are the setup's own).
pub async fn of_principal(
    iam: &Client,
    principal: Principal<'_>,
    ours: Option<&str>,
) -> Result<Vec<Extra>, AwsFailure> {
    match principal.kind {
        PrincipalKind::User => of_user(iam, principal.name, ours).await,
        PrincipalKind::Role => of_role(iam, principal.name, ours).await,
    }
}

/// Detaches or removes one extra from a user or role; one already gone counts as removed.
pub async fn remove_from(
    iam: &Client,
    principal: Principal<'_>,
    extra: &Extra,
) -> Result<(), AwsFailure> {
    match principal.kind {
        PrincipalKind::User => remove_from_user(iam, principal.name, extra).await,
        PrincipalKind::Role => remove_from_role(iam, principal.name, extra).await,
    }
}

/// Everything on `user` besides the inline policy `ours` and its access keys, the permissions
/// boundary last.
async fn of_user(iam: &Client, user: &str, ours: Option<&str>) -> Result<Vec<Extra>, AwsFailure> {
    let principal = Principal::user(user);
    let (mut extras, rest, inline, facts) = futures_util::try_join!(
        managed_policies(iam, principal),
        groups_and_sign_in(iam, user),
        crate::aws::ownership::inline_policy_names(iam, principal),
        crate::aws::ownership::facts(iam, principal),
    )?;
    extras.extend(rest);
    extras.extend(others(&inline, ours));
    extras.extend(facts.boundary.map(Extra::PermissionsBoundary));
    Ok(extras)
}

/// The managed policies attached to a user or role, all pages.
pub async fn managed_policies(
    iam: &Client,
    principal: Principal<'_>,
) -> Result<Vec<Extra>, AwsFailure> {
    match principal.kind {
        PrincipalKind::User => {
            pages::all(
                iam.list_attached_user_policies()
                    .user_name(principal.name)
                    .into_paginator()
                    .send(),
                "iam:ListAttachedUserPolicies",
                |page| page.attached_policies().iter().map(managed).collect(),
            )
            .await
        }
        PrincipalKind::Role => {
            pages::all(
                iam.list_attached_role_policies()
                    .role_name(principal.name)
                    .into_paginator()
                    .send(),
                "iam:ListAttachedRolePolicies",
                |page| page.attached_policies().iter().map(managed).collect(),
            )
            .await
        }
    }
}

/// The user's groups, console password, MFA devices, signing certificates, SSH keys and service
/// credentials, all asked at once.
pub async fn groups_and_sign_in(iam: &Client, user: &str) -> Result<Vec<Extra>, AwsFailure> {
    let groups = pages::all(
        iam.list_groups_for_user()
            .user_name(user)
            .into_paginator()
            .send(),
        "iam:ListGroupsForUser",
        |page| {
            page.groups()
                .iter()
                .map(|g| Extra::Group(g.group_name().to_string()))
                .collect()
        },
    );
    let (mut extras, password, mfa, certificates, ssh, services) = futures_util::try_join!(
        groups,
        console_password(iam, user),
        mfa_devices(iam, user),
        signing_certificates(iam, user),
        ssh_keys(iam, user),
        service_credentials(iam, user),
    )?;
    extras.extend(password);
    for more in [mfa, certificates, ssh, services] {
        extras.extend(more);
    }
    Ok(extras)
}

/// The user's MFA devices, all pages.
pub async fn mfa_devices(iam: &Client, user: &str) -> Result<Vec<Extra>, AwsFailure> {
    pages::all(
        iam.list_mfa_devices()
            .user_name(user)
            .into_paginator()
            .send(),
        "iam:ListMFADevices",
        |page| {
            page.mfa_devices()
                .iter()
                .map(|d| Extra::MfaDevice(d.serial_number().to_string()))
                .collect()
        },
    )
    .await
}

/// The user's signing certificates, active or not, all pages.
pub async fn signing_certificates(iam: &Client, user: &str) -> Result<Vec<Extra>, AwsFailure> {
    pages::all(
        iam.list_signing_certificates()
            .user_name(user)
            .into_paginator()
            .send(),
        "iam:ListSigningCertificates",
        |page| {
            page.certificates()
                .iter()
                .map(|c| Extra::SigningCertificate(c.certificate_id().to_string()))
                .collect()
        },
    )
    .await
}

/// The console password, if the user has one.
pub async fn console_password(iam: &Client, user: &str) -> Result<Option<Extra>, AwsFailure> {
    match iam.get_login_profile().user_name(user).send().await {
        Ok(_) => Ok(Some(Extra::ConsolePassword)),
        Err(e) => {
            let failure = AwsFailure::from_sdk("iam:GetLoginProfile", &e);
            if failure.kind == AwsFailureKind::NotFound {
                Ok(None)
            } else {
                Err(failure)
            }
        }
    }
}

/// The user's SSH public keys, all pages.
pub async fn ssh_keys(iam: &Client, user: &str) -> Result<Vec<Extra>, AwsFailure> {
    pages::all(
        iam.list_ssh_public_keys()
            .user_name(user)
            .into_paginator()
            .send(),
        "iam:ListSSHPublicKeys",
        |page| {
            page.ssh_public_keys()
                .iter()
                .map(|k| Extra::SshKey(k.ssh_public_key_id().to_string()))
                .collect()
        },
    )
    .await
}

fn managed(policy: &aws_sdk_iam::types::AttachedPolicy) -> Extra {
    Extra::ManagedPolicy {
        arn: policy.policy_arn().unwrap_or_default().to_string(),
        name: policy.policy_name().unwrap_or_default().to_string(),
    }
}

/// Inline policies other than `ours`.
pub fn others(names: &[String], ours: Option<&str>) -> Vec<Extra> {
    names
        .iter()
        .filter(|name| Some(name.as_str()) != ours)
        .map(|name| Extra::InlinePolicy(name.clone()))
        .collect()
}

/// Service-specific credentials (CodeCommit, Keyspaces). Some emulators do not implement the
/// call: a server error there means "cannot tell", and DeleteUser will say if one is in the way.
pub async fn service_credentials(iam: &Client, user: &str) -> Result<Vec<Extra>, AwsFailure> {
    match iam
        .list_service_specific_credentials()
        .user_name(user)
        .send()
        .await
    {
        Ok(reply) => Ok(reply
            .service_specific_credentials()
            .iter()
            .map(|c| Extra::ServiceCredential(c.service_specific_credential_id().to_string()))
            .collect()),
        Err(e)
            if e.raw_response()
                .is_some_and(|r| r.status().is_server_error()) =>
        {
            Ok(vec![])
        }
        Err(e) => Err(AwsFailure::from_sdk(
            "iam:ListServiceSpecificCredentials",
            &e,
        )),
    }
}

/// Everything on `role` besides the inline policy `ours` (instance profiles are the setup's own).
async fn of_role(iam: &Client, role: &str, ours: Option<&str>) -> Result<Vec<Extra>, AwsFailure> {
    let principal = Principal::role(role);
    let (mut extras, inline, facts) = futures_util::try_join!(
        managed_policies(iam, principal),
        crate::aws::ownership::inline_policy_names(iam, principal),
        crate::aws::ownership::facts(iam, principal),
    )?;
    extras.extend(others(&inline, ours));
    extras.extend(facts.boundary.map(Extra::PermissionsBoundary));
    Ok(extras)
}

/// Detaches or removes one extra from `user`; one that is already gone counts as removed.
async fn remove_from_user(iam: &Client, user: &str, extra: &Extra) -> Result<(), AwsFailure> {
    gone_is_fine(match extra {
        Extra::ManagedPolicy { arn, .. } => iam
            .detach_user_policy()
            .user_name(user)
            .policy_arn(arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DetachUserPolicy", &e)),
        Extra::Group(group) => iam
            .remove_user_from_group()
            .user_name(user)
            .group_name(group)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:RemoveUserFromGroup", &e)),
        Extra::InlinePolicy(name) => iam
            .delete_user_policy()
            .user_name(user)
            .policy_name(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteUserPolicy", &e)),
        Extra::ConsolePassword => iam
            .delete_login_profile()
            .user_name(user)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteLoginProfile", &e)),
        Extra::MfaDevice(serial) => remove_mfa(iam, user, serial).await,
        Extra::SigningCertificate(id) => iam
            .delete_signing_certificate()
            .user_name(user)
            .certificate_id(id)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteSigningCertificate", &e)),
        Extra::SshKey(id) => iam
            .delete_ssh_public_key()
            .user_name(user)
            .ssh_public_key_id(id)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteSSHPublicKey", &e)),
        Extra::ServiceCredential(id) => iam
            .delete_service_specific_credential()
            .user_name(user)
            .service_specific_credential_id(id)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteServiceSpecificCredential", &e)),
        Extra::PermissionsBoundary(_) => iam
            .delete_user_permissions_boundary()
            .user_name(user)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteUserPermissionsBoundary", &e)),
    })
}

/// A virtual MFA device (an ARN) is deleted after deactivation; a hardware one only deactivated.
async fn remove_mfa(iam: &Client, user: &str, serial: &str) -> Result<(), AwsFailure> {
    gone_is_fine(
        iam.deactivate_mfa_device()
            .user_name(user)
            .serial_number(serial)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("iam:DeactivateMFADevice", &e)),
    )?;
    if serial.starts_with("arn:") {
        gone_is_fine(
            iam.delete_virtual_mfa_device()
                .serial_number(serial)
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:DeleteVirtualMFADevice", &e)),
        )?;
    }
    Ok(())
}

/// Detaches or removes one extra from `role`.
async fn remove_from_role(iam: &Client, role: &str, extra: &Extra) -> Result<(), AwsFailure> {
    gone_is_fine(match extra {
        Extra::ManagedPolicy { arn, .. } => iam
            .detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DetachRolePolicy", &e)),
        Extra::InlinePolicy(name) => iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteRolePolicy", &e)),
        Extra::PermissionsBoundary(_) => iam
            .delete_role_permissions_boundary()
            .role_name(role)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteRolePermissionsBoundary", &e)),
        // Users only: a role has no groups, passwords or keys of these kinds.
        _ => Ok(()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_policies_and_groups_widen_permissions() {
        assert!(Extra::Group("admins".into()).widens_permissions());
        assert!(Extra::ManagedPolicy {
            arn: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
            name: "AdministratorAccess".into()
        }
        .widens_permissions());
        assert!(!Extra::ConsolePassword.widens_permissions());
        assert!(Extra::ConsolePassword.describe().contains("console"));
        assert!(Extra::Group("g".into()).removal().contains("kept"));
    }
}
