//! A big account, paged the way AWS pages (the emulator's "paginate" rule; moto answers lists
//! whole): every setup and every key is found, the cost of listing setups does not grow with the
//! rest of the account, and the key picker describes nothing until it shows it.

mod support;

use serde_json::{json, Value};
use support::sandbox::{ADMIN_ACCESS_KEY, ADMIN_SECRET};
use support::Sandbox;

fn seed(sandbox: &Sandbox, spec: Value) -> Value {
    sandbox.emulator.seed(spec)
}

fn count(sandbox: &Sandbox, action: &str) -> usize {
    sandbox
        .emulator
        .actions()
        .iter()
        .filter(|a| a.as_str() == action)
        .count()
}

fn names(run: &support::CliRun) -> Vec<String> {
    let mut names: Vec<String> = run
        .json()
        .as_array()
        .expect("a JSON array")
        .iter()
        .filter_map(|s| s["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

#[test]
fn setups_are_found_past_every_page_and_older_ones_by_tag_once() {
    let sandbox = Sandbox::start();
    sandbox.emulator.add_fault(json!({"kind": "paginate"}));
    sandbox
        .cli(&[
            "provision",
            "--user",
            "new-app",
            "--new-key",
            "alias/new-app",
        ])
        .assert_ok();
    sandbox
        .cli(&[
            "provision",
            "--user",
            "old-app",
            "--new-key",
            "alias/old-app",
        ])
        .assert_ok();
    // 250 users of other teams (three of AWS's default pages), and old-app moved to "/", where a
    // version of this app without its own IAM path made its users, and made back then.
    seed(
        &sandbox,
        json!({"users": 250, "movePaths": {"old-app": "/"}, "agePrincipals": {"old-app": 60}}),
    );

    // Another admin's computer: no journal, no remembered scan.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let data_dir = elsewhere.path().display().to_string();
    let other = [("CSFLE_PROVISIONER_DATA_DIR", data_dir.as_str())];

    // A first listing never scans the account: only our path is read.
    sandbox.emulator.clear_requests();
    let first = sandbox.cli_with(&["list", "--json"], &other);
    first.assert_ok();
    assert_eq!(names(&first), ["new-app"]);
    assert!(
        count(&sandbox, "ListUserTags") <= 1,
        "no scan unless asked: {:?}",
        sandbox.emulator.actions()
    );
    assert!(first.stderr.contains("add --rescan"), "{}", first.stderr);

    sandbox.emulator.clear_requests();
    let rescan = sandbox.cli_with(&["list", "--json", "--rescan"], &other);
    rescan.assert_ok();
    assert_eq!(names(&rescan), ["new-app", "old-app"]);
    assert!(
        count(&sandbox, "ListUserTags") >= 251,
        "--rescan reads every user's tags"
    );
    assert!(
        rescan.stderr.contains("by tag, among 251 users")
            && rescan.stderr.contains("1 found (old-app)"),
        "{}",
        rescan.stderr
    );
    let old_app = rescan.json();
    let old_app = old_app
        .as_array()
        .and_then(|setups| setups.iter().find(|s| s["name"] == "old-app"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(old_app["ownership"], "proven", "{old_app}");

    sandbox.emulator.clear_requests();
    let again = sandbox.cli_with(&["list", "--json"], &other);
    again.assert_ok();
    assert_eq!(names(&again), ["new-app", "old-app"]);
    assert!(
        count(&sandbox, "ListUserTags") <= 2,
        "after the scan only our own principals are read: {:?}",
        sandbox.emulator.actions()
    );
}

#[test]
fn a_refused_read_marks_the_setup_unknown_instead_of_hiding_it() {
    let sandbox = Sandbox::start();
    sandbox
        .cli(&["provision", "--user", "app", "--new-key", "alias/app"])
        .assert_ok();
    sandbox
        .cli(&["provision", "--user", "other", "--new-key", "alias/other"])
        .assert_ok();
    // Without the account's details (refused) each setup is read on its own, and app's GetUser
    // is refused too.
    sandbox.emulator.add_fault(json!({"action": "GetAccountAuthorizationDetails", "times": 1000, "status": 403, "code": "AccessDenied", "message": "not allowed"}));
    sandbox.emulator.add_fault(json!({"action": "GetUser", "bodyContains": "UserName=app", "times": 1000, "status": 403, "code": "AccessDenied", "message": "not allowed"}));
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let data_dir = elsewhere.path().display().to_string();
    let run = sandbox.cli_with(
        &["list", "--json"],
        &[("CSFLE_PROVISIONER_DATA_DIR", data_dir.as_str())],
    );
    run.assert_ok();
    assert_eq!(names(&run), ["app", "other"]);
    let listed = run.json();
    let setups = listed.as_array().expect("a JSON array");
    let app = setups.iter().find(|s| s["name"] == "app").expect("app");
    assert_eq!(
        app["ownership"], "unproven",
        "read-only until it can be read: {app}"
    );
    let reason = app["ownership_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("iam:GetUser"), "{reason}");
    let other = setups.iter().find(|s| s["name"] == "other").expect("other");
    assert_eq!(
        other["ownership"], "proven",
        "the other card is judged: {other}"
    );
    assert_eq!(other["policy"], "least-privilege", "{other}");
}

/// The issue-20 figure: what one `list` asks AWS per setup (a user with its own new key, its
/// access key in the keychain), counted by the emulator: its access keys and SSH keys, and its
/// key's state, tags and rotation. The goal is at most 6 calls per setup, the account's own
/// calls included.
const CALLS_PER_SETUP: usize = 5;
/// Asked once per listing, whatever the number of setups.
const ACCOUNT_WIDE: [&str; 9] = [
    "GetCallerIdentity",
    "ListUsers",
    "ListRoles",
    "GetAccountSummary",
    "GetAccountAuthorizationDetails",
    "GenerateCredentialReport",
    "GetCredentialReport",
    "ListServiceSpecificCredentials",
    "ListAliases",
];
// With 25 setups (the figure) that is 5 + 9/25 calls per setup: within the goal of 6.
const _: () = assert!(CALLS_PER_SETUP * 25 + ACCOUNT_WIDE.len() <= 6 * 25);

#[test]
fn listing_asks_each_question_once_per_setup() {
    let sandbox = Sandbox::start();
    let setups = 3;
    for i in 0..setups {
        let user = format!("app-{i}");
        let alias = format!("alias/app-{i}");
        sandbox
            .cli(&["provision", "--user", &user, "--new-key", &alias])
            .assert_ok();
    }
    let count_of =
        |actions: &[String], action: &str| actions.iter().filter(|a| *a == action).count();
    sandbox.emulator.clear_requests();
    let run = sandbox.cli(&["list", "--json"]);
    run.assert_ok();
    assert_eq!(names(&run), ["app-0", "app-1", "app-2"]);
    let actions = sandbox.emulator.actions();
    eprintln!("{} calls for {setups} setups: {actions:?}", actions.len());
    for once in ACCOUNT_WIDE {
        assert_eq!(
            count_of(&actions, once),
            1,
            "{once} once in all: {actions:?}"
        );
    }
    let per_setup: Vec<&String> = actions
        .iter()
        .filter(|a| !ACCOUNT_WIDE.contains(&a.as_str()))
        .collect();
    assert_eq!(
        per_setup.len(),
        CALLS_PER_SETUP * setups,
        "{} calls for {setups} setups: {per_setup:?}",
        per_setup.len()
    );
    for each in [
        "ListAccessKeys",
        "ListSSHPublicKeys",
        "DescribeKey",
        "ListResourceTags",
        "GetKeyRotationStatus",
    ] {
        assert_eq!(
            count_of(&actions, each),
            setups,
            "{each} once per setup: {actions:?}"
        );
    }

    // A user made after the credential report is not in it: its sign-in material and its key's
    // last use are asked directly, so nothing newer than the report is missed.
    sandbox
        .cli(&[
            "provision",
            "--user",
            "app-new",
            "--new-key",
            "alias/app-new",
        ])
        .assert_ok();
    sandbox.emulator.clear_requests();
    let run = sandbox.cli(&["list", "--json"]);
    run.assert_ok();
    let actions = sandbox.emulator.actions();
    for asked in [
        "GetLoginProfile",
        "ListMFADevices",
        "ListSigningCertificates",
        "GetAccessKeyLastUsed",
    ] {
        assert_eq!(
            count_of(&actions, asked),
            1,
            "{asked} only for app-new: {actions:?}"
        );
    }
    let listed = run.json();
    let new = listed
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == "app-new"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(new["policy"], "least-privilege", "{new}");
    assert_eq!(new["outside_changes"], json!([]), "{new}");
}

#[test]
fn a_throttled_listing_waits_and_still_judges_every_setup() {
    let sandbox = Sandbox::start();
    for user in ["app-a", "app-b"] {
        let alias = format!("alias/{user}");
        sandbox
            .cli(&["provision", "--user", user, "--new-key", &alias])
            .assert_ok();
    }
    // AWS throttles four reads of different kinds: the shared backoff waits them out.
    for action in [
        "ListAccessKeys",
        "GetAccountAuthorizationDetails",
        "ListSSHPublicKeys",
        "DescribeKey",
    ] {
        sandbox.emulator.add_fault(json!({"action": action, "times": 1, "status": 400, "code": "Throttling", "message": "Rate exceeded"}));
    }
    sandbox.emulator.clear_requests();
    let run = sandbox.cli(&["list", "--json"]);
    run.assert_ok();
    assert_eq!(names(&run), ["app-a", "app-b"]);
    for setup in run.json().as_array().expect("a JSON array") {
        assert_eq!(setup["ownership"], "proven", "{setup}");
        assert_eq!(setup["policy"], "least-privilege", "{setup}");
        assert_eq!(setup["outside_changes"], json!([]), "{setup}");
        assert_eq!(
            setup["access_keys"].as_array().map(Vec::len),
            Some(1),
            "{setup}"
        );
    }
    assert_eq!(
        count(&sandbox, "ListAccessKeys"),
        3,
        "one throttled, asked again"
    );
    assert_eq!(
        count(&sandbox, "GetAccountAuthorizationDetails"),
        2,
        "the account's details, throttled once, asked again (not given up for per-setup reads)"
    );
}

#[test]
fn the_key_picker_lists_every_page_without_describing_and_explains_each_refusal() {
    let sandbox = Sandbox::start();
    sandbox.emulator.add_fault(json!({"kind": "paginate"}));
    seed(&sandbox, json!({"keys": 1234}));
    let aws = sandbox.aws();
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let denied = aws.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    let denied_id = denied.rsplit('/').next().unwrap().to_string();
    let usable = aws.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt);
    let usable_id = usable.rsplit('/').next().unwrap().to_string();
    sandbox.emulator.add_fault(json!({"action": "DescribeKey", "bodyContains": denied_id, "times": 1000, "status": 400, "code": "AccessDeniedException", "message": "not allowed"}));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = support::aws::config(&sandbox.emulator.url, ADMIN_ACCESS_KEY, ADMIN_SECRET);
    let connection = runtime
        .block_on(csfle_core::aws::connect::establish(config))
        .expect("connect");

    sandbox.emulator.clear_requests();
    let keys = runtime
        .block_on(csfle_core::setup::keys::customer_keys(&connection))
        .expect("list keys");
    assert_eq!(keys.len(), 1236, "every page of every key");
    assert!(
        keys[..1234].iter().all(|k| !k.aliases.is_empty()),
        "aliased keys first"
    );
    assert!(keys.iter().all(|k| !k.described));
    assert_eq!(
        count(&sandbox, "DescribeKey"),
        0,
        "nothing is described up front"
    );
    assert_eq!(count(&sandbox, "ListKeys"), 2, "1,000-key pages");

    let described = runtime.block_on(csfle_core::setup::keys::describe_keys(
        &connection,
        vec![
            denied_id.clone(),
            usable.clone(),
            "alias/nobody-has-this".into(),
            "not a key".into(),
        ],
    ));
    assert_eq!(described.len(), 4, "every entry answers");
    assert!(!described[0].usable);
    assert!(
        described[0]
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("kms:DescribeKey is denied"),
        "{:?}",
        described[0]
    );
    assert!(described[1].usable, "{:?}", described[1]);
    assert_eq!(described[1].key_id, usable_id);
    assert!(described[2]
        .reason
        .as_deref()
        .unwrap_or_default()
        .contains("no key or alias"));
    assert!(!described[3].usable && described[3].reason.is_some());
    assert_eq!(
        count(&sandbox, "DescribeKey"),
        3,
        "a malformed entry is refused before any call"
    );
}

/// In an account of thousands of other users and roles, reading all of them would cost more than
/// asking about our few setups one by one: the listing's cost stays that of our setups (issue 11).
#[test]
fn a_big_account_is_not_read_whole_for_a_few_setups() {
    let sandbox = Sandbox::start();
    sandbox.emulator.add_fault(json!({"kind": "paginate"}));
    sandbox
        .cli(&["provision", "--user", "app", "--new-key", "alias/app"])
        .assert_ok();
    seed(&sandbox, json!({"users": 1200}));
    sandbox.emulator.clear_requests();
    let run = sandbox.cli(&["list", "--json"]);
    run.assert_ok();
    assert_eq!(names(&run), ["app"]);
    assert_eq!(
        count(&sandbox, "GetAccountAuthorizationDetails"),
        0,
        "two pages of the account's details for one setup: {:?}",
        sandbox.emulator.actions()
    );
    assert_eq!(count(&sandbox, "GetUser"), 1, "app is asked about alone");
    let listed = run.json();
    assert_eq!(listed[0]["policy"], "least-privilege", "{listed}");
    assert_eq!(listed[0]["ownership"], "proven", "{listed}");
}
