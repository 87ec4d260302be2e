//! What the session decides itself, without AWS: order of checks, its own errors, the journal
//! note of AWS profiles, and whose switch cancels a run.

use super::profiles::check_account;
use super::provision::validate_role_request;
use super::Session;
use crate::cancel::Cancel;
use crate::error::{ProvisionError, Unconfirmed};
use crate::local::journal::{Journal, Run, RunState};
use crate::local::keychain::OsVault;
use crate::model::principal::PrincipalKind;
use crate::model::{KeyChoice, Quiet};
use crate::setup::role_plan::RoleRequest;
use crate::setup::run_frame::ApplyOptions;
use std::path::PathBuf;
use std::sync::Arc;

/// A session that never reaches a keychain or AWS in these tests, journaling into `dir`.
fn session_in(dir: &std::path::Path) -> Session {
    let options = ApplyOptions {
        journal: Some(Arc::new(Journal::at(dir.join("journal.json")))),
        ..ApplyOptions::default()
    };
    Session::new(Arc::new(OsVault), options)
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "csfle-session-{name}-{}-{}",
        std::process::id(),
        crate::local::journal::now()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(id: &str, state: RunState, account: &str) -> Run {
    Run {
        id: id.into(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        endpoint: None,
        principal_kind: PrincipalKind::User,
        principal_name: "app".into(),
        policy_name: "csfle-kms-app".into(),
        key_arn: None,
        key_alias: None,
        keychain_account: Some(account.into()),
        state,
        started_at: 0,
        created: vec![],
        aws_profiles: vec![],
        new_key_description: None,
        key_profile: None,
    }
}

#[test]
fn a_profile_is_remembered_on_completed_runs_only() {
    let dir = scratch_dir("profiles");
    let session = session_in(&dir);
    let journal = session.journal().unwrap();
    let account = "123456789012/app";
    journal
        .update(|runs| {
            runs.push(run("torn", RunState::TornDown, account));
            runs.push(run("done", RunState::Complete, account));
            runs.push(run("other", RunState::Complete, "123456789012/other"));
        })
        .unwrap();
    session.remember_profile(account, "csfle-app");
    session.remember_profile(account, "csfle-app");
    let profiles: Vec<(String, Vec<String>)> = journal
        .runs()
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.aws_profiles))
        .collect();
    assert_eq!(
        profiles,
        [
            ("torn".to_string(), vec![]),
            ("done".to_string(), vec!["csfle-app".to_string()]),
            ("other".to_string(), vec![]),
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn role_request(role: &str, trust: &str, policy: Option<&str>) -> RoleRequest {
    RoleRequest {
        key: KeyChoice::New {
            alias: "alias/app".into(),
            description: "d".into(),
        },
        role_name: role.into(),
        trust: trust.into(),
        policy_name: policy.map(str::to_string),
        key_profile: None,
    }
}

#[test]
fn a_role_request_is_checked_without_a_connection() {
    assert!(validate_role_request(&role_request("web-app", "ec2", None), "us-east-1").is_ok());
    for (request, label) in [
        (role_request("no/slash", "ec2", None), "IAM role name"),
        (
            role_request("web-app", "somebody", None),
            "Who may assume the role",
        ),
        (role_request("web-app", "ec2", Some("a b")), "Policy name"),
    ] {
        let error = validate_role_request(&request, "us-east-1").unwrap_err();
        assert!(error.to_string().starts_with(label), "{error}");
    }
    let existing = RoleRequest {
        key: KeyChoice::Existing {
            key: "not a key".into(),
        },
        ..role_request("web-app", "lambda", None)
    };
    assert!(validate_role_request(&existing, "us-east-1").is_err());
}

#[test]
fn an_account_id_has_twelve_digits() {
    assert!(check_account(None).is_ok());
    assert!(check_account(Some("123456789012")).is_ok());
    let report = check_account(Some("12345")).unwrap_err();
    assert_eq!(report.code, "invalid-input");
    assert_eq!(
        report.message,
        "AWS account id: must be 12 digits (got \"12345\")"
    );
}

#[tokio::test]
async fn out_of_turn_requests_are_refused_with_their_own_codes() {
    let dir = scratch_dir("turns");
    let session = session_in(&dir);
    let apply = session.apply(&Quiet).await.unwrap_err();
    assert_eq!(apply.code, "not-connected");
    let teardown = session
        .teardown("app".into(), false, (None, None), "ap".into(), None, vec![])
        .await
        .unwrap_err();
    assert_eq!(teardown.code, "not-confirmed");
    assert_eq!(
        teardown.hint,
        "Type app exactly to confirm. Nothing was changed."
    );
    let clean_up = session.clean_up_run("r".into(), &Quiet).await.unwrap_err();
    assert_eq!(clean_up.code, "not-connected");
    let _ = std::fs::remove_dir_all(dir);
}

/// The window's teardown carries what the admin approved: a key deletion names the key ARN shown
/// (never "whichever key the server picks now"), checked before anything is asked of AWS.
#[tokio::test]
async fn a_key_deletion_from_the_window_needs_the_approved_key_arn() {
    let dir = scratch_dir("approved-key");
    let session = session_in(&dir);
    let unnamed = session
        .teardown(
            "app".into(),
            false,
            (Some(7), None),
            "app".into(),
            None,
            vec![],
        )
        .await
        .unwrap_err();
    assert_eq!(unnamed.code, "not-confirmed");
    let free_form = session
        .teardown(
            "app".into(),
            false,
            (Some(7), Some("the app's key".into())),
            "app".into(),
            None,
            vec![],
        )
        .await
        .unwrap_err();
    assert_eq!(free_form.code, "invalid-input", "{}", free_form.message);
    // A well-formed ARN passes the check and the request goes on (here: no connection yet).
    let named = session
        .teardown(
            "app".into(),
            false,
            (
                Some(7),
                Some(
                    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                        .into(),
                ),
            ),
            "app".into(),
            None,
            vec![],
        )
        .await
        .unwrap_err();
    assert_eq!(named.code, "not-connected");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_callers_switch_is_the_one_cancel_flips() {
    let dir = scratch_dir("cancel");
    let session = session_in(&dir);
    let fresh = session
        .cancellable(|cancel| async move { cancel.is_cancelled() })
        .await;
    assert!(!fresh);
    let caller = Cancel::default();
    session.stop_on(caller.clone());
    let seen = session
        .cancellable(|cancel| async {
            session.cancel();
            cancel
        })
        .await;
    assert!(seen.is_cancelled() && caller.is_cancelled());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_not_confirmed_is_one_code_and_a_taken_role_asks_for_another_name() {
    for what in [
        Unconfirmed::TypedName { name: "a".into() },
        Unconfirmed::Teardown { name: "a".into() },
        Unconfirmed::KeyPolicy,
    ] {
        assert_eq!(ProvisionError::NotConfirmed(what).code(), "not-confirmed");
    }
    let taken = ProvisionError::RoleExists("IAM role web-app".into());
    assert_eq!(taken.to_string(), "The IAM role web-app already exists");
    assert!(taken.hint().starts_with("Choose another role name"));
    let left = ProvisionError::CleanupIncomplete {
        principal: "app".into(),
    };
    assert_eq!(left.code(), "cleanup-incomplete");
}
