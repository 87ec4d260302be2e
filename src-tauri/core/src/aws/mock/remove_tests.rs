//! The removals rollback, recovery and teardown use (`aws::iam_remove`, `kms::delete_alias`,
//! `kms::schedule_deletion`): each names its own action, and a delete whose reply was lost is
//! retried by the SDK, so the caller sees the second answer ("not found": already removed).

use super::{answering, Reply};
use crate::aws::{iam_remove, kms, ownership};
use crate::error::aws::{AwsFailure, AwsFailureKind as Kind};
use crate::model::principal::Principal;
use aws_sdk_iam::operation::update_access_key::UpdateAccessKeyOutput;
use aws_sdk_iam::types::StatusType;
use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
use aws_sdk_kms::types::{KeyMetadata, KeyState};
use aws_smithy_mocks::{mock, Rule};

fn denied() -> Reply {
    Reply::iam_error(403, "AccessDenied", "not authorized")
}

/// Every IAM removal refused, so each call shows which action it sent.
fn all_refused() -> Vec<Rule> {
    vec![
        answering(mock!(aws_sdk_iam::Client::delete_access_key), &[denied()]),
        answering(mock!(aws_sdk_iam::Client::update_access_key), &[denied()]),
        answering(mock!(aws_sdk_iam::Client::delete_user_policy), &[denied()]),
        answering(mock!(aws_sdk_iam::Client::delete_role_policy), &[denied()]),
        answering(mock!(aws_sdk_iam::Client::delete_user), &[denied()]),
        answering(mock!(aws_sdk_iam::Client::delete_role), &[denied()]),
        answering(
            mock!(aws_sdk_iam::Client::remove_role_from_instance_profile),
            &[denied()],
        ),
        answering(
            mock!(aws_sdk_iam::Client::delete_instance_profile),
            &[denied()],
        ),
    ]
}

#[tokio::test]
async fn each_removal_names_the_action_it_needs() {
    let rules = all_refused();
    let iam = super::iam(&rules.iter().collect::<Vec<_>>());
    let (user, role) = (Principal::user("app"), Principal::role("app-role"));
    let failures: Vec<AwsFailure> = vec![
        iam_remove::delete_access_key(&iam, "app", "AKIA1")
            .await
            .unwrap_err(),
        iam_remove::deactivate_access_key(&iam, "app", "AKIA1")
            .await
            .unwrap_err(),
        iam_remove::delete_inline_policy(&iam, user, "p")
            .await
            .unwrap_err(),
        iam_remove::delete_inline_policy(&iam, role, "p")
            .await
            .unwrap_err(),
        iam_remove::delete_principal(&iam, user).await.unwrap_err(),
        iam_remove::delete_principal(&iam, role).await.unwrap_err(),
        iam_remove::remove_role_from_instance_profile(&iam, "prof", "app-role")
            .await
            .unwrap_err(),
        iam_remove::delete_instance_profile(&iam, "prof")
            .await
            .unwrap_err(),
    ];
    let actions: Vec<_> = failures.iter().map(|f| f.action).collect();
    assert_eq!(
        actions,
        [
            "iam:DeleteAccessKey",
            "iam:UpdateAccessKey",
            "iam:DeleteUserPolicy",
            "iam:DeleteRolePolicy",
            "iam:DeleteUser",
            "iam:DeleteRole",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:DeleteInstanceProfile",
        ]
    );
    assert!(failures.iter().all(|f| f.kind == Kind::AccessDenied));
    // Each rule answered exactly its own call: a user/role mix-up would show here too.
    assert!(rules.iter().all(|r| r.num_calls() == 1));
}

#[tokio::test]
async fn deactivating_a_key_sends_inactive() {
    let update = mock!(aws_sdk_iam::Client::update_access_key)
        .match_requests(|r| {
            r.status() == Some(&StatusType::Inactive) && r.access_key_id() == Some("AKIA1")
        })
        .then_output(|| UpdateAccessKeyOutput::builder().build());
    let iam = super::iam(&[&update]);
    assert!(iam_remove::deactivate_access_key(&iam, "app", "AKIA1")
        .await
        .is_ok());
    assert_eq!(update.num_calls(), 1);
}

#[tokio::test]
async fn a_principal_with_things_attached_is_a_conflict_to_clear_first() {
    let conflict = Reply::iam_error(
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
    );
    let delete = answering(mock!(aws_sdk_iam::Client::delete_user), &[conflict]);
    let iam = super::iam(&[&delete]);
    let failure = iam_remove::delete_principal(&iam, Principal::user("app"))
        .await
        .unwrap_err();
    assert_eq!(failure.kind, Kind::Conflict);
    assert!(failure.hint().contains("AWS console"), "{}", failure.hint());
    assert!(
        failure.to_string().contains("must delete policies first"),
        "{failure}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lost_delete_reply_is_retried_and_the_caller_hears_not_found() {
    let missing = Reply::iam_error(
        404,
        "NoSuchEntity",
        "The user with name app cannot be found.",
    );
    let delete = answering(
        mock!(aws_sdk_iam::Client::delete_user),
        &[Reply::Reset, missing],
    );
    let iam = super::iam(&[&delete]);
    let failure = iam_remove::delete_principal(&iam, Principal::user("app"))
        .await
        .unwrap_err();
    assert_eq!(
        failure.kind,
        Kind::NotFound,
        "already removed, as the callers count it"
    );
    assert_eq!(delete.num_calls(), 2);

    let missing = Reply::kms_error(400, "NotFoundException", "Alias alias/app is not found.");
    let delete = answering(
        mock!(aws_sdk_kms::Client::delete_alias),
        &[Reply::Reset, missing],
    );
    let client = super::kms(&[&delete]);
    let failure = kms::delete_alias(&client, "alias/app").await.unwrap_err();
    assert_eq!(
        (failure.action, failure.kind),
        ("kms:DeleteAlias", Kind::NotFound)
    );
}

/// ScheduleKeyDeletion whose first reply is lost; KMS answers the SDK's retry for a key that
/// the first request already scheduled.
async fn schedule_after_a_lost_reply(
    state: KeyState,
) -> (Result<Option<String>, AwsFailure>, Rule) {
    let pending = Reply::kms_error(400, "KMSInvalidStateException", "k-1 is pending deletion.");
    let schedule = answering(
        mock!(aws_sdk_kms::Client::schedule_key_deletion)
            .match_requests(|r| r.key_id() == Some("k-1") && r.pending_window_in_days() == Some(7)),
        &[Reply::Reset, pending],
    );
    let described = mock!(aws_sdk_kms::Client::describe_key)
        .match_requests(|r| r.key_id() == Some("k-1"))
        .then_output(move || {
            let metadata = KeyMetadata::builder()
                .key_id("k-1")
                .key_state(state.clone())
                .deletion_date(aws_smithy_types::DateTime::from_secs(1_800_000_000))
                .build();
            DescribeKeyOutput::builder()
                .key_metadata(metadata.expect("key id is set"))
                .build()
        });
    let client = super::kms(&[&schedule, &described]);
    (kms::schedule_deletion(&client, "k-1", 7).await, schedule)
}

#[tokio::test(start_paused = true)]
async fn a_key_already_pending_deletion_counts_as_scheduled() {
    let (result, schedule) = schedule_after_a_lost_reply(KeyState::PendingDeletion).await;
    assert_eq!(schedule.num_calls(), 2, "the SDK retried the lost request");
    let date = result.expect("already scheduled is the goal state");
    assert!(
        date.is_some_and(|d| d.starts_with("2027-01-15")),
        "KMS's own date"
    );
}

#[tokio::test(start_paused = true)]
async fn an_invalid_state_that_is_not_pending_deletion_stays_a_failure() {
    let (result, _) = schedule_after_a_lost_reply(KeyState::Disabled).await;
    let failure = result.unwrap_err();
    assert_eq!(failure.code.as_deref(), Some("KMSInvalidStateException"));
}

#[tokio::test]
async fn a_principals_arn_comes_from_its_own_get_call() {
    let missing = Reply::iam_error(
        404,
        "NoSuchEntity",
        "The role with name app-role cannot be found.",
    );
    let get = answering(mock!(aws_sdk_iam::Client::get_role), &[missing]);
    let iam = super::iam(&[&get]);
    let failure = ownership::principal_arn(&iam, Principal::role("app-role"))
        .await
        .unwrap_err();
    assert_eq!(
        (failure.action, failure.kind),
        ("iam:GetRole", Kind::NotFound)
    );
}
