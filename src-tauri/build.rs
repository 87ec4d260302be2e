use std::fs;
use std::path::Path;

// The command names come from src/command_list.rs, the one list the invoke handler is made from.
macro_rules! ipc_commands {
    ($($name:ident),* $(,)?) => {
        const COMMANDS: &[&str] = &[$(stringify!($name)),*];
    };
}
include!("src/command_list.rs");

const CAPABILITY: &str = "src-tauri/capabilities/main.json";

fn main() {
    // Capabilities live beside the Rust sources, not at the package root where tauri-build looks by default.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/src/command_list.rs");
    if let Err(error) = write_capability() {
        panic!("could not write {CAPABILITY}: {error}");
    }
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {error:#}");
    }
}

/// The zoom hotkeys (tauri.conf.json's zoomHotkeysEnabled, WCAG 1.4.4) are a script in the page
/// that calls this one core command on Linux and macOS; nothing else of Tauri's core is allowed.
const ZOOM: [&str; 1] = ["core:webview:allow-set-webview-zoom"];

/// The window's capability is the command list and nothing more (least privilege), so it is
/// written from the list rather than kept by hand. Written only when it changes: the capabilities
/// folder is watched, and rewriting it every time would rebuild the app every time.
fn write_capability() -> std::io::Result<()> {
    let permissions: Vec<String> = COMMANDS
        .iter()
        .map(|name| {
            // The names go into JSON unescaped; command names never need escaping.
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "command name {name:?} is not snake_case"
            );
            format!("    \"allow-{}\"", name.replace('_', "-"))
        })
        .chain(ZOOM.iter().map(|p| format!("    \"{p}\"")))
        .collect();
    let json = format!(
        r#"{{
  "$schema": "../../gen/schemas/desktop-schema.json",
  "identifier": "main",
  "description": "Written by src-tauri/build.rs from src-tauri/src/command_list.rs: do not edit. The wizard window may call this app's own commands and nothing else: no plugin, no core API beyond IPC channels and the page zoom that Ctrl+= and Ctrl+- use (zoomHotkeysEnabled).",
  "windows": [
    "main"
  ],
  "permissions": [
{}
  ]
}}
"#,
        permissions.join(",\n")
    );
    let path = Path::new(CAPABILITY);
    if fs::read_to_string(path).ok().as_deref() != Some(json.as_str()) {
        fs::write(path, json)?;
    }
    Ok(())
}
