//! IAM's eventual consistency, emulated by time (the emulator's standing "propagation" rule: a key
//! it issued is refused for N seconds): verification notices a key the moment it is live, each
//! phase on its own schedule, for a new setup and for a rotation alike.

mod support;

use serde_json::{json, Value};
use support::Sandbox;

const STS_SECONDS: f64 = 3.6;
const KMS_SECONDS: f64 = 8.0;

fn emulate_propagation(sandbox: &Sandbox) {
    sandbox.emulator.add_fault(json!({"kind": "propagation", "service": "sts", "action": "GetCallerIdentity", "seconds": STS_SECONDS, "status": 403, "code": "InvalidClientTokenId", "message": "The security token included in the request is invalid."}));
    sandbox.emulator.add_fault(json!({"kind": "propagation", "service": "kms", "seconds": KMS_SECONDS, "status": 400, "code": "AccessDeniedException", "message": "not yet"}));
}

/// Seconds from the end of the new key's last refused call of `action` to the end of its first
/// accepted one: how late the key was noticed.
fn noticed_after(requests: &[Value], key: &str, action: &str) -> f64 {
    let calls: Vec<&Value> = requests
        .iter()
        .filter(|r| r["accessKey"] == key && r["action"] == action)
        .collect();
    assert!(
        calls.len() >= 2,
        "{action} was refused at least once: {calls:?}"
    );
    // A refused call never reaches moto, so its "end" is unset; an accepted one has it.
    let last_refused = calls
        .iter()
        .filter(|r| r["end"].is_null())
        .filter_map(|r| r["start"].as_f64())
        .fold(f64::MIN, f64::max);
    let accepted = calls
        .iter()
        .find(|r| !r["end"].is_null())
        .and_then(|r| r["end"].as_f64())
        .expect("an accepted call");
    accepted - last_refused
}

fn assert_prompt(sandbox: &Sandbox, key: &str) {
    let requests = sandbox.emulator.requests();
    for action in ["GetCallerIdentity", "Encrypt"] {
        let late = noticed_after(&requests, key, action);
        // The pace is 0.25 s; the old doubling backoff noticed this schedule 3.9 s and 4.5 s late.
        // The bound is generous so a loaded machine does not fail the test.
        assert!(
            late < 2.0,
            "{action} noticed {late:.2} s after it was refused last"
        );
    }
    let probes = requests.iter().filter(|r| r["accessKey"] == key).count();
    assert!(
        probes < 100,
        "{probes} probes in about {KMS_SECONDS} s: polling must stay far below AWS's quotas"
    );
}

#[test]
fn a_new_setup_is_proven_as_soon_as_each_phase_is_live() {
    let sandbox = Sandbox::start();
    emulate_propagation(&sandbox);
    let run = sandbox.cli(&[
        "provision",
        "--user",
        "app",
        "--new-key",
        "alias/app",
        "--json",
    ]);
    run.assert_ok();
    assert_eq!(run.json()["verified"], true);
    let key = run.json()["access_key_id"].as_str().unwrap().to_string();
    assert_prompt(&sandbox, &key);
}

#[test]
fn a_rotation_is_proven_as_soon_as_each_phase_is_live() {
    let sandbox = Sandbox::start();
    sandbox
        .cli(&["provision", "--user", "app", "--new-key", "alias/app"])
        .assert_ok();
    emulate_propagation(&sandbox);
    sandbox.emulator.clear_requests();
    let run = sandbox.cli(&["rotate", "--user", "app", "--json"]);
    run.assert_ok();
    let new_key = sandbox
        .emulator
        .requests()
        .iter()
        .filter(|r| {
            r["action"] == "GetCallerIdentity"
                && r["accessKey"] != support::sandbox::ADMIN_ACCESS_KEY
        })
        .filter_map(|r| r["accessKey"].as_str().map(str::to_string))
        .next()
        .expect("the new key was probed");
    assert_prompt(&sandbox, &new_key);
}
