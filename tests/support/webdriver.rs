//! The real app window under Xvfb, driven through tauri-driver and WebKitWebDriver with plain
//! W3C WebDriver calls.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const WAIT: Duration = Duration::from_secs(40);

pub struct Display {
    child: Child,
    pub name: String,
}

impl Display {
    /// A virtual screen; Xvfb picks a free display number and reports it once it accepts clients.
    pub fn start() -> Display {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb (scripts/setup.sh --tests installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("Xvfb stdout"))
            .read_line(&mut line)
            .expect("read the display number");
        Display {
            child,
            name: format!(":{}", line.trim()),
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_file(dir: &Path, name: &str) -> Stdio {
    std::fs::create_dir_all(dir).expect("log dir");
    std::fs::File::create(dir.join(name))
        .map(Stdio::from)
        .expect("log file")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn tauri_driver() -> PathBuf {
    let local = super::repo_root().join(".tools/bin/tauri-driver");
    if local.exists() {
        local
    } else {
        PathBuf::from("tauri-driver")
    }
}

pub struct Session {
    driver: Child,
    base: String,
    agent: ureq::Agent,
    _display: Display,
}

impl Session {
    /// Starts tauri-driver with exactly `env` (plus DISPLAY), so the app it launches sees only the
    /// test's emulator and keyring, then opens the app.
    pub fn launch(app: &Path, env: &[(String, String)], log_dir: &Path) -> Session {
        let display = Display::start();
        let port = free_port();
        let native_port = free_port();
        let driver = Command::new(tauri_driver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("DISPLAY", &display.name)
            // Everything the driver and the app print is kept, so tests can search it for secrets.
            .stdout(log_file(log_dir, "driver-stdout.log"))
            .stderr(log_file(log_dir, "driver-stderr.log"))
            .spawn()
            .expect("start tauri-driver");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut session = Session {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            agent,
            _display: display,
        };
        session.wait_for_driver();
        let reply = session.post(
            "/session",
            json!({"capabilities": {"alwaysMatch": {"tauri:options": {"application": app}}}}),
        );
        let id = reply["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {reply}"))
            .to_string();
        session.base = format!("{}/session/{id}", session.base);
        session
    }

    fn wait_for_driver(&self) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(mut reply) = self.agent.get(&format!("{}/status", self.base)).call() {
                if reply.status().is_success() && reply.body_mut().read_to_string().is_ok() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "tauri-driver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let mut reply = self
            .agent
            .post(&format!("{}{path}", self.base))
            .send_json(body)
            .unwrap_or_else(|e| panic!("WebDriver POST {path}: {e}"));
        reply.body_mut().read_json().unwrap_or(Value::Null)
    }

    fn get(&self, path: &str) -> Value {
        let mut reply = self
            .agent
            .get(&format!("{}{path}", self.base))
            .call()
            .unwrap_or_else(|e| panic!("WebDriver GET {path}: {e}"));
        reply.body_mut().read_json().unwrap_or(Value::Null)
    }

    pub fn execute(&self, script: &str, args: Value) -> Value {
        let reply = self.post("/execute/sync", json!({"script": script, "args": args}));
        reply["value"].clone()
    }

    /// Runs `script` with a callback as its last argument and returns what it passes to it.
    pub fn execute_async(&self, script: &str, args: Value) -> Value {
        let reply = self.post("/execute/async", json!({"script": script, "args": args}));
        reply["value"].clone()
    }

    fn try_find(&self, css: &str) -> Option<String> {
        let reply = self.post("/element", json!({"using": "css selector", "value": css}));
        reply["value"][ELEMENT].as_str().map(str::to_string)
    }

    /// Waits until `css` matches an element, and returns it.
    pub fn find(&self, css: &str) -> String {
        self.until(&format!("an element matching {css}"), || self.try_find(css))
    }

    /// Polls `probe` until it yields a value: WebDriver's explicit wait.
    pub fn until<T>(&self, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(value) = probe() {
                return value;
            }
            if Instant::now() > deadline {
                let text = self.page_text();
                panic!("timed out waiting for {what}; the page says:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn click(&self, css: &str) {
        // Found afresh on every poll: the page may re-render and replace the element meanwhile.
        let element = self.until(&format!("{css} to be enabled"), || {
            let element = self.try_find(css)?;
            self.execute(
                "return !arguments[0].disabled;",
                json!([{ELEMENT: element}]),
            )
            .as_bool()
            .filter(|enabled| *enabled)
            .map(|_| element)
        });
        self.post(&format!("/element/{element}/click"), json!({}));
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.post(&format!("/element/{element}/clear"), json!({}));
        self.post(&format!("/element/{element}/value"), json!({"text": text}));
    }

    pub fn select(&self, css: &str, value: &str) {
        self.find(css);
        self.execute(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change'));",
            json!([css, value]),
        );
    }

    /// Sends keys to whatever has focus, as a keyboard user would (e.g. "\u{E004}" is Tab).
    pub fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.post(
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
    }

    /// Presses `key` while `modifier` is held (e.g. Ctrl "\u{E009}" and "="), as one chord.
    pub fn chord(&self, modifier: &str, key: &str) {
        let actions = json!([
            {"type": "keyDown", "value": modifier},
            {"type": "keyDown", "value": key},
            {"type": "keyUp", "value": key},
            {"type": "keyUp", "value": modifier},
        ]);
        self.post(
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
    }

    pub fn text(&self, css: &str) -> String {
        let element = self.find(css);
        self.get(&format!("/element/{element}/text"))["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn page_text(&self) -> String {
        self.execute(
            "return document.body ? document.body.innerText : '';",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    pub fn current_screen(&self) -> String {
        self.execute(
            "return document.getElementById('screen')?.dataset.screen ?? '';",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    pub fn wait_for_screen(&self, name: &str) {
        self.until(&format!("the {name} screen"), || {
            (self.current_screen() == name).then_some(())
        });
    }

    /// Every IPC reply the window received, as the UI's IPC module logged them. The hook exists
    /// only in a UI built for these tests (`npm --prefix ui run check` or `run build:e2e`, Vite's
    /// e2e mode): without it this fails rather than find no secret in no replies.
    pub fn ipc_log(&self) -> Vec<String> {
        let log = self.execute(
            "return window.__csfleReplyLog ? Array.from(window.__csfleReplyLog()) : null;",
            json!([]),
        );
        assert!(
            !log.is_null(),
            "the app's UI has no reply log: build it with `npm --prefix ui run build:e2e` (release builds leave the hook out)"
        );
        log.as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Saves a PNG of the window after two animation frames, so the picture shows the latest DOM.
    pub fn screenshot(&self, path: &Path) {
        self.post(
            "/execute/async",
            json!({"script": "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));", "args": []}),
        );
        let reply = self.get("/screenshot");
        let encoded = reply["value"].as_str().expect("screenshot data");
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("screenshot is base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("artifact dir");
        }
        std::fs::write(path, png).expect("write screenshot");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.base).call();
        // SIGTERM, never SIGKILL: tauri-driver only stops WebKitWebDriver on a signal it can catch.
        let _ = Command::new("kill")
            .args(["-TERM", &self.driver.id().to_string()])
            .status();
        let _ = self.driver.wait();
    }
}
