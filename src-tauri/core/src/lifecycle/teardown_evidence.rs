//! What teardown knows besides AWS: this computer's journal runs of a setup (ownership evidence)
//! and the recorded copies of its credentials.

use crate::aws::connect::Connection;
use crate::local::journal::{Journal, RunState};
use crate::model::ownership::KnownRun;
use crate::model::principal::PrincipalKind;

pub(super) fn copies_preview(account_id: &str, kind: PrincipalKind, name: &str) -> Vec<String> {
    if kind != PrincipalKind::User {
        return vec![];
    }
    crate::local::deliveries::of_setup(account_id, name)
        .iter()
        .map(|d| match d.kind {
            crate::local::deliveries::DeliveryKind::Sealed => format!(
                "leave the sealed file {} (teardown cannot reach the computer it went to)",
                d.location
            ),
            crate::local::deliveries::DeliveryKind::Vault => format!(
                "delete the copy in Vault at {} (metadata and every version), if it is still this app's",
                d.location
            ),
            crate::local::deliveries::DeliveryKind::SecretsManager => format!(
                "schedule the deletion of the secret {} (30-day recovery window), if its tags still say it is this app's",
                d.location
            ),
        })
        .collect()
}

/// The runs of `runs` as ownership evidence: the run tag and when each began.
pub(super) fn known_runs(runs: &[crate::local::journal::Run]) -> Vec<KnownRun> {
    runs.iter()
        .map(|run| KnownRun {
            run_id: run.id.clone(),
            started_at: i64::try_from(run.started_at).unwrap_or(i64::MAX),
        })
        .collect()
}

/// The journal's live runs for this principal in this account.
pub(super) fn journal_runs(
    journal: Option<&Journal>,
    connection: &Connection,
    kind: PrincipalKind,
    name: &str,
    torn_down_too: bool,
) -> Vec<crate::local::journal::Run> {
    journal
        .and_then(|j| j.runs().ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r.principal_kind == kind
                && r.principal_name == name
                && r.account_id == connection.account_id()
                && (torn_down_too || r.state != RunState::TornDown)
                && r.state != RunState::RolledBack
        })
        .collect()
}
