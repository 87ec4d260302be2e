//! The IPC surface. Every reply type is generated into ui/src/bindings.ts; none can hold a secret.

use csfle_core::connect::ConnectOptions;
use csfle_core::error::ErrorReport;
use csfle_core::keys::KeySummary;
use csfle_core::model::{Identity, Outcome, Plan, Progress, ProgressSink, SetupRequest};
use csfle_core::session::{AppInfo, FieldCheck, Session, VerifyReport};
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
    session.connect(options).await
}

#[tauri::command]
pub async fn list_keys(session: State<'_, Session>) -> Reply<Vec<KeySummary>> {
    session.list_keys().await
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
