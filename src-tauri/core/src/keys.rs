//! The account's customer-managed keys in the region, for the key picker, each with whether it
//! can serve as a CSFLE master key and why not.

use crate::aws_error::AwsFailure;
use crate::connect::Connection;
use crate::error::ProvisionError;
use crate::plan::unsuitability;
use aws_sdk_kms::types::KeyManagerType;
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::HashMap;
use ts_rs::TS;

/// At most this many keys are described; an account with more can still type a key ARN.
const MAX_KEYS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct KeySummary {
    pub key_id: String,
    pub arn: String,
    pub aliases: Vec<String>,
    pub description: String,
    pub state: String,
    pub usable: bool,
    pub reason: Option<String>,
}

pub async fn customer_keys(connection: &Connection) -> Result<Vec<KeySummary>, ProvisionError> {
    let kms = connection.kms();
    let mut ids = Vec::new();
    let mut pages = kms.list_keys().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsFailure::from_sdk("kms:ListKeys", &e))?;
        ids.extend(
            page.keys()
                .iter()
                .filter_map(|k| k.key_id().map(str::to_string)),
        );
        if ids.len() >= MAX_KEYS {
            ids.truncate(MAX_KEYS);
            break;
        }
    }
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    let mut pages = kms.list_aliases().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsFailure::from_sdk("kms:ListAliases", &e))?;
        for alias in page.aliases() {
            if let (Some(name), Some(target)) = (alias.alias_name(), alias.target_key_id()) {
                aliases
                    .entry(target.to_string())
                    .or_default()
                    .push(name.to_string());
            }
        }
    }
    // Ten at a time: quick for typical accounts, gentle on KMS's request quota.
    let described: Vec<_> = futures_util::stream::iter(ids.into_iter().map(|id| {
        let kms = kms.clone();
        async move { kms.describe_key().key_id(id).send().await }
    }))
    .buffered(10)
    .collect()
    .await;
    let mut keys = Vec::new();
    for result in described {
        let reply = result.map_err(|e| AwsFailure::from_sdk("kms:DescribeKey", &e))?;
        let Some(m) = reply.key_metadata() else {
            continue;
        };
        if m.key_manager() == Some(&KeyManagerType::Aws) {
            continue;
        }
        let reason = unsuitability(m.key_state(), m.key_spec(), m.key_usage(), m.key_manager());
        let mut names = aliases.remove(m.key_id()).unwrap_or_default();
        names.sort();
        keys.push(KeySummary {
            key_id: m.key_id().to_string(),
            arn: m.arn().unwrap_or_default().to_string(),
            aliases: names,
            description: m.description().unwrap_or_default().to_string(),
            state: m
                .key_state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            usable: reason.is_none(),
            reason,
        });
    }
    // Usable keys first, then by name, so the admin sees what can be picked at the top.
    keys.sort_by(|a, b| {
        (!a.usable, a.aliases.first(), &a.key_id).cmp(&(!b.usable, b.aliases.first(), &b.key_id))
    });
    Ok(keys)
}
