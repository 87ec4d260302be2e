//! A run killed with SIGKILL after each stage is found at the next start and either resumed or
//! cleaned up, leaving AWS and the keychain consistent.

mod support;

use serde_json::json;
use std::io::{BufRead, BufReader};
use support::sandbox::ADMIN_ACCESS_KEY;
use support::Sandbox;

const SERVICE: &str = "csfle-provisioner";

/// Where the run is killed: the calls held (never answered) and the progress lines to wait for.
struct KillPoint {
    name: &'static str,
    stall: &'static [&'static str],
    after: &'static [&'static str],
}

const KILL_POINTS: [KillPoint; 3] = [
    KillPoint {
        name: "after key and user",
        stall: &["CreateAlias", "PutUserPolicy", "CreateAccessKey"],
        after: &["✓ create key", "✓ create user"],
    },
    KillPoint {
        name: "after access key, before keychain",
        stall: &["CreateAlias"],
        after: &["✓ create access key", "✓ attach policy"],
    },
    KillPoint {
        name: "after keychain, before verify",
        stall: &["GetCallerIdentity"],
        after: &["✓ store in keychain"],
    },
];

fn kill_at(sandbox: &Sandbox, point: &KillPoint) {
    for action in point.stall {
        let mut rule = json!({"action": action, "kind": "stall", "seconds": 60});
        if *action == "GetCallerIdentity" {
            rule["notAccessKey"] = json!(ADMIN_ACCESS_KEY);
        }
        sandbox.emulator.add_fault(rule);
    }
    let mut child = sandbox.spawn_cli(&["provision", "--user", "app", "--new-key", "alias/app"]);
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        if point
            .after
            .iter()
            .all(|marker| seen.iter().any(|l| l.starts_with(marker)))
        {
            break;
        }
    }
    assert!(
        point
            .after
            .iter()
            .all(|m| seen.iter().any(|l| l.starts_with(m))),
        "{}: never reached: {seen:?}",
        point.name
    );
    child.kill().unwrap(); // SIGKILL: no destructor, no rollback
    child.wait().unwrap();
    // Calls already held stay held (they never reach moto); later calls go through.
    sandbox.emulator.clear_faults();
}

fn interrupted(sandbox: &Sandbox) -> serde_json::Value {
    let run = sandbox.cli(&["recover", "--json"]);
    run.assert_ok();
    run.json()
}

#[test]
fn a_killed_run_can_be_cleaned_up_from_any_point() {
    for point in &KILL_POINTS {
        let sandbox = Sandbox::start();
        kill_at(&sandbox, point);
        let found = interrupted(&sandbox);
        assert_eq!(
            found.as_array().map(Vec::len),
            Some(1),
            "{}: {found}",
            point.name
        );
        assert_eq!(found[0]["user_name"], "app");

        let run = sandbox.cli(&["recover", "--clean-up", "--yes"]);
        run.assert_ok();
        sandbox.aws().assert_nothing_left(&[]);
        assert_eq!(sandbox.keyring.count(SERVICE), 0, "{}", point.name);
        assert_eq!(
            interrupted(&sandbox),
            json!([]),
            "{}: nothing left to recover",
            point.name
        );
    }
}

#[test]
fn a_killed_run_can_be_resumed_from_any_point() {
    for point in &KILL_POINTS {
        let sandbox = Sandbox::start();
        kill_at(&sandbox, point);
        let run = sandbox.cli(&["recover", "--resume", "--json"]);
        run.assert_ok();
        let outcome = &run.json()[0];
        assert_eq!(outcome["verified"], true, "{}", point.name);
        let aws = sandbox.aws();
        // One of each: the resumed run reused what existed.
        assert_eq!(aws.users(), vec!["app".to_string()], "{}", point.name);
        assert_eq!(
            aws.aliases(),
            vec!["alias/app".to_string()],
            "{}",
            point.name
        );
        let live_keys: Vec<_> = aws
            .keys()
            .into_iter()
            .filter(|(_, s)| s == "Enabled")
            .collect();
        assert_eq!(live_keys.len(), 1, "{}: {live_keys:?}", point.name);
        assert!(outcome["key_arn"]
            .as_str()
            .unwrap()
            .ends_with(&live_keys[0].0));
        // Exactly one access key, and it is the one in the keychain.
        let keys = aws.access_keys("app");
        assert_eq!(
            keys,
            vec![outcome["access_key_id"].as_str().unwrap().to_string()],
            "{}",
            point.name
        );
        let item: serde_json::Value =
            serde_json::from_str(&sandbox.keyring.lookup(SERVICE, "123456789012/app").unwrap())
                .unwrap();
        assert_eq!(item["AccessKeyId"], outcome["access_key_id"]);
        assert_eq!(
            item["SecretAccessKey"],
            sandbox.emulator.issued_secret(&keys[0]).unwrap().as_str()
        );
        assert_eq!(interrupted(&sandbox), json!([]), "{}", point.name);
    }
}
