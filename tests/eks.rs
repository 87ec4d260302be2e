//! IAM roles for EKS service accounts (IRSA, issue 17): the cluster's OIDC issuer is read from
//! EKS, the role trusts exactly one namespace's service account, the provider comes and goes with
//! the setup, and a pod's way of signing in (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE) gives
//! libmongocrypt the role's credentials. moto serves EKS clusters with an issuer; it checks neither
//! the token nor the conditions, so the trust is asserted field by field.

mod support;

use serde_json::{json, Value};
use support::sandbox::{ADMIN_ACCESS_KEY, ADMIN_SECRET};
use support::Sandbox;

fn make_cluster(sandbox: &Sandbox, name: &str) -> String {
    let config = support::aws::config(&sandbox.emulator.url, ADMIN_ACCESS_KEY, ADMIN_SECRET);
    let eks = aws_sdk_eks::Client::new(&config);
    let aws = sandbox.aws();
    let made = aws
        .block(
            eks.create_cluster()
                .name(name)
                .role_arn("arn:aws:iam::123456789012:role/eks-cluster")
                .resources_vpc_config(aws_sdk_eks::types::VpcConfigRequest::builder().build())
                .send(),
        )
        .expect("CreateCluster");
    let cluster = made.cluster().expect("cluster");
    let issuer = cluster
        .identity()
        .and_then(|i| i.oidc())
        .and_then(|o| o.issuer());
    issuer.expect("an OIDC issuer").to_string()
}

fn decoded_trust(sandbox: &Sandbox, role: &str) -> Value {
    sandbox.aws().role_trust(role)
}

#[test]
fn a_service_account_role_trusts_exactly_that_service_account_on_its_clusters_issuer() {
    let sandbox = Sandbox::start();
    let issuer_url = make_cluster(&sandbox, "prod");
    let issuer = issuer_url.trim_start_matches("https://").to_string();

    let unknown = sandbox.cli(&[
        "provision",
        "--role",
        "api",
        "--trust",
        "eks:staging:payments/api-server",
        "--new-key",
        "alias/api",
    ]);
    unknown.assert_failed();
    assert!(
        unknown.stderr.contains("no EKS cluster named staging"),
        "{}",
        unknown.stderr
    );
    assert!(sandbox.aws().users().is_empty());

    let run = sandbox.cli(&[
        "provision",
        "--role",
        "api",
        "--trust",
        "eks:prod:payments/api-server",
        "--new-key",
        "alias/api",
        "--json",
    ]);
    run.assert_ok();
    let made = run.json();
    let provider = format!("arn:aws:iam::123456789012:oidc-provider/{issuer}");
    let statement = &decoded_trust(&sandbox, "api")["Statement"][0];
    assert_eq!(statement["Principal"], json!({"Federated": provider}));
    assert_eq!(statement["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(
        statement["Condition"],
        json!({"StringEquals": {
            format!("{issuer}:aud"): "sts.amazonaws.com",
            format!("{issuer}:sub"): "system:serviceaccount:payments:api-server",
        }})
    );
    let role_arn = made["role_arn"].as_str().unwrap();
    let manifest = made["workload_snippet"].as_str().unwrap();
    assert!(
        manifest.contains(&format!("eks.amazonaws.com/role-arn: {role_arn}")),
        "{manifest}"
    );
    assert!(manifest.contains("namespace: payments"), "{manifest}");

    // A pod of that service account: EKS mounts its token and sets the two variables.
    let token = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token.path(), "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl").unwrap();
    let token_file = token.path().display().to_string();
    let seen = sandbox.mongocrypt_app(
        made["key_arn"].as_str().unwrap(),
        &[
            ("AWS_ROLE_ARN", role_arn),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file),
        ],
    );
    assert_eq!(seen["round_trip"], true);

    let gone = sandbox.cli(&["teardown", "--role", "api", "--yes", "--json"]);
    gone.assert_ok();
    assert!(
        gone.stdout.contains(&format!("OIDC provider {provider}")),
        "{}",
        gone.stdout
    );
}

fn associations(sandbox: &Sandbox, cluster: &str) -> Vec<String> {
    let config = support::aws::config(&sandbox.emulator.url, ADMIN_ACCESS_KEY, ADMIN_SECRET);
    let eks = aws_sdk_eks::Client::new(&config);
    let listed = sandbox
        .aws()
        .block(
            eks.list_pod_identity_associations()
                .cluster_name(cluster)
                .send(),
        )
        .expect("ListPodIdentityAssociations");
    listed
        .associations()
        .iter()
        .map(|a| {
            format!(
                "{}/{}",
                a.namespace().unwrap_or_default(),
                a.service_account().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn a_pod_identity_role_is_bound_to_one_service_account_and_unbound_at_teardown() {
    let sandbox = Sandbox::start();
    make_cluster(&sandbox, "prod");
    let run = sandbox.cli(&[
        "provision",
        "--role",
        "pods",
        "--trust",
        "eks-pod-identity:prod:payments/api",
        "--new-key",
        "alias/pods",
        "--json",
    ]);
    run.assert_ok();
    let made = run.json();
    let statement = &decoded_trust(&sandbox, "pods")["Statement"][0];
    assert_eq!(
        statement["Principal"],
        json!({"Service": "pods.eks.amazonaws.com"})
    );
    assert_eq!(
        statement["Action"],
        json!(["sts:AssumeRole", "sts:TagSession"])
    );
    assert_eq!(
        statement["Condition"]["StringEquals"],
        json!({"aws:SourceAccount": "123456789012"})
    );
    let cluster_arn = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
        .as_str()
        .unwrap();
    assert!(cluster_arn.ends_with(":cluster/prod"), "{cluster_arn}");
    assert_eq!(associations(&sandbox, "prod"), vec!["payments/api"]);
    let snippet = made["workload_snippet"].as_str().unwrap();
    assert!(
        snippet.contains("Pod Identity Agent") && snippet.contains("Go, C and PHP"),
        "{snippet}"
    );

    // EKS allows one role per service account: a second setup for it changes nothing.
    let second = sandbox.cli(&[
        "provision",
        "--role",
        "pods-2",
        "--trust",
        "eks-pod-identity:prod:payments/api",
        "--existing-key",
        "alias/pods",
    ]);
    second.assert_failed();
    assert!(second.stderr.contains("already bound"), "{}", second.stderr);

    // A pod of the service account: botocore's container provider asks the agent's endpoint
    // (here the emulator's), which hands it the role's credentials.
    let agent = format!("{}/_pod-identity/credentials", sandbox.emulator.url);
    let seen = sandbox.mongocrypt_app(
        made["key_arn"].as_str().unwrap(),
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &agent),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "prod/payments/api"),
        ],
    );
    assert_eq!(seen["round_trip"], true);
    assert_eq!(seen["token_sent"], true, "the role's session credentials");

    let gone = sandbox.cli(&["teardown", "--role", "pods", "--yes", "--json"]);
    gone.assert_ok();
    assert!(
        gone.stdout.contains("Pod Identity association"),
        "{}",
        gone.stdout
    );
    assert!(associations(&sandbox, "prod").is_empty());
}

#[test]
fn a_failure_after_the_association_was_made_unbinds_the_service_account_again() {
    let sandbox = Sandbox::start();
    let issuer = make_cluster(&sandbox, "prod");
    assert!(issuer.starts_with("https://"), "{issuer}");
    // The check of what IAM stored is the last step: it fails after the association was made.
    sandbox.emulator.add_fault(json!({
        "action": "GetRolePolicy", "status": 403, "code": "AccessDenied",
        "message": "not allowed by the test", "times": 50,
    }));
    let run = sandbox.cli(&[
        "provision",
        "--role",
        "pods",
        "--trust",
        "eks-pod-identity:prod:payments/api",
        "--new-key",
        "alias/pods",
    ]);
    run.assert_failed();
    // The progress says the association was made.
    assert!(
        run.stderr.contains("✓ bind the service account"),
        "the association was made before the failure:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rolled back: Pod Identity association"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("LEFT BEHIND"), "{}", run.stderr);
    assert!(associations(&sandbox, "prod").is_empty());
    assert!(!sandbox.aws().role_exists("pods"));
    sandbox.aws().assert_nothing_left(&[]);
}

/// Issue 16 item 6: the permissions boundary goes last, only after every earlier removal
/// succeeded; a Pod Identity association that could not be removed keeps it on the role (which
/// otherwise would be left with its binding and without the limit), and the next run finishes.
#[test]
fn a_failed_unbind_keeps_the_roles_permissions_boundary() {
    let sandbox = Sandbox::start();
    make_cluster(&sandbox, "prod");
    sandbox
        .cli(&[
            "provision",
            "--role",
            "pods",
            "--trust",
            "eks-pod-identity:prod:payments/api",
            "--new-key",
            "alias/pods",
        ])
        .assert_ok();
    let aws = sandbox.aws();
    let limit = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]});
    let boundary = aws.create_policy("Boundary", &limit);
    aws.put_role_boundary("pods", &boundary);
    let attached = || aws.role_boundary("pods");

    sandbox
        .emulator
        .add_fault(json!({"action": "DeletePodIdentityAssociation",
        "status": 403, "code": "AccessDeniedException", "message": "not allowed by the test"}));
    let failed = sandbox.cli(&["teardown", "--role", "pods", "--yes"]);
    failed.assert_failed();
    assert!(
        failed
            .stderr
            .contains("remove the permissions boundary: not done, because a removal above failed"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("IAM role pods: not deleted"),
        "the role stays, so the next run finds the association through its trust: {}",
        failed.stderr
    );
    assert_eq!(
        attached(),
        Some(boundary),
        "the boundary still limits the role"
    );
    assert_eq!(associations(&sandbox, "prod"), vec!["payments/api"]);

    sandbox.emulator.clear_faults();
    sandbox
        .cli(&["teardown", "--role", "pods", "--yes"])
        .assert_ok();
    assert!(associations(&sandbox, "prod").is_empty());
    assert!(!sandbox.aws().role_exists("pods"));
}

/// EKS made the association and its reply was lost. Sent again it would answer "in use" for the
/// run's own binding; the run looks instead (the run's tag, its role, made after the call) and
/// adopts it: one association, the setup complete.
#[test]
fn a_lost_reply_to_the_association_is_adopted_not_sent_again() {
    let sandbox = Sandbox::start();
    make_cluster(&sandbox, "prod");
    sandbox
        .emulator
        .add_fault(json!({"action": "CreatePodIdentityAssociation", "kind": "lost"}));
    let run = sandbox.cli(&[
        "provision",
        "--role",
        "pods",
        "--trust",
        "eks-pod-identity:prod:payments/api",
        "--new-key",
        "alias/pods",
    ]);
    run.assert_ok();
    let creates = sandbox
        .emulator
        .actions()
        .iter()
        .filter(|a| *a == "CreatePodIdentityAssociation")
        .count();
    assert_eq!(creates, 1, "{:?}", sandbox.emulator.actions());
    assert_eq!(associations(&sandbox, "prod"), vec!["payments/api"]);
    let gone = sandbox.cli(&["teardown", "--role", "pods", "--yes", "--json"]);
    gone.assert_ok();
    assert!(associations(&sandbox, "prod").is_empty());
}
