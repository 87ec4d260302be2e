//! The accounts that hold the keys of this account's cross-account setups, reached with the
//! profiles this computer recorded when it made them, so the setups view reads each such key in
//! its own account (the workload's credentials cannot see it). Each profile is checked to sign in
//! to the key's account; one that does not, or cannot sign in, is simply not used.

use crate::aws::connect::{self, ConnectOptions, Connection};
use crate::local::journal::{Journal, RunState};

/// One checked connection per key account named by a recorded profile, for reads.
pub(crate) async fn recorded(
    connection: &Connection,
    journal: Option<&Journal>,
) -> Vec<Connection> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    for run in journal.and_then(|j| j.runs().ok()).unwrap_or_default() {
        let live = !matches!(run.state, RunState::RolledBack | RunState::TornDown);
        let other = run
            .key_arn
            .as_deref()
            .and_then(connect::key_account_of)
            .filter(|a| *a != connection.account_id());
        let profile = run
            .key_profile
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if let (true, Some(account), Some(profile), true) = (
            live,
            other,
            profile,
            run.account_id == connection.account_id(),
        ) {
            let pair = (account.to_string(), profile.to_string());
            if !wanted.contains(&pair) {
                wanted.push(pair);
            }
        }
    }
    let mut connected: Vec<Connection> = Vec::new();
    for (account, profile) in wanted {
        if connected.iter().any(|c| c.account_id() == account) {
            continue;
        }
        let options = ConnectOptions {
            profile: Some(profile),
            region: Some(connection.region().to_string()),
        };
        if let Ok(other) = connect::connect(&options).await {
            if other.account_id() == account {
                connected.push(other.for_reads());
            }
        }
    }
    connected
}
