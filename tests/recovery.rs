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

/// Starts `args`, reads its progress until `reached` says so, then kills it (SIGKILL: no rollback).
fn kill_when(
    sandbox: &Sandbox,
    args: &[&str],
    mut reached: impl FnMut(&[String]) -> bool,
) -> Vec<String> {
    let mut child = sandbox.spawn_cli(args);
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines() {
        seen.push(line.unwrap());
        if reached(&seen) {
            break;
        }
    }
    assert!(reached(&seen), "never reached: {seen:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    sandbox.emulator.clear_faults();
    seen
}

fn roles(sandbox: &Sandbox) -> Vec<String> {
    let aws = sandbox.aws();
    let listed = aws.block(aws.iam().list_roles().send()).unwrap();
    listed
        .roles()
        .iter()
        .map(|r| r.role_name().to_string())
        .collect()
}

const GITHUB_PROVIDER: &str =
    "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";

/// The provider is made before the role: a run killed in between has a provider and no role.
/// Clean-up finds it by its run tag and creation time, not by the role, and removes it; a
/// provider another role trusts by then stays, said so.
#[test]
fn a_role_run_killed_after_its_oidc_provider_is_cleaned_up_provider_included() {
    for someone_trusts_it in [false, true] {
        let sandbox = Sandbox::start();
        sandbox
            .emulator
            .add_fault(json!({"action": "CreateRole", "kind": "stall", "seconds": 60}));
        let args = [
            "provision",
            "--role",
            "ci",
            "--trust",
            "github:acme/payments:environment:prod",
            "--new-key",
            "alias/ci",
        ];
        kill_when(&sandbox, &args, |seen| {
            seen.iter().any(|l| l.starts_with("✓ create OIDC provider"))
                && seen.iter().any(|l| l.starts_with("✓ create key"))
        });
        assert_eq!(
            sandbox.aws().oidc_providers(),
            vec![GITHUB_PROVIDER.to_string()]
        );
        assert!(roles(&sandbox).is_empty(), "the role was never made");
        if someone_trusts_it {
            let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Federated": GITHUB_PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity"}]});
            let aws = sandbox.aws();
            aws.block(
                aws.iam()
                    .create_role()
                    .role_name("theirs")
                    .assume_role_policy_document(trust.to_string())
                    .send(),
            )
            .unwrap();
        }
        // Without --yes: what would go, nothing changed.
        let preview = sandbox.cli(&["recover", "--clean-up", "--json"]);
        preview.assert_failed();
        let said = preview.stdout.clone();
        assert_eq!(
            said.contains(&format!("\"OIDC provider {GITHUB_PROVIDER}\"")),
            !someone_trusts_it,
            "{said}"
        );
        let run = sandbox.cli(&["recover", "--clean-up", "--yes", "--json"]);
        run.assert_ok();
        sandbox.aws().assert_nothing_left(&[]);
        if someone_trusts_it {
            assert!(
                run.stdout.contains("kept, because theirs trust it now"),
                "{}",
                run.stdout
            );
            assert_eq!(
                sandbox.aws().oidc_providers(),
                vec![GITHUB_PROVIDER.to_string()]
            );
            assert_eq!(roles(&sandbox), vec!["theirs".to_string()]);
        } else {
            assert!(sandbox.aws().oidc_providers().is_empty());
        }
        assert_eq!(interrupted(&sandbox), json!([]));
    }
}

fn make_cluster(sandbox: &Sandbox, name: &str) {
    use support::sandbox::ADMIN_SECRET;
    let config = support::aws::config(&sandbox.emulator.url, ADMIN_ACCESS_KEY, ADMIN_SECRET);
    let eks = aws_sdk_eks::Client::new(&config);
    sandbox
        .aws()
        .block(
            eks.create_cluster()
                .name(name)
                .role_arn("arn:aws:iam::123456789012:role/eks-cluster")
                .resources_vpc_config(aws_sdk_eks::types::VpcConfigRequest::builder().build())
                .send(),
        )
        .expect("CreateCluster");
}

fn associations(sandbox: &Sandbox, cluster: &str) -> Vec<String> {
    use support::sandbox::ADMIN_SECRET;
    let config = support::aws::config(&sandbox.emulator.url, ADMIN_ACCESS_KEY, ADMIN_SECRET);
    let eks = aws_sdk_eks::Client::new(&config);
    let listed = sandbox
        .aws()
        .block(
            eks.list_pod_identity_associations()
                .cluster_name(cluster)
                .send(),
        )
        .unwrap();
    listed
        .associations()
        .iter()
        .map(|a| a.association_id().unwrap_or_default().to_string())
        .collect()
}

/// EKS made the association, its reply was lost, and the run was killed while it looked for it:
/// the journal never heard of the association. Clean-up finds it on the cluster the role's trust
/// names (the run's tag, the run's role, made during the run) and unbinds it before the role goes;
/// another service account's association on the same cluster stays.
#[test]
fn a_role_run_killed_after_a_lost_pod_identity_reply_is_cleaned_up_association_included() {
    let sandbox = Sandbox::start();
    make_cluster(&sandbox, "prod");
    // Someone else's association on the same cluster, to be left alone.
    sandbox
        .cli(&[
            "provision",
            "--role",
            "other",
            "--trust",
            "eks-pod-identity:prod:billing/api",
            "--new-key",
            "alias/other",
        ])
        .assert_ok();
    let theirs = associations(&sandbox, "prod");
    assert_eq!(theirs.len(), 1);
    sandbox.emulator.clear_requests();
    sandbox
        .emulator
        .add_fault(json!({"action": "CreatePodIdentityAssociation", "kind": "lost"}));
    // Planning lists the service account's associations once; the lookup after the lost reply
    // is the second list, held until the kill.
    sandbox.emulator.add_fault(
        json!({"action": "ListPodIdentityAssociations", "kind": "stall", "seconds": 60, "skip": 1}),
    );
    let mut child = sandbox.spawn_cli(&[
        "provision",
        "--role",
        "pods",
        "--trust",
        "eks-pod-identity:prod:payments/api",
        "--existing-key",
        "alias/other",
    ]);
    let lookups = || {
        sandbox
            .emulator
            .actions()
            .iter()
            .filter(|a| *a == "ListPodIdentityAssociations")
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while lookups() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the lookup never came: {:?}",
            sandbox.emulator.actions()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    sandbox.emulator.clear_faults();
    let bound = associations(&sandbox, "prod");
    assert_eq!(bound.len(), 2, "EKS made it");
    let journal: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            sandbox
                .keyring
                .home()
                .join(".local/share/csfle-provisioner/journal.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let pods = journal["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["principal_name"] == "pods")
        .unwrap();
    assert_eq!(pods["state"], "in-progress");
    assert!(
        !pods["created"]
            .to_string()
            .contains("pod-identity-association"),
        "{pods}"
    );

    let run = sandbox.cli(&["recover", "--clean-up", "--yes", "--json"]);
    run.assert_ok();
    assert!(
        run.stdout.contains("Pod Identity association"),
        "{}",
        run.stdout
    );
    assert_eq!(associations(&sandbox, "prod"), theirs);
    assert_eq!(roles(&sandbox), vec!["other".to_string()]);
    assert_eq!(interrupted(&sandbox), json!([]));
}
