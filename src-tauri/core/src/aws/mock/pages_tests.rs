//! `pages::all` with the SDK's own paginator: every page is read, each with the marker the one
//! before it gave, and a page that fails fails the whole list under the list's action.

use super::{answering, Reply};
use crate::aws::{ownership, pages};
use crate::error::aws::AwsFailureKind as Kind;
use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
use aws_sdk_iam::types::AccessKeyMetadata;
use aws_smithy_mocks::{mock, Rule};

/// A page of access keys; `next` is the marker of the page after it.
fn page(ids: &'static [&'static str], next: Option<&'static str>) -> ListAccessKeysOutput {
    ListAccessKeysOutput::builder()
        .set_access_key_metadata(Some(
            ids.iter()
                .map(|id| AccessKeyMetadata::builder().access_key_id(*id).build())
                .collect(),
        ))
        .is_truncated(next.is_some())
        .set_marker(next.map(str::to_string))
        .build()
        .expect("the key list is set")
}

/// The page IAM answers to a request carrying `marker` (`None`: the first page).
fn page_for(
    marker: Option<&'static str>,
    ids: &'static [&'static str],
    next: Option<&'static str>,
) -> Rule {
    mock!(aws_sdk_iam::Client::list_access_keys)
        .match_requests(move |request| request.marker() == marker)
        .then_output(move || page(ids, next))
}

fn ids(keys: &[AccessKeyMetadata]) -> Vec<&str> {
    keys.iter().filter_map(|k| k.access_key_id()).collect()
}

#[tokio::test]
async fn every_page_is_read_in_order() {
    let first = page_for(None, &["AKIA1", "AKIA2"], Some("m1"));
    let second = page_for(Some("m1"), &["AKIA3"], Some("m2"));
    let last = page_for(Some("m2"), &["AKIA4"], None);
    let iam = super::iam(&[&first, &second, &last]);
    let keys = ownership::access_keys(&iam, "app").await.unwrap();
    assert_eq!(ids(&keys), ["AKIA1", "AKIA2", "AKIA3", "AKIA4"]);
    let asked = [first.num_calls(), second.num_calls(), last.num_calls()];
    assert_eq!(asked, [1, 1, 1], "each page once, none after the last");
}

#[tokio::test(start_paused = true)]
async fn a_failed_later_page_fails_the_whole_list() {
    // Half a list would let a caller believe a key does not exist; nothing partial comes back.
    let first = page_for(None, &["AKIA1"], Some("m1"));
    let second = answering(
        mock!(aws_sdk_iam::Client::list_access_keys).match_requests(|r| r.marker() == Some("m1")),
        &[Reply::iam_throttle()],
    );
    let iam = super::iam(&[&first, &second]);
    let failure = pages::all(
        iam.list_access_keys()
            .user_name("app")
            .into_paginator()
            .send(),
        "iam:ListAccessKeys",
        |page| page.access_key_metadata().to_vec(),
    )
    .await
    .unwrap_err();
    assert_eq!(failure.kind, Kind::Throttled);
    assert_eq!(failure.action, "iam:ListAccessKeys");
    assert_eq!(failure.code.as_deref(), Some("Throttling"));
}

#[tokio::test]
async fn an_empty_list_is_empty_not_an_error() {
    let only = page_for(None, &[], None);
    let iam = super::iam(&[&only]);
    assert!(ownership::access_keys(&iam, "app")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(only.num_calls(), 1);
}
