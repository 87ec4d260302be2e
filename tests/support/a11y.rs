//! What an accessibility auditor checks, run inside the real window at every screen the tests
//! photograph: axe-core's WCAG 2.0–2.2 A/AA rules, and the non-text contrast axe leaves out
//! (input and button boundaries, the focus ring; WCAG 1.4.11).

use super::webdriver::Session;
use serde_json::{json, Value};

/// The rule sets of WCAG 2.0, 2.1 and 2.2 at levels A and AA, as axe-core tags them.
pub const WCAG_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

const NON_TEXT_CONTRAST: &str = include_str!("nontext-contrast.js");

fn axe_source() -> String {
    let path = super::repo_root().join("ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run `npm --prefix ui ci` (scripts/setup.sh does)",
            path.display()
        )
    })
}

/// Loads axe-core into the page once; the page is one document for the app's whole life, so it
/// stays. The driver sends the script body, so the window's CSP (script-src 'self') allows it.
fn ensure_axe(window: &Session) {
    let present = window.execute("return typeof window.axe === 'object';", json!([]));
    if present == json!(true) {
        return;
    }
    let script = format!(
        "{}\n;if (typeof axe !== 'undefined' && !window.axe) window.axe = axe; return typeof window.axe;",
        axe_source()
    );
    let loaded = window.execute(&script, json!([]));
    assert_eq!(loaded, json!("object"), "axe-core did not load: {loaded}");
}

fn format_violations(violations: &[Value]) -> String {
    violations
        .iter()
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| {
                    format!(
                        "    {} — {}",
                        n["target"],
                        n["summary"].as_str().unwrap_or("")
                    )
                })
                .collect();
            format!(
                "{} ({}): {}\n  {}\n{}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or(""),
                v["helpUrl"].as_str().unwrap_or(""),
                nodes.join("\n")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// axe-core's WCAG A/AA violations on the page as it is now.
pub fn axe_violations(window: &Session) -> Vec<Value> {
    ensure_axe(window);
    let reply = window.execute_async(
        r#"const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: "tag", values: arguments[0] }, resultTypes: ["violations"] })
          .then((r) => done({ passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
              nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })) })) }))
          .catch((e) => done({ error: String(e && e.stack || e) }));"#,
        json!([WCAG_TAGS]),
    );
    assert!(
        reply["error"].is_null(),
        "axe-core failed to run: {}",
        reply["error"]
    );
    assert!(
        reply["passes"].as_u64().unwrap_or(0) > 10,
        "axe-core checked almost nothing: {reply}"
    );
    reply["violations"].as_array().cloned().unwrap_or_default()
}

/// The focus ring as drawn: Tab moves focus the way a keyboard user does (so :focus-visible
/// applies), the outline is read, and focus goes back where it was.
fn focus_ring(window: &Session) -> Value {
    window.execute(
        "window.__csfleAuditFocus = document.activeElement;",
        json!([]),
    );
    window.keys("\u{E004}");
    let ring = window.execute(
        r#"const el = document.activeElement;
        if (!el || el === document.body) return null;
        const s = getComputedStyle(el);
        return { color: s.outlineColor, style: s.outlineStyle, width: s.outlineWidth, on: el.id || el.tagName };"#,
        json!([]),
    );
    window.execute(
        "const el = window.__csfleAuditFocus; if (el && el.isConnected && el !== document.body) el.focus(); else document.activeElement?.blur?.(); delete window.__csfleAuditFocus;",
        json!([]),
    );
    ring
}

/// Non-text contrast failures (WCAG 1.4.11) on the page as it is now.
pub fn non_text_contrast(window: &Session) -> Value {
    let ring = focus_ring(window);
    window.execute(NON_TEXT_CONTRAST, json!([ring]))
}

/// What scrolls sideways at 200 % zoom (WCAG 1.4.4 and 1.4.10): the elements wider than the
/// window once the page is zoomed the way Ctrl+= zooms it, then the zoom is undone.
pub fn overflow_at_double_zoom(window: &Session) -> Vec<String> {
    let reply = window.execute(
        r##"const root = document.documentElement;
        const before = root.style.zoom;
        root.style.zoom = "2";
        const width = root.clientWidth;
        const wide = root.scrollWidth > width + 1
          ? [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > width + 1 && el.getClientRects().length > 0)
              .slice(0, 8).map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${String(el.className).split(" ").join(".")} (${Math.round(el.getBoundingClientRect().width)}px)`)
          : [];
        const result = root.scrollWidth > width + 1 ? [`the page is ${root.scrollWidth}px wide in a ${width}px window`, ...wide] : [];
        root.style.zoom = before;
        return result;"##,
        json!([]),
    );
    reply
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// Fails the test on any WCAG A/AA violation axe-core finds, or any boundary or focus ring under
/// 3:1, naming the screen, the rule, the elements and the help.
pub fn assert_accessible(window: &Session, label: &str) {
    let violations = axe_violations(window);
    let contrast = non_text_contrast(window);
    let overflow = overflow_at_double_zoom(window);
    let failures: Vec<String> = contrast["failures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    let mode = if contrast["dark"] == json!(true) {
        "dark"
    } else {
        "light"
    };
    assert!(
        violations.is_empty() && failures.is_empty() && overflow.is_empty(),
        "accessibility audit of {label} ({mode} mode) failed:\naxe-core (WCAG 2.0–2.2 A/AA):\n{}\nnon-text contrast (WCAG 1.4.11):\n{}\nreflow at 200 % zoom (WCAG 1.4.10):\n{}",
        format_violations(&violations),
        failures.join("\n"),
        overflow.join("\n")
    );
    assert!(
        contrast["checked"]["components"].as_u64().unwrap_or(0) > 0,
        "the non-text contrast check of {label} saw no control: {contrast}"
    );
}
