//! `careful::create` and `careful::through_lag` around real SDK calls: a create whose reply is
//! lost is settled by looking, never by sending blindly again, and only the run's own resource
//! is adopted. Through `aws::iam`'s CreateUser and PutUserPolicy as the setup sends them.
//!
//! Paused time everywhere: careful's pauses between attempts pass instantly, and how long the
//! clock moved is itself checked against careful's bound.

use super::{answering, Reply, ACCOUNT};
use crate::aws::{careful, iam, tags};
use crate::error::ProvisionError;
use crate::model::principal::Principal;
use aws_sdk_iam::operation::create_user::CreateUserOutput;
use aws_sdk_iam::operation::get_user::GetUserOutput;
use aws_sdk_iam::operation::list_user_tags::ListUserTagsOutput;
use aws_sdk_iam::operation::put_user_policy::PutUserPolicyOutput;
use aws_sdk_iam::types::User;
use aws_smithy_mocks::{mock, Rule};
use tokio::time::Instant;

const RUN: &str = "run-1";
const USER: &str = "app";

fn user_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/csfle-provisioner/{USER}")
}

fn user() -> User {
    User::builder()
        .path(tags::IAM_PATH)
        .user_name(USER)
        .user_id("AIDAMOCKUSER")
        .arn(user_arn())
        .create_date(aws_smithy_types::DateTime::from_secs(
            crate::model::ownership::unix_now(),
        ))
        .build()
        .expect("every required field is set")
}

fn created() -> CreateUserOutput {
    CreateUserOutput::builder().user(user()).build()
}

fn no_such_user() -> Reply {
    Reply::iam_error(
        404,
        "NoSuchEntity",
        "The user with name app cannot be found.",
    )
}

/// GetUser finds the user and ListUserTags says which run made it.
fn existing_user(made_by_run: &'static str) -> (Rule, Rule) {
    let found = mock!(aws_sdk_iam::Client::get_user)
        .then_output(|| GetUserOutput::builder().user(user()).build());
    let tagged = mock!(aws_sdk_iam::Client::list_user_tags).then_output(move || {
        ListUserTagsOutput::builder()
            .set_tags(Some(tags::iam_tags(made_by_run)))
            .build()
            .expect("tags are set")
    });
    (found, tagged)
}

async fn create_user(iam: &aws_sdk_iam::Client) -> Result<String, ProvisionError> {
    iam::create_user(iam, USER, RUN).await
}

#[tokio::test(start_paused = true)]
async fn a_lost_reply_adopts_the_runs_own_user_without_sending_again() {
    // Adoption rests on the run tag and path the create carried: no other CreateUser matches.
    let carries_run = |r: &aws_sdk_iam::operation::create_user::CreateUserInput| {
        let tagged = r
            .tags()
            .iter()
            .any(|t| t.key() == tags::RUN_KEY && t.value() == RUN);
        tagged && r.path() == Some(tags::IAM_PATH) && r.user_name() == Some(USER)
    };
    let create = answering(
        mock!(aws_sdk_iam::Client::create_user).match_requests(carries_run),
        &[Reply::Reset],
    );
    let (found, tagged) = existing_user(RUN);
    let iam = super::iam(&[&create, &found, &tagged]);
    assert_eq!(create_user(&iam).await.unwrap(), user_arn());
    assert_eq!(create.num_calls(), 1, "never sent twice");
    assert_eq!(found.num_calls(), 1);
    assert_eq!(tagged.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_lost_reply_does_not_adopt_a_user_another_run_made() {
    let create = answering(mock!(aws_sdk_iam::Client::create_user), &[Reply::Reset]);
    let (found, tagged) = existing_user("someone-elses-run");
    let iam = super::iam(&[&create, &found, &tagged]);
    let refused = create_user(&iam).await.unwrap_err();
    assert!(
        matches!(&refused, ProvisionError::UserExists(u) if u == USER),
        "{refused:?}"
    );
    assert_eq!(refused.code(), "user-exists");
    assert_eq!(create.num_calls(), 1);
}

/// Issue 16 item 4: the run's tag copied onto a user someone made before the call is not the
/// lost create's result; IAM's CreateDate, which nobody can change, tells them apart.
#[tokio::test(start_paused = true)]
async fn a_lost_reply_does_not_adopt_a_user_with_the_runs_tag_made_before_the_call() {
    let create = answering(mock!(aws_sdk_iam::Client::create_user), &[Reply::Reset]);
    let older = || {
        let mut made = user();
        made.create_date =
            aws_smithy_types::DateTime::from_secs(crate::model::ownership::unix_now() - 3_600);
        GetUserOutput::builder().user(made).build()
    };
    let found = mock!(aws_sdk_iam::Client::get_user).then_output(older);
    let tagged = mock!(aws_sdk_iam::Client::list_user_tags).then_output(|| {
        ListUserTagsOutput::builder()
            .set_tags(Some(tags::iam_tags(RUN)))
            .build()
            .expect("tags are set")
    });
    let iam = super::iam(&[&create, &found, &tagged]);
    let refused = create_user(&iam).await.unwrap_err();
    assert_eq!(refused.code(), "user-exists", "{refused:?}");
    assert_eq!(create.num_calls(), 1, "never sent twice");
}

#[tokio::test(start_paused = true)]
async fn a_lost_reply_with_nothing_made_sends_the_create_again() {
    let create = mock!(aws_sdk_iam::Client::create_user)
        .sequence()
        .http_response(|| Reply::Reset.http())
        .output(created)
        .build();
    let found = answering(mock!(aws_sdk_iam::Client::get_user), &[no_such_user()]);
    let tagged = answering(
        mock!(aws_sdk_iam::Client::list_user_tags),
        &[no_such_user()],
    );
    let iam = super::iam(&[&create, &found, &tagged]);
    let started = Instant::now();
    assert_eq!(create_user(&iam).await.unwrap(), user_arn());
    assert_eq!(create.num_calls(), 2, "sent again only after looking");
    assert_eq!(found.num_calls(), 1);
    assert_eq!(tagged.num_calls(), 0, "nothing to read tags of");
    assert!(
        started.elapsed() > std::time::Duration::ZERO,
        "paused before sending again"
    );
}

#[tokio::test(start_paused = true)]
async fn a_server_error_is_sent_once_per_attempt_then_looked_up() {
    // A 500 from CreateUser may have made the user. With the SDK's retry the mock would see
    // three CreateUsers before any lookup.
    let create = mock!(aws_sdk_iam::Client::create_user)
        .sequence()
        .http_response(|| Reply::server_error(500).http())
        .output(created)
        .build();
    let found = answering(mock!(aws_sdk_iam::Client::get_user), &[no_such_user()]);
    let iam = super::iam(&[&create, &found]);
    assert_eq!(create_user(&iam).await.unwrap(), user_arn());
    assert_eq!(create.num_calls(), 2);
    assert_eq!(found.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn already_exists_is_our_own_lost_create_only_when_the_tag_says_so() {
    let exists = Reply::iam_error(
        409,
        "EntityAlreadyExists",
        "User with name app already exists.",
    );
    for (made_by, ours) in [(RUN, true), ("someone-elses-run", false)] {
        let create = answering(
            mock!(aws_sdk_iam::Client::create_user),
            std::slice::from_ref(&exists),
        );
        let (found, tagged) = existing_user(made_by);
        let iam = super::iam(&[&create, &found, &tagged]);
        let made = create_user(&iam).await;
        assert_eq!(made.is_ok(), ours, "made by {made_by}: {made:?}");
        if !ours {
            assert_eq!(made.unwrap_err().code(), "user-exists");
        }
        assert_eq!(create.num_calls(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn already_exists_with_nothing_to_find_stays_already_exists() {
    // IAM says the name is taken but GetUser cannot see it (read lag, or a race with a delete):
    // adopting nothing, and sending again would only be refused again.
    let exists = Reply::iam_error(
        409,
        "EntityAlreadyExists",
        "User with name app already exists.",
    );
    let create = answering(mock!(aws_sdk_iam::Client::create_user), &[exists]);
    let found = answering(mock!(aws_sdk_iam::Client::get_user), &[no_such_user()]);
    let iam = super::iam(&[&create, &found]);
    let refused = create_user(&iam).await.unwrap_err();
    assert_eq!(refused.code(), "aws-already-exists");
    assert!(
        refused.to_string().starts_with("iam:CreateUser"),
        "{refused}"
    );
    assert_eq!(create.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_lookup_is_the_error_the_admin_sees() {
    let create = answering(mock!(aws_sdk_iam::Client::create_user), &[Reply::Reset]);
    let denied = Reply::iam_error(
        403,
        "AccessDenied",
        "not authorized to perform: iam:GetUser",
    );
    let found = answering(mock!(aws_sdk_iam::Client::get_user), &[denied]);
    let iam = super::iam(&[&create, &found]);
    let refused = create_user(&iam).await.unwrap_err();
    assert_eq!(refused.code(), "aws-access-denied");
    assert!(refused.hint().contains("iam:GetUser"), "{}", refused.hint());
    assert_eq!(
        create.num_calls(),
        1,
        "an unsettled create is not sent again"
    );
}

#[tokio::test(start_paused = true)]
async fn refusals_are_final_and_throttling_is_retried_without_looking() {
    let denied = Reply::iam_error(
        403,
        "AccessDenied",
        "not authorized to perform: iam:CreateUser",
    );
    let create = answering(mock!(aws_sdk_iam::Client::create_user), &[denied]);
    let found = answering(mock!(aws_sdk_iam::Client::get_user), &[no_such_user()]);
    let iam = super::iam(&[&create, &found]);
    let refused = create_user(&iam).await.unwrap_err();
    assert!(
        refused.hint().contains("iam:CreateUser"),
        "{}",
        refused.hint()
    );
    assert_eq!((create.num_calls(), found.num_calls()), (1, 0));

    // A throttle means AWS did nothing: careful sends again (a bounded number of times) and
    // never needs to look.
    let create = answering(
        mock!(aws_sdk_iam::Client::create_user),
        &[Reply::iam_throttle()],
    );
    let found = answering(mock!(aws_sdk_iam::Client::get_user), &[no_such_user()]);
    let iam = super::iam(&[&create, &found]);
    let throttled = create_user(&iam).await.unwrap_err();
    assert_eq!(throttled.code(), "aws-throttled");
    assert!(create.num_calls() > 1, "throttled creates are tried again");
    assert_eq!(found.num_calls(), 0);
}

async fn put_policy(iam: &aws_sdk_iam::Client) -> Result<String, ProvisionError> {
    iam::put_inline_policy(iam, Principal::user(USER), "csfle-kms", "{}").await
}

#[tokio::test(start_paused = true)]
async fn a_user_not_yet_visible_is_waited_for() {
    let put = mock!(aws_sdk_iam::Client::put_user_policy)
        .sequence()
        .http_response(|| no_such_user().http())
        .times(2)
        .output(|| PutUserPolicyOutput::builder().build())
        .build();
    let iam = super::iam(&[&put]);
    let started = Instant::now();
    put_policy(&iam).await.unwrap();
    assert_eq!(
        put.num_calls(),
        3,
        "two 'not found' answers, then the policy is put"
    );
    let waited = started.elapsed();
    assert!(
        waited > std::time::Duration::ZERO && waited < careful::LAG_LIMIT,
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_user_that_never_appears_is_not_found_within_the_bound() {
    let put = answering(
        mock!(aws_sdk_iam::Client::put_user_policy),
        &[no_such_user()],
    );
    let iam = super::iam(&[&put]);
    let started = Instant::now();
    let failure = put_policy(&iam).await.unwrap_err();
    assert_eq!(failure.code(), "aws-not-found");
    assert!(
        failure.to_string().starts_with("iam:PutUserPolicy"),
        "{failure}"
    );
    assert!(put.num_calls() > 2, "asked again while the lag may last");
    assert!(
        started.elapsed() <= careful::LAG_LIMIT,
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn only_not_found_is_waited_out() {
    let denied = Reply::iam_error(
        403,
        "AccessDenied",
        "not authorized to perform: iam:PutUserPolicy",
    );
    let put = answering(mock!(aws_sdk_iam::Client::put_user_policy), &[denied]);
    let iam = super::iam(&[&put]);
    let started = Instant::now();
    assert_eq!(
        put_policy(&iam).await.unwrap_err().code(),
        "aws-access-denied"
    );
    assert_eq!(put.num_calls(), 1);
    assert_eq!(
        started.elapsed(),
        std::time::Duration::ZERO,
        "no pause for a refusal"
    );
}
