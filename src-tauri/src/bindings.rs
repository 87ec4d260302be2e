//! TypeScript declarations of every type that crosses IPC and of the command names, generated from
//! the Rust types and command_list.rs so the UI cannot drift from them. `ui/src/bindings.ts` is this output; a test fails when it is stale.

use csfle_core::aws::connect::ConnectOptions;
use csfle_core::error::aws::AwsFailureKind;
use csfle_core::error::{ErrorReport, RollbackReport};
use csfle_core::lifecycle::key_usage::KeyVerdict;
use csfle_core::lifecycle::recovery::{CleanupPreview, InterruptedRun};
use csfle_core::lifecycle::rotate::RotateReport;
use csfle_core::lifecycle::setups::{PolicyHealth, SetupSummary};
use csfle_core::lifecycle::teardown::{TeardownPreview, TeardownReport};
use csfle_core::local::credential_profile::ProfileWritten;
use csfle_core::local::journal::RunState;
use csfle_core::local::profiles::ProfileInfo;
use csfle_core::model::findings::AccessKeyInfo;
use csfle_core::model::principal::PrincipalKind;
use csfle_core::model::principal::Trust;
use csfle_core::model::{
    Identity, KeyChoice, KeychainRef, Outcome, Plan, PlanStep, PlannedKey, Progress, SetupRequest,
    StepId,
};
use csfle_core::session::{AppInfo, FieldCheck, VerifyReport};
use csfle_core::setup::keys::KeySummary;
use csfle_core::setup::role::RoleOutcome;
use csfle_core::setup::role_plan::RoleRequest;
use csfle_core::setup::role_plan::{OidcProviderPlan, RolePlan};
use csfle_core::validate::Field;
use ts_rs::{Config, TS};

pub const PATH: &str = "ui/src/bindings.ts";

fn declare<T: TS>(cfg: &Config, out: &mut String) {
    out.push_str("export ");
    out.push_str(&T::decl(cfg));
    out.push_str("\n\n");
}

/// The whole file, deterministic.
/// The only types that hold a secret: what the window sends in (a Vault token or AppRole secret
/// id the admin typed), each field a `Sensitive` in Rust. No reply type may name them.
fn inbound_secrets(cfg: &Config) -> String {
    let mut out = String::new();
    declare::<csfle_core::store::login::VaultLogin>(cfg, &mut out);
    declare::<csfle_core::store::login::VaultSignIn>(cfg, &mut out);
    out
}

pub fn typescript() -> String {
    let cfg = Config::new();
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit:\n// run `UPDATE_BINDINGS=1 cargo test -p csfle-provisioner bindings` instead.\n\n",
    );
    declare::<AppInfo>(&cfg, &mut out);
    declare::<ProfileInfo>(&cfg, &mut out);
    declare::<ConnectOptions>(&cfg, &mut out);
    declare::<Identity>(&cfg, &mut out);
    declare::<KeySummary>(&cfg, &mut out);
    declare::<FieldCheck>(&cfg, &mut out);
    declare::<KeyChoice>(&cfg, &mut out);
    declare::<SetupRequest>(&cfg, &mut out);
    declare::<Plan>(&cfg, &mut out);
    declare::<csfle_core::model::CredentialTerms>(&cfg, &mut out);
    declare::<PlanStep>(&cfg, &mut out);
    declare::<PlannedKey>(&cfg, &mut out);
    declare::<csfle_core::model::key_grant::KeyGrant>(&cfg, &mut out);
    declare::<KeychainRef>(&cfg, &mut out);
    declare::<StepId>(&cfg, &mut out);
    declare::<Progress>(&cfg, &mut out);
    declare::<Outcome>(&cfg, &mut out);
    declare::<VerifyReport>(&cfg, &mut out);
    declare::<ErrorReport>(&cfg, &mut out);
    declare::<RollbackReport>(&cfg, &mut out);
    declare::<Field>(&cfg, &mut out);
    declare::<AwsFailureKind>(&cfg, &mut out);
    declare::<SetupSummary>(&cfg, &mut out);
    declare::<csfle_core::model::ownership::Ownership>(&cfg, &mut out);
    declare::<AccessKeyInfo>(&cfg, &mut out);
    declare::<csfle_core::lifecycle::discovery::LegacyScan>(&cfg, &mut out);
    declare::<csfle_core::model::findings::Finding>(&cfg, &mut out);
    declare::<csfle_core::model::findings::FindingStatus>(&cfg, &mut out);
    declare::<csfle_core::model::findings::FindingAction>(&cfg, &mut out);
    declare::<csfle_core::model::findings::KeyAge>(&cfg, &mut out);
    declare::<csfle_core::lifecycle::key_rotation::RotationReport>(&cfg, &mut out);
    declare::<PolicyHealth>(&cfg, &mut out);
    declare::<RunState>(&cfg, &mut out);
    declare::<PrincipalKind>(&cfg, &mut out);
    declare::<RotateReport>(&cfg, &mut out);
    declare::<csfle_core::lifecycle::copies::CopyOutcome>(&cfg, &mut out);
    declare::<csfle_core::local::deliveries::Delivery>(&cfg, &mut out);
    declare::<csfle_core::local::deliveries::DeliveryKind>(&cfg, &mut out);
    declare::<TeardownReport>(&cfg, &mut out);
    declare::<KeyVerdict>(&cfg, &mut out);
    declare::<TeardownPreview>(&cfg, &mut out);
    declare::<csfle_core::lifecycle::key_grant_teardown::KeyAccountAccess>(&cfg, &mut out);
    declare::<RoleRequest>(&cfg, &mut out);
    declare::<RolePlan>(&cfg, &mut out);
    declare::<OidcProviderPlan>(&cfg, &mut out);
    declare::<RoleOutcome>(&cfg, &mut out);
    declare::<Trust>(&cfg, &mut out);
    declare::<ProfileWritten>(&cfg, &mut out);
    declare::<InterruptedRun>(&cfg, &mut out);
    declare::<CleanupPreview>(&cfg, &mut out);
    declare::<csfle_core::session::PendingDeletion>(&cfg, &mut out);
    declare::<csfle_core::session::Delivered>(&cfg, &mut out);
    declare::<csfle_core::session::Pushed>(&cfg, &mut out);
    declare::<csfle_core::session::CopyTarget>(&cfg, &mut out);
    out.push_str(&inbound_secrets(&cfg));
    // The names of command_list.rs: ipc.ts's `call` takes only these, so tsc rejects any other.
    let names: Vec<String> = crate::COMMANDS
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect();
    out.push_str(&format!("export type Command = {};\n", names.join(" | ")));
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn bindings_are_fresh() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
        let generated = typescript();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &generated).expect("write bindings");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{PATH} is stale: run `UPDATE_BINDINGS=1 cargo test -p csfle-provisioner bindings` and commit it"
        );
    }

    #[test]
    fn no_reply_type_has_a_field_that_could_hold_a_secret() {
        // AWS Secrets Manager is a place a copy goes (a name), not a field that holds a secret.
        // The Vault logins go one way only, into the engine: they are checked apart, below.
        let inbound = inbound_secrets(&Config::new());
        let everything = typescript();
        assert!(everything.contains(&inbound));
        let replies = everything.replace(&inbound, "");
        assert!(
            !replies.contains("VaultLogin") && !replies.contains("VaultSignIn"),
            "a reply type holds a Vault login"
        );
        let text = replies
            .to_ascii_lowercase()
            .replace("secrets-manager", "")
            .replace("secrets manager", "");
        for word in [
            "secret",
            "password",
            "session_token",
            "sessiontoken",
            "private",
        ] {
            assert!(!text.contains(word), "an IPC type mentions {word:?}");
        }
    }
}
