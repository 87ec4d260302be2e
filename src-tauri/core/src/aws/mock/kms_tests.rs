//! `aws::kms`'s small functions: after a lost CreateKey the run's own key is found by its tag
//! (never a key already being deleted, never guessed when a tag cannot be read); an alias that
//! "already exists" is ours only if it points at our key.

use super::{answering, Reply, Wire, ACCOUNT, REGION};
use crate::aws::{kms, tags};
use aws_sdk_kms::operation::create_alias::CreateAliasOutput;
use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
use aws_sdk_kms::operation::enable_key_rotation::EnableKeyRotationOutput;
use aws_sdk_kms::types::KeyMetadata;
use aws_smithy_mocks::{mock, Rule};
use serde_json::json;

const RUN: &str = "run-1";

fn arn(id: &str) -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}")
}

fn key_made(id: &str) -> Reply {
    Reply::kms_ok(json!({"KeyMetadata": {"KeyId": id, "Arn": arn(id), "KeyState": "Enabled"}}))
}

/// One page of ListKeys; `next` is the marker of the page after it.
fn keys(ids: &[&str], next: Option<&str>) -> Reply {
    let keys: Vec<_> = ids
        .iter()
        .map(|id| json!({"KeyId": id, "KeyArn": arn(id)}))
        .collect();
    Reply::kms_ok(json!({"Keys": keys, "Truncated": next.is_some(), "NextMarker": next}))
}

fn run_tag(run: &str) -> Reply {
    Reply::kms_ok(json!({"Tags": [{"TagKey": tags::RUN_KEY, "TagValue": run}], "Truncated": false}))
}

fn state(id: &str, state: &str) -> Reply {
    described(
        id,
        state,
        crate::model::ownership::unix_now(),
        "CSFLE master key",
    )
}

/// DescribeKey's answer: the key's state, KMS's creation time and its description.
fn described(id: &str, state: &str, created: i64, description: &str) -> Reply {
    Reply::kms_ok(json!({"KeyMetadata": {
        "KeyId": id, "Arn": arn(id), "KeyState": state,
        "CreationDate": created, "Description": description,
    }}))
}

/// GetKeyPolicy's answer: KMS's default policy (the account's root only), or one that also
/// names `planter`.
fn key_policy(planter: Option<&str>) -> Reply {
    let mut statements = vec![json!({
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
        "Action": "kms:*", "Resource": "*",
    })];
    if let Some(planter) = planter {
        statements.push(json!({
            "Effect": "Allow", "Principal": {"AWS": planter}, "Action": "kms:Decrypt", "Resource": "*",
        }));
    }
    let policy = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    Reply::kms_ok(json!({"Policy": policy, "PolicyName": "default"}))
}

async fn create_key(wire: &Wire) -> Result<(String, String), crate::error::ProvisionError> {
    kms::create_key(&wire.connection(), "CSFLE master key", "app", RUN).await
}

#[tokio::test(start_paused = true)]
async fn a_lost_create_key_adopts_the_key_with_the_runs_tag() {
    let wire = Wire::new();
    wire.on("kms", "CreateKey", &[Reply::Reset]);
    // The list spans two pages; the run's key is on the second.
    wire.on(
        "kms",
        "ListKeys",
        &[keys(&["k-other"], Some("m1")), keys(&["k-ours"], None)],
    );
    wire.on(
        "kms",
        "ListResourceTags",
        &[run_tag("another-run"), run_tag(RUN)],
    );
    wire.on("kms", "DescribeKey", &[state("k-ours", "Enabled")]);
    wire.on("kms", "GetKeyPolicy", &[key_policy(None)]);
    let (id, key_arn) = create_key(&wire).await.unwrap();
    assert_eq!((id.as_str(), key_arn), ("k-ours", arn("k-ours")));
    assert_eq!(wire.calls("kms", "CreateKey"), 1, "never a second key");
    let listed: Vec<_> = wire
        .seen()
        .into_iter()
        .filter(|s| s.action == "ListKeys")
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed[1].body.contains("\"Marker\":\"m1\""), "{listed:?}");
}

#[tokio::test(start_paused = true)]
async fn a_key_already_being_deleted_is_not_adopted() {
    // The run's key of an earlier, undone attempt is PendingDeletion: the create happened
    // nowhere else, so it is sent again.
    let wire = Wire::new();
    wire.on("kms", "CreateKey", &[Reply::Reset, key_made("k-new")]);
    wire.on("kms", "ListKeys", &[keys(&["k-undone"], None)]);
    wire.on("kms", "ListResourceTags", &[run_tag(RUN)]);
    wire.on(
        "kms",
        "DescribeKey",
        &[state("k-undone", "PendingDeletion")],
    );
    let (id, _) = create_key(&wire).await.unwrap();
    assert_eq!(id, "k-new");
    assert_eq!(wire.calls("kms", "CreateKey"), 2);
}

#[tokio::test(start_paused = true)]
async fn an_unreadable_tag_makes_the_answer_unknown_not_none() {
    let wire = Wire::new();
    wire.on("kms", "CreateKey", &[Reply::Reset]);
    wire.on("kms", "ListKeys", &[keys(&["k-someones"], None)]);
    let denied = Reply::kms_error(400, "AccessDeniedException", "not authorized");
    wire.on("kms", "ListResourceTags", &[denied]);
    let refused = create_key(&wire).await.unwrap_err();
    assert_eq!(refused.code(), "aws-access-denied");
    assert!(
        refused.hint().contains("kms:ListResourceTags"),
        "{}",
        refused.hint()
    );
    assert_eq!(
        wire.calls("kms", "CreateKey"),
        1,
        "not sent again while unsettled"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_create_key_is_not_looked_up() {
    let wire = Wire::new();
    wire.on("kms", "CreateKey", &[Reply::moto_refusal("kms:CreateKey")]);
    let refused = create_key(&wire).await.unwrap_err();
    assert_eq!(refused.code(), "aws-access-denied");
    assert!(
        refused.hint().contains("kms:CreateKey"),
        "{}",
        refused.hint()
    );
    assert_eq!(wire.calls("kms", "ListKeys"), 0);
}

fn alias_exists() -> Reply {
    Reply::kms_error(
        400,
        "AlreadyExistsException",
        "An alias with the name alias/app already exists",
    )
}

/// DescribeKey of the alias: which key it points at.
fn alias_target(target: &'static str) -> Rule {
    mock!(aws_sdk_kms::Client::describe_key)
        .match_requests(|r| r.key_id() == Some("alias/app"))
        .then_output(move || {
            let metadata = KeyMetadata::builder().key_id(target).build();
            DescribeKeyOutput::builder()
                .key_metadata(metadata.expect("key id is set"))
                .build()
        })
}

#[tokio::test(start_paused = true)]
async fn an_existing_alias_is_ours_only_when_it_points_at_our_key() {
    for (target, ours) in [("k-ours", true), ("k-someone-elses", false)] {
        let create = answering(mock!(aws_sdk_kms::Client::create_alias), &[alias_exists()]);
        let described = alias_target(target);
        let client = super::kms(&[&create, &described]);
        let result = kms::create_alias(&client, "alias/app", "k-ours").await;
        match result {
            Ok(alias) => assert!(ours && alias == "alias/app", "{target}: {alias}"),
            Err(refused) => {
                assert!(!ours, "{refused:?}");
                assert_eq!(refused.code(), "alias-exists");
            }
        }
        assert_eq!(create.num_calls(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn an_alias_for_a_key_not_yet_visible_waits_for_the_key() {
    let missing = Reply::kms_error(400, "NotFoundException", "Key 'k-ours' does not exist");
    let create = mock!(aws_sdk_kms::Client::create_alias)
        .match_requests(|r| r.target_key_id() == Some("k-ours"))
        .sequence()
        .http_response(move || missing.http())
        .output(|| CreateAliasOutput::builder().build())
        .build();
    let client = super::kms(&[&create]);
    assert_eq!(
        kms::create_alias(&client, "alias/app", "k-ours")
            .await
            .unwrap(),
        "alias/app"
    );
    assert_eq!(create.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn rotation_waits_for_a_new_key_and_reports_a_key_it_cannot_rotate() {
    let missing = Reply::kms_error(400, "NotFoundException", "Key 'k' does not exist");
    let enable = mock!(aws_sdk_kms::Client::enable_key_rotation)
        .sequence()
        .http_response(move || missing.http())
        .times(2)
        .output(|| EnableKeyRotationOutput::builder().build())
        .build();
    let client = super::kms(&[&enable]);
    assert!(kms::enable_rotation(&client, "k").await.is_ok());
    assert_eq!(enable.num_calls(), 3);

    let pending = Reply::kms_error(400, "KMSInvalidStateException", "k is pending deletion.");
    let enable = answering(mock!(aws_sdk_kms::Client::enable_key_rotation), &[pending]);
    let client = super::kms(&[&enable]);
    let refused = kms::enable_rotation(&client, "k").await.unwrap_err();
    assert!(
        refused.to_string().contains("k is pending deletion."),
        "{refused}"
    );
    assert_eq!(enable.num_calls(), 1, "only 'not found' is lag");
}

#[tokio::test]
async fn rotation_status_asks_by_bare_key_id() {
    let wire = Wire::new();
    let on = Reply::kms_ok(json!({"KeyRotationEnabled": true}));
    wire.on("kms", "GetKeyRotationStatus", &[on]);
    assert_eq!(
        kms::rotation_status(&wire.connection(), &arn("k-1")).await,
        Ok(true)
    );
    assert!(
        wire.seen()[0].body.contains("\"KeyId\":\"k-1\""),
        "{:?}",
        wire.seen()
    );

    let wire = Wire::new();
    wire.on(
        "kms",
        "GetKeyRotationStatus",
        &[Reply::moto_refusal("kms:GetKeyRotationStatus")],
    );
    let refused = kms::rotation_status(&wire.connection(), "k-1")
        .await
        .unwrap_err();
    assert_eq!(refused, "kms:GetKeyRotationStatus was denied");
}

#[tokio::test(start_paused = true)]
async fn an_alias_taken_but_not_to_be_found_stays_taken() {
    // "Already exists" and then DescribeKey cannot see it: nothing to adopt, and sending again
    // would only be refused again.
    let missing = Reply::kms_error(400, "NotFoundException", "Alias alias/app is not found.");
    let create = answering(mock!(aws_sdk_kms::Client::create_alias), &[alias_exists()]);
    let described = answering(mock!(aws_sdk_kms::Client::describe_key), &[missing]);
    let client = super::kms(&[&create, &described]);
    let refused = kms::create_alias(&client, "alias/app", "k-ours")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "aws-already-exists");
    assert_eq!((create.num_calls(), described.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_key_planted_with_the_runs_tag_is_not_adopted() {
    // Three keys carry the run's tag after a lost CreateKey: one made before the call, one with
    // another description, one whose policy names the planter. None is what the call asked for,
    // so the create is sent again.
    let now = crate::model::ownership::unix_now();
    let wire = Wire::new();
    wire.on("kms", "CreateKey", &[Reply::Reset, key_made("k-new")]);
    wire.on(
        "kms",
        "ListKeys",
        &[keys(&["k-old", "k-described", "k-planted"], None)],
    );
    wire.on(
        "kms",
        "ListResourceTags",
        &[run_tag(RUN), run_tag(RUN), run_tag(RUN)],
    );
    wire.on(
        "kms",
        "DescribeKey",
        &[
            described("k-old", "Enabled", now - 86_400, "CSFLE master key"),
            described("k-described", "Enabled", now, "the planter's key"),
            described("k-planted", "Enabled", now, "CSFLE master key"),
        ],
    );
    let planter = "arn:aws:iam::111122223333:user/planter";
    wire.on("kms", "GetKeyPolicy", &[key_policy(Some(planter))]);
    let (id, _) = create_key(&wire).await.unwrap();
    assert_eq!(id, "k-new");
    assert_eq!(
        wire.calls("kms", "CreateKey"),
        2,
        "sent again, nothing adopted"
    );
}

#[tokio::test(start_paused = true)]
async fn two_keys_that_both_fit_are_a_conflict_not_a_guess() {
    let wire = Wire::new();
    wire.on("kms", "CreateKey", &[Reply::Reset]);
    wire.on("kms", "ListKeys", &[keys(&["k-a", "k-b"], None)]);
    wire.on("kms", "ListResourceTags", &[run_tag(RUN), run_tag(RUN)]);
    wire.on(
        "kms",
        "DescribeKey",
        &[state("k-a", "Enabled"), state("k-b", "Enabled")],
    );
    wire.on("kms", "GetKeyPolicy", &[key_policy(None), key_policy(None)]);
    let refused = create_key(&wire).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("cannot tell which one it made"),
        "{refused}"
    );
    assert_eq!(wire.calls("kms", "CreateKey"), 1);
}
