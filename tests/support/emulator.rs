//! The moto server with the project's fault layer (tests/emulator/emulator.py), on a free port.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Emulator {
    child: Child,
    pub url: String,
}

impl Emulator {
    pub fn start() -> Emulator {
        let script = super::repo_root().join("tests/emulator/emulator.py");
        let mut child = Command::new(super::python())
            .arg(script)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator (is moto installed? scripts/setup.sh does it)");
        let stdout = child.stdout.take().expect("emulator stdout");
        let mut first_line = String::new();
        BufReader::new(stdout)
            .read_line(&mut first_line)
            .expect("read the emulator's READY line");
        let url = first_line
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("emulator did not start: {first_line:?}"))
            .trim()
            .to_string();
        Emulator { child, url }
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::new_with_defaults()
    }

    pub fn get(&self, path: &str) -> Value {
        Self::agent()
            .get(&format!("{}{path}", self.url))
            .call()
            .expect("emulator GET")
            .body_mut()
            .read_json()
            .expect("emulator JSON")
    }

    fn send(&self, method: &str, path: &str, body: &str, content_type: &str) {
        let url = format!("{}{path}", self.url);
        let agent = Self::agent();
        let result = match method {
            "POST" => agent.post(&url).content_type(content_type).send(body),
            _ => agent.delete(&url).call(),
        };
        result.unwrap_or_else(|e| panic!("emulator {method} {path}: {e}"));
    }

    /// Makes the emulator fail matching calls; see tests/emulator/emulator.py for the fields.
    pub fn add_fault(&self, rule: Value) {
        self.send("POST", "/_faults", &rule.to_string(), "application/json");
    }

    /// Fills the emulator's account in-process (see `seed` in emulator.py): big accounts, and
    /// things made long ago, which the AWS API cannot backdate.
    pub fn seed(&self, spec: Value) -> Value {
        ureq::Agent::new_with_defaults()
            .post(&format!("{}/_seed", self.url))
            .content_type("application/json")
            .send(spec.to_string())
            .expect("seed the emulator")
            .body_mut()
            .read_json()
            .expect("seed reply")
    }

    pub fn clear_faults(&self) {
        self.send("DELETE", "/_faults", "", "");
    }

    /// Every AWS call seen so far: `{service, action, accessKey}`.
    pub fn requests(&self) -> Vec<Value> {
        self.get("/_requests")
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn actions(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter_map(|r| r["action"].as_str().map(str::to_string))
            .collect()
    }

    pub fn clear_requests(&self) {
        self.send("DELETE", "/_requests", "", "");
    }

    /// moto's whole state, secrets included (usable only while no IAM user was deleted).
    pub fn state(&self) -> Value {
        self.get("/moto-api/data.json")
    }

    /// The secret the emulator issued for `access_key_id`.
    pub fn issued_secret(&self, access_key_id: &str) -> Option<String> {
        let state = self.state();
        state["iam"]["AccessKey"]
            .as_array()?
            .iter()
            .find(|key| key["access_key_id"] == access_key_id)
            .and_then(|key| key["secret_access_key"].as_str().map(str::to_string))
    }

    /// Turns IAM enforcement on: from now on signatures and permissions are checked.
    pub fn enforce_iam(&self) {
        self.send("POST", "/moto-api/reset-auth", "0", "text/plain");
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
