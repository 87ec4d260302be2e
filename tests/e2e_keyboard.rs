//! The real window as an admin without a mouse, and with a dark desktop: a whole setup and a
//! teardown with Tab, Shift-Tab, Enter, Space and Escape only, focus never left on the page body,
//! what a screen reader would announce; the stale-identity case; the dark theme audited.

mod support;

use serde_json::json;
use support::flow::{Flow, SERVICE};
use support::webdriver::Session;
use support::Sandbox;

const TAB: &str = "\u{E004}";
const SHIFT_TAB: &str = "\u{E008}\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const SPACE: &str = " ";
const ARROW_DOWN: &str = "\u{E015}";

fn focused(window: &Session) -> String {
    window
        .execute(
            "const a = document.activeElement; return !a || a === document.body ? 'BODY' : (a.id || a.tagName);",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Focus is on something after an action: never the page body, never an element a re-render
/// took away.
fn assert_focus_kept(window: &Session, after: &str) {
    let lost = window.execute(
        "const a = document.activeElement; return !a || a === document.body || !a.isConnected;",
        json!([]),
    );
    assert_eq!(
        lost,
        json!(false),
        "focus fell to the page body after {after}"
    );
}

/// Presses Tab (or Shift-Tab) until `id` has focus, as a keyboard user moves through the screen;
/// focus is checked after every press.
fn tab_to(window: &Session, id: &str, keys: &str) {
    for _ in 0..60 {
        if focused(window) == id {
            return;
        }
        window.keys(keys);
        assert_focus_kept(window, &format!("a Tab towards #{id}"));
    }
    panic!(
        "#{id} cannot be reached with the keyboard; focus is on {}",
        focused(window)
    );
}

/// Records every text the announcer says from now on (a MutationObserver on the live region).
fn listen(window: &Session) {
    window.execute(
        r#"window.__announced = [];
        const region = document.getElementById('announcer');
        new MutationObserver(() => window.__announced.push(region.textContent)).observe(region, { childList: true, characterData: true, subtree: true });"#,
        json!([]),
    );
}

fn announced(window: &Session) -> Vec<String> {
    window
        .execute("return window.__announced || [];", json!([]))
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

#[test]
fn keyboard_alone_sets_up_and_tears_down() {
    let mut flow = Flow::open("keyboard-walk", Sandbox::start());
    let w = &flow.window;
    w.wait_for_screen("connect");
    listen(w);
    tab_to(w, "connect-check", TAB);
    w.keys(ENTER);
    w.find("#identity");
    w.until("focus on Continue", || {
        (focused(w) == "connect-continue").then_some(())
    });
    assert!(
        announced(w).iter().any(|a| a.starts_with("Connected as")),
        "{:?}",
        announced(w)
    );
    w.keys(ENTER);
    w.wait_for_screen("app");
    assert_focus_kept(w, "Continue on Connect");
    // The application's name, then "Where does your application run?" with the arrow keys (one
    // Tab stop for the whole group), then Enter.
    tab_to(w, "app-name", TAB);
    w.keys("keyboard");
    tab_to(w, "where-ec2", TAB);
    for _ in 0..7 {
        w.keys(ARROW_DOWN);
    }
    assert_eq!(focused(w), "where-outside");
    let checked = w.execute(
        "return document.getElementById('where-outside').checked;",
        json!([]),
    );
    assert_eq!(checked, json!(true), "the arrow keys chose the answer");
    assert!(
        announced(w)
            .iter()
            .any(|a| a.contains("IAM user with an access key")),
        "{:?}",
        announced(w)
    );
    flow.shot("application");
    let w = &flow.window;
    tab_to(w, "app-continue", TAB);
    w.keys(ENTER);
    w.wait_for_screen("key");
    assert_focus_kept(w, "Continue on Application");
    flow.wait_text("#alias-status", "Available");
    flow.shot("key");
    let w = &flow.window;
    // Shift-Tab goes back from Continue to the last field, and Tab returns.
    tab_to(w, "key-continue", TAB);
    w.keys(SHIFT_TAB);
    assert_ne!(focused(w), "key-continue");
    assert_focus_kept(w, "Shift-Tab");
    tab_to(w, "key-continue", TAB);
    w.keys(SPACE);
    w.wait_for_screen("account");
    assert_focus_kept(w, "Continue on Master key");
    // The user's name is made from the application's: nothing to type.
    tab_to(w, "user-name", TAB);
    flow.wait_text("#user-name-status", "Available");
    flow.shot("account");
    let w = &flow.window;
    tab_to(w, "account-review", TAB);
    w.keys(ENTER);
    w.wait_for_screen("review");
    assert_focus_kept(w, "Review on Service account");
    flow.shot("review");
    let w = &flow.window;
    tab_to(w, "review-apply", TAB);
    listen(w);
    w.keys(ENTER);
    w.wait_for_screen("apply");
    w.wait_for_screen("done");
    assert_focus_kept(w, "the run");
    // Each apply step was announced as it started, then the result.
    let said = announced(w);
    let total = said
        .iter()
        .find_map(|a| a.strip_prefix("Step 1 of "))
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("the first step was announced: {said:?}"));
    assert!(total >= 5, "{said:?}");
    for step in 1..=total {
        assert!(
            said.iter()
                .any(|a| a.starts_with(&format!("Step {step} of {total}: "))),
            "step {step} of {total} was announced as it started: {said:?}"
        );
    }
    assert!(
        said.iter().any(|a| a.contains("finished")),
        "the result is announced: {said:?}"
    );
    flow.shot("done");
    let w = &flow.window;
    tab_to(w, "done-setups", TAB);
    w.keys(ENTER);
    w.wait_for_screen("setups");
    assert_focus_kept(w, "See all setups");
    flow.wait_text("[data-setup=keyboard-csfle]", "Least privilege");
    flow.shot("setups");
    let w = &flow.window;
    // Rotate asks first; after it ran and the card was drawn again, focus is still on the card.
    tab_to(w, "rotate-keyboard-csfle", TAB);
    w.keys(ENTER);
    flow.wait_text("#rotate-confirm-keyboard-csfle", "credential-process");
    let w = &flow.window;
    tab_to(w, "rotate-go-keyboard-csfle", TAB);
    listen(w);
    w.keys(ENTER);
    flow.wait_text(
        "[data-setup=keyboard-csfle]",
        "The keychain now holds the new access key",
    );
    let w = &flow.window;
    assert_focus_kept(w, "the rotation");
    w.until("the rotation to be announced", || {
        announced(w)
            .iter()
            .any(|a| a.contains("The keychain now holds the new access key"))
            .then_some(())
    });
    // Escape closes the teardown question and gives focus back to the button that opened it.
    tab_to(w, "teardown-keyboard-csfle-open", TAB);
    w.keys(ENTER);
    w.until("the confirmation field to take focus", || {
        (focused(w) == "confirm-keyboard-csfle").then_some(())
    });
    w.keys(ESCAPE);
    w.until("focus back on the teardown button", || {
        (focused(w) == "teardown-keyboard-csfle-open").then_some(())
    });
    assert_eq!(
        w.execute(
            "return !!document.getElementById('confirm-keyboard-csfle');",
            json!([])
        ),
        json!(false)
    );
    w.keys(ENTER);
    w.until("the confirmation field to take focus", || {
        (focused(w) == "confirm-keyboard-csfle").then_some(())
    });
    w.keys("keyboard-csfle");
    // The master key is its own question: Shift-Tab back to it, Space ticks it.
    tab_to(w, "delete-key-keyboard-csfle", SHIFT_TAB);
    w.keys(SPACE);
    flow.wait_text(
        "#delete-key-warning-keyboard-csfle",
        "can never be read again",
    );
    flow.shot("teardown-confirm");
    let w = &flow.window;
    listen(w);
    tab_to(w, "teardown-go-keyboard-csfle", TAB);
    w.keys(ENTER);
    flow.wait_text("#teardown-result", "Torn down");
    let w = &flow.window;
    w.until("focus on the result", || {
        (focused(w) == "teardown-result").then_some(())
    });
    assert!(
        announced(w)
            .iter()
            .any(|a| a == "keyboard-csfle torn down."),
        "{:?}",
        announced(w)
    );
    flow.shot("torn-down");
    flow.sandbox.aws().assert_nothing_left(&[]);
    assert_eq!(flow.sandbox.keyring.count(SERVICE), 0);
}

#[test]
fn a_changed_profile_disables_continue_until_checked_again() {
    let sandbox = Sandbox::start();
    std::fs::write(
        sandbox.aws_dir().join("config"),
        "[profile colleague]\nregion = eu-west-1\n",
    )
    .unwrap();
    let aws = sandbox.aws();
    aws.block(
        aws.iam()
            .create_account_alias()
            .account_alias("acme-prod")
            .send(),
    )
    .unwrap();
    let mut flow = Flow::open("stale-identity", sandbox);
    flow.connect_only();
    let w = &flow.window;
    // The account by its id and its alias (iam:ListAccountAliases).
    assert_eq!(w.text("#context-account"), "123456789012 (acme-prod)");
    flow.shot("connected-with-alias");
    let w = &flow.window;
    // The two tabs: the arrow key moves to Setups, Enter opens it, New setup returns to Connect.
    w.execute("document.getElementById('tab-new').focus();", json!([]));
    w.keys("\u{E014}");
    assert_eq!(focused(w), "tab-setups");
    w.keys(ENTER);
    w.wait_for_screen("setups");
    assert_eq!(
        w.execute(
            "return document.getElementById('tab-setups').getAttribute('aria-selected');",
            json!([])
        ),
        json!("true")
    );
    w.keys("\u{E012}");
    assert_eq!(focused(w), "tab-new");
    w.keys(ENTER);
    w.wait_for_screen("connect");
    w.select("#profile", "colleague");
    let stale = w.execute(
        "return [document.querySelector('#connect-continue').disabled, document.querySelector('#connect-setups').disabled, !!document.querySelector('#identity'), document.querySelector('#context-facts').textContent, document.querySelector('#region').value, document.getElementById(document.querySelector('#connect-continue').getAttribute('aria-describedby') || 'none')?.textContent ?? ''];",
        json!([]),
    );
    assert_eq!(stale[0], json!(true), "Continue is disabled: {stale}");
    assert_eq!(stale[1], json!(true), "Manage is disabled: {stale}");
    assert_eq!(stale[2], json!(false), "the old identity is gone: {stale}");
    assert!(
        stale[3]
            .as_str()
            .unwrap_or_default()
            .contains("Not connected"),
        "{stale}"
    );
    assert_eq!(
        stale[4],
        json!("eu-west-1"),
        "the profile's region: {stale}"
    );
    assert!(
        stale[5]
            .as_str()
            .unwrap_or_default()
            .contains("check the connection again"),
        "the disabled button says why: {stale}"
    );
    assert_eq!(
        w.execute(
            "return document.getElementById('tab-setups').getAttribute('aria-disabled');",
            json!([])
        ),
        json!("true"),
        "the Setups tab waits for a new check too"
    );
    flow.shot("stale-identity");
}

/// The dark theme, as WebKitGTK shows it on a dark desktop (GTK_THEME=Adwaita:dark makes it match
/// `prefers-color-scheme: dark`), audited at every screen of a setup and the setups view.
#[test]
fn dark_theme_passes_the_audit() {
    let mut flow = Flow::open_dark("dark", Sandbox::start());
    flow.window.wait_for_screen("connect");
    let dark = flow.window.execute(
        "return matchMedia('(prefers-color-scheme: dark)').matches;",
        json!([]),
    );
    assert_eq!(dark, json!(true), "the window follows the dark desktop");
    flow.connect();
    flow.wait_text("#alias-status", "Available");
    flow.shot("master-key");
    flow.window.click("#key-continue");
    flow.service_account("dark-app");
    flow.review_and_apply();
    flow.finish();
    flow.window.click("#done-setups");
    flow.window.wait_for_screen("setups");
    flow.wait_text("[data-setup=dark-app]", "Least privilege");
    flow.shot("setups");
    flow.window.click("#teardown-dark-app-open");
    flow.window.find("#confirm-dark-app");
    flow.window.click("#delete-key-dark-app");
    flow.shot("teardown-confirm");
}

/// Ctrl+= zooms the window (zoomHotkeysEnabled; WCAG 1.4.4): the page then has fewer CSS pixels
/// across, and still nothing scrolls sideways. Ctrl+0 puts it back.
#[test]
fn zoom_hotkeys_zoom_the_window_and_it_reflows() {
    let flow = Flow::open("zoom", Sandbox::start());
    let w = &flow.window;
    w.wait_for_screen("connect");
    let width = |w: &Session| {
        w.execute("return window.innerWidth;", json!([]))
            .as_f64()
            .unwrap_or(0.0)
    };
    let before = width(w);
    const CTRL: &str = "\u{E009}";
    for _ in 0..4 {
        w.chord(CTRL, "=");
    }
    w.until("the page to zoom in", || {
        (width(w) < before * 0.6).then_some(())
    });
    let wide = w.execute(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
        json!([]),
    );
    assert!(
        wide.as_f64().unwrap_or(1.0) <= 1.0,
        "the zoomed page scrolls sideways by {wide}px"
    );
    // A picture only: the audit's own 200 % check assumes an unzoomed window.
    w.screenshot(&support::flow::artifacts().join("zoom-01-connect-zoomed.png"));
    w.chord(CTRL, "0");
    w.until("the zoom to reset", || {
        ((width(w) - before).abs() < 2.0).then_some(())
    });

    // The audit itself sees a faint border and a faint focus ring (the CSS of before issue 19).
    w.execute(
        "for (const b of document.querySelectorAll('button')) { b.style.borderColor = '#d4dad7'; b.style.background = '#ffffff'; } for (const f of document.querySelectorAll('button, select, input, textarea, [tabindex]')) f.style.outlineColor = '#d4dad7';",
        json!([]),
    );
    let report = support::a11y::non_text_contrast(w);
    let failures = report["failures"].to_string();
    assert!(
        failures.contains("#connect-check: border rgb(212, 218, 215) is 1.4"),
        "{report}"
    );
    assert!(
        failures.contains("focus ring rgb(212, 218, 215)"),
        "{report}"
    );
}

/// Hand-off on a setup card: Copy puts the ARN on the system clipboard (pasted back with Ctrl+V),
/// Copy setup summary holds the ARNs and no secret, and "Open in the AWS console" runs the system
/// opener (xdg-open) with the console page of the key, without the app's AWS variables, while
/// the window itself stays on the app.
#[test]
fn a_setup_card_hands_off_arns_summary_and_console_links() {
    let sandbox = Sandbox::start();
    sandbox
        .cli(&[
            "provision",
            "--user",
            "handoff-app",
            "--new-key",
            "alias/handoff",
        ])
        .assert_ok();
    let item: serde_json::Value = serde_json::from_str(
        &sandbox
            .keyring
            .lookup(SERVICE, "123456789012/handoff-app")
            .unwrap(),
    )
    .unwrap();
    let key_arn = item["KeyArn"].as_str().unwrap().to_string();
    let secret = item["SecretAccessKey"].as_str().unwrap().to_string();
    // A stand-in for the desktop's opener: it records what it was asked to open, and its env.
    let bin = sandbox.keyring.home().join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opened = sandbox.keyring.home().join("opened.txt");
    let script = bin.join("xdg-open");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nenv > '{0}.env'\nprintf '%s\\n' \"$@\" > '{0}'\n",
            opened.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut flow = Flow::open_with_env("handoff", sandbox, &[("PATH".into(), path)]);
    flow.connect_only();
    let w = &flow.window;
    w.click("#connect-setups");
    w.wait_for_screen("setups");
    flow.wait_text("[data-setup=handoff-app]", "Least privilege");
    let w = &flow.window;
    assert_eq!(w.text("#key-arn-handoff-app"), key_arn);
    let page = w.execute("return location.href;", json!([]));
    w.click("#key-arn-handoff-app-console");
    let url = w.until("the system opener to be run", || {
        std::fs::read_to_string(&opened)
            .ok()
            .filter(|s| s.ends_with('\n'))
    });
    let key_id = key_arn.rsplit('/').next().unwrap();
    assert_eq!(
        url.trim(),
        format!("https://console.aws.amazon.com/kms/home?region=us-east-1#/kms/keys/{key_id}")
    );
    let env = std::fs::read_to_string(opened.with_extension("txt.env")).unwrap();
    assert!(
        !env.lines().any(|l| l.starts_with("AWS_")),
        "the browser got AWS variables: {env}"
    );
    assert_eq!(
        w.execute("return location.href;", json!([])),
        page,
        "the window stayed on the app"
    );

    // Copy, then paste with the keyboard into the teardown's confirmation field.
    w.click("#principal-arn-handoff-app-copy");
    flow.wait_text("#announcer", "IAM user ARN copied.");
    let w = &flow.window;
    w.click("#teardown-handoff-app-open");
    w.find("#confirm-handoff-app");
    w.execute(
        "document.getElementById('confirm-handoff-app').focus();",
        json!([]),
    );
    w.chord("\u{E009}", "v");
    let pasted = w.execute(
        "return document.getElementById('confirm-handoff-app').value;",
        json!([]),
    );
    assert_eq!(
        pasted,
        json!("arn:aws:iam::123456789012:user/csfle-provisioner/handoff-app")
    );
    w.keys(ESCAPE);
    w.click("#summary-handoff-app");
    flow.wait_text("#announcer", "Setup summary copied.");
    let w = &flow.window;
    w.click("#teardown-handoff-app-open");
    w.find("#confirm-handoff-app");
    w.execute(
        "document.getElementById('confirm-handoff-app').focus();",
        json!([]),
    );
    w.chord("\u{E009}", "v");
    let summary = w
        .execute(
            "return document.getElementById('confirm-handoff-app').value;",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(summary.contains(&key_arn), "{summary}");
    assert!(!summary.contains(&secret), "the summary holds no secret");
    w.keys(ESCAPE);
    flow.shot("setups-handoff");
}
