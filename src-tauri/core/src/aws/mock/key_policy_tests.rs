//! `key_policy::check` and `allow_iam` over KMS's wire format, in the key's own region: a policy
//! that keeps IAM from granting is caught before anything is made, and fixing it adds the one
//! statement and keeps every other.

use super::{Reply, Wire, ACCOUNT};
use crate::aws::key_policy;
use serde_json::{json, Value};

const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef";

fn key_admin_only() -> Value {
    json!({"Version": "2012-10-17", "Statement": {
        "Sid": "KeyAdmins",
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role/KeyAdmin")},
        "Action": "kms:*",
        "Resource": "*"
    }})
}

fn policy(document: &Value) -> Reply {
    Reply::kms_ok(json!({"Policy": document.to_string(), "PolicyName": "default"}))
}

/// The policy document a PutKeyPolicy request carried.
fn put_document(wire: &Wire) -> Value {
    let put = wire.seen().into_iter().find(|s| s.action == "PutKeyPolicy");
    let body: Value = serde_json::from_str(&put.expect("PutKeyPolicy was sent").body).unwrap();
    serde_json::from_str(body["Policy"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn a_policy_without_the_iam_statement_stops_the_plan() {
    let wire = Wire::new();
    wire.on("kms", "GetKeyPolicy", &[policy(&key_admin_only())]);
    let stopped = key_policy::check(&wire.connection(), KEY)
        .await
        .unwrap_err();
    assert_eq!(stopped.code(), "key-policy-blocks-iam");
    assert!(
        stopped
            .to_string()
            .contains(&format!("arn:aws:iam::{ACCOUNT}:root")),
        "{stopped}"
    );
    assert_eq!(
        wire.seen()[0].host,
        "kms.eu-west-1.amazonaws.com",
        "asked in the key's region"
    );
}

#[tokio::test]
async fn allowing_iam_adds_one_statement_and_keeps_the_others() {
    let wire = Wire::new();
    wire.on("kms", "GetKeyPolicy", &[policy(&key_admin_only())]);
    wire.on("kms", "PutKeyPolicy", &[Reply::kms_ok(json!({}))]);
    let connection = wire.connection();
    let returned = key_policy::allow_iam(&connection, KEY).await.unwrap();
    let sent = put_document(&wire);
    assert_eq!(serde_json::from_str::<Value>(&returned).unwrap(), sent);
    let statements = sent["Statement"]
        .as_array()
        .expect("a single statement becomes a list");
    assert_eq!(
        sent,
        json!({"Version": "2012-10-17", "Statement": [
            key_admin_only()["Statement"],
            {
                "Sid": "Let IAM policies of the account grant Encrypt and Decrypt",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
                "Action": ["kms:Encrypt", "kms:Decrypt"],
                "Resource": "*"
            }
        ]}),
        "exactly one statement added, never kms:*"
    );
    assert_eq!(statements.len(), 2);
    assert!(key_policy::lets_iam_grant(&sent, "aws", ACCOUNT));
}

#[tokio::test]
async fn a_policy_that_already_lets_iam_grant_is_not_rewritten() {
    let wire = Wire::new();
    let default = json!({"Statement": [key_policy::encrypt_decrypt_statement("aws", ACCOUNT)]});
    wire.on("kms", "GetKeyPolicy", &[policy(&default)]);
    let connection = wire.connection();
    assert!(key_policy::check(&connection, KEY).await.is_ok());
    assert!(key_policy::allow_iam(&connection, KEY).await.is_ok());
    assert_eq!(wire.calls("kms", "PutKeyPolicy"), 0);
}

#[tokio::test]
async fn a_refused_rewrite_names_kms_put_key_policy() {
    let wire = Wire::new();
    wire.on("kms", "GetKeyPolicy", &[policy(&key_admin_only())]);
    let denied = Reply::kms_error(
        400,
        "AccessDeniedException",
        "not authorized to perform: kms:PutKeyPolicy",
    );
    wire.on("kms", "PutKeyPolicy", &[denied]);
    let refused = key_policy::allow_iam(&wire.connection(), KEY)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "aws-access-denied");
    assert!(
        refused.hint().contains("kms:PutKeyPolicy"),
        "{}",
        refused.hint()
    );
}

/// A cross-account grant of the key `KEY` (read with the key account's connection).
fn grant() -> crate::model::key_grant::KeyGrant {
    let sid = crate::model::key_grant::sid("Role", "444455556666", "app");
    let principal = "arn:aws:iam::444455556666:role/csfle-provisioner/app";
    crate::model::key_grant::KeyGrant {
        key_arn: KEY.into(),
        key_account: ACCOUNT.into(),
        key_admin_arn: format!("arn:aws:iam::{ACCOUNT}:role/KeyAdmin"),
        key_profile: None,
        statement: crate::model::key_grant::statement_text(&sid, principal),
        sid,
        principal_arn: principal.into(),
    }
}

fn policy_text(text: &str) -> Reply {
    Reply::kms_ok(json!({"Policy": text, "PolicyName": "default"}))
}

#[tokio::test]
async fn a_policy_changed_between_the_read_and_the_write_is_not_written() {
    use crate::aws::key_grant;
    let before = "{\"Statement\": [{\"Sid\": \"Owners\"}]}";
    let meanwhile = "{\"Statement\": [{\"Sid\": \"Owners\"}, {\"Sid\": \"Colleague\"}]}";
    let wire = Wire::new();
    wire.on(
        "kms",
        "GetKeyPolicy",
        &[policy_text(before), policy_text(meanwhile)],
    );
    let refused = key_grant::add_once(&wire.connection(), &grant())
        .await
        .err()
        .unwrap();
    assert_eq!(refused.code(), "key-policy-changed-meanwhile");
    assert_eq!(wire.calls("kms", "PutKeyPolicy"), 0);
}

#[tokio::test]
async fn the_grant_is_appended_to_the_text_and_removed_from_it_byte_for_byte() {
    use crate::aws::key_grant::{self, Added, Removed};
    let before = "{\n \"Statement\" : [ {\"Sid\":\"Owners\",\"Effect\":\"Allow\"} ]\n}";
    let wire = Wire::new();
    wire.on(
        "kms",
        "GetKeyPolicy",
        &[policy_text(before), policy_text(before)],
    );
    wire.on("kms", "PutKeyPolicy", &[Reply::kms_ok(json!({}))]);
    let grant = grant();
    assert!(matches!(
        key_grant::add_once(&wire.connection(), &grant)
            .await
            .unwrap(),
        Added::Done
    ));
    let put = wire
        .seen()
        .into_iter()
        .find(|s| s.action == "PutKeyPolicy")
        .unwrap();
    let body: Value = serde_json::from_str(&put.body).unwrap();
    let written = body["Policy"].as_str().unwrap().to_string();
    assert!(
        written.starts_with("{\n \"Statement\" : [ {\"Sid\":\"Owners\",\"Effect\":\"Allow\"}, ")
    );
    assert!(written.contains(&grant.statement));

    let wire = Wire::new();
    wire.on(
        "kms",
        "GetKeyPolicy",
        &[policy_text(&written), policy_text(&written)],
    );
    wire.on("kms", "PutKeyPolicy", &[Reply::kms_ok(json!({}))]);
    let removed = key_grant::remove(&wire.connection(), KEY, &grant.sid, &grant.principal_arn)
        .await
        .unwrap();
    assert_eq!(removed, Removed::Removed);
    let put = wire
        .seen()
        .into_iter()
        .find(|s| s.action == "PutKeyPolicy")
        .unwrap();
    let body: Value = serde_json::from_str(&put.body).unwrap();
    assert_eq!(body["Policy"].as_str().unwrap(), before);
}
