//! The desktop app: a Tauri window over the provisioning engine. Commands are one-line calls into
//! [`csfle_core::session::Session`]; nothing here talks to AWS or the keychain itself.

pub mod bindings;
mod commands;

use csfle_core::local::journal::Journal;
use csfle_core::local::keychain::OsVault;
use csfle_core::session::Session;
use csfle_core::setup::run_frame::ApplyOptions;
use std::sync::Arc;

pub fn run() {
    let options = ApplyOptions {
        journal: Some(Arc::new(Journal::open_default())),
        ..ApplyOptions::default()
    };
    let session = Session::new(Arc::new(OsVault), options);
    let result = tauri::Builder::default()
        .plugin(start_facts(&session))
        .manage(session)
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::connect,
            commands::list_keys,
            commands::describe_keys,
            commands::check_user_name,
            commands::check_alias,
            commands::check_policy_name,
            commands::plan,
            commands::apply,
            commands::cancel,
            commands::verify_again,
            commands::list_setups,
            commands::legacy_scan,
            commands::verify_setup,
            commands::rotate,
            commands::enable_key_rotation,
            commands::teardown,
            commands::teardown_preview,
            commands::admin_policy,
            commands::fix_key_policy,
            commands::plan_role,
            commands::apply_role,
            commands::add_aws_profile,
            commands::interrupted_runs,
            commands::resume_run,
            commands::clean_up_run,
        ])
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
