//! What IAM and KMS answer for a whole account in a few calls, so the setups view asks per setup
//! only what AWS has no bulk answer for: `GetAccountAuthorizationDetails` gives every user and role
//! with its tags, path, creation time, boundary, inline policies (with their documents), managed
//! policies and groups, page by page; `ListServiceSpecificCredentials` with `AllUsers` gives every
//! user's service credentials; `ListAliases` without a key gives a region's aliases. All three are
//! read now, like the per-setup calls they replace.

use crate::aws::outside_changes::Extra;
use crate::aws::ownership::PrincipalFacts;
use crate::error::aws::AwsFailure;
use aws_sdk_iam::types::{AttachedPolicy, EntityType, PolicyDetail};
use std::collections::HashMap;

/// IAM's largest page for `GetAccountAuthorizationDetails`.
const DETAILS_PAGE: i32 = 1000;
/// Alias pages read at once for a region (100 aliases each) before asking per key instead: an
/// account with thousands of aliases costs more round trips listed than asked key by key.
const ALIAS_PAGES: usize = 2;
/// Setups whose per-setup IAM reads one more page of the account's details is worth: a page holds
/// up to 1,000 users and roles, and replaces five calls per setup.
const SETUPS_PER_PAGE: usize = 25;

/// One user or role as `GetAccountAuthorizationDetails` gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub facts: PrincipalFacts,
    /// Inline policies with their documents (`Err` for one that does not decode).
    pub inline: Vec<(String, Result<serde_json::Value, String>)>,
    pub managed: Vec<Extra>,
    /// A user's groups (always empty for a role).
    pub groups: Vec<Extra>,
}

/// Every user and role of the account, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    pub users: HashMap<String, Detail>,
    pub roles: HashMap<String, Detail>,
}

fn seconds(date: Option<&aws_smithy_types::DateTime>) -> i64 {
    date.map_or(0, |d| d.secs())
}

fn boundary(b: Option<&aws_sdk_iam::types::AttachedPermissionsBoundary>) -> Option<String> {
    b.and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string)
}

fn inline(policies: &[PolicyDetail]) -> Vec<(String, Result<serde_json::Value, String>)> {
    policies
        .iter()
        .map(|p| {
            let document = p
                .policy_document()
                .and_then(crate::aws::policy::decode_document)
                .ok_or_else(|| "IAM's copy of the document could not be read".to_string());
            (p.policy_name().unwrap_or_default().to_string(), document)
        })
        .collect()
}

fn managed(policies: &[AttachedPolicy]) -> Vec<Extra> {
    policies
        .iter()
        .map(|p| Extra::ManagedPolicy {
            arn: p.policy_arn().unwrap_or_default().to_string(),
            name: p.policy_name().unwrap_or_default().to_string(),
        })
        .collect()
}

/// The number of users and roles in the account (`GetAccountSummary`), to tell whether reading all
/// of them pays for `ours` setups.
pub async fn principal_count(iam: &aws_sdk_iam::Client) -> Result<usize, AwsFailure> {
    let reply = iam
        .get_account_summary()
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:GetAccountSummary", &e))?;
    let map = reply.summary_map();
    let count = |key: aws_sdk_iam::types::SummaryKeyType| {
        map.and_then(|m| m.get(&key)).copied().unwrap_or_default()
    };
    let total = count(aws_sdk_iam::types::SummaryKeyType::Users)
        + count(aws_sdk_iam::types::SummaryKeyType::Roles);
    Ok(usize::try_from(total).unwrap_or(usize::MAX))
}

/// Whether reading every user and role of an account of `principals` pays for `ours` setups: one
/// page always does; each page more must save the reads of [`SETUPS_PER_PAGE`] setups. So the cost
/// of the setups view never grows with the rest of a big account (issue 11).
pub fn details_pay(principals: usize, ours: usize) -> bool {
    let pages = principals.div_ceil(DETAILS_PAGE as usize).max(1);
    pages <= 1 + ours / SETUPS_PER_PAGE
}

/// Every user and role (all pages). Groups and managed policies are left out: the view needs a
/// user's group names only, which come with the user.
pub async fn details(iam: &aws_sdk_iam::Client) -> Result<Details, AwsFailure> {
    let mut found = Details::default();
    let mut pages = iam
        .get_account_authorization_details()
        .filter(EntityType::User)
        .filter(EntityType::Role)
        .max_items(DETAILS_PAGE)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsFailure::from_sdk("iam:GetAccountAuthorizationDetails", &e))?;
        for user in page.user_detail_list() {
            let name = user.user_name().unwrap_or_default().to_string();
            let detail = Detail {
                facts: PrincipalFacts {
                    arn: user.arn().unwrap_or_default().to_string(),
                    path: user.path().unwrap_or_default().to_string(),
                    created_at: seconds(user.create_date()),
                    tags: user.tags().to_vec(),
                    boundary: boundary(user.permissions_boundary()),
                    trust: None,
                },
                inline: inline(user.user_policy_list()),
                managed: managed(user.attached_managed_policies()),
                groups: user
                    .group_list()
                    .iter()
                    .cloned()
                    .map(Extra::Group)
                    .collect(),
            };
            found.users.insert(name, detail);
        }
        for role in page.role_detail_list() {
            let name = role.role_name().unwrap_or_default().to_string();
            let detail = Detail {
                facts: PrincipalFacts {
                    arn: role.arn().unwrap_or_default().to_string(),
                    path: role.path().unwrap_or_default().to_string(),
                    created_at: seconds(role.create_date()),
                    tags: role.tags().to_vec(),
                    boundary: boundary(role.permissions_boundary()),
                    trust: role
                        .assume_role_policy_document()
                        .and_then(crate::aws::policy::decode_document),
                },
                inline: inline(role.role_policy_list()),
                managed: managed(role.attached_managed_policies()),
                groups: vec![],
            };
            found.roles.insert(name, detail);
        }
    }
    Ok(found)
}

/// Every user's service-specific credentials (all pages), by user name.
pub async fn service_credentials(
    iam: &aws_sdk_iam::Client,
) -> Result<HashMap<String, Vec<Extra>>, AwsFailure> {
    let mut found: HashMap<String, Vec<Extra>> = HashMap::new();
    let mut marker: Option<String> = None;
    loop {
        let reply = iam
            .list_service_specific_credentials()
            .all_users(true)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("iam:ListServiceSpecificCredentials", &e))?;
        for credential in reply.service_specific_credentials() {
            found
                .entry(credential.user_name().to_string())
                .or_default()
                .push(Extra::ServiceCredential(
                    credential.service_specific_credential_id().to_string(),
                ));
        }
        match reply.marker().filter(|_| reply.is_truncated()) {
            Some(next) if marker.as_deref() != Some(next) => marker = Some(next.to_string()),
            _ => return Ok(found),
        }
    }
}

/// The aliases of every key in `kms`'s region, by key id; `None` when the region has more than
/// [`ALIAS_PAGES`] pages of them (each key is then asked on its own).
pub async fn aliases(
    kms: &aws_sdk_kms::Client,
) -> Result<Option<HashMap<String, Vec<String>>>, AwsFailure> {
    let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
    let mut pages = kms.list_aliases().limit(100).into_paginator().send();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        if read == ALIAS_PAGES {
            return Ok(None);
        }
        read += 1;
        let page = page.map_err(|e| AwsFailure::from_sdk("kms:ListAliases", &e))?;
        for alias in page.aliases() {
            if let (Some(key), Some(name)) = (alias.target_key_id(), alias.alias_name()) {
                by_key
                    .entry(key.to_string())
                    .or_default()
                    .push(name.to_string());
            }
        }
    }
    Ok(Some(by_key))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_details_are_read_only_where_they_pay() {
        use super::details_pay;
        assert!(details_pay(120, 100), "one page: always");
        assert!(details_pay(1000, 1));
        assert!(
            !details_pay(3004, 4),
            "four pages for four setups: asked one by one"
        );
        assert!(details_pay(3100, 100), "four pages for a hundred setups");
    }
}
