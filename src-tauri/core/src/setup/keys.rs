//! The key picker's data: every customer-managed key in the region (every page of `ListKeys` and
//! `ListAliases`, aliases first), described only when the picker shows or the admin types it.
//! Listing costs two or three round trips for an account of 2,000 keys; describing 2,000 would be
//! 2,000 calls before the admin sees anything.

use crate::aws::connect::Connection;
use crate::error::aws::AwsFailureKind;
use crate::error::ProvisionError;
use crate::setup::plan::unsuitability;
use crate::validate;
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use ts_rs::TS;

/// `DescribeKey` calls in flight at once: quick for a screenful, gentle on KMS's request quota.
const CONCURRENT_DESCRIBES: usize = 10;
/// KMS's largest pages.
const KEYS_PAGE: i32 = 1000;
const ALIASES_PAGE: i32 = 100;
/// Aliases KMS reserves for keys AWS manages (`alias/aws/s3`, …): never a CSFLE master key.
const AWS_MANAGED_ALIAS: &str = "alias/aws/";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct KeySummary {
    pub key_id: String,
    pub arn: String,
    pub aliases: Vec<String>,
    /// Empty until described.
    pub description: String,
    /// Empty until described.
    pub state: String,
    /// Whether `DescribeKey` was asked; `usable` and `reason` mean something only then.
    pub described: bool,
    pub usable: bool,
    pub reason: Option<String>,
}

impl KeySummary {
    fn listed(key_id: String, arn: String, aliases: Vec<String>) -> KeySummary {
        KeySummary {
            key_id,
            arn,
            aliases,
            description: String::new(),
            state: String::new(),
            described: false,
            usable: false,
            reason: None,
        }
    }
}

/// Every key of the region that could be a customer-managed key, not yet described: keys with an
/// alias first (by alias), then the rest by id.
pub async fn customer_keys(connection: &Connection) -> Result<Vec<KeySummary>, ProvisionError> {
    let mut all = Vec::new();
    stream_keys(connection, |page| all.extend(page)).await?;
    Ok(all)
}

/// The same listing, handed over page by page as AWS returns it, so the picker can paint the first
/// aliases while the rest of a big account is still being listed: each `ListAliases` page (its
/// keys, by alias), then the keys without an alias. Returns how many keys were handed over.
pub async fn stream_keys(
    connection: &Connection,
    mut emit: impl FnMut(Vec<KeySummary>),
) -> Result<usize, ProvisionError> {
    let kms = connection.kms();
    let arn_of = |id: &str| {
        format!(
            "arn:{}:kms:{}:{}:key/{id}",
            connection.partition(),
            connection.region(),
            connection.account_id()
        )
    };
    // Every key id is needed only at the end (for keys without an alias): listed meanwhile.
    let list_keys = async {
        crate::aws::kms::all_keys(&kms, KEYS_PAGE)
            .await
            .map_err(ProvisionError::from)
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut sent = 0;
    let list_aliases = async {
        crate::aws::kms::alias_pages(&kms, ALIASES_PAGE, |page| {
            let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
            for (name, target) in page {
                by_key.entry(target).or_default().push(name);
            }
            let keys: Vec<(String, String)> = by_key
                .keys()
                .filter(|id| seen.insert((*id).clone()))
                .map(|id| (id.clone(), arn_of(id)))
                .collect();
            let listed = arrange(keys, &mut by_key);
            sent += listed.len();
            emit(listed);
        })
        .await
        .map_err(ProvisionError::from)
    };
    let (keys, ()) = futures_util::future::try_join(list_keys, list_aliases).await?;
    let rest: Vec<(String, String)> = keys
        .into_iter()
        .filter(|(id, _)| !seen.contains(id))
        .collect();
    let rest = arrange(rest, &mut HashMap::new());
    sent += rest.len();
    emit(rest);
    Ok(sent)
}

fn arrange(
    keys: Vec<(String, String)>,
    aliases: &mut HashMap<String, Vec<String>>,
) -> Vec<KeySummary> {
    let mut out: Vec<KeySummary> = keys
        .into_iter()
        .filter_map(|(id, arn)| {
            let mut names = aliases.remove(&id).unwrap_or_default();
            // Keys AWS manages always carry one of its reserved aliases.
            if names.iter().any(|n| n.starts_with(AWS_MANAGED_ALIAS)) {
                return None;
            }
            names.sort();
            Some(KeySummary::listed(id, arn, names))
        })
        .collect();
    out.sort_by(|a, b| {
        (a.aliases.is_empty(), a.aliases.first(), &a.key_id).cmp(&(
            b.aliases.is_empty(),
            b.aliases.first(),
            &b.key_id,
        ))
    });
    out
}

/// Describes the keys the picker shows, or one the admin typed (key id, key ARN or alias). Every
/// entry answers: a key that cannot be described comes back unusable, with the reason in words.
pub async fn describe_keys(connection: &Connection, refs: Vec<String>) -> Vec<KeySummary> {
    let kms = connection.kms();
    let region = connection.region().to_string();
    futures_util::stream::iter(refs.into_iter().map(|typed| {
        let kms = kms.clone();
        let region = region.clone();
        async move { describe_one(&kms, &region, typed).await }
    }))
    .buffered(CONCURRENT_DESCRIBES)
    .collect()
    .await
}

async fn describe_one(kms: &aws_sdk_kms::Client, region: &str, typed: String) -> KeySummary {
    let typed = typed.trim().to_string();
    let aliases: Vec<String> = if typed.starts_with("alias/") {
        vec![typed.clone()]
    } else {
        vec![]
    };
    let refused = |reason: String| KeySummary {
        described: true,
        reason: Some(reason),
        ..KeySummary::listed(typed.clone(), String::new(), aliases.clone())
    };
    let key = match validate::existing_key(&typed, region) {
        Ok(key) => key,
        Err(error) => return refused(error.rule),
    };
    let described = match crate::aws::kms::describe_key(kms, &key.as_kms_key_id()).await {
        Ok(Some(metadata)) => metadata,
        Ok(None) => return refused(format!("KMS has no key or alias by this name in {region}")),
        Err(failure) => {
            return refused(match failure.kind {
                AwsFailureKind::AccessDenied => "you may not describe it (kms:DescribeKey is denied), so the app cannot check that it is an enabled symmetric encryption key; ask its owner to allow kms:DescribeKey for you".into(),
                _ => format!("KMS could not describe it: {failure}"),
            });
        }
    };
    let m = &described;
    let reason = unsuitability(m.key_state(), m.key_spec(), m.key_usage(), m.key_manager());
    KeySummary {
        key_id: m.key_id().to_string(),
        arn: m.arn().unwrap_or_default().to_string(),
        aliases,
        description: m.description().unwrap_or_default().to_string(),
        state: m
            .key_state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        described: true,
        usable: reason.is_none(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliased_keys_come_first_and_aws_managed_keys_are_left_out() {
        let keys = vec![
            ("b".to_string(), "arn:b".to_string()),
            ("a".to_string(), "arn:a".to_string()),
            ("managed".to_string(), "arn:m".to_string()),
            ("c".to_string(), "arn:c".to_string()),
        ];
        let mut aliases = HashMap::from([
            (
                "c".to_string(),
                vec!["alias/zeta".to_string(), "alias/alpha".to_string()],
            ),
            ("managed".to_string(), vec!["alias/aws/s3".to_string()]),
        ]);
        let arranged = arrange(keys, &mut aliases);
        let ids: Vec<_> = arranged.iter().map(|k| k.key_id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "b"]);
        assert_eq!(arranged[0].aliases, ["alias/alpha", "alias/zeta"]);
        assert!(arranged.iter().all(|k| !k.described && !k.usable));
    }
}
