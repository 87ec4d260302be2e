//! Small functions over IAM's API for what a setup makes: one call (or one careful create) each,
//! errors mapped to what an admin can act on.

use crate::aws::careful::{self, Found};
use crate::aws::tags;
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use crate::model::ownership::{made_during_run, unix_now, KnownRun};
use crate::model::principal::{Principal, PrincipalKind};
use crate::secret::Sensitive;

/// IAM's largest page for ListUsers/ListRoles: fewest round trips in a large account.
const NAMES_PAGE: i32 = 1000;

/// Returns the user's ARN. A lost reply or "already exists" is settled by the user's run tag and
/// its creation time: the run's own user is adopted, anybody else's is a conflict.
pub async fn create_user(
    iam: &aws_sdk_iam::Client,
    user: &str,
    run_id: &str,
) -> Result<String, ProvisionError> {
    let sent = careful::Sent::now();
    careful::create(
        || async {
            let reply = iam
                .create_user()
                .user_name(user)
                .path(tags::IAM_PATH)
                .set_tags(Some(tags::iam_tags(run_id)))
                .customize()
                .config_override(careful::iam_no_retry())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:CreateUser", &e))?;
            Ok(reply
                .user()
                .map(|u| u.arn().to_string())
                .unwrap_or_default())
        },
        || async {
            let looked = async {
                let found = iam
                    .get_user()
                    .user_name(user)
                    .send()
                    .await
                    .map_err(|e| AwsFailure::from_sdk("iam:GetUser", &e))?;
                let tagged = iam
                    .list_user_tags()
                    .user_name(user)
                    .send()
                    .await
                    .map_err(|e| AwsFailure::from_sdk("iam:ListUserTags", &e))?;
                let arn = found
                    .user()
                    .map(|u| u.arn().to_string())
                    .unwrap_or_default();
                let ours = found.user().is_some_and(|u| {
                    sent.made_it(
                        tags::iam_made_by_run(tagged.tags(), run_id),
                        u.create_date().secs(),
                    )
                });
                Ok((ours, arn))
            };
            careful::settle(looked.await, || {
                ProvisionError::UserExists(user.to_string())
            })
        },
    )
    .await
}

/// Puts the setup's inline policy on its user or role (IAM's twin calls, one step).
pub async fn put_inline_policy(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
    name: &str,
    document: &str,
) -> Result<String, ProvisionError> {
    careful::through_lag(|| async {
        match principal.kind {
            PrincipalKind::User => iam
                .put_user_policy()
                .user_name(principal.name)
                .policy_name(name)
                .policy_document(document)
                .send()
                .await
                .map(drop)
                .map_err(|e| AwsFailure::from_sdk("iam:PutUserPolicy", &e)),
            PrincipalKind::Role => iam
                .put_role_policy()
                .role_name(principal.name)
                .policy_name(name)
                .policy_document(document)
                .send()
                .await
                .map(drop)
                .map_err(|e| AwsFailure::from_sdk("iam:PutRolePolicy", &e)),
        }
    })
    .await?;
    Ok(format!(
        "Policy {name} allows kms:Encrypt and kms:Decrypt on the key"
    ))
}

/// Puts `role` into the instance profile `name` (EC2 carries roles only through one).
pub async fn add_role_to_instance_profile(
    iam: &aws_sdk_iam::Client,
    name: &str,
    role: &str,
) -> Result<(), ProvisionError> {
    careful::through_lag(|| async {
        iam.add_role_to_instance_profile()
            .instance_profile_name(name)
            .role_name(role)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:AddRoleToInstanceProfile", &e))
    })
    .await?;
    Ok(())
}

/// Returns the access key id and its secret, which moves straight into a [`Sensitive`].
/// `existing` are the user's keys before this call. It is never sent twice blindly: after a lost
/// reply, every key of the user that is not in `existing` (whose secret nobody can have) is
/// deleted first.
pub async fn create_access_key(
    iam: &aws_sdk_iam::Client,
    user: &str,
    existing: &[String],
) -> Result<(String, Sensitive), ProvisionError> {
    careful::create(
        || async {
            let reply = careful::through_lag(|| async {
                iam.create_access_key()
                    .user_name(user)
                    .customize()
                    .config_override(careful::iam_no_retry())
                    .send()
                    .await
                    .map_err(|e| AwsFailure::from_sdk("iam:CreateAccessKey", &e))
            })
            .await?;
            let Some(mut key) = reply.access_key else {
                return Err(AwsFailure {
                    action: "iam:CreateAccessKey",
                    kind: AwsFailureKind::Other,
                    code: None,
                    message: "IAM returned no access key".into(),
                    status: None,
                });
            };
            let secret = Sensitive::new(std::mem::take(&mut key.secret_access_key));
            Ok((std::mem::take(&mut key.access_key_id), secret))
        },
        || async {
            delete_keys_without_secret(iam, user, existing).await?;
            Ok(Found::Nothing)
        },
    )
    .await
}

/// Deletes every access key of `user` that is not in `keep`: after a lost CreateAccessKey reply
/// these are keys whose secret exists nowhere.
pub async fn delete_keys_without_secret(
    iam: &aws_sdk_iam::Client,
    user: &str,
    keep: &[String],
) -> Result<(), ProvisionError> {
    let listed = crate::aws::ownership::access_keys(iam, user).await?;
    for id in listed
        .iter()
        .filter_map(|k| k.access_key_id())
        .filter(|id| !keep.iter().any(|k| k == id))
    {
        iam.delete_access_key()
            .user_name(user)
            .access_key_id(id)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteAccessKey", &e))?;
    }
    Ok(())
}

/// Returns the role's ARN; after a lost reply the role is adopted only if it carries this run's tag.
pub async fn create_role(
    iam: &aws_sdk_iam::Client,
    role: &str,
    trust_policy: &str,
    run_id: &str,
) -> Result<String, ProvisionError> {
    let sent = careful::Sent::now();
    careful::create(
        || async {
            let reply = iam
                .create_role()
                .role_name(role)
                .path(tags::IAM_PATH)
                .assume_role_policy_document(trust_policy)
                .description(
                    "MongoDB CSFLE: kms:Encrypt and kms:Decrypt on one key (csfle-provisioner)",
                )
                .set_tags(Some(tags::iam_tags(run_id)))
                .customize()
                .config_override(careful::iam_no_retry())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:CreateRole", &e))?;
            Ok(reply
                .role()
                .map(|r| r.arn().to_string())
                .unwrap_or_default())
        },
        || async {
            let looked = iam
                .get_role()
                .role_name(role)
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:GetRole", &e))
                .map(|found| {
                    found.role().map_or((false, String::new()), |r| {
                        let tagged = tags::iam_made_by_run(r.tags(), run_id);
                        let ours = sent.made_it(tagged, r.create_date().secs());
                        (ours, r.arn().to_string())
                    })
                });
            careful::settle(looked, || {
                ProvisionError::RoleExists(format!("IAM role {role}"))
            })
        },
    )
    .await
}

/// Returns the instance profile's ARN, adopting this run's own after a lost reply.
pub async fn create_instance_profile(
    iam: &aws_sdk_iam::Client,
    name: &str,
    run_id: &str,
) -> Result<String, ProvisionError> {
    let sent = careful::Sent::now();
    careful::create(
        || async {
            let reply = iam
                .create_instance_profile()
                .instance_profile_name(name)
                .path(tags::IAM_PATH)
                .set_tags(Some(tags::iam_tags(run_id)))
                .customize()
                .config_override(careful::iam_no_retry())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:CreateInstanceProfile", &e))?;
            Ok(reply
                .instance_profile()
                .map(|p| p.arn().to_string())
                .unwrap_or_default())
        },
        || async {
            let looked = iam
                .get_instance_profile()
                .instance_profile_name(name)
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:GetInstanceProfile", &e))
                .map(|found| {
                    found
                        .instance_profile()
                        .map_or((false, String::new()), |p| {
                            let tagged = tags::iam_made_by_run(p.tags(), run_id);
                            let ours = sent.made_it(tagged, p.create_date().secs());
                            (ours, p.arn().to_string())
                        })
                });
            careful::settle(looked, || {
                ProvisionError::RoleExists(format!("instance profile {name}"))
            })
        },
    )
    .await
}

/// The inline policy `name` of a user or role as IAM stores it, decoded (IAM URL-encodes it).
pub async fn inline_policy_document(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
    name: &str,
) -> Result<serde_json::Value, ProvisionError> {
    let encoded = match principal.kind {
        PrincipalKind::User => iam
            .get_user_policy()
            .user_name(principal.name)
            .policy_name(name)
            .send()
            .await
            .map(|r| r.policy_document().to_string())
            .map_err(|e| AwsFailure::from_sdk("iam:GetUserPolicy", &e))?,
        PrincipalKind::Role => iam
            .get_role_policy()
            .role_name(principal.name)
            .policy_name(name)
            .send()
            .await
            .map(|r| r.policy_document().to_string())
            .map_err(|e| AwsFailure::from_sdk("iam:GetRolePolicy", &e))?,
    };
    Ok(crate::aws::policy::decode_document(&encoded).unwrap_or_default())
}

/// A name a new setup needs free in IAM.
#[derive(Debug, Clone, Copy)]
pub enum IamName<'a> {
    User(&'a str),
    Role(&'a str),
    InstanceProfile(&'a str),
}

/// True when IAM already has a user, role or instance profile of that name.
pub async fn name_taken(iam: &aws_sdk_iam::Client, name: IamName<'_>) -> Result<bool, AwsFailure> {
    let answer = match name {
        IamName::User(user) => iam
            .get_user()
            .user_name(user)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:GetUser", &e)),
        IamName::Role(role) => iam
            .get_role()
            .role_name(role)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:GetRole", &e)),
        IamName::InstanceProfile(profile) => iam
            .get_instance_profile()
            .instance_profile_name(profile)
            .send()
            .await
            .map(drop)
            .map_err(|e| AwsFailure::from_sdk("iam:GetInstanceProfile", &e)),
    };
    match answer {
        Ok(()) => Ok(true),
        Err(failure) if failure.kind == AwsFailureKind::NotFound => Ok(false),
        Err(failure) => Err(failure),
    }
}

/// When the access key was last used (RFC 3339), or `None` when it never was.
pub async fn access_key_last_used(
    iam: &aws_sdk_iam::Client,
    id: &str,
) -> Result<Option<String>, AwsFailure> {
    iam.get_access_key_last_used()
        .access_key_id(id)
        .send()
        .await
        .map(|reply| {
            reply
                .access_key_last_used()
                .and_then(|u| u.last_used_date().map(|d| d.to_string()))
        })
        .map_err(|e| AwsFailure::from_sdk("iam:GetAccessKeyLastUsed", &e))
}

/// The names of the user's inline and attached policies, both lists asked at once (the setups
/// view waits for its slowest setup). First page of each: IAM.2 fails on any one.
pub async fn policies_on_user(
    iam: &aws_sdk_iam::Client,
    user: &str,
) -> Result<Vec<String>, AwsFailure> {
    let (inline, attached) = tokio::join!(
        iam.list_user_policies().user_name(user).send(),
        iam.list_attached_user_policies().user_name(user).send()
    );
    let inline = inline.map_err(|e| AwsFailure::from_sdk("iam:ListUserPolicies", &e))?;
    let attached =
        attached.map_err(|e| AwsFailure::from_sdk("iam:ListAttachedUserPolicies", &e))?;
    let mut names: Vec<String> = inline.policy_names().to_vec();
    names.extend(
        attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_string)),
    );
    Ok(names)
}

/// The instance profile `name`, when it exists: (made by `run`: its tag and IAM made it during the
/// run; whether it holds `role`).
pub async fn instance_profile_made_by_run(
    iam: &aws_sdk_iam::Client,
    name: &str,
    role: &str,
    run: &KnownRun,
) -> Result<Option<(bool, bool)>, AwsFailure> {
    let reply = iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:GetInstanceProfile", &e))?;
    Ok(reply.instance_profile().map(|profile| {
        let made = made_during_run(profile.create_date().secs(), run.started_at, unix_now());
        let runs = made && tags::iam_made_by_run(profile.tags(), &run.run_id);
        let holds_role = profile.roles().iter().any(|r| r.role_name() == role);
        (runs, holds_role)
    }))
}

/// True when the instance profile carries this app's tag and sits under its IAM path: teardown
/// deletes only such a profile, and only takes the role out of anyone else's.
pub async fn instance_profile_is_ours(
    iam: &aws_sdk_iam::Client,
    name: &str,
) -> Result<bool, AwsFailure> {
    let reply = iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:GetInstanceProfile", &e))?;
    Ok(reply
        .instance_profile()
        .is_some_and(|p| p.path() == tags::IAM_PATH && tags::iam_is_ours(p.tags())))
}

/// Every user's or role's name, all pages. With `prefix`, those under that IAM path; without, those
/// outside the app's path (and never AWS's own service roles, which cannot be the app's).
pub async fn principal_names(
    iam: &aws_sdk_iam::Client,
    kind: PrincipalKind,
    prefix: Option<&str>,
) -> Result<Vec<String>, AwsFailure> {
    let outside_ours = |path: &str| prefix.is_some() || !path.starts_with(tags::IAM_PATH);
    let mut out = Vec::new();
    match kind {
        PrincipalKind::User => {
            let mut pages = iam
                .list_users()
                .set_path_prefix(prefix.map(str::to_string))
                .max_items(NAMES_PAGE)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| AwsFailure::from_sdk("iam:ListUsers", &e))?;
                out.extend(
                    page.users()
                        .iter()
                        .filter(|u| outside_ours(u.path()))
                        .map(|u| u.user_name().to_string()),
                );
            }
        }
        PrincipalKind::Role => {
            let mut pages = iam
                .list_roles()
                .set_path_prefix(prefix.map(str::to_string))
                .max_items(NAMES_PAGE)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| AwsFailure::from_sdk("iam:ListRoles", &e))?;
                out.extend(
                    page.roles()
                        .iter()
                        .filter(|r| outside_ours(r.path()))
                        .filter(|r| prefix.is_some() || !r.path().starts_with("/aws-service-role/"))
                        .map(|r| r.role_name().to_string()),
                );
            }
        }
    }
    Ok(out)
}
