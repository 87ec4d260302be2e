//! The production path: an IAM role with a trust policy, the same least-privilege KMS policy, and
//! no access key at all.

mod support;

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::sandbox::ADMIN_ACCESS_KEY;
use support::Sandbox;

fn role_json(aws: &support::aws::Aws, role: &str) -> Option<Value> {
    let reply = aws
        .block(aws.iam().get_role().role_name(role).send())
        .ok()?;
    let document = reply.role()?.assume_role_policy_document()?.to_string();
    serde_json::from_str(&csfle_core::aws::policy::percent_decode(&document)?).ok()
}

#[test]
fn an_ec2_role_gets_a_trust_policy_an_instance_profile_and_no_access_key() {
    let sandbox = Sandbox::start();
    let run = sandbox.cli(&[
        "provision",
        "--role",
        "orders-app",
        "--trust",
        "ec2",
        "--new-key",
        "alias/orders",
        "--json",
    ]);
    run.assert_ok();
    let outcome = run.json();
    assert_eq!(
        outcome["role_arn"],
        "arn:aws:iam::123456789012:role/csfle-provisioner/orders-app"
    );
    assert_eq!(
        outcome["trust"],
        json!({"kind": "service", "service": "ec2.amazonaws.com"})
    );
    assert_eq!(
        outcome["verified"], false,
        "a service role cannot be assumed from here"
    );
    assert!(outcome["verification"]
        .as_str()
        .unwrap()
        .contains("least-privilege"));
    assert!(outcome.get("access_key_id").is_none());

    let aws = sandbox.aws();
    let trust = role_json(&aws, "orders-app").unwrap();
    assert_eq!(
        trust["Statement"][0]["Principal"],
        json!({"Service": "ec2.amazonaws.com"})
    );
    assert_eq!(trust["Statement"][0]["Action"], "sts:AssumeRole");
    let policy = aws
        .block(
            aws.iam()
                .get_role_policy()
                .role_name("orders-app")
                .policy_name("csfle-kms-orders-app")
                .send(),
        )
        .unwrap();
    let key_arn = outcome["key_arn"].as_str().unwrap();
    assert_eq!(
        csfle_core::aws::policy::percent_decode(policy.policy_document()).unwrap(),
        csfle_core::aws::policy::kms_policy_document(key_arn)
    );
    let profile = aws
        .block(
            aws.iam()
                .get_instance_profile()
                .instance_profile_name("orders-app")
                .send(),
        )
        .unwrap();
    let roles: Vec<_> = profile
        .instance_profile()
        .unwrap()
        .roles()
        .iter()
        .map(|r| r.role_name().to_string())
        .collect();
    assert_eq!(roles, vec!["orders-app".to_string()]);
    assert_eq!(
        outcome["instance_profile_arn"],
        profile.instance_profile().unwrap().arn()
    );
    assert!(aws.users().is_empty(), "no user, so no access key");
    assert_eq!(
        sandbox.keyring.count("csfle-provisioner"),
        0,
        "nothing to store"
    );
}

#[test]
fn a_role_the_admin_may_assume_is_proven_with_its_own_temporary_credentials() {
    let sandbox = Sandbox::start();
    let run = sandbox.cli(&[
        "provision",
        "--role",
        "batch-app",
        "--trust",
        "123456789012",
        "--new-key",
        "alias/batch",
        "--json",
    ]);
    run.assert_ok();
    let outcome = run.json();
    assert_eq!(outcome["verified"], true, "{outcome}");
    assert!(outcome["instance_profile_arn"].is_null());
    let actions = sandbox.emulator.requests();
    let assumed = actions.iter().any(|r| r["action"] == "AssumeRole");
    let encrypted_by_session = actions.iter().any(|r| {
        r["action"] == "Encrypt"
            && r["accessKey"]
                .as_str()
                .unwrap_or_default()
                .starts_with("ASIA")
    });
    assert!(
        assumed && encrypted_by_session,
        "the round trip used the role's session credentials"
    );
}

#[test]
fn a_failing_role_step_rolls_back_role_profile_and_key() {
    let sandbox = Sandbox::start();
    sandbox.emulator.add_fault(json!({"action": "AddRoleToInstanceProfile", "status": 403, "code": "AccessDenied", "message": "no"}));
    let run = sandbox.cli(&[
        "provision",
        "--role",
        "web-app",
        "--trust",
        "ec2",
        "--new-key",
        "alias/web",
    ]);
    run.assert_failed();
    assert!(
        run.stderr
            .contains("iam:AddRoleToInstanceProfile was denied"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rolled back: instance profile web-app"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rolled back: IAM role web-app"),
        "{}",
        run.stderr
    );
    let aws = sandbox.aws();
    assert!(role_json(&aws, "web-app").is_none());
    assert!(aws
        .block(
            aws.iam()
                .get_instance_profile()
                .instance_profile_name("web-app")
                .send()
        )
        .is_err());
    aws.assert_nothing_left(&[]);
}

#[test]
fn bad_trust_is_refused_before_any_call_and_role_setups_tear_down() {
    let sandbox = Sandbox::start();
    let run = sandbox.cli(&[
        "provision",
        "--role",
        "x",
        "--trust",
        "someone",
        "--new-key",
        "alias/x",
    ]);
    run.assert_failed();
    assert!(
        run.stderr.contains("Who may assume the role"),
        "{}",
        run.stderr
    );
    assert!(sandbox.emulator.actions().is_empty());

    let made = sandbox.cli(&[
        "provision",
        "--role",
        "jobs",
        "--trust",
        "ecs-tasks",
        "--new-key",
        "alias/jobs",
        "--json",
    ]);
    made.assert_ok();
    let key = made.json()["key_arn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let run = sandbox.cli(&[
        "teardown",
        "--role",
        "jobs",
        "--delete-key",
        "--key-deletion-days",
        "7",
        "--key-arn",
        &key,
        "--yes",
        "--json",
    ]);
    run.assert_ok();
    let aws = sandbox.aws();
    assert!(role_json(&aws, "jobs").is_none());
    aws.assert_nothing_left(&[]);
}

#[test]
fn role_setups_are_listed_and_an_interrupted_one_is_cleaned_up() {
    let sandbox = Sandbox::start();
    sandbox
        .cli(&[
            "provision",
            "--role",
            "listed-role",
            "--trust",
            "lambda",
            "--new-key",
            "alias/listed",
        ])
        .assert_ok();
    let listed = sandbox.cli(&["list", "--json"]);
    listed.assert_ok();
    let setups = listed.json();
    let role = setups
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "listed-role")
        .expect("the role is listed");
    assert_eq!(role["kind"], "role");
    assert_eq!(role["policy"], "least-privilege");
    assert_eq!(role["key_aliases"], json!(["alias/listed"]));
    assert_eq!(
        role["principal_arn"],
        "arn:aws:iam::123456789012:role/csfle-provisioner/listed-role"
    );

    // Killed after the key and the role exist: resume is refused with a way out, clean-up works.
    sandbox
        .emulator
        .add_fault(json!({"action": "PutRolePolicy", "kind": "stall", "seconds": 60}));
    sandbox
        .emulator
        .add_fault(json!({"action": "CreateAlias", "kind": "stall", "seconds": 60}));
    let mut child = sandbox.spawn_cli(&[
        "provision",
        "--role",
        "killed-role",
        "--trust",
        "lambda",
        "--new-key",
        "alias/killed",
    ]);
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in std::io::BufRead::lines(stderr) {
        seen.push(line.unwrap());
        if seen.iter().any(|l| l.starts_with("✓ create role"))
            && seen.iter().any(|l| l.starts_with("✓ create key"))
        {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    sandbox.emulator.clear_faults();
    let resume = sandbox.cli(&["recover", "--resume"]);
    resume.assert_failed();
    assert!(
        resume.stderr.contains("not supported") && resume.stderr.contains("Clean it up"),
        "{}",
        resume.stderr
    );
    sandbox.cli(&["recover", "--clean-up", "--yes"]).assert_ok();
    let aws = sandbox.aws();
    assert!(
        role_json(&aws, "killed-role").is_none(),
        "the interrupted role was removed"
    );
    assert!(
        role_json(&aws, "listed-role").is_some(),
        "the finished setup was not touched"
    );
    assert_eq!(aws.aliases(), vec!["alias/listed".to_string()]);
}

#[test]
fn the_verify_limit_bounds_the_role_wait_and_its_proof_together() {
    let sandbox = Sandbox::start();
    // IAM refuses the new role for most of the limit, and then its credentials never work.
    sandbox.emulator.add_fault(json!({"action": "AssumeRole", "times": 20, "status": 403, "code": "AccessDenied", "message": "not yet"}));
    sandbox.emulator.add_fault(json!({"action": "GetCallerIdentity", "notAccessKey": ADMIN_ACCESS_KEY, "times": 100000, "status": 403, "code": "InvalidClientTokenId", "message": "never live"}));
    let started = Instant::now();
    let run = sandbox.cli(&[
        "provision",
        "--role",
        "batch-app",
        "--trust",
        "123456789012",
        "--new-key",
        "alias/batch",
        "--verify-timeout",
        "6",
    ]);
    let elapsed = started.elapsed();
    run.assert_failed();
    assert!(
        run.stderr.contains("did not become usable within 6 s"),
        "{}",
        run.stderr
    );
    // Twenty refusals at the quarter-second pace take ~5 s; a proof given a fresh 6 s of its own
    // would end near 11 s.
    assert!(elapsed < Duration::from_secs(9), "took {elapsed:?}");
    assert!(
        run.stderr.contains("rolled back: IAM role batch-app")
            || run.stderr.contains("rolled back: role batch-app"),
        "{}",
        run.stderr
    );
}
