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

/// After a rotation that waits, whether IAM has seen the new key used since the rotation's own
/// proof: the sign that the application, or the target computer that imported a new sealed
/// file, runs with it, and that the old key can go.
pub(super) fn note_new_key_use(summary: &mut super::setups::SetupSummary) {
    let Some((account_id, _)) = summary.keychain_account.split_once('/') else {
        return;
    };
    let Some(retiring) = crate::lifecycle::copies::waiting(account_id, &summary.name) else {
        return;
    };
    let Some(waiting) = summary.rotation_waiting.as_mut() else {
        return;
    };
    let last_used = summary
        .access_keys
        .iter()
        .find(|k| k.access_key_id == retiring.new_access_key_id)
        .and_then(|k| k.last_used.as_deref());
    waiting.push(' ');
    waiting.push_str(&new_key_use(
        &retiring.new_access_key_id,
        last_used,
        retiring.kept_at,
    ));
}

/// The rotation's own proof used the new key moments before `kept_at`; IAM reports a use to the
/// second or coarser, so a margin keeps the proof from counting as the application's.
const OWN_PROOF_MARGIN_SECONDS: i64 = 60;

fn new_key_use(new_access_key_id: &str, last_used: Option<&str>, kept_at: u64) -> String {
    let key = crate::mask_access_key_id(new_access_key_id);
    let since_rotation = |when: &str| {
        crate::model::findings::parse_time(when).is_some_and(|used| {
            used > i64::try_from(kept_at).unwrap_or(i64::MAX) + OWN_PROOF_MARGIN_SECONDS
        })
    };
    match last_used {
        Some(when) if since_rotation(when) => format!(
            "IAM last saw the new key {key} used at {}, after the rotation: something already \
             runs with it.",
            in_minutes(when)
        ),
        _ => format!(
            "IAM has not seen the new key {key} used since the rotation (only by this app's own \
             check, if at all; IAM can take up to 4 hours to report a use): make sure the \
             application runs with it before you finish."
        ),
    }
}

/// `2026-12-01T18:04:05Z` as `2026-12-01 18:04 UTC`; anything else as it is.
fn in_minutes(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(time)) if rfc3339.ends_with('Z') => format!("{day} {time} UTC"),
        _ => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEPT_AT: u64 = 1_796_148_000; // 2026-12-01T18:00:00Z

    #[test]
    fn only_a_use_after_the_rotations_own_proof_counts() {
        let after = new_key_use(
            "AKIAIOSFODNN7EXAMPLE",
            Some("2026-12-01T18:04:05Z"),
            KEPT_AT,
        );
        assert!(after.contains("used at 2026-12-01 18:04 UTC"), "{after}");
        assert!(
            !after.contains("AKIAIOSFODNN7EXAMPLE"),
            "the id is masked: {after}"
        );
        let proof = new_key_use(
            "AKIAIOSFODNN7EXAMPLE",
            Some("2026-12-01T17:59:58Z"),
            KEPT_AT,
        );
        assert!(proof.contains("has not seen the new key"), "{proof}");
        let never = new_key_use("AKIAIOSFODNN7EXAMPLE", None, KEPT_AT);
        assert!(never.contains("up to 4 hours"), "{never}");
        assert_eq!(in_minutes("yesterday"), "yesterday");
    }
}
