//! One admin session in the real app window: screenshots and page text of every screen.

use super::sandbox::Sandbox;
use super::webdriver::Session;
use serde_json::Value;
use std::path::PathBuf;

pub const SERVICE: &str = "csfle-provisioner";

pub struct Flow {
    pub name: &'static str,
    pub sandbox: Sandbox,
    pub window: Session,
    shots: usize,
    page_texts: Vec<String>,
}

pub fn artifacts() -> PathBuf {
    super::repo_root().join("test-artifacts/screenshots")
}

impl Flow {
    pub fn open(name: &'static str, sandbox: Sandbox) -> Flow {
        Flow::open_themed(name, sandbox, false, &[])
    }

    /// The window with `extra` added to (or replacing) the sandbox's environment.
    pub fn open_with_env(name: &'static str, sandbox: Sandbox, extra: &[(String, String)]) -> Flow {
        Flow::open_themed(name, sandbox, false, extra)
    }

    /// The window with the desktop's dark theme: WebKitGTK then matches
    /// `prefers-color-scheme: dark`, as it does for an admin whose desktop is dark.
    pub fn open_dark(name: &'static str, sandbox: Sandbox) -> Flow {
        Flow::open_themed(name, sandbox, true, &[])
    }

    fn open_themed(
        name: &'static str,
        sandbox: Sandbox,
        dark: bool,
        extra: &[(String, String)],
    ) -> Flow {
        let mut env = sandbox.env();
        env.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        env.extend(extra.iter().cloned());
        // The window must not depend on the developer's desktop settings.
        env.push(("GDK_BACKEND".into(), "x11".into()));
        env.push((
            "GTK_THEME".into(),
            if dark { "Adwaita:dark" } else { "Adwaita" }.into(),
        ));
        env.push(("NO_AT_BRIDGE".into(), "1".into()));
        let logs = sandbox.keyring.home().join("logs");
        let window = Session::launch(
            std::path::Path::new(env!("CARGO_BIN_EXE_csfle-provisioner")),
            &env,
            &logs,
        );
        Flow {
            name,
            sandbox,
            window,
            shots: 0,
            page_texts: Vec::new(),
        }
    }

    /// A screenshot and the page's text, kept to prove later that no secret was ever on screen,
    /// and the accessibility audit of that screen (axe-core and non-text contrast).
    pub fn shot(&mut self, label: &str) {
        self.shots += 1;
        let path = artifacts().join(format!("{}-{:02}-{label}.png", self.name, self.shots));
        self.window.screenshot(&path);
        self.page_texts.push(self.window.page_text());
        super::a11y::assert_accessible(&self.window, &format!("{} / {label}", self.name));
    }

    /// Waits until the element matching `css` says `needle`.
    pub fn wait_text(&self, css: &str, needle: &str) {
        self.window.until(&format!("{css} to say {needle:?}"), || {
            self.window.text(css).contains(needle).then_some(())
        });
    }

    /// Waits for the error panel and returns the whole page's text.
    pub fn error_panel(&self) -> String {
        self.window.until("the error panel", || {
            let text = self.window.page_text();
            text.contains("Something went wrong").then_some(text)
        })
    }

    /// Connects and stays on the Connect screen.
    pub fn connect_only(&mut self) {
        self.window.wait_for_screen("connect");
        self.window.select("#region", "us-east-1");
        self.window.click("#connect-check");
        self.window.find("#identity");
    }

    /// Connects and goes on to the Master key screen, for an application outside AWS named after
    /// the flow (so it gets an IAM user named `<flow>-csfle`).
    pub fn connect(&mut self) {
        self.connect_to_application();
        self.application(self.name, "outside");
    }

    /// Connects and goes on to the Application screen.
    pub fn connect_to_application(&mut self) {
        self.window.wait_for_screen("connect");
        let banner = self.window.text("#banner");
        assert!(
            banner.starts_with("SANDBOX — local AWS emulator at 127.0.0.1:"),
            "{banner}"
        );
        self.shot("connect");
        self.window.select("#region", "us-east-1");
        self.window.click("#connect-check");
        self.window.find("#identity");
        let who = self.window.text("#identity");
        assert!(who.contains("123456789012"), "{who}");
        self.shot("connected");
        self.window.click("#connect-continue");
        self.window.wait_for_screen("app");
    }

    /// Names the application and answers "Where does your application run?" (`place` is the
    /// answer's id after `where-`: ec2, ecs-tasks, eks, github, outside…), then goes on to the
    /// Master key screen.
    pub fn application(&mut self, name: &str, place: &str) {
        self.window.wait_for_screen("app");
        self.window.type_into("#app-name", name);
        self.window.click(&format!("#where-{place}"));
        self.wait_text("#derived-alias", &format!("alias/{name}-csfle"));
        self.shot("application");
        self.window.click("#app-continue");
        self.window.wait_for_screen("key");
    }

    /// The value of the input matching `css` (what the admin sees in the field).
    pub fn value(&self, css: &str) -> String {
        self.window
            .execute(
                "return document.querySelector(arguments[0]).value;",
                serde_json::json!([css]),
            )
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn service_account(&mut self, user: &str) {
        self.window.wait_for_screen("account");
        self.window.type_into("#user-name", user);
        self.wait_text("#user-name-status", "Available");
        self.shot("service-account");
        self.window.click("#account-review");
        self.window.wait_for_screen("review");
    }

    pub fn review_and_apply(&mut self) {
        let plan = self.window.text("#plan-steps");
        assert!(
            plan.contains("iam:PutUserPolicy") && plan.contains("iam:CreateAccessKey"),
            "{plan}"
        );
        let target = self.window.text("#keychain-target");
        assert!(target.contains("Secret Service keyring"), "{target}");
        assert!(
            self.sandbox.aws().users().is_empty(),
            "nothing is created before the admin confirms"
        );
        self.shot("review");
        self.window.click("#review-apply");
    }

    pub fn finish(&mut self) -> Value {
        self.window.wait_for_screen("done");
        self.shot("done");
        self.window.click("#done-verify");
        self.wait_text("#verify-result", "encrypted and decrypted");
        self.shot("verified");
        let account = self.window.text("#outcome-keychain");
        let account = account.rsplit(" / ").next().unwrap_or_default().to_string();
        let item = self
            .sandbox
            .keyring
            .lookup(SERVICE, &account)
            .expect("the keychain item exists");
        serde_json::from_str(&item).expect("keychain item JSON")
    }

    /// None of `secrets` crossed IPC or appeared on a screen pictured so far.
    pub fn assert_no_secret_in_replies(&self, secrets: &[&str]) {
        let log = self.window.ipc_log();
        assert!(!log.is_empty(), "the IPC log was recorded");
        for secret in secrets {
            assert!(
                log.iter().all(|reply| !reply.contains(secret)),
                "a secret crossed IPC"
            );
            assert!(
                self.page_texts.iter().all(|text| !text.contains(secret)),
                "a secret was on screen"
            );
        }
    }

    /// The secret never reached the window: not in any IPC reply, not on any screen.
    pub fn assert_secret_never_shown(&self, secret: &str) {
        let log = self.window.ipc_log();
        assert!(
            log.iter().any(|r| r.contains("\"command\":\"apply\"")),
            "the IPC log was recorded"
        );
        assert!(
            log.iter().all(|reply| !reply.contains(secret)),
            "the secret crossed IPC"
        );
        assert!(
            self.page_texts.iter().all(|text| !text.contains(secret)),
            "the secret was on screen"
        );
        assert!(!self.window.page_text().contains(secret));
    }
}
