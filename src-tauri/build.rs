fn main() {
    // Capabilities live beside the Rust sources, not at the package root where tauri-build looks by default.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(&[
            "app_info",
            "connect",
            "list_keys",
            "describe_keys",
            "check_user_name",
            "check_alias",
            "check_policy_name",
            "plan",
            "apply",
            "cancel",
            "verify_again",
            "list_setups",
            "legacy_scan",
            "verify_setup",
            "rotate",
            "enable_key_rotation",
            "teardown",
            "teardown_preview",
            "admin_policy",
            "fix_key_policy",
            "plan_role",
            "apply_role",
            "add_aws_profile",
            "interrupted_runs",
            "resume_run",
            "clean_up_run",
        ]));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {error:#}");
    }
}
