//! What proves that this app made a user, role or key, from facts an insider cannot forge
//! cheaply. A tag alone proves nothing: anyone allowed `iam:TagUser` or `kms:TagResource` can
//! write ours on a colleague's resource. IAM's `CreateDate` and KMS's `CreationDate` cannot be
//! changed by anyone, and the app's own inline policy takes IAM write rights to forge.

use serde::Serialize;
use ts_rs::TS;

/// Unix seconds (2026-11-28T12:00:00Z) after which every version of this app made its users and
/// roles under its own IAM path (commit b257c60). A principal at any other path made after this
/// was not made by this app.
pub const IAM_PATH_SINCE: i64 = 1_795_867_200;

/// How far apart a setup's key and its user or role may have been made: the app creates both
/// at once, so minutes cover retries through IAM's lag, and a key made long before the setup
/// (someone else's) never fits.
pub const SAME_RUN_WINDOW_SECONDS: i64 = 15 * 60;

/// How much earlier than the app's own clock a resource may say it was made and still count
/// as made by the call the app just sent (clocks of laptops drift).
pub const CLOCK_SKEW_SECONDS: i64 = 5 * 60;

/// The app's clock, unix seconds: when a call was sent, compared with AWS's creation times.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whether the app may change or delete a setup's principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Ownership {
    /// Tags, the app's own inline policy and the IAM path (or an age from before the path) all
    /// agree: the app made it, even if other admins added things since.
    Proven,
    /// Not made by this app, or changed so that it cannot be told: shown, never changed.
    Unproven,
}

/// What IAM says about a principal, reduced to what the proof needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalEvidence {
    pub tagged_by_app: bool,
    pub under_app_path: bool,
    /// IAM's `CreateDate`, unix seconds.
    pub created_at: i64,
    /// An inline policy granting exactly kms:Encrypt and kms:Decrypt on one key, with the name
    /// the app gave it when that is known.
    pub has_app_policy: bool,
}

/// The proof, or in words why there is none.
pub fn judge_principal(evidence: &PrincipalEvidence) -> Result<(), String> {
    if !evidence.tagged_by_app {
        return Err("it does not carry this app's tags".into());
    }
    if !evidence.has_app_policy {
        return Err(
            "it has no inline policy of this app (exactly kms:Encrypt and kms:Decrypt on \
                    one key)"
                .into(),
        );
    }
    if !evidence.under_app_path && evidence.created_at >= IAM_PATH_SINCE {
        return Err(
            "it is not under this app's IAM path, and was made after this app began \
                    putting every user and role there"
                .into(),
        );
    }
    Ok(())
}

/// A run this computer's journal records for a principal: its id (the run tag) and when it began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownRun {
    pub run_id: String,
    /// The app's clock, unix seconds.
    pub started_at: i64,
}

/// True when the principal carries the run tag of a run the journal knows for it and IAM made
/// it while that run was making it: how a setup whose own policy is already gone (a teardown cut
/// short) is still known as this app's. A tag copied onto someone else's principal fails the
/// time, which nobody can change.
pub fn made_by_known_run(run_tag: Option<&str>, created_at: i64, runs: &[KnownRun]) -> bool {
    runs.iter().any(|run| {
        run_tag == Some(run.run_id.as_str())
            && made_during_run(
                created_at,
                run.started_at,
                run.started_at + SAME_RUN_WINDOW_SECONDS,
            )
    })
}

/// The sentence shown for a setup the app will not touch.
pub fn unproven_message(what: &str, reason: &str) -> String {
    format!(
        "{what} was not made by this app, or was changed so that it cannot be told ({reason}). \
         It is shown, never changed or deleted."
    )
}

/// True when a key made at `key_created_at` belongs to the run that made the principal at
/// `principal_created_at` (both AWS's own clocks).
pub fn key_made_in_same_run(key_created_at: i64, principal_created_at: i64) -> bool {
    (principal_created_at - key_created_at).abs() <= SAME_RUN_WINDOW_SECONDS
}

/// True when a key made at `key_created_at` is the master key the run made for the principal
/// made at `principal_created_at`: every run makes the key first, so the key is at most a few
/// minutes younger (AWS's clocks, one service against another) and at most the run's window older.
/// A key someone made after the setup existed is not the setup's, whatever its tags say.
pub fn key_made_for_principal(key_created_at: i64, principal_created_at: i64) -> bool {
    let age_at_principal = principal_created_at - key_created_at;
    (-CLOCK_SKEW_SECONDS..=SAME_RUN_WINDOW_SECONDS).contains(&age_at_principal)
}

/// True when a resource AWS says was made at `created_at` can be the result of a call this app
/// sent at `call_started_at` (its own clock): not made before the call, allowing for skew.
pub fn made_by_call(created_at: i64, call_started_at: i64) -> bool {
    created_at >= call_started_at - CLOCK_SKEW_SECONDS
}

/// True when a resource made at `created_at` fits a run the journal says began at `run_started_at`
/// (the app's clock) and ended by `run_ended_by` (the app's clock, or now for a run cut short).
pub fn made_during_run(created_at: i64, run_started_at: i64, run_ended_by: i64) -> bool {
    made_by_call(created_at, run_started_at) && created_at <= run_ended_by + CLOCK_SKEW_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence() -> PrincipalEvidence {
        PrincipalEvidence {
            tagged_by_app: true,
            under_app_path: true,
            created_at: IAM_PATH_SINCE + 86_400,
            has_app_policy: true,
        }
    }

    #[test]
    fn every_fact_must_agree() {
        assert_eq!(judge_principal(&evidence()), Ok(()));
        let untagged = PrincipalEvidence {
            tagged_by_app: false,
            ..evidence()
        };
        assert!(judge_principal(&untagged).unwrap_err().contains("tags"));
        let no_policy = PrincipalEvidence {
            has_app_policy: false,
            ..evidence()
        };
        assert!(judge_principal(&no_policy)
            .unwrap_err()
            .contains("inline policy"));
    }

    #[test]
    fn a_principal_outside_the_path_counts_only_when_older_than_the_path() {
        let recent = PrincipalEvidence {
            under_app_path: false,
            ..evidence()
        };
        assert!(judge_principal(&recent).unwrap_err().contains("IAM path"));
        let legacy = PrincipalEvidence {
            under_app_path: false,
            created_at: IAM_PATH_SINCE - 1,
            ..evidence()
        };
        assert_eq!(judge_principal(&legacy), Ok(()));
    }

    #[test]
    fn a_key_from_long_before_the_setup_is_not_the_setups() {
        let user = IAM_PATH_SINCE + 10_000;
        assert!(key_made_in_same_run(user - 3, user));
        assert!(key_made_in_same_run(user + 2, user));
        assert!(!key_made_in_same_run(
            user - SAME_RUN_WINDOW_SECONDS - 1,
            user
        ));
        assert!(!key_made_in_same_run(user - 86_400 * 400, user));
        assert!(key_made_for_principal(user - 3, user));
        assert!(key_made_for_principal(user + 2, user), "AWS's clocks");
        assert!(!key_made_for_principal(
            user - SAME_RUN_WINDOW_SECONDS - 1,
            user
        ));
        assert!(
            !key_made_for_principal(user + 10 * 60, user),
            "made after the setup's user: not the key the run made first"
        );
    }

    #[test]
    fn a_resource_older_than_the_call_was_not_made_by_it() {
        let call = 2_000_000_000;
        assert!(made_by_call(call + 1, call));
        assert!(made_by_call(call - 60, call));
        assert!(!made_by_call(call - CLOCK_SKEW_SECONDS - 1, call));
        assert!(made_during_run(call + 30, call, call + 60));
        assert!(!made_during_run(call + 86_400, call, call + 60));
    }

    #[test]
    fn a_known_run_proves_only_its_own_principal_made_during_it() {
        let runs = [KnownRun {
            run_id: "a1b2".into(),
            started_at: 2_000_000_000,
        }];
        assert!(made_by_known_run(Some("a1b2"), 2_000_000_004, &runs));
        assert!(!made_by_known_run(Some("other"), 2_000_000_004, &runs));
        assert!(!made_by_known_run(None, 2_000_000_004, &runs));
        // The run's tag copied onto a principal made a year earlier.
        assert!(!made_by_known_run(
            Some("a1b2"),
            2_000_000_000 - 31_536_000,
            &runs
        ));
    }
}
