//! The AWS Security Hub controls a CSFLE setup touches, judged from what AWS says now: KMS.3 (key
//! not being deleted), KMS.4 (key rotation), IAM.2 (no policy on a user), IAM.3 (access keys
//! rotated within 90 days), IAM.22 and IAM.8 (no credentials unused for 45 / 90 days).
//!
//! Judging only: pure and testable. Gathering what AWS says is the setups view's ([`crate::lifecycle::setup_reads`]).

use crate::model::principal::PrincipalKind;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde::Serialize;
use ts_rs::TS;

/// IAM.3: an active access key older than this should be rotated.
pub const MAX_KEY_AGE_DAYS: u32 = 90;
/// IAM.22: an active access key unused for this long should be removed.
pub const UNUSED_WARN_DAYS: u32 = 45;
/// IAM.8: the older CIS control, the same check at 90 days.
pub const UNUSED_LIMIT_DAYS: u32 = 90;

const DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum FindingStatus {
    Passed,
    Failed,
    /// AWS did not answer the question (usually a missing read permission); the message says which.
    Unknown,
}

/// What fixes a failed control, as the setups view offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum FindingAction {
    /// kms:EnableKeyRotation on the setup's key.
    EnableRotation,
    /// Replace the access key in the keychain with a new one.
    RotateAccessKey,
    /// Delete an access key nothing uses.
    RemoveUnusedKey,
    /// Only an IAM role setup passes; nothing to click.
    UseRole,
    /// kms:CancelKeyDeletion in the AWS console.
    CancelKeyDeletion,
}

/// One Security Hub control, judged for one setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Finding {
    /// The Security Hub control id, e.g. "KMS.4".
    pub control: String,
    /// The control's title as Security Hub words it.
    pub title: String,
    pub status: FindingStatus,
    /// Plain words: what AWS says, why it matters, and what fixes it.
    pub message: String,
    pub action: Option<FindingAction>,
    /// The access key the action is about, when it is about one.
    pub access_key_id: Option<String>,
}

/// An access key's age and last use in human terms, with the warnings the setups view shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct KeyAge {
    pub access_key_id: String,
    /// "3 days ago", "today".
    pub created: String,
    /// "2 hours ago", "never used".
    pub last_used: String,
    /// Active and older than 90 days (IAM.3).
    pub too_old: bool,
    /// Active and unused (or never used) for 45 days or more (IAM.22).
    pub unused: bool,
}

/// One access key of a setup as IAM lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AccessKeyInfo {
    pub access_key_id: String,
    pub status: String,
    pub age_days: Option<u32>,
    pub last_used: Option<String>,
    pub in_keychain: bool,
}

/// The parts of a setup the controls look at.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub kind: PrincipalKind,
    pub name: &'a str,
    /// KMS's key state ("Enabled", "PendingDeletion", …), "Missing", or `None` when unknown.
    pub key_state: Option<&'a str>,
    pub access_keys: &'a [AccessKeyInfo],
}

/// What AWS said about a setup beyond its summary.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// `Err` holds why it could not be read.
    pub rotation_enabled: Option<Result<bool, String>>,
    /// Names of inline and attached user policies; `Err` when they could not be listed.
    pub user_policies: Option<Result<Vec<String>, String>>,
}

fn finding(
    control: &str,
    status: FindingStatus,
    message: String,
    action: Option<FindingAction>,
) -> Finding {
    Finding {
        control: control.to_string(),
        title: title(control).to_string(),
        status,
        message,
        action,
        access_key_id: None,
    }
}

fn title(control: &str) -> &'static str {
    match control {
        "KMS.3" => "AWS KMS keys should not be deleted unintentionally",
        "KMS.4" => "AWS KMS key rotation should be enabled",
        "IAM.2" => "IAM users should not have IAM policies attached",
        "IAM.3" => "IAM users' access keys should be rotated every 90 days or less",
        "IAM.22" => "IAM user credentials unused for 45 days should be removed",
        "IAM.8" => "Unused IAM user credentials should be removed",
        _ => "",
    }
}

/// The findings for a setup as it is now. Pure: `now` is seconds since the epoch.
pub fn judge(summary: &Subject<'_>, observed: &Observed, now: i64) -> Vec<Finding> {
    let mut findings = vec![kms3(summary.key_state)];
    findings.push(kms4(observed.rotation_enabled.as_ref()));
    match summary.kind {
        PrincipalKind::Role => {
            findings.push(finding(
                "IAM.2",
                FindingStatus::Passed,
                format!(
                    "No IAM user: the kms:Encrypt/kms:Decrypt policy is on the role {}.",
                    summary.name
                ),
                None,
            ));
            for control in ["IAM.3", "IAM.22", "IAM.8"] {
                findings.push(finding(
                    control,
                    FindingStatus::Passed,
                    "A role has no access keys: AWS hands the application temporary credentials that renew themselves.".into(),
                    None,
                ));
            }
        }
        PrincipalKind::User => {
            findings.push(iam2(summary.name, observed.user_policies.as_ref()));
            let active: Vec<&AccessKeyInfo> = summary
                .access_keys
                .iter()
                .filter(|k| k.status == "Active")
                .collect();
            findings.push(iam3(&active));
            findings.push(unused("IAM.22", UNUSED_WARN_DAYS, &active, now));
            findings.push(unused("IAM.8", UNUSED_LIMIT_DAYS, &active, now));
        }
    }
    findings
}

fn kms3(state: Option<&str>) -> Finding {
    match state {
        Some("PendingDeletion") | Some("PendingReplicaDeletion") => finding(
            "KMS.3",
            FindingStatus::Failed,
            "The key is scheduled for deletion. Once KMS deletes it, nothing encrypted under it can ever be decrypted again. If that was not intended, cancel the deletion in the AWS KMS console (kms:CancelKeyDeletion) before the date shown there.".into(),
            Some(FindingAction::CancelKeyDeletion),
        ),
        Some("Missing") => finding(
            "KMS.3",
            FindingStatus::Failed,
            "The key no longer exists (or this identity cannot see it). Data encrypted under it cannot be decrypted.".into(),
            None,
        ),
        Some(_) => finding(
            "KMS.3",
            FindingStatus::Passed,
            "The key is not scheduled for deletion.".into(),
            None,
        ),
        None => finding(
            "KMS.3",
            FindingStatus::Unknown,
            "The setup's key could not be read: its policy and keychain item name none, or it is in another account this computer has no profile for (the setup was made elsewhere).".into(),
            None,
        ),
    }
}

fn kms4(rotation: Option<&Result<bool, String>>) -> Finding {
    match rotation {
        Some(Ok(true)) => finding(
            "KMS.4",
            FindingStatus::Passed,
            "Automatic rotation of the key material is on: AWS makes new material every year and keeps the old, so existing data keys still decrypt and MongoDB needs no change.".into(),
            None,
        ),
        Some(Ok(false)) => finding(
            "KMS.4",
            FindingStatus::Failed,
            "Automatic rotation of the key material is off. Turn it on (kms:EnableKeyRotation): AWS then makes new material every year and keeps the old, so existing data keys still decrypt and nothing changes for MongoDB.".into(),
            Some(FindingAction::EnableRotation),
        ),
        Some(Err(why)) => finding(
            "KMS.4",
            FindingStatus::Unknown,
            format!("The key's rotation status could not be read: {why}. Reading it needs kms:GetKeyRotationStatus."),
            None,
        ),
        None => finding(
            "KMS.4",
            FindingStatus::Unknown,
            "The setup's key is missing or unknown, so its rotation status could not be read.".into(),
            None,
        ),
    }
}

fn iam2(user: &str, policies: Option<&Result<Vec<String>, String>>) -> Finding {
    match policies {
        Some(Ok(names)) if !names.is_empty() => finding(
            "IAM.2",
            FindingStatus::Failed,
            format!(
                "The IAM user {user} has the policy {} on it. This is by design: MongoDB's documented setup gives the application's IAM user an inline kms:Encrypt/kms:Decrypt policy, and IAM.2 counts any policy on a user. An IAM role setup (EC2 instance profile, ECS task role, Lambda) passes this control, because the policy is on the role.",
                names.join(", ")
            ),
            Some(FindingAction::UseRole),
        ),
        Some(Ok(_)) => finding(
            "IAM.2",
            FindingStatus::Passed,
            format!("The IAM user {user} has no policy on it (so it cannot use the key either)."),
            None,
        ),
        Some(Err(why)) => finding(
            "IAM.2",
            FindingStatus::Unknown,
            format!("The user's policies could not be listed: {why}."),
            None,
        ),
        None => finding(
            "IAM.2",
            FindingStatus::Unknown,
            format!("The IAM user {user} was not found in AWS."),
            None,
        ),
    }
}

fn iam3(active: &[&AccessKeyInfo]) -> Finding {
    let old = active
        .iter()
        .find(|k| k.age_days.is_some_and(|d| d > MAX_KEY_AGE_DAYS));
    match old {
        Some(key) => Finding {
            access_key_id: Some(key.access_key_id.clone()),
            ..finding(
                "IAM.3",
                FindingStatus::Failed,
                format!(
                    "The access key {} is {} days old; Security Hub wants access keys rotated within {MAX_KEY_AGE_DAYS} days. Rotate it: a new key is made and proven, replaces the keychain item, and the old key is deleted.",
                    crate::mask_access_key_id(&key.access_key_id),
                    key.age_days.unwrap_or_default()
                ),
                Some(FindingAction::RotateAccessKey),
            )
        },
        None => finding(
            "IAM.3",
            FindingStatus::Passed,
            if active.is_empty() {
                "The user has no active access key.".into()
            } else {
                format!("Every active access key is younger than {MAX_KEY_AGE_DAYS} days.")
            },
            None,
        ),
    }
}

/// Days since the key was last used, or since it was made when it never was.
fn idle_days(key: &AccessKeyInfo, now: i64) -> Option<u32> {
    match key.last_used.as_deref().and_then(parse_time) {
        Some(used) => u32::try_from((now - used).max(0) / DAY).ok(),
        None => key.age_days,
    }
}

fn unused(control: &str, limit: u32, active: &[&AccessKeyInfo], now: i64) -> Finding {
    let idle = active
        .iter()
        .find(|k| idle_days(k, now).is_some_and(|d| d >= limit));
    match idle {
        Some(key) => {
            let days = idle_days(key, now).unwrap_or_default();
            let what = if key.last_used.is_some() {
                format!("was last used {days} days ago")
            } else {
                format!("was never used and is {days} days old")
            };
            let fix = if key.in_keychain {
                "If no application uses this setup any more, tear it down; if one does, check that it reads the AWS profile (each use renews the key's last-used date)."
            } else {
                "It is not the key in the keychain: remove it."
            };
            Finding {
                access_key_id: Some(key.access_key_id.clone()),
                ..finding(
                    control,
                    FindingStatus::Failed,
                    format!(
                        "The access key {} {what}; Security Hub wants credentials unused for {limit} days removed. {fix}",
                        crate::mask_access_key_id(&key.access_key_id)
                    ),
                    Some(FindingAction::RemoveUnusedKey),
                )
            }
        }
        None => finding(
            control,
            FindingStatus::Passed,
            format!("No active access key has gone unused for {limit} days."),
            None,
        ),
    }
}

pub(crate) fn parse_time(text: &str) -> Option<i64> {
    DateTime::from_str(text, Format::DateTime)
        .ok()
        .map(|t| t.secs())
}

/// "just now", "5 minutes ago", "3 hours ago", "yesterday", "12 days ago".
pub fn human_since(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    match seconds {
        s if s < 60 => "just now".into(),
        s if s < 3_600 => plural(s / 60, "minute"),
        s if s < DAY => plural(s / 3_600, "hour"),
        s if s < 2 * DAY => "yesterday".into(),
        s => plural(s / DAY, "day"),
    }
}

pub fn key_age(key: &AccessKeyInfo, now: i64) -> KeyAge {
    let active = key.status == "Active";
    KeyAge {
        access_key_id: key.access_key_id.clone(),
        created: match key.age_days {
            Some(0) => "today".into(),
            Some(days) => human_since(i64::from(days) * DAY),
            None => "unknown".into(),
        },
        last_used: match key.last_used.as_deref().and_then(parse_time) {
            Some(used) => human_since(now - used),
            None if key.last_used.is_some() => "unknown".into(),
            None => "never used".into(),
        },
        too_old: active && key.age_days.is_some_and(|d| d > MAX_KEY_AGE_DAYS),
        unused: active && idle_days(key, now).is_some_and(|d| d >= UNUSED_WARN_DAYS),
    }
}

/// The findings a setup will have the moment it exists, for the review screen; `rotation` is
/// an existing key's rotation status as AWS gave it.
pub fn predict(kind: PrincipalKind, new_key: bool, rotation: Result<bool, String>) -> Vec<Finding> {
    let passed = |control: &str, message: &str| {
        finding(control, FindingStatus::Passed, message.to_string(), None)
    };
    let kms4 = match new_key {
        true => passed("KMS.4", "The setup turns on automatic yearly rotation of the new key's material (kms:EnableKeyRotation). AWS keeps the old material, so MongoDB needs no change."),
        false => kms4(Some(&rotation)),
    };
    let mut findings = vec![
        passed("KMS.3", "The key is not scheduled for deletion; tearing the setup down keeps it unless you ask for its deletion."),
        kms4,
    ];
    match kind {
        PrincipalKind::Role => {
            findings.push(passed(
                "IAM.2",
                "No IAM user: the kms:Encrypt/kms:Decrypt policy goes on the role.",
            ));
            for control in ["IAM.3", "IAM.22", "IAM.8"] {
                findings.push(passed(control, "A role has no access keys: AWS hands the application temporary credentials that renew themselves."));
            }
        }
        PrincipalKind::User => {
            findings.push(finding(
                "IAM.2",
                FindingStatus::Failed,
                "The new IAM user gets an inline kms:Encrypt/kms:Decrypt policy. This is by design: MongoDB's documented setup gives the application's IAM user this policy, and IAM.2 counts any policy on a user. An IAM role setup (EC2 instance profile, ECS task role, Lambda) passes this control, because the policy is on the role.".into(),
                Some(FindingAction::UseRole),
            ));
            findings.push(passed("IAM.3", "The access key is new. Rotate it from the setups view before it is 90 days old; the view warns you."));
            for control in ["IAM.22", "IAM.8"] {
                findings.push(passed(control, "The application's AWS SDK uses the key each time it renews its one-hour session credentials, so an application in use keeps it fresh."));
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(age: u32, last_used_days_ago: Option<i64>, now: i64) -> AccessKeyInfo {
        AccessKeyInfo {
            access_key_id: "AKIAEXAMPLEEXAMPLE01".into(),
            status: "Active".into(),
            age_days: Some(age),
            last_used: last_used_days_ago.map(|d| {
                DateTime::from_secs(now - d * DAY)
                    .fmt(Format::DateTime)
                    .unwrap()
            }),
            in_keychain: true,
        }
    }

    fn user(keys: &[AccessKeyInfo]) -> Subject<'_> {
        Subject {
            kind: PrincipalKind::User,
            name: "app",
            key_state: Some("Enabled"),
            access_keys: keys,
        }
    }

    fn status(findings: &[Finding], control: &str) -> FindingStatus {
        findings
            .iter()
            .find(|f| f.control == control)
            .map(|f| f.status)
            .unwrap()
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_fresh_user_setup_passes_all_but_iam2() {
        let observed = Observed {
            rotation_enabled: Some(Ok(true)),
            user_policies: Some(Ok(vec!["csfle-kms-app".into()])),
        };
        let findings = judge(&user(&[key(0, None, NOW)]), &observed, NOW);
        let controls: Vec<&str> = findings.iter().map(|f| f.control.as_str()).collect();
        assert_eq!(
            controls,
            ["KMS.3", "KMS.4", "IAM.2", "IAM.3", "IAM.22", "IAM.8"]
        );
        for f in &findings {
            let expected = if f.control == "IAM.2" {
                FindingStatus::Failed
            } else {
                FindingStatus::Passed
            };
            assert_eq!(f.status, expected, "{f:?}");
        }
        let iam2 = &findings[2];
        assert!(iam2.message.contains("MongoDB's documented setup"));
        assert!(iam2.message.contains("role"));
    }

    #[test]
    fn age_and_idleness_thresholds() {
        let observed = Observed::default();
        // 91 days old, used yesterday: IAM.3 fails, the unused checks pass.
        let f = judge(&user(&[key(91, Some(1), NOW)]), &observed, NOW);
        assert_eq!(status(&f, "IAM.3"), FindingStatus::Failed);
        assert_eq!(status(&f, "IAM.22"), FindingStatus::Passed);
        // 90 days old is still fine.
        let f = judge(&user(&[key(90, Some(1), NOW)]), &observed, NOW);
        assert_eq!(status(&f, "IAM.3"), FindingStatus::Passed);
        // Never used and 45 days old: IAM.22 fails, IAM.8 not yet.
        let f = judge(&user(&[key(45, None, NOW)]), &observed, NOW);
        assert_eq!(status(&f, "IAM.22"), FindingStatus::Failed);
        assert_eq!(status(&f, "IAM.8"), FindingStatus::Passed);
        // Last used 100 days ago: both unused checks fail.
        let f = judge(&user(&[key(80, Some(100), NOW)]), &observed, NOW);
        assert_eq!(status(&f, "IAM.22"), FindingStatus::Failed);
        assert_eq!(status(&f, "IAM.8"), FindingStatus::Failed);
        // An inactive key is not judged.
        let mut inactive = key(200, None, NOW);
        inactive.status = "Inactive".into();
        let f = judge(&user(&[inactive]), &observed, NOW);
        assert_eq!(status(&f, "IAM.3"), FindingStatus::Passed);
        assert_eq!(status(&f, "IAM.8"), FindingStatus::Passed);
    }

    #[test]
    fn kms_controls_follow_the_key() {
        let mut summary = user(&[]);
        summary.key_state = Some("PendingDeletion");
        let observed = Observed {
            rotation_enabled: Some(Ok(false)),
            user_policies: None,
        };
        let f = judge(&summary, &observed, NOW);
        assert_eq!(status(&f, "KMS.3"), FindingStatus::Failed);
        assert_eq!(status(&f, "KMS.4"), FindingStatus::Failed);
        assert_eq!(f[1].action, Some(FindingAction::EnableRotation));
        let denied = Observed {
            rotation_enabled: Some(Err("kms:GetKeyRotationStatus was denied".into())),
            user_policies: None,
        };
        assert_eq!(
            status(&judge(&summary, &denied, NOW), "KMS.4"),
            FindingStatus::Unknown
        );
    }

    #[test]
    fn a_role_passes_the_iam_controls() {
        let summary = Subject {
            kind: PrincipalKind::Role,
            ..user(&[])
        };
        let f = judge(&summary, &Observed::default(), NOW);
        for control in ["IAM.2", "IAM.3", "IAM.22", "IAM.8"] {
            assert_eq!(status(&f, control), FindingStatus::Passed, "{control}");
        }
    }

    #[test]
    fn review_predicts_iam2_for_users_and_rotation_for_new_keys() {
        let f = predict(PrincipalKind::User, true, Ok(true));
        let controls: Vec<&str> = f.iter().map(|f| f.control.as_str()).collect();
        assert_eq!(
            controls,
            ["KMS.3", "KMS.4", "IAM.2", "IAM.3", "IAM.22", "IAM.8"]
        );
        assert!(f[2].message.contains("MongoDB's documented setup"));
        assert_eq!(status(&f, "KMS.4"), FindingStatus::Passed);
        assert_eq!(status(&f, "IAM.2"), FindingStatus::Failed);
        assert_eq!(status(&f, "IAM.3"), FindingStatus::Passed);
        let f = predict(PrincipalKind::Role, false, Ok(false));
        assert_eq!(status(&f, "KMS.4"), FindingStatus::Failed);
        assert_eq!(status(&f, "IAM.2"), FindingStatus::Passed);
    }

    #[test]
    fn ages_read_like_people_talk() {
        assert_eq!(human_since(5), "just now");
        assert_eq!(human_since(60), "1 minute ago");
        assert_eq!(human_since(7_200), "2 hours ago");
        assert_eq!(human_since(DAY + 5), "yesterday");
        assert_eq!(human_since(3 * DAY), "3 days ago");
        let age = key_age(&key(3, None, NOW), NOW);
        assert_eq!(age.created, "3 days ago");
        assert_eq!(age.last_used, "never used");
        assert!(!age.too_old && !age.unused);
        let age = key_age(&key(120, Some(50), NOW), NOW);
        assert_eq!(age.last_used, "50 days ago");
        assert!(age.too_old && age.unused);
    }
}
