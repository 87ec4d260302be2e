//! What the setups view takes from a setup's reads for its findings: the policies on a user
//! (IAM.2) and its access keys with their age and last use.

use crate::aws::outside_changes::Extra;
use crate::error::aws::AwsFailure;
use crate::lifecycle::setup_reads::PrincipalReads;
use crate::model::findings::AccessKeyInfo;
use crate::model::principal::PrincipalKind;

/// The names of a user's inline and managed policies, for IAM.2; `None` for a role or a user
/// that does not exist.
pub(super) fn policies_on_user(
    kind: PrincipalKind,
    reads: &PrincipalReads,
) -> Option<Result<Vec<String>, String>> {
    let exists = reads.facts.is_ok();
    (kind == PrincipalKind::User && exists).then(|| {
        let inline = reads.inline.as_ref().map_err(|f| f.to_string())?;
        let managed = reads.managed.as_ref().map_err(|f| f.to_string())?;
        let mut names: Vec<String> = inline.iter().map(|(name, _)| name.clone()).collect();
        names.extend(managed.iter().filter_map(|extra| match extra {
            Extra::ManagedPolicy { name, .. } => Some(name.clone()),
            _ => None,
        }));
        Ok(names)
    })
}

/// The user's access keys with their age and last use; `in_keychain` marks the stored one.
pub(super) fn access_keys(
    read: Result<Vec<(aws_sdk_iam::types::AccessKeyMetadata, Option<String>)>, AwsFailure>,
    in_keychain: Option<&str>,
) -> Vec<AccessKeyInfo> {
    let now = crate::local::journal::now() as i64;
    read.unwrap_or_default()
        .into_iter()
        .map(|(key, last_used)| {
            let id = key.access_key_id().unwrap_or_default().to_string();
            AccessKeyInfo {
                in_keychain: in_keychain == Some(id.as_str()),
                status: key
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                age_days: key
                    .create_date()
                    .and_then(|created| u32::try_from((now - created.secs()) / 86_400).ok()),
                last_used,
                access_key_id: id,
            }
        })
        .collect()
}
