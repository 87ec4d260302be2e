//! The IPC surface. Every reply type is generated into ui/src/bindings.ts; none can hold a secret.

use csfle_core::aws::connect::ConnectOptions;
use csfle_core::error::ErrorReport;
use csfle_core::error::RollbackReport;
use csfle_core::lifecycle::recovery::InterruptedRun;
use csfle_core::lifecycle::rotate::RotateReport;
use csfle_core::lifecycle::setups::SetupSummary;
use csfle_core::lifecycle::teardown::{TeardownPreview, TeardownReport};
use csfle_core::local::credential_profile::ProfileWritten;
use csfle_core::model::{Identity, Outcome, Plan, Progress, ProgressSink, SetupRequest};
use csfle_core::session::{AppInfo, CopyTarget, FieldCheck, Pushed, Session, VerifyReport};
use csfle_core::setup::keys::KeySummary;
use csfle_core::setup::role::RoleOutcome;
use csfle_core::setup::role_plan::RolePlan;
use csfle_core::setup::role_plan::RoleRequest;
use csfle_core::store::login::{VaultLogin, VaultSignIn};
use tauri::ipc::Channel;
use tauri::State;

type Reply<T> = Result<T, ErrorReport>;

/// Forwards engine progress to the window as it happens.
struct ChannelSink(Channel<Progress>);

impl ProgressSink for ChannelSink {
    fn emit(&self, event: Progress) {
        // A closed window cannot be told; the run still finishes or rolls back.
        let _ = self.0.send(event);
    }
}

#[tauri::command]
pub fn app_info(session: State<'_, Session>) -> AppInfo {
    session.info()
}

#[tauri::command]
pub async fn connect(session: State<'_, Session>, options: ConnectOptions) -> Reply<Identity> {
    session.connect_named(options).await
}

#[tauri::command]
pub async fn list_keys(
    session: State<'_, Session>,
    on_page: Channel<Vec<KeySummary>>,
) -> Reply<u32> {
    // A closed window cannot be told; the listing just ends.
    session
        .list_keys(move |page| {
            let _ = on_page.send(page);
        })
        .await
}

#[tauri::command]
pub async fn describe_keys(
    session: State<'_, Session>,
    refs: Vec<String>,
) -> Reply<Vec<KeySummary>> {
    session.describe_keys(refs).await
}

#[tauri::command]
pub async fn check_user_name(session: State<'_, Session>, name: String) -> Reply<FieldCheck> {
    session.check_user_name(name).await
}

#[tauri::command]
pub async fn check_alias(session: State<'_, Session>, alias: String) -> Reply<FieldCheck> {
    session.check_alias(alias).await
}

#[tauri::command]
pub fn check_policy_name(session: State<'_, Session>, name: String) -> FieldCheck {
    session.check_policy_name(name)
}

#[tauri::command]
pub async fn plan(session: State<'_, Session>, request: SetupRequest) -> Reply<Plan> {
    // The window never makes a setup whose long-lived key credential-process would print: that
    // takes the CLI's explicit --allow-long-lived.
    let request = SetupRequest {
        allow_long_lived: false,
        ..request
    };
    session.plan(request).await
}

#[tauri::command]
pub async fn apply(session: State<'_, Session>, on_progress: Channel<Progress>) -> Reply<Outcome> {
    session.apply(&ChannelSink(on_progress)).await
}

#[tauri::command]
pub fn cancel(session: State<'_, Session>) {
    session.cancel()
}

#[tauri::command]
pub async fn verify_again(session: State<'_, Session>) -> Reply<VerifyReport> {
    session.verify_again().await
}

#[tauri::command]
pub async fn list_setups(
    session: State<'_, Session>,
    on_setup: Channel<SetupSummary>,
) -> Reply<Vec<SetupSummary>> {
    // Each card as soon as it is judged; a closed window cannot be told, the listing just ends.
    session
        .list_setups_each(move |setup| {
            let _ = on_setup.send(setup);
        })
        .await
}

#[tauri::command]
pub async fn legacy_scan(
    session: State<'_, Session>,
    rescan: bool,
) -> Reply<Option<csfle_core::lifecycle::discovery::LegacyScan>> {
    session.legacy_scan(rescan).await
}

#[tauri::command]
pub async fn verify_setup(session: State<'_, Session>, user: String) -> Reply<VerifyReport> {
    session.verify_setup(user).await
}

#[tauri::command]
pub async fn rotate(
    session: State<'_, Session>,
    user: String,
    delete_inactive_key: bool,
    vault_logins: Vec<VaultSignIn>,
) -> Reply<RotateReport> {
    session
        .rotate(user, delete_inactive_key, Some(vault_logins))
        .await
}

/// "Finish rotation": what `rotate --finish` does, with the window's Vault logins.
#[tauri::command]
pub async fn finish_rotation(
    session: State<'_, Session>,
    user: String,
    confirm_imported: bool,
    vault_logins: Vec<VaultSignIn>,
) -> Reply<RotateReport> {
    session
        .finish_rotation(user, confirm_imported, Some(vault_logins))
        .await
}

#[tauri::command]
pub async fn enable_key_rotation(
    session: State<'_, Session>,
    key: String,
) -> Reply<csfle_core::lifecycle::key_rotation::RotationReport> {
    session.enable_key_rotation(key).await
}

// The window names each argument; Tauri takes them as the function's parameters, flat.
#[allow(clippy::too_many_arguments)]
#[tauri::command]
pub async fn teardown(
    session: State<'_, Session>,
    name: String,
    role: bool,
    delete_key_days: Option<i32>,
    key_arn: Option<String>,
    confirmation: String,
    key_profile: Option<String>,
    vault_logins: Vec<VaultSignIn>,
) -> Reply<TeardownReport> {
    let delete_key = (delete_key_days, key_arn);
    session
        .teardown(
            name,
            role,
            delete_key,
            confirmation,
            key_profile,
            vault_logins,
        )
        .await
}

#[tauri::command]
pub fn admin_policy(session: State<'_, Session>) -> String {
    session.admin_policy()
}

#[tauri::command]
pub async fn fix_key_policy(session: State<'_, Session>, key: String) -> Reply<String> {
    session.fix_key_policy(key).await
}

#[tauri::command]
pub async fn teardown_preview(
    session: State<'_, Session>,
    name: String,
    role: bool,
    key_profile: Option<String>,
) -> Reply<TeardownPreview> {
    session.teardown_preview(name, role, key_profile).await
}

#[tauri::command]
pub async fn plan_role(session: State<'_, Session>, request: RoleRequest) -> Reply<RolePlan> {
    session.plan_role(request).await
}

#[tauri::command]
pub async fn apply_role(
    session: State<'_, Session>,
    on_progress: Channel<Progress>,
) -> Reply<RoleOutcome> {
    session.apply_role(&ChannelSink(on_progress)).await
}

#[tauri::command]
pub async fn add_aws_profile(
    session: State<'_, Session>,
    user: String,
    profile: String,
) -> Reply<ProfileWritten> {
    session.add_aws_profile(user, profile).await
}

#[tauri::command]
pub async fn interrupted_runs(session: State<'_, Session>) -> Reply<Vec<InterruptedRun>> {
    session.interrupted_runs().await
}

#[tauri::command]
pub async fn resume_run(
    session: State<'_, Session>,
    run_id: String,
    on_progress: Channel<Progress>,
) -> Reply<Outcome> {
    session.resume_run(run_id, &ChannelSink(on_progress)).await
}

#[tauri::command]
pub async fn pending_deletions(
    session: State<'_, Session>,
) -> Reply<Vec<csfle_core::session::PendingDeletion>> {
    session.pending_deletions().await
}

#[tauri::command]
pub async fn cancel_key_deletion(session: State<'_, Session>, key_arn: String) -> Reply<String> {
    session.cancel_key_deletion(key_arn).await
}

/// "Send to another computer": seals a user setup's keychain item to the target's age recipient.
#[tauri::command]
pub async fn deliver_sealed(
    session: State<'_, Session>,
    user: String,
    recipient: String,
    out: String,
) -> Reply<csfle_core::session::Delivered> {
    session.deliver_from_window(user, recipient, out).await
}

/// "Copy to a secret store": the plan, nothing written and no login asked.
#[tauri::command]
pub async fn plan_copy(
    session: State<'_, Session>,
    user: String,
    target: CopyTarget,
) -> Reply<Pushed> {
    session.copy_from_window(user, target, None, true).await
}

/// "Copy to a secret store": writes the copy. The login (a Vault token or AppRole secret id)
/// lives in a `Sensitive` for this call only and is in no reply.
#[tauri::command]
pub async fn copy_to_store(
    session: State<'_, Session>,
    user: String,
    target: CopyTarget,
    login: Option<VaultLogin>,
) -> Reply<Pushed> {
    session.copy_from_window(user, target, login, false).await
}

#[tauri::command]
pub async fn suggest_delivery_path(session: State<'_, Session>, user: String) -> Reply<String> {
    session.suggested_delivery_path(&user)
}

#[tauri::command]
pub async fn clean_up_preview(
    session: State<'_, Session>,
    run_id: String,
) -> Reply<csfle_core::lifecycle::recovery::CleanupPreview> {
    session.clean_up_preview(run_id).await
}

#[tauri::command]
pub async fn clean_up_run(
    session: State<'_, Session>,
    run_id: String,
    on_progress: Channel<Progress>,
) -> Reply<RollbackReport> {
    session
        .clean_up_run(run_id, &ChannelSink(on_progress))
        .await
}

/// Opens the AWS console page of a key, user or role in the system browser. The window sends only
/// the ARN; the address is built by the engine (console.aws.amazon.com pages only), and nothing
/// remote is ever loaded into the app's own window.
#[tauri::command]
pub fn open_in_console(arn: String) -> Reply<()> {
    let url = csfle_core::session::console::console_url(&arn).map_err(|e| e.report(None))?;
    let (program, lead): (&str, &[&str]) = if cfg!(target_os = "windows") {
        ("rundll32", &["url.dll,FileProtocolHandler"])
    } else if cfg!(target_os = "macos") {
        ("open", &[])
    } else {
        ("xdg-open", &[])
    };
    let mut command = std::process::Command::new(program);
    command.args(lead).arg(&url);
    // The browser gets none of the AWS credentials this app may have been started with.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    let mut child = command.spawn().map_err(|e| {
        csfle_core::error::ProvisionError::Console(format!(
            "The system browser could not be started to open {url} ({program}: {e})"
        ))
        .report(None)
    })?;
    // Reaped in the background: the browser may keep running long after the page opened.
    std::thread::spawn(move || child.wait());
    Ok(())
}
