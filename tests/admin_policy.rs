//! The admin policy (`admin-policy --no-legacy`) against the calls the program really makes.
//! moto cannot evaluate it (it checks KMS on `*` and does not apply conditions as AWS does), so
//! this test does: a whole lifecycle runs (user and role setups with new keys, rotation, the
//! setups view, teardown with key deletion), the emulator records every call with the names it
//! acts on, and each call the admin's key signed is checked against the policy document: the
//! action, the ARN AWS authorises it on (users, roles and instance profiles with their real
//! paths, keys and aliases), and the tag conditions with the tags the resources really carry.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use support::sandbox::{ADMIN_ACCESS_KEY, REGION};
use support::Sandbox;

const ACCOUNT: &str = "123456789012";

type Tags = BTreeMap<String, String>;

/// What the run made, read from AWS before teardown: ARNs by name, aliases' keys, keys' tags.
#[derive(Default)]
struct Known {
    arns: BTreeMap<String, String>,
    alias_key: BTreeMap<String, String>,
    key_tags: BTreeMap<String, Tags>,
}

impl Known {
    fn read(sandbox: &Sandbox, user: &str, role: &str) -> Known {
        let aws = sandbox.aws();
        let (iam, kms) = (aws.iam(), aws.kms());
        let mut known = Known::default();
        let user_arn = aws
            .block(iam.get_user().user_name(user).send())
            .expect("GetUser");
        let user_arn = user_arn.user().map(|u| u.arn().to_string()).unwrap();
        known.arns.insert(format!("user/{user}"), user_arn);
        let role_arn = aws
            .block(iam.get_role().role_name(role).send())
            .expect("GetRole");
        let role_arn = role_arn.role().map(|r| r.arn().to_string()).unwrap();
        known.arns.insert(format!("role/{role}"), role_arn);
        let profiles = aws
            .block(iam.list_instance_profiles_for_role().role_name(role).send())
            .expect("ListInstanceProfilesForRole");
        for profile in profiles.instance_profiles() {
            known.arns.insert(
                format!("instance-profile/{}", profile.instance_profile_name()),
                profile.arn().to_string(),
            );
        }
        let keys = aws.block(kms.list_keys().send()).expect("ListKeys");
        for key in keys.keys() {
            let (id, arn) = (key.key_id().unwrap(), key.key_arn().unwrap());
            known.arns.insert(format!("key/{id}"), arn.to_string());
            let tags = aws
                .block(kms.list_resource_tags().key_id(id).send())
                .expect("ListResourceTags");
            let tags = tags
                .tags()
                .iter()
                .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
                .collect();
            known.key_tags.insert(arn.to_string(), tags);
        }
        let aliases = aws.block(kms.list_aliases().send()).expect("ListAliases");
        for alias in aliases.aliases() {
            if let (Some(name), Some(target)) = (alias.alias_name(), alias.target_key_id()) {
                known.alias_key.insert(name.to_string(), target.to_string());
            }
        }
        known
    }

    /// The ARN of `kind/name`; an unknown IAM name at the root path (so a call on anything the
    /// run did not make under its own path is checked as such, and refused).
    fn iam(&self, kind: &str, name: &str) -> String {
        self.arns
            .get(&format!("{kind}/{name}"))
            .cloned()
            .unwrap_or_else(|| format!("arn:aws:iam::{ACCOUNT}:{kind}/{name}"))
    }

    /// A key named by id, ARN or alias, as its ARN.
    fn key(&self, key: &str) -> String {
        if key.starts_with("arn:") && key.contains(":key/") {
            return key.to_string();
        }
        let alias = key.rsplit_once(':').map_or(key, |(_, alias)| alias);
        let id = self.alias_key.get(alias).map_or(key, String::as_str);
        self.iam("key", id)
    }
}

/// One authorisation AWS makes for a call: this action on this resource.
struct Check {
    action: String,
    resource: String,
    resource_tags: Tags,
    request_tags: Tags,
}

fn checks_of(request: &Value, known: &Known) -> Vec<Check> {
    let service = request["service"].as_str().unwrap_or_default();
    let name = request["action"].as_str().unwrap_or_default();
    let params = &request["params"];
    let param = |field: &str| params[field].as_str().unwrap_or_default().to_string();
    let request_tags: Tags = params["Tags"]
        .as_object()
        .map(|tags| {
            tags.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let check = |action: &str, resource: String| {
        let resource_tags = known.key_tags.get(&resource).cloned().unwrap_or_default();
        Check {
            action: action.to_string(),
            resource,
            resource_tags,
            request_tags: request_tags.clone(),
        }
    };
    let action = format!("{service}:{name}");
    let path = |kind: &str, field: &str| {
        let path = params["Path"].as_str().unwrap_or("/");
        format!("arn:aws:iam::{ACCOUNT}:{kind}{path}{}", param(field))
    };
    // IAM wants iam:Tag* too for tags given at creation.
    let create = |kind: &str, field: &str, tag: &str| {
        let mut checks = vec![check(&action, path(kind, field))];
        if !request_tags.is_empty() {
            checks.push(check(tag, path(kind, field)));
        }
        checks
    };
    match (service, name) {
        ("iam", "CreateUser") => create("user", "UserName", "iam:TagUser"),
        ("iam", "CreateRole") => create("role", "RoleName", "iam:TagRole"),
        ("iam", "CreateInstanceProfile") => create(
            "instance-profile",
            "InstanceProfileName",
            "iam:TagInstanceProfile",
        ),
        ("iam", "AddRoleToInstanceProfile") => vec![
            check(
                &action,
                known.iam("instance-profile", &param("InstanceProfileName")),
            ),
            check("iam:PassRole", known.iam("role", &param("RoleName"))),
        ],
        ("iam", _) if params.get("InstanceProfileName").is_some() => {
            vec![check(
                &action,
                known.iam("instance-profile", &param("InstanceProfileName")),
            )]
        }
        ("iam", "RemoveUserFromGroup") => {
            vec![check(&action, known.iam("group", &param("GroupName")))]
        }
        ("iam", "DeleteVirtualMFADevice") => vec![check(&action, param("SerialNumber"))],
        ("iam", _) if params.get("RoleName").is_some() => {
            vec![check(&action, known.iam("role", &param("RoleName")))]
        }
        ("iam", _) if params.get("UserName").is_some() => {
            vec![check(&action, known.iam("user", &param("UserName")))]
        }
        ("sts", "AssumeRole") => vec![check(&action, param("RoleArn"))],
        ("kms", "CreateKey") if !request_tags.is_empty() => vec![
            check(&action, "*".into()),
            check("kms:TagResource", "*".into()),
        ],
        ("kms", "CreateAlias") | ("kms", "DeleteAlias") => {
            let alias = param("AliasName");
            let key = match params.get("TargetKeyId") {
                Some(_) => known.key(&param("TargetKeyId")),
                None => known.key(&alias),
            };
            let alias_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:{alias}");
            vec![check(&action, alias_arn), check(&action, key)]
        }
        ("kms", _) if params.get("KeyId").is_some() => {
            vec![check(&action, known.key(&param("KeyId")))]
        }
        _ => vec![check(&action, "*".into())],
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` one.
fn glob(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    let mut memo = vec![vec![None; v.len() + 1]; p.len() + 1];
    fn go(p: &[char], v: &[char], i: usize, j: usize, memo: &mut Vec<Vec<Option<bool>>>) -> bool {
        if let Some(known) = memo[i][j] {
            return known;
        }
        let result = match p.get(i) {
            None => j == v.len(),
            Some('*') => go(p, v, i + 1, j, memo) || (j < v.len() && go(p, v, i, j + 1, memo)),
            Some(c) => j < v.len() && (*c == '?' || *c == v[j]) && go(p, v, i + 1, j + 1, memo),
        };
        memo[i][j] = Some(result);
        result
    }
    go(&p, &v, 0, 0, &mut memo)
}

/// The conditions this policy uses, evaluated as AWS does; any other fails closed, so a new
/// condition in the policy has to be taught here before this test passes.
fn conditions_hold(condition: Option<&Value>, check: &Check) -> bool {
    let Some(condition) = condition.and_then(Value::as_object) else {
        return true;
    };
    condition.iter().all(|(operator, keys)| {
        let keys = keys.as_object().cloned().unwrap_or_default();
        keys.iter().all(|(key, expected)| {
            let expected = strings(expected);
            match (operator.as_str(), key.split_once('/')) {
                ("StringEquals", Some(("aws:ResourceTag", tag))) => check
                    .resource_tags
                    .get(tag)
                    .is_some_and(|v| expected.contains(v)),
                ("StringEquals", Some(("aws:RequestTag", tag))) => check
                    .request_tags
                    .get(tag)
                    .is_some_and(|v| expected.contains(v)),
                ("ForAllValues:StringEquals", None) if key == "aws:TagKeys" => {
                    check.request_tags.keys().all(|k| expected.contains(k))
                }
                _ => false,
            }
        })
    })
}

fn allowed(policy: &Value, check: &Check) -> bool {
    policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|statement| {
            statement["Effect"] == "Allow"
                && strings(&statement["Action"])
                    .iter()
                    .any(|a| glob(&a.to_lowercase(), &check.action.to_lowercase()))
                && strings(&statement["Resource"])
                    .iter()
                    .any(|r| glob(r, &check.resource))
                && conditions_hold(statement.get("Condition"), check)
        })
}

fn admin_calls(sandbox: &Sandbox) -> Vec<Value> {
    let calls = sandbox
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r["accessKey"] == ADMIN_ACCESS_KEY)
        .collect();
    sandbox.emulator.clear_requests();
    calls
}

#[test]
fn every_call_of_a_lifecycle_is_allowed_by_the_admin_policy_without_the_legacy_statement() {
    let sandbox = Sandbox::start();
    sandbox.emulator.clear_requests();
    for args in [
        &["provision", "--user", "app", "--new-key", "alias/app"][..],
        &[
            "provision",
            "--role",
            "web",
            "--trust",
            "ec2",
            "--new-key",
            "alias/web",
        ],
        &["rotate", "--user", "app"],
        &["list", "--json"],
    ] {
        sandbox.cli(args).assert_ok();
    }
    let mut calls = admin_calls(&sandbox);
    let known = Known::read(&sandbox, "app", "web");
    sandbox.emulator.clear_requests();
    // Each teardown deletes exactly the key the admin approved.
    let key_of = |alias: &str| known.arns[&format!("key/{}", known.alias_key[alias])].clone();
    let (app_key, web_key) = (key_of("alias/app"), key_of("alias/web"));
    for args in [
        &[
            "teardown",
            "--user",
            "app",
            "--delete-key",
            "--key-arn",
            &app_key,
            "--yes",
        ][..],
        &[
            "teardown",
            "--role",
            "web",
            "--delete-key",
            "--key-arn",
            &web_key,
            "--yes",
        ],
    ] {
        sandbox.cli(args).assert_ok();
    }
    calls.extend(admin_calls(&sandbox));

    let policy: Value = serde_json::from_str(
        &sandbox
            .cli(&["admin-policy", "--no-legacy"])
            .assert_ok()
            .stdout,
    )
    .expect("admin-policy prints JSON");
    let mut checked = BTreeSet::new();
    let mut refused = vec![];
    for call in &calls {
        for check in checks_of(call, &known) {
            if !allowed(&policy, &check) {
                refused.push(format!("{} on {}", check.action, check.resource));
            }
            checked.insert(check.action);
        }
    }
    refused.dedup();
    assert!(
        refused.is_empty(),
        "refused by the admin policy: {refused:#?}"
    );
    for write in [
        "iam:CreateUser",
        "iam:TagUser",
        "iam:TagRole",
        "iam:PutUserPolicy",
        "iam:CreateAccessKey",
        "iam:DeleteAccessKey",
        "iam:DeleteUser",
        "iam:CreateRole",
        "iam:CreateInstanceProfile",
        "iam:AddRoleToInstanceProfile",
        "iam:PassRole",
        "iam:DeleteRole",
        "kms:CreateKey",
        "kms:TagResource",
        "kms:CreateAlias",
        "kms:EnableKeyRotation",
        "kms:DeleteAlias",
        "kms:ScheduleKeyDeletion",
    ] {
        assert!(
            checked.contains(write),
            "the lifecycle never made {write}: {checked:?}"
        );
    }
}

#[test]
fn the_policy_refuses_what_the_app_did_not_make() {
    let check = |action: &str, resource: &str, tags: &[(&str, &str)]| Check {
        action: action.into(),
        resource: resource.into(),
        resource_tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        request_tags: Tags::new(),
    };
    let policy = csfle_core::session::admin_policy(false);
    let ours = [("created-by", "csfle-provisioner")];
    let key = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd");
    let colleague = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    assert!(allowed(
        &policy,
        &check("kms:ScheduleKeyDeletion", &key, &ours)
    ));
    assert!(!allowed(
        &policy,
        &check("kms:ScheduleKeyDeletion", &key, &[])
    ));
    assert!(!allowed(&policy, &check("kms:PutKeyPolicy", &key, &[])));
    assert!(!allowed(
        &policy,
        &check("iam:CreateAccessKey", &colleague, &ours)
    ));
    assert!(!allowed(
        &policy,
        &check("iam:PutUserPolicy", &colleague, &[])
    ));
    assert!(!allowed(
        &policy,
        &check("iam:DeleteUserPermissionsBoundary", &colleague, &[])
    ));
    let ours_user = format!("arn:aws:iam::{ACCOUNT}:user/csfle-provisioner/app");
    assert!(allowed(
        &policy,
        &check("iam:CreateAccessKey", &ours_user, &[])
    ));
    let legacy = csfle_core::session::admin_policy(true);
    assert!(
        allowed(&legacy, &check("iam:DeleteUser", &colleague, &ours)),
        "a legacy setup"
    );
    assert!(
        !allowed(&legacy, &check("iam:DeleteUser", &colleague, &[])),
        "never untagged"
    );
    assert!(!allowed(
        &legacy,
        &check("iam:PutUserPolicy", &colleague, &ours)
    ));
}

/// What AWS counts as a read, by the action's name (its access level in the Service Authorization
/// Reference), independent of the app's own lists: everything else is a write.
fn aws_read(action: &str) -> bool {
    let name = action.split_once(':').map_or(action, |(_, n)| n);
    ["Get", "List", "Describe", "Simulate"]
        .iter()
        .any(|p| name.starts_with(p))
        || name == "GenerateCredentialReport"
}

fn names(value: &Value) -> Vec<String> {
    strings(value)
}

/// The tag condition a statement carries on `created-by` (request or resource), if any.
fn tag_condition(statement: &Value) -> Option<&str> {
    let equals = statement["Condition"]["StringEquals"].as_object()?;
    ["aws:ResourceTag/created-by", "aws:RequestTag/created-by"]
        .iter()
        .find_map(|k| equals.get(*k))
        .and_then(Value::as_str)
}

/// The policy the CLI prints (and the window shows: the same document with the legacy statement),
/// parsed as an admin would paste it: every IAM write is on the app's path, or only on principals
/// and providers carrying the app's tag, or one of the two removals AWS authorises on a group or
/// an MFA device; no wildcard action, no Not*; every KMS write but the alias half is conditioned
/// on the app's tag; the legacy statement is separate and absent from `--no-legacy`.
#[test]
fn the_printed_admin_policy_has_no_iam_write_on_every_resource() {
    let sandbox = Sandbox::start();
    let printed = |args: &[&str]| -> Value {
        serde_json::from_str(&sandbox.cli(args).assert_ok().stdout).expect("JSON")
    };
    let with_legacy = printed(&["admin-policy"]);
    let without = printed(&["admin-policy", "--no-legacy"]);
    assert_eq!(with_legacy, csfle_core::session::admin_policy(true));
    let app_path = [
        "arn:aws:iam::*:user/csfle-provisioner/*",
        "arn:aws:iam::*:role/csfle-provisioner/*",
        "arn:aws:iam::*:instance-profile/csfle-provisioner/*",
    ];
    let outside = [
        ("iam:RemoveUserFromGroup", "arn:aws:iam::*:group/*"),
        ("iam:DeleteVirtualMFADevice", "arn:aws:iam::*:mfa/*"),
    ];
    let mut iam_writes_seen = 0;
    for (document, legacy) in [(&with_legacy, true), (&without, false)] {
        let statements = document["Statement"].as_array().expect("statements");
        let sids: Vec<&str> = statements
            .iter()
            .map(|s| s["Sid"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(sids.contains(&"LegacySetupsAtRootPath"), legacy, "{sids:?}");
        for statement in statements {
            let sid = statement["Sid"].as_str().unwrap_or_default();
            assert_eq!(statement["Effect"], "Allow", "{sid}");
            for not in ["NotAction", "NotResource", "NotPrincipal"] {
                assert!(statement.get(not).is_none(), "{sid} uses {not}");
            }
            let actions = names(&statement["Action"]);
            let resources = names(&statement["Resource"]);
            assert!(
                actions.iter().all(|a| !a.contains('*')),
                "{sid}: a wildcard action in {actions:?}"
            );
            for action in actions
                .iter()
                .filter(|a| a.starts_with("iam:") && !aws_read(a))
            {
                iam_writes_seen += 1;
                assert!(
                    !resources
                        .iter()
                        .any(|r| r == "*" || r == "arn:aws:iam::*:*"),
                    "{sid}: {action} on every resource"
                );
                for resource in &resources {
                    let on_path = app_path.contains(&resource.as_str());
                    let tagged = tag_condition(statement) == Some("csfle-provisioner");
                    let allowed_outside = outside.contains(&(action.as_str(), resource.as_str()));
                    assert!(
                        on_path || tagged || allowed_outside,
                        "{sid}: {action} on {resource} with neither the app's path nor its tag"
                    );
                    if !on_path && !allowed_outside {
                        // Off the path only in the legacy statement or on OIDC providers.
                        assert!(
                            sid == "LegacySetupsAtRootPath"
                                || resource.starts_with("arn:aws:iam::*:oidc-provider/"),
                            "{sid}: {action} on {resource}"
                        );
                    }
                }
            }
            let kms_writes: Vec<&String> = actions
                .iter()
                .filter(|a| a.starts_with("kms:") && !aws_read(a))
                .filter(|a| {
                    !["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"].contains(&a.as_str())
                })
                .collect();
            let alias_half = resources == ["arn:aws:kms:*:*:alias/*"];
            if !kms_writes.is_empty() && !alias_half {
                assert_eq!(
                    tag_condition(statement),
                    Some("csfle-provisioner"),
                    "{sid}: {kms_writes:?} without the app's tag"
                );
            }
        }
        let legacy_statement = statements
            .iter()
            .find(|s| s["Sid"] == "LegacySetupsAtRootPath");
        if let Some(legacy_statement) = legacy_statement {
            let actions = names(&legacy_statement["Action"]);
            assert!(
                actions.iter().all(|a| !a.starts_with("iam:Put")
                    && (a == "iam:CreateAccessKey" || !a.starts_with("iam:Create"))),
                "the legacy statement makes no principal and writes no policy: {actions:?}"
            );
        }
    }
    assert!(iam_writes_seen > 20, "the IAM writes were looked at");
}
