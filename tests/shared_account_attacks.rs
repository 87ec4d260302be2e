//! Issue 16's attacks, each reproduced against the emulator: in a shared account anyone allowed
//! to tag (or to edit this computer's journal, or to plant a key) tries to make the app destroy a
//! colleague's work or adopt a resource it did not make. Each must fail, with nothing of the
//! victim's changed.

mod support;

use aws_sdk_iam::types::Tag;
use serde_json::{json, Value};
use support::Sandbox;

const ACCOUNT: &str = "123456789012";
const MANAGED: &str = "arn:aws:iam::123456789012:policy/colleague-read-only";

/// The colleagues' own managed policy (moto has none of AWS's).
fn managed_policy(sandbox: &Sandbox) {
    let aws = sandbox.aws();
    let document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "s3:GetObject", "Resource": "*"}]});
    let made = aws.block(
        aws.iam()
            .create_policy()
            .policy_name("colleague-read-only")
            .policy_document(document.to_string())
            .send(),
    );
    // Made once per sandbox; the second colleague finds it there.
    if let Err(error) = made {
        assert!(
            format!("{error:?}").contains("EntityAlreadyExists"),
            "{error:?}"
        );
    }
}

fn provision(sandbox: &Sandbox, user: &str, key: &[&str]) -> Value {
    let mut args = vec!["provision", "--user", user, "--json"];
    args.extend_from_slice(key);
    let run = sandbox.cli(&args);
    run.assert_ok();
    run.json()
}

fn app_tags(run_id: &str) -> Vec<Tag> {
    [
        ("created-by", "csfle-provisioner"),
        ("csfle-provisioner:run", run_id),
    ]
    .into_iter()
    .map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap())
    .collect()
}

/// A colleague's user, made long ago with an access key, a console password and a managed
/// policy, then tagged as this app's by someone allowed only to tag (and, for `path`, to move it).
fn colleague_user(sandbox: &Sandbox, name: &str, path: &str) {
    managed_policy(sandbox);
    let aws = sandbox.aws();
    let iam = aws.iam();
    aws.block(iam.create_user().user_name(name).path(path).send())
        .unwrap();
    aws.block(iam.create_access_key().user_name(name).send())
        .unwrap();
    aws.block(
        iam.create_login_profile()
            .user_name(name)
            .password("Colleague-Password-1!")
            .send(),
    )
    .unwrap();
    aws.block(
        iam.attach_user_policy()
            .user_name(name)
            .policy_arn(MANAGED)
            .send(),
    )
    .unwrap();
    aws.block(
        iam.tag_user()
            .user_name(name)
            .set_tags(Some(app_tags("1764000000-app")))
            .send(),
    )
    .unwrap();
    sandbox.emulator.seed(json!({"agePrincipals": {name: 400}}));
}

fn colleague_role(sandbox: &Sandbox, name: &str) {
    managed_policy(sandbox);
    let aws = sandbox.aws();
    let iam = aws.iam();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    aws.block(
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(trust.to_string())
            .send(),
    )
    .unwrap();
    aws.block(
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn(MANAGED)
            .send(),
    )
    .unwrap();
    aws.block(
        iam.tag_role()
            .role_name(name)
            .set_tags(Some(app_tags("1764000000-app")))
            .send(),
    )
    .unwrap();
    sandbox.emulator.seed(json!({"agePrincipals": {name: 400}}));
}

/// What the victim still has: access keys, a console password, managed policies.
fn user_intact(sandbox: &Sandbox, name: &str) {
    let aws = sandbox.aws();
    let iam = aws.iam();
    assert_eq!(aws.access_keys(name).len(), 1, "{name}'s access key");
    assert!(
        aws.block(iam.get_login_profile().user_name(name).send())
            .is_ok(),
        "{name}'s console password"
    );
    let attached = aws
        .block(iam.list_attached_user_policies().user_name(name).send())
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1, "{name}'s policy");
}

fn ownership_of(listed: &Value, name: &str) -> Option<String> {
    listed
        .as_array()?
        .iter()
        .find(|s| s["name"] == name)
        .map(|s| s["ownership"].as_str().unwrap_or_default().to_string())
}

#[test]
fn a_merely_tagged_colleague_is_never_offered_as_a_setup_and_survives_teardown() {
    let sandbox = Sandbox::start();
    colleague_user(&sandbox, "colleague", "/");
    // Moved into the app's own path too (iam:UpdateUser): the path alone proves nothing either.
    colleague_user(&sandbox, "moved-colleague", "/csfle-provisioner/");
    colleague_role(&sandbox, "colleague-role");

    let first = sandbox.cli(&["list", "--json"]);
    first.assert_ok();
    assert_eq!(
        ownership_of(&first.json(), "colleague"),
        None,
        "no scan unless asked"
    );
    let listed = sandbox.cli(&["list", "--json", "--rescan"]);
    listed.assert_ok();
    let listed = listed.json();
    for name in ["colleague", "moved-colleague", "colleague-role"] {
        let ownership = ownership_of(&listed, name);
        assert!(
            ownership.is_none() || ownership.as_deref() == Some("unproven"),
            "{name} offered as a setup: {listed}"
        );
    }
    assert_eq!(
        ownership_of(&listed, "moved-colleague").as_deref(),
        Some("unproven")
    );

    for name in ["colleague", "moved-colleague"] {
        let refused = sandbox.cli(&["teardown", "--user", name, "--yes"]);
        refused.assert_failed();
        assert!(refused.stderr.contains("not-ours"), "{}", refused.stderr);
        user_intact(&sandbox, name);
        let rotate = sandbox.cli(&["rotate", "--user", name]);
        rotate.assert_failed();
        assert_eq!(sandbox.aws().access_keys(name).len(), 1);
    }
    let refused = sandbox.cli(&["teardown", "--role", "colleague-role", "--yes"]);
    refused.assert_failed();
    assert!(refused.stderr.contains("not-ours"), "{}", refused.stderr);
    let aws = sandbox.aws();
    let attached = aws
        .block(
            aws.iam()
                .list_attached_role_policies()
                .role_name("colleague-role")
                .send(),
        )
        .unwrap();
    assert_eq!(
        attached.attached_policies().len(),
        1,
        "the role is untouched"
    );
}

/// A colleague's key (made `age_days` ago, or just now), used by a setup with `--existing-key`,
/// then made to look like the setup's own by someone allowed kms:TagResource: a teardown asked to
/// delete it is refused with `reason`, before any change.
fn a_tagged_foreign_key_survives_delete_key(age_days: Option<u32>, reason: &str) {
    let sandbox = Sandbox::start();
    let aws = sandbox.aws();
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let foreign_key = aws.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    let foreign_id = foreign_key.rsplit('/').next().unwrap().to_string();
    if let Some(days) = age_days {
        sandbox
            .emulator
            .seed(json!({"ageKmsKeys": {foreign_id.clone(): days}}));
    }
    provision(&sandbox, "mallory-app", &["--existing-key", &foreign_key]);
    let tag = |k: &str, v: &str| {
        aws_sdk_kms::types::Tag::builder()
            .tag_key(k)
            .tag_value(v)
            .build()
            .unwrap()
    };
    aws.block(
        aws.kms()
            .tag_resource()
            .key_id(&foreign_id)
            .tags(tag("created-by", "csfle-provisioner"))
            .tags(tag("csfle-provisioner:service-account", "mallory-app"))
            .send(),
    )
    .unwrap();

    let refused = sandbox.cli(&[
        "teardown",
        "--user",
        "mallory-app",
        "--delete-key",
        "--key-arn",
        &foreign_key,
        "--yes",
    ]);
    refused.assert_failed();
    assert!(
        refused.stderr.contains("key-deletion-refused"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains(reason), "{}", refused.stderr);
    assert!(
        aws.users().contains(&"mallory-app".to_string()),
        "nothing changed"
    );
    assert!(aws.keys().contains(&(foreign_id, "Enabled".to_string())));
}

#[test]
fn a_victims_key_tagged_as_a_setups_own_is_never_scheduled_for_deletion() {
    // Made long before the setup: KMS's creation time gives it away.
    a_tagged_foreign_key_survives_delete_key(Some(200), "whatever its tags say");
}

/// The same with a colleague's key made minutes before the setup (handed over to be used): its
/// creation time fits the setup's run, so only the record of the run that created it tells it
/// apart. A setup made with `--existing-key` has none, and the key is kept.
#[test]
fn a_colleagues_fresh_key_tagged_as_a_setups_own_is_never_scheduled_for_deletion() {
    a_tagged_foreign_key_survives_delete_key(None, "no record of making this key");
}

#[test]
fn a_teardown_deletes_only_the_key_the_admin_approved() {
    let sandbox = Sandbox::start();
    let made = provision(&sandbox, "app", &["--new-key", "alias/app"]);
    let key = made["key_arn"].as_str().unwrap().to_string();
    let other = format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555");
    // Without the ARN there is nothing the admin approved: the server does not pick a key.
    let unnamed = sandbox.cli(&["teardown", "--user", "app", "--delete-key", "--yes"]);
    unnamed.assert_failed();
    assert!(
        unnamed.stderr.contains("not-confirmed"),
        "{}",
        unnamed.stderr
    );
    assert_eq!(sandbox.aws().users(), vec!["app"], "nothing changed");
    let refused = sandbox.cli(&[
        "teardown",
        "--user",
        "app",
        "--delete-key",
        "--key-arn",
        &other,
        "--yes",
    ]);
    refused.assert_failed();
    assert!(
        refused.stderr.contains("key-not-approved"),
        "{}",
        refused.stderr
    );
    assert_eq!(sandbox.aws().users(), vec!["app"], "nothing changed");
    let id = key.rsplit('/').next().unwrap().to_string();
    assert!(sandbox.aws().keys().contains(&(id, "Enabled".to_string())));
}

fn journal_path(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox
        .keyring
        .home()
        .join(".local/share/csfle-provisioner/journal.json")
}

#[test]
fn a_journal_edited_to_name_a_colleague_makes_recovery_remove_nothing_of_theirs() {
    let sandbox = Sandbox::start();
    provision(&sandbox, "app", &["--new-key", "alias/app"]);
    colleague_user(&sandbox, "colleague", "/");
    let aws = sandbox.aws();
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let victim_key = aws.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    let victim_id = victim_key.rsplit('/').next().unwrap().to_string();
    let run_id = "00112233445566778899aabbccddeeff";
    // The attacker also copies the edited run's tag onto the colleague and the key.
    aws.block(
        aws.iam()
            .tag_user()
            .user_name("colleague")
            .set_tags(Some(app_tags(run_id)))
            .send(),
    )
    .unwrap();
    let run_tag = aws_sdk_kms::types::Tag::builder()
        .tag_key("csfle-provisioner:run")
        .tag_value(run_id)
        .build()
        .unwrap();
    aws.block(
        aws.kms()
            .tag_resource()
            .key_id(&victim_id)
            .tags(run_tag)
            .send(),
    )
    .unwrap();
    sandbox
        .emulator
        .seed(json!({"ageKmsKeys": {victim_id.clone(): 30}}));
    let key_id = aws.access_keys("colleague")[0].clone();
    let path = journal_path(&sandbox);
    let mut journal: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3600;
    journal["runs"].as_array_mut().unwrap().push(json!({
        "id": run_id, "account_id": ACCOUNT, "region": "us-east-1", "endpoint": null,
        "principal_kind": "user", "principal_name": "colleague",
        "policy_name": "csfle-kms-colleague", "key_arn": victim_key, "key_alias": null,
        "keychain_account": format!("{ACCOUNT}/colleague"), "state": "in-progress",
        "started_at": started,
        "created": [
            {"kind": "key", "detail": {"key_id": victim_id, "arn": victim_key}},
            {"kind": "user", "detail": "colleague"},
            {"kind": "access-key", "detail": {"user": "colleague", "id": key_id}}
        ],
        "aws_profiles": [], "new_key_description": "CSFLE master key"
    }));
    std::fs::write(&path, serde_json::to_vec_pretty(&journal).unwrap()).unwrap();

    let preview = sandbox.cli(&["recover", "--clean-up"]);
    preview.assert_failed();
    assert!(preview.stderr.contains("Add --yes"), "{}", preview.stderr);
    assert!(
        preview.stderr.contains("(left alone) IAM user colleague"),
        "{}",
        preview.stderr
    );
    let cleaned = sandbox.cli(&["recover", "--clean-up", "--yes", "--json"]);
    cleaned.assert_ok();
    user_intact(&sandbox, "colleague");
    assert!(aws
        .keys()
        .contains(&(victim_id.clone(), "Enabled".to_string())));
    assert!(
        cleaned.stdout.contains("left alone"),
        "what was left alone is reported: {}",
        cleaned.stdout
    );
}

#[test]
fn keys_planted_with_the_runs_tag_are_not_adopted_after_a_lost_create_key() {
    let sandbox = Sandbox::start();
    let aws = sandbox.aws();
    // The planter signs with their own access key, so the lost reply below is the app's.
    let planter = aws.as_key("AKIAPLANTER000000001", "planter-secret");
    // Keys planted in advance with every run id the old scheme would have used for the next
    // minute, each with a key policy that lets the planter decrypt.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let planter_policy = |account: &str| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:user/planter")}, "Action": "kms:Decrypt", "Resource": "*"}
        ]})
        .to_string()
    };
    let plant = |run_id: &str| {
        let tag = |k: &str, v: &str| {
            aws_sdk_kms::types::Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .unwrap()
        };
        planter
            .block(
                planter
                    .kms()
                    .create_key()
                    .description("MongoDB CSFLE master key (created by csfle-provisioner)")
                    .policy(planter_policy(ACCOUNT))
                    .tags(tag("created-by", "csfle-provisioner"))
                    .tags(tag("csfle-provisioner:service-account", "app"))
                    .tags(tag("csfle-provisioner:run", run_id))
                    .send(),
            )
            .unwrap()
            .key_metadata()
            .unwrap()
            .arn()
            .unwrap()
            .to_string()
    };
    let mut planted: Vec<String> = (0..20)
        .map(|s| plant(&format!("{}-app", now + s)))
        .collect();

    // The CreateKey reply is lost after the emulator held the call: meanwhile the attacker, who
    // can read the run tag (the journal, or the request), plants a key with the real one.
    sandbox
        .emulator
        .add_fault(json!({"action": "CreateKey", "kind": "lost", "seconds": 3,
            "accessKey": support::sandbox::ADMIN_ACCESS_KEY}));
    let child = sandbox.spawn_cli(&[
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--json",
    ]);
    let journal = journal_path(&sandbox);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let run_id = loop {
        let read = std::fs::read_to_string(&journal).ok();
        let id = read
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|j| j["runs"][0]["id"].as_str().map(str::to_string));
        if let Some(id) = id {
            break id;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run never reached the journal"
        );
        std::thread::yield_now();
    };
    assert_eq!(run_id.len(), 32, "128 random bits: {run_id}");
    assert!(run_id.chars().all(|c| c.is_ascii_hexdigit()));
    planted.push(plant(&run_id));
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the provision finishes with its own key: {stderr}"
    );
    assert_eq!(
        sandbox.emulator.get("/_faults"),
        json!([]),
        "the CreateKey reply was lost"
    );

    let listed = sandbox.cli(&["list", "--json"]).json();
    let key = listed[0]["key_arn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!key.is_empty(), "{listed}");
    assert!(!planted.contains(&key), "a planted key was adopted: {key}");
    let live: Vec<_> = aws
        .keys()
        .into_iter()
        .filter(|(_, s)| s == "Enabled")
        .collect();
    assert_eq!(
        live.len(),
        planted.len() + 1,
        "one key of the run's own, every planted key left as it was: {live:?}\n{stderr}"
    );
}
