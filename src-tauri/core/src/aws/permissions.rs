//! Every AWS action this program calls, in one list: the README's permission list and the admin
//! policy the app offers (`aws::admin_policy`) are made from it, and a test fails when the code
//! calls an action that is missing here. `iam:PassRole` is never called by name: AWS checks it
//! when AddRoleToInstanceProfile adds a role.

/// The admin's actions, grouped the way the admin policy groups them.
pub const READ: &[&str] = &[
    "sts:GetCallerIdentity",
    // Optional: the window shows the account's alias beside its id when the admin may read it.
    "iam:ListAccountAliases",
    "iam:GetUser",
    "iam:GetRole",
    "iam:GetInstanceProfile",
    "iam:GetUserPolicy",
    "iam:GetRolePolicy",
    "iam:GetLoginProfile",
    "iam:GetAccessKeyLastUsed",
    "iam:ListUsers",
    "iam:ListRoles",
    "iam:ListUserTags",
    "iam:ListRoleTags",
    "iam:ListUserPolicies",
    "iam:ListRolePolicies",
    "iam:ListAttachedUserPolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListGroupsForUser",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListSigningCertificates",
    "iam:ListSSHPublicKeys",
    "iam:ListServiceSpecificCredentials",
    "iam:ListInstanceProfilesForRole",
    "iam:GetAccountSummary",
    "iam:GetAccountAuthorizationDetails",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:GetOpenIDConnectProvider",
    "iam:ListOpenIDConnectProviders",
    "eks:DescribeCluster",
    "eks:ListPodIdentityAssociations",
    "eks:DescribePodIdentityAssociation",
    "kms:DescribeKey",
    "kms:ListKeys",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "secretsmanager:DescribeSecret",
];

/// Making a setup (and rolling it back).
pub const CREATE: &[&str] = &[
    "kms:CreateKey",
    "kms:TagResource",
    "kms:CreateAlias",
    "kms:EnableKeyRotation",
    "iam:CreateUser",
    "iam:TagUser",
    "iam:PutUserPolicy",
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateRole",
    "iam:TagRole",
    "iam:PutRolePolicy",
    "iam:CreateInstanceProfile",
    "iam:TagInstanceProfile",
    "iam:AddRoleToInstanceProfile",
    "iam:CreateOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
    "eks:CreatePodIdentityAssociation",
    "eks:TagResource",
    "iam:PassRole",
    "sts:AssumeRole",
    "secretsmanager:CreateSecret",
    "secretsmanager:TagResource",
    "secretsmanager:PutSecretValue",
    "secretsmanager:PutResourcePolicy",
    "kms:GenerateDataKey",
];

/// Rollback, rotation and teardown; ScheduleKeyDeletion only with --delete-key, PutKeyPolicy
/// only when the admin asks the app to fix a key policy.
pub const REMOVE: &[&str] = &[
    "iam:DeleteAccessKey",
    "iam:DeleteUserPolicy",
    "iam:DeleteUser",
    "iam:DeleteRolePolicy",
    "iam:DeleteRole",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:DeleteOpenIDConnectProvider",
    "eks:DeletePodIdentityAssociation",
    "iam:DetachUserPolicy",
    "iam:DetachRolePolicy",
    "iam:RemoveUserFromGroup",
    "iam:DeleteLoginProfile",
    "iam:DeactivateMFADevice",
    "iam:DeleteVirtualMFADevice",
    "iam:DeleteSigningCertificate",
    "iam:DeleteSSHPublicKey",
    "iam:DeleteServiceSpecificCredential",
    "iam:DeleteUserPermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "kms:DeleteAlias",
    "kms:ScheduleKeyDeletion",
    "kms:PutKeyPolicy",
    "kms:CancelKeyDeletion",
    "kms:EnableKey",
    "secretsmanager:DeleteSecret",
];

/// Made with the service account's own credentials, not the admin's (listed for completeness):
/// the proof, and credential-process turning the stored key into session credentials (which
/// needs no permission).
pub const SERVICE_ACCOUNT: &[&str] = &["kms:Encrypt", "kms:Decrypt", "sts:GetSessionToken"];

pub fn all() -> impl Iterator<Item = &'static str> {
    READ.iter()
        .chain(CREATE)
        .chain(REMOVE)
        .chain(SERVICE_ACCOUNT)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn sources(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }

    #[test]
    fn every_action_the_code_names_is_listed_once() {
        let mut text = String::new();
        sources(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut text,
        );
        let listed: Vec<&str> = all().collect();
        let mut missing = vec![];
        for (index, _) in text.match_indices("from_sdk(\"") {
            let rest = &text[index + "from_sdk(\"".len()..];
            let action = &rest[..rest.find('"').unwrap_or(0)];
            if !listed.contains(&action) && !missing.contains(&action) {
                missing.push(action);
            }
        }
        assert!(missing.is_empty(), "not in permissions.rs: {missing:?}");
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), listed.len(), "an action is listed twice");
    }

    #[test]
    fn the_readme_names_every_action() {
        let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
        let readme = std::fs::read_to_string(readme).unwrap();
        let missing: Vec<&str> = all()
            .filter(|a| !readme.contains(&format!("`{a}`")))
            .collect();
        assert!(missing.is_empty(), "README.md does not list {missing:?}");
    }
}
