//! The desktop app: a Tauri window over the provisioning engine. Commands are one-line calls into
//! [`csfle_core::session::Session`]; nothing here talks to AWS or the keychain itself.

pub mod bindings;
mod commands;

use csfle_core::local::journal::Journal;
use csfle_core::local::keychain::OsVault;
use csfle_core::session::Session;
use csfle_core::setup::run_frame::ApplyOptions;
use std::sync::Arc;

/// Expands command_list.rs, the one list of IPC commands, into their names and their handler.
macro_rules! ipc_commands {
    ($($name:ident),* $(,)?) => {
        /// Every IPC command's name, as the UI invokes it.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        fn invoke_handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$(commands::$name),*]
        }
    };
}
include!("command_list.rs");

pub fn run() {
    // Before any keychain read: no core file, no debugger of the same user (local/hardening.rs).
    if let Err(error) = csfle_core::local::hardening::harden_process() {
        eprintln!("csfle-provisioner will not hold credentials in a process that could dump them: {error}");
        std::process::exit(1);
    }
    let options = ApplyOptions {
        journal: Some(Arc::new(Journal::open_default())),
        ..ApplyOptions::default()
    };
    let session = Session::new(Arc::new(OsVault), options);
    let result = tauri::Builder::default()
        .plugin(start_facts(&session))
        .manage(session)
        .invoke_handler(invoke_handler())
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("csfle-provisioner could not start its window: {error}");
        std::process::exit(1);
    }
}

/// The first screen needs the app's facts (profiles, regions, the keychain's name). They are read
/// here, in microseconds, and handed to the page before its script runs, so the first screen
/// waits for no IPC round trip; the `app_info` command still answers the same.
fn start_facts(session: &Session) -> tauri::plugin::TauriPlugin<tauri::Wry> {
    let facts = serde_json::to_string(&session.info()).unwrap_or_else(|_| "null".into());
    tauri::plugin::Builder::new("csfle-start-facts")
        .js_init_script(format!("window.__CSFLE_APP_INFO__ = {facts};"))
        .build()
}

#[cfg(test)]
mod tests {
    //! command_list.rs is the only list of commands: these fail when something made or written
    //! from it has drifted (a stale generated file, a capability edited by hand, a UI call to a
    //! name the list does not hold, or a command the UI never calls).
    use super::COMMANDS;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn read(relative: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("read {relative}: {error}"))
    }

    fn listed() -> BTreeSet<String> {
        COMMANDS.iter().map(|name| name.to_string()).collect()
    }

    fn file_stems(relative: &str, extension: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("list {relative}: {error}"));
        entries
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == extension))
            .filter_map(|path| Some(path.file_stem()?.to_str()?.to_string()))
            .collect()
    }

    /// The names a TypeScript source passes as string literals to `call` or `invoke`, as in
    /// `call<Plan>("plan", …)` or `invoke("app_info")`; a call whose name is a variable is not one.
    fn invoked_names(source: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for word in ["call", "invoke"] {
            for (at, _) in source.match_indices(word) {
                let before = source[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                    continue;
                }
                let mut rest = &source[at + word.len()..];
                if rest.starts_with('<') {
                    match skip_type_arguments(rest) {
                        Some(after) => rest = after,
                        None => continue,
                    }
                }
                let Some(rest) = rest.strip_prefix('(') else {
                    continue;
                };
                let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                    continue;
                };
                if let Some((name, _)) = rest[1..].split_once(quote) {
                    names.insert(name.to_string());
                }
            }
        }
        names
    }

    /// What follows `<…>` at the start of `text`, nested brackets and `=>` arrows included.
    fn skip_type_arguments(text: &str) -> Option<&str> {
        let mut depth = 0;
        let mut previous = ' ';
        for (at, c) in text.char_indices() {
            match c {
                '<' => depth += 1,
                '>' if previous != '=' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&text[at + 1..]);
                    }
                }
                _ => {}
            }
            previous = c;
        }
        None
    }

    #[test]
    fn the_list_names_each_command_once() {
        assert_eq!(
            listed().len(),
            COMMANDS.len(),
            "command_list.rs names a command twice"
        );
    }

    #[test]
    fn the_handler_is_made_from_the_list_alone() {
        let lib = read("src-tauri/src/lib.rs");
        assert_eq!(
            lib.matches(concat!("generate_", "handler!")).count(),
            1,
            "lib.rs must have one handler, the one ipc_commands! makes from command_list.rs"
        );
    }

    #[test]
    fn build_rs_hands_tauri_build_the_list_and_it_generated_exactly_those_permissions() {
        let build = read("src-tauri/build.rs");
        assert!(build.contains(r#"include!("src/command_list.rs");"#));
        assert!(build.contains(".commands(COMMANDS)"));
        // tauri-build writes a file per command but never deletes one: a removed command's file
        // would still define its permission.
        assert_eq!(
            file_stems("permissions/autogenerated", "toml"),
            listed(),
            "permissions/autogenerated differs from command_list.rs: delete the files of removed commands"
        );
    }

    #[test]
    fn the_capability_allows_the_listed_commands_and_nothing_else() {
        assert_eq!(
            file_stems("src-tauri/capabilities", "json"),
            BTreeSet::from(["main".to_string()]),
            "another capability file would grant more than build.rs writes"
        );
        let text = read("src-tauri/capabilities/main.json");
        let capability: serde_json::Value = serde_json::from_str(&text).expect("main.json is JSON");
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
        let allowed: Vec<&str> = capability["permissions"]
            .as_array()
            .expect("a permissions array")
            .iter()
            .map(|permission| permission.as_str().expect("a permission identifier"))
            .collect();
        let expected: Vec<String> = COMMANDS
            .iter()
            .map(|name| format!("allow-{}", name.replace('_', "-")))
            // The page zoom of the zoom hotkeys (WCAG 1.4.4), and no other core permission.
            .chain(["core:webview:allow-set-webview-zoom".to_string()])
            .collect();
        assert_eq!(
            allowed, expected,
            "main.json is written by build.rs: rebuild, do not edit it"
        );
    }

    #[test]
    fn the_ui_invokes_exactly_the_listed_commands() {
        let invoked = invoked_names(&read("ui/src/ipc.ts"));
        let listed = listed();
        let unlisted: Vec<_> = invoked.difference(&listed).collect();
        let uncalled: Vec<_> = listed.difference(&invoked).collect();
        assert!(
            unlisted.is_empty() && uncalled.is_empty(),
            "ui/src/ipc.ts invokes {unlisted:?}, which command_list.rs does not hold, and never calls {uncalled:?}"
        );
    }

    #[test]
    fn invoked_names_are_the_literal_names_of_calls_and_invokes() {
        let source = r#"
            async function call<T>(command: Command, args?: Record<string, unknown>) { await invoke<T>(command, args); }
            const a = { x: () => call<KeySummary[]>("list_keys", { onPage }), y: () => call<LegacyScan | null>('legacy_scan') };
            invoke("app_info"); call<Map<string, (e: Progress) => void>>("apply"); recall("not_me"); call(name);
        "#;
        let expected = ["app_info", "apply", "legacy_scan", "list_keys"];
        assert_eq!(
            invoked_names(source),
            expected.iter().map(|s| s.to_string()).collect()
        );
    }
}
