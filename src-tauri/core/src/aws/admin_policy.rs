//! The IAM policy an administrator attaches to run this program, made from the action lists in
//! [`permissions`]: reads on `*` (where AWS has no resource for them, or they only look), every
//! IAM write on the app's own path (`tags::IAM_PATH`), KMS writes on keys tagged as the app's,
//! and the writes that setups older than the IAM path need in a statement of their own
//! ([`LEGACY_SID`]) the admin can leave out.

use crate::aws::permissions::{READ, SERVICE_ACCOUNT};
use crate::aws::tags;
use serde_json::{json, Value};

/// The statement for setups made before the app's IAM path (users and roles at `/`).
pub const LEGACY_SID: &str = "LegacySetupsAtRootPath";

/// Users, roles and instance profiles this app creates: all under `tags::IAM_PATH`.
pub fn app_path_resources() -> Vec<String> {
    let path = tags::IAM_PATH.trim_matches('/');
    ["user", "role", "instance-profile"]
        .iter()
        .map(|kind| format!("arn:aws:iam::*:{kind}/{path}/*"))
        .collect()
}

/// IAM writes on this app's users, roles and instance profiles (creating, rotating, removing
/// what other admins added, deleting). `iam:PassRole` is what AddRoleToInstanceProfile needs
/// for the role it adds.
pub const IAM_APP_PATH_WRITES: &[&str] = &[
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
    "iam:PassRole",
    "iam:DeleteAccessKey",
    "iam:DeleteUserPolicy",
    "iam:DeleteUser",
    "iam:DeleteRolePolicy",
    "iam:DeleteRole",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:DetachUserPolicy",
    "iam:DetachRolePolicy",
    "iam:DeleteLoginProfile",
    "iam:DeactivateMFADevice",
    "iam:DeleteSigningCertificate",
    "iam:DeleteSSHPublicKey",
    "iam:DeleteServiceSpecificCredential",
    "iam:DeleteUserPermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
];

/// Teardown of a setup someone added to a group or gave a virtual MFA device: AWS authorises
/// these on the group and on the device, which live outside the app's path, and has no condition
/// naming the member user, so these two statements (one per action, each on its own resource type)
/// allow them on any group and device (the app calls them only for its own user; a virtual MFA
/// device can be deleted only once unassigned). The admin may leave them out: such a teardown
/// then stops, naming the permission.
pub const IAM_OUTSIDE_ADDITIONS: &[(&str, &str)] = &[
    ("iam:RemoveUserFromGroup", "arn:aws:iam::*:group/*"),
    ("iam:DeleteVirtualMFADevice", "arn:aws:iam::*:mfa/*"),
];

/// What rotation, verification and teardown of a setup made before the IAM path need: the
/// same actions on principals at any path, only while they carry the app's tag. Nothing here
/// creates a principal or writes a policy onto one.
pub const LEGACY_WRITES: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:DeleteAccessKey",
    "iam:DeleteUserPolicy",
    "iam:DeleteUser",
    "iam:DeleteRolePolicy",
    "iam:DeleteRole",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:DetachUserPolicy",
    "iam:DetachRolePolicy",
    "iam:DeleteLoginProfile",
    "iam:DeactivateMFADevice",
    "iam:DeleteSigningCertificate",
    "iam:DeleteSSHPublicKey",
    "iam:DeleteServiceSpecificCredential",
    "iam:DeleteUserPermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "sts:AssumeRole",
];

/// KMS writes on an existing key: allowed only on keys tagged `created-by=csfle-provisioner`
/// (KMS supports `aws:ResourceTag` for every operation on an existing key). CreateAlias and
/// DeleteAlias are authorised on the key and on the alias: the alias half is [`KMS_ALIASES`].
pub const KMS_APP_KEY_WRITES: &[&str] = &[
    "kms:EnableKeyRotation",
    "kms:CancelKeyDeletion",
    "kms:EnableKey",
    "kms:ScheduleKeyDeletion",
    "kms:PutKeyPolicy",
    "kms:CreateAlias",
    "kms:DeleteAlias",
];

/// A web-identity role's OIDC provider, made only when the account has none for the issuer and
/// removed only when the setup made it: created only with the app's tag in the request, deleted
/// only while it carries it (IAM supports both conditions on OIDC providers).
pub const IAM_OIDC_CREATE: &[&str] = &[
    "iam:CreateOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
];
pub const IAM_OIDC_DELETE: &[&str] = &["iam:DeleteOpenIDConnectProvider"];

/// A Pod Identity role's association: made in any cluster only with the app's tag in the request,
/// deleted only while it carries it (EKS supports both conditions on associations).
pub const EKS_ASSOCIATION_CREATE: &[&str] =
    &["eks:CreatePodIdentityAssociation", "eks:TagResource"];
pub const EKS_ASSOCIATION_DELETE: &[&str] = &["eks:DeletePodIdentityAssociation"];

/// The alias half of CreateAlias/DeleteAlias (aliases carry no tags).
pub const KMS_ALIASES: &[&str] = &["kms:CreateAlias", "kms:DeleteAlias"];

/// CreateKey has no resource, and tagging a key while it is created needs kms:TagResource on
/// `*` too: both only with the app's tags in the request, and no other tag keys.
pub const KMS_CREATE: &[&str] = &["kms:CreateKey", "kms:TagResource"];

/// A Secrets Manager copy of a setup's credentials: created only with the app's tags in the
/// request (and no other tag keys), then written, given its policy and deleted only while it
/// carries them.
pub const SECRETS_CREATE: &[&str] = &["secretsmanager:CreateSecret", "secretsmanager:TagResource"];
pub const SECRETS_WRITES: &[&str] = &[
    "secretsmanager:PutSecretValue",
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:DeleteSecret",
];
/// What Secrets Manager does with the caller's permissions on the key encrypting a secret:
/// only through Secrets Manager (`kms:ViaService`) and only on the app's keys. A key the admin
/// names that is not the app's needs its own key policy to allow these.
pub const SECRETS_KEY_USE: &[&str] = &["kms:GenerateDataKey", "kms:Decrypt"];

/// Which statements to include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Include [`LEGACY_SID`]: needed only for setups made before the app's IAM path.
    pub legacy: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { legacy: true }
    }
}

fn app_tag_condition(key: &str) -> Value {
    json!({"StringEquals": {format!("aws:{key}/{}", tags::CREATED_BY_KEY): tags::CREATED_BY_VALUE}})
}

/// What the admin of the account that holds the key needs for a cross-account setup: to read
/// that one key (planning checks it can serve CSFLE, the review shows its rotation) and to read
/// and write its key policy (the one statement the setup owns). Nothing on any other key, and
/// never ScheduleKeyDeletion: the app does not delete another account's key.
pub const KEY_ACCOUNT_ACTIONS: &[&str] = &[
    "kms:DescribeKey",
    "kms:GetKeyRotationStatus",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
];

/// The key account admin's IAM policy document, for the key `key_arn` only. (The key policy
/// must let that admin's IAM policies grant it, as KMS's default policy does.)
pub fn key_account_document(key_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CsfleProvisionerKeyPolicyOfOneKey",
            "Effect": "Allow",
            "Action": KEY_ACCOUNT_ACTIONS,
            "Resource": key_arn
        }]
    })
}

/// The admin's IAM policy document.
pub fn document(options: Options) -> Value {
    let mut statements = vec![
        json!({"Sid": "Read", "Effect": "Allow", "Action": READ, "Resource": "*"}),
        json!({"Sid": "IamWritesOnTheAppPath", "Effect": "Allow",
            "Action": IAM_APP_PATH_WRITES, "Resource": app_path_resources()}),
        json!({"Sid": "AssumeAppRolesToVerify", "Effect": "Allow",
            "Action": "sts:AssumeRole", "Resource": app_path_resources()[1]}),
        // One statement per action: each on the one resource type AWS checks it on.
        json!({"Sid": "UndoOutsideGroupMembership", "Effect": "Allow",
            "Action": IAM_OUTSIDE_ADDITIONS[0].0, "Resource": IAM_OUTSIDE_ADDITIONS[0].1}),
        json!({"Sid": "UndoOutsideMfaDevice", "Effect": "Allow",
            "Action": IAM_OUTSIDE_ADDITIONS[1].0, "Resource": IAM_OUTSIDE_ADDITIONS[1].1}),
        json!({"Sid": "CreateKeysTaggedAsTheApps", "Effect": "Allow", "Action": KMS_CREATE,
        "Resource": "*", "Condition": {
            "StringEquals": {format!("aws:RequestTag/{}", tags::CREATED_BY_KEY): tags::CREATED_BY_VALUE},
            "ForAllValues:StringEquals": {"aws:TagKeys": [tags::CREATED_BY_KEY, tags::SERVICE_ACCOUNT_KEY, tags::RUN_KEY]}
        }}),
        json!({"Sid": "WritesOnTheAppsKeys", "Effect": "Allow", "Action": KMS_APP_KEY_WRITES,
            "Resource": "arn:aws:kms:*:*:key/*", "Condition": app_tag_condition("ResourceTag")}),
        json!({"Sid": "AliasesOfTheAppsKeys", "Effect": "Allow", "Action": KMS_ALIASES,
            "Resource": "arn:aws:kms:*:*:alias/*"}),
        json!({"Sid": "OidcProvidersTaggedAsTheApps", "Effect": "Allow", "Action": IAM_OIDC_CREATE,
            "Resource": "arn:aws:iam::*:oidc-provider/*", "Condition": app_tag_condition("RequestTag")}),
        json!({"Sid": "RemoveTheAppsOidcProviders", "Effect": "Allow", "Action": IAM_OIDC_DELETE,
            "Resource": "arn:aws:iam::*:oidc-provider/*", "Condition": app_tag_condition("ResourceTag")}),
        json!({"Sid": "PodIdentityAssociationsTaggedAsTheApps", "Effect": "Allow",
            "Action": EKS_ASSOCIATION_CREATE,
            "Resource": ["arn:aws:eks:*:*:cluster/*", "arn:aws:eks:*:*:podidentityassociation/*/*"],
            "Condition": app_tag_condition("RequestTag")}),
        json!({"Sid": "RemoveTheAppsPodIdentityAssociations", "Effect": "Allow",
            "Action": EKS_ASSOCIATION_DELETE,
            "Resource": "arn:aws:eks:*:*:podidentityassociation/*/*",
            "Condition": app_tag_condition("ResourceTag")}),
        json!({"Sid": "SecretsTaggedAsTheApps", "Effect": "Allow", "Action": SECRETS_CREATE,
            "Resource": "arn:aws:secretsmanager:*:*:secret:*", "Condition": {
            "StringEquals": {format!("aws:RequestTag/{}", tags::CREATED_BY_KEY): tags::CREATED_BY_VALUE},
            "ForAllValues:StringEquals": {"aws:TagKeys": [tags::CREATED_BY_KEY, crate::aws::secrets_manager::SETUP_TAG]}
        }}),
        json!({"Sid": "WritesOnTheAppsSecrets", "Effect": "Allow", "Action": SECRETS_WRITES,
            "Resource": "arn:aws:secretsmanager:*:*:secret:*", "Condition": app_tag_condition("ResourceTag")}),
        json!({"Sid": "SecretsManagerUsesTheAppsKeys", "Effect": "Allow", "Action": SECRETS_KEY_USE,
            "Resource": "arn:aws:kms:*:*:key/*", "Condition": {
            "StringEquals": {format!("aws:ResourceTag/{}", tags::CREATED_BY_KEY): tags::CREATED_BY_VALUE},
            "StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}
        }}),
    ];
    if options.legacy {
        statements.push(json!({"Sid": LEGACY_SID, "Effect": "Allow", "Action": LEGACY_WRITES,
            "Resource": ["arn:aws:iam::*:user/*", "arn:aws:iam::*:role/*", "arn:aws:iam::*:instance-profile/*"],
            "Condition": app_tag_condition("ResourceTag")}));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Every action the admin policy must grant: all of [`permissions::all`] but the service
/// account's own.
pub fn admin_actions() -> impl Iterator<Item = &'static str> {
    crate::aws::permissions::all().filter(|a| !SERVICE_ACCOUNT.contains(a))
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_key_account_admin_may_read_the_one_key_and_edit_its_policy_but_never_delete_it() {
        let arn = "arn:aws:kms:us-east-1:222233334444:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let document = key_account_document(arn);
        let statements = document["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0]["Resource"], arn);
        assert_eq!(
            statements[0]["Action"],
            json!([
                "kms:DescribeKey",
                "kms:GetKeyRotationStatus",
                "kms:GetKeyPolicy",
                "kms:PutKeyPolicy"
            ])
        );
        assert!(!document.to_string().contains("Delete"));
    }

    use super::*;
    use crate::aws::permissions::{CREATE, REMOVE};

    fn statements(document: &Value) -> Vec<Value> {
        document["Statement"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn list(value: &Value) -> Vec<String> {
        match value {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => vec![],
        }
    }

    /// Every IAM action this program calls that changes something.
    fn iam_writes() -> Vec<&'static str> {
        CREATE
            .iter()
            .chain(REMOVE)
            .copied()
            .filter(|a| a.starts_with("iam:"))
            .collect()
    }

    /// The resource type AWS authorises each IAM write on (Service Authorization Reference).
    fn resource_type(action: &str) -> &'static str {
        match action {
            "iam:RemoveUserFromGroup" => "group",
            "iam:DeleteVirtualMFADevice" => "mfa",
            a if a.contains("OpenIDConnectProvider") => "oidc-provider",
            "iam:CreateInstanceProfile"
            | "iam:TagInstanceProfile"
            | "iam:AddRoleToInstanceProfile"
            | "iam:RemoveRoleFromInstanceProfile"
            | "iam:DeleteInstanceProfile" => "instance-profile",
            a if a.contains("Role") => "role",
            _ => "user",
        }
    }

    #[test]
    fn no_iam_write_is_allowed_on_every_resource() {
        for legacy in [true, false] {
            let document = document(Options { legacy });
            for statement in statements(&document) {
                let actions = list(&statement["Action"]);
                let resources = list(&statement["Resource"]);
                let writes: Vec<&String> = actions
                    .iter()
                    .filter(|a| iam_writes().contains(&a.as_str()) || *a == "iam:PassRole")
                    .collect();
                if writes.is_empty() {
                    continue;
                }
                assert!(
                    !resources.iter().any(|r| r == "*" || r.ends_with(":*")),
                    "{writes:?} on {resources:?}"
                );
                let sid = statement["Sid"].as_str().unwrap_or_default();
                let scoped = resources.iter().all(|r| {
                    r.contains(":user/csfle-provisioner/")
                        || r.contains(":role/csfle-provisioner/")
                        || r.contains(":instance-profile/csfle-provisioner/")
                });
                match sid {
                    LEGACY_SID => assert_eq!(
                        statement["Condition"]["StringEquals"]["aws:ResourceTag/created-by"],
                        "csfle-provisioner",
                        "legacy principals only while they carry the app's tag"
                    ),
                    "OidcProvidersTaggedAsTheApps" | "RemoveTheAppsOidcProviders" => {
                        // Providers have no path: only OIDC providers, and only the app's tags.
                        assert!(resources.iter().all(|r| r.contains(":oidc-provider/")));
                        let tagged = statement["Condition"]["StringEquals"]
                            .as_object()
                            .is_some_and(|c| c.values().all(|v| v == "csfle-provisioner"));
                        assert!(tagged, "{sid} without the app's tag condition");
                    }
                    "UndoOutsideGroupMembership" => assert_eq!(
                        (actions, resources),
                        (
                            vec!["iam:RemoveUserFromGroup".to_string()],
                            vec!["arn:aws:iam::*:group/*".to_string()]
                        ),
                        "only the removal AWS authorises on a group"
                    ),
                    "UndoOutsideMfaDevice" => assert_eq!(
                        (actions, resources),
                        (
                            vec!["iam:DeleteVirtualMFADevice".to_string()],
                            vec!["arn:aws:iam::*:mfa/*".to_string()]
                        ),
                        "only the removal AWS authorises on a device"
                    ),
                    _ => assert!(scoped, "{sid}: {writes:?} on {resources:?}"),
                }
            }
        }
    }

    #[test]
    fn every_action_the_app_calls_is_granted_on_the_resource_aws_checks() {
        let document = document(Options { legacy: false });
        for action in admin_actions() {
            let granting: Vec<Value> = statements(&document)
                .into_iter()
                .filter(|s| list(&s["Action"]).iter().any(|a| a == action))
                .collect();
            assert!(!granting.is_empty(), "{action} is not granted");
            if !iam_writes().contains(&action) {
                continue;
            }
            let kind = resource_type(action);
            assert!(
                granting.iter().any(|s| list(&s["Resource"])
                    .iter()
                    .any(|r| r.starts_with(&format!("arn:aws:iam::*:{kind}/")))),
                "{action} needs a {kind} resource"
            );
        }
        let passes_roles = statements(&document).into_iter().any(|s| {
            list(&s["Action"]).contains(&"iam:PassRole".to_string())
                && list(&s["Resource"]) == app_path_resources()
        });
        assert!(
            passes_roles,
            "AddRoleToInstanceProfile needs iam:PassRole on our roles"
        );
    }

    #[test]
    fn the_legacy_statement_is_its_own_and_can_be_left_out() {
        let with = document(Options::default());
        let without = document(Options { legacy: false });
        let sids = |d: &Value| -> Vec<String> {
            statements(d)
                .iter()
                .map(|s| s["Sid"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        assert!(sids(&with).contains(&LEGACY_SID.to_string()));
        assert!(!sids(&without).contains(&LEGACY_SID.to_string()));
        assert_eq!(sids(&with).len(), sids(&without).len() + 1);
        let legacy = &statements(&with)[sids(&with).len() - 1];
        for action in list(&legacy["Action"]) {
            assert!(
                !action.starts_with("iam:Create") || action == "iam:CreateAccessKey",
                "the legacy statement creates no principal: {action}"
            );
            assert!(
                !action.starts_with("iam:Put"),
                "nor writes a policy: {action}"
            );
        }
    }

    #[test]
    fn kms_writes_are_conditioned_on_the_apps_tags() {
        let document = document(Options::default());
        let by_sid = |sid: &str| {
            statements(&document)
                .into_iter()
                .find(|s| s["Sid"] == sid)
                .unwrap_or_default()
        };
        assert_eq!(
            by_sid("CreateKeysTaggedAsTheApps"),
            json!({"Sid": "CreateKeysTaggedAsTheApps", "Effect": "Allow",
            "Action": ["kms:CreateKey", "kms:TagResource"], "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:RequestTag/created-by": "csfle-provisioner"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["created-by", "csfle-provisioner:service-account", "csfle-provisioner:run"]}
            }})
        );
        assert_eq!(
            by_sid("WritesOnTheAppsKeys"),
            json!({"Sid": "WritesOnTheAppsKeys", "Effect": "Allow",
                "Action": ["kms:EnableKeyRotation", "kms:CancelKeyDeletion", "kms:EnableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:CreateAlias", "kms:DeleteAlias"],
                "Resource": "arn:aws:kms:*:*:key/*",
                "Condition": {"StringEquals": {"aws:ResourceTag/created-by": "csfle-provisioner"}}})
        );
        for statement in statements(&document) {
            let kms_writes: Vec<String> = list(&statement["Action"])
                .into_iter()
                .filter(|a| a.starts_with("kms:") && !READ.contains(&a.as_str()))
                .collect();
            if kms_writes.is_empty() || statement["Sid"] == "AliasesOfTheAppsKeys" {
                continue;
            }
            assert!(
                statement.get("Condition").is_some(),
                "{kms_writes:?} without a tag condition"
            );
        }
    }
}
