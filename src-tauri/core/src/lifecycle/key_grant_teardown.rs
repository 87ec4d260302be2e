//! Teardown's part in the key's account, for a setup whose key is in another account: the one
//! key-policy statement the setup owns goes, and only if it is still exactly what this app wrote.
//! The key itself is never touched there: this app did not make it.

use crate::aws::connect::{self, ConnectOptions, Connection};
use crate::error::ProvisionError;
use crate::local::journal::Run;
use crate::model::principal::PrincipalKind;
use serde::Serialize;
use ts_rs::TS;

/// Whose credentials remove the setup's statement in the key's account, shown before the admin
/// confirms: the profile, and whether it was checked to sign in to that account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct KeyAccountAccess {
    /// The account that holds the key (from the key's ARN).
    pub account_id: String,
    /// The profile teardown uses there: the one the admin chose, else the one this computer
    /// recorded when it made the setup. `None` when neither is known.
    pub profile: Option<String>,
    /// Why no checked connection to that account is at hand (no profile known, a profile that
    /// cannot sign in, or one of another account), in words; `None` once it is checked.
    pub problem: Option<String>,
}

/// Where the key account's credentials come from, in the order they win.
pub(crate) struct KeyProfileChoice<'a> {
    /// The profile the admin named for this teardown (the window's "Key's account profile",
    /// the CLI's --key-profile).
    pub chosen: Option<&'a str>,
    /// This computer's journal runs of the setup, which recorded the profile at provision.
    pub runs: &'a [Run],
}

impl KeyProfileChoice<'_> {
    fn recorded(&self) -> Option<&str> {
        self.runs
            .iter()
            .rev()
            .filter_map(|r| r.key_profile.as_deref())
            .map(str::trim)
            .find(|p| !p.is_empty())
    }
}

/// For a setup whose key is in another account: the workload's connection with a checked
/// connection to the key's account beside it, and what the preview says about it. The profile
/// is connected with STS and its account compared with the key ARN's before anything else, as
/// provision does; a connection that already reaches that account is kept when none is chosen.
pub(crate) async fn key_account_access(
    connection: &Connection,
    key_arn: Option<&str>,
    choice: &KeyProfileChoice<'_>,
) -> (Option<Connection>, Option<KeyAccountAccess>) {
    let Some(key_arn) = key_arn.filter(|arn| other_account(connection, arn)) else {
        return (None, None);
    };
    let account_id = connect::key_account_of(key_arn)
        .unwrap_or_default()
        .to_string();
    let chosen = choice.chosen.map(str::trim).filter(|p| !p.is_empty());
    if chosen.is_none() && connection.for_key_account(key_arn).is_some() {
        let access = KeyAccountAccess {
            account_id,
            profile: choice.recorded().map(str::to_string),
            problem: None,
        };
        return (Some(connection.clone()), Some(access));
    }
    let Some(profile) = chosen.or_else(|| choice.recorded()) else {
        let problem = format!(
            "This computer has no record of a profile for account {account_id}, which holds the key (the setup was made on another computer, or by an older version of this app)."
        );
        let access = KeyAccountAccess {
            account_id,
            profile: None,
            problem: Some(problem),
        };
        return (None, Some(access));
    };
    let options = ConnectOptions {
        profile: Some(profile.to_string()),
        region: Some(connection.region().to_string()),
    };
    let (joined, problem) = match connect::connect(&options).await {
        Ok(other) if other.account_id() == account_id => {
            (Some(connection.clone().with_key_account(Some(other))), None)
        }
        Ok(other) => (None, Some(format!(
            "The profile {profile} signs in to account {} ({}), not to account {account_id}, which holds the key.",
            other.account_id(), other.identity.arn
        ))),
        Err(error) => (None, Some(format!(
            "The profile {profile} could not sign in to account {account_id}: {error}"
        ))),
    };
    let access = KeyAccountAccess {
        account_id,
        profile: Some(profile.to_string()),
        problem,
    };
    (joined, Some(access))
}

/// True when `key_arn` names a key of another account than the connection's.
pub(crate) fn other_account(connection: &Connection, key_arn: &str) -> bool {
    crate::aws::connect::key_account_of(key_arn).is_some_and(|a| a != connection.account_id())
}

/// What became of the setup's statement.
pub(crate) enum GrantFate {
    Nothing,
    Removed(String),
    Kept(String),
    /// It could not be worked out: the teardown stops there, with the principal still in
    /// place, so that a later run can finish it.
    Failed(String),
}

/// Removes the setup's statement from the other account's key policy, if it is still exactly
/// what this app wrote; `key` is the setup's key and whether its principal still exists. Done
/// first: once the principal is gone, KMS shows the statement with the principal's internal id
/// instead of its ARN, and nobody could tell it is this app's any more. A deletion of that key
/// is refused before any change.
pub(crate) async fn release_key_grant(
    connection: &Connection,
    kind: PrincipalKind,
    name: &str,
    key: (Option<&str>, bool),
    deleting_key: bool,
    access: Option<&KeyAccountAccess>,
) -> Result<GrantFate, ProvisionError> {
    use crate::aws::key_grant::Removed;
    use crate::setup::cross_account;
    let (Some(key_arn), principal_exists) = key else {
        return Ok(GrantFate::Nothing);
    };
    let Some(key_account) =
        crate::aws::connect::key_account_of(key_arn).filter(|_| other_account(connection, key_arn))
    else {
        return Ok(GrantFate::Nothing);
    };
    if deleting_key {
        return Err(ProvisionError::KeyKept {
            key: key_arn.to_string(),
            reason: format!("it is in account {key_account}; this app did not make it there and never schedules the deletion of another account's key"),
        });
    }
    if !principal_exists {
        return Ok(GrantFate::Nothing);
    }
    if connection.for_key_account(key_arn).is_none() {
        let why = access
            .and_then(|a| a.problem.as_deref())
            .map(|p| format!(" {p}"))
            .unwrap_or_default();
        return Err(ProvisionError::CrossAccount {
            message: format!(
                "The key of {name} ({key_arn}) is in account {key_account}, whose key policy holds a statement for {name} that only that account can remove.{why}"
            ),
            hint: format!(
                "Nothing was removed. Choose a profile of account {key_account} as the key's account profile (in the teardown panel's \"Key's account profile\" field; on the command line --key-profile), then tear down again."
            ),
        });
    }
    let sid = cross_account::setup_sid(connection, kind, name);
    let principal_arn = cross_account::principal_arn(connection, kind, name);
    let what = format!("statement {sid} in the key policy of {key_arn} (account {key_account})");
    Ok(
        match cross_account::remove_grant(connection, key_arn, &sid, &principal_arn).await {
            Ok(Removed::Removed) => GrantFate::Removed(what),
            Ok(Removed::Absent) => GrantFate::Nothing,
            Ok(Removed::Changed(_)) => GrantFate::Kept(format!(
                "{what}: someone changed it since this app wrote it, so it was left as it is; look at it in the key's account"
            )),
            Err(reason) => GrantFate::Failed(format!("{what}: {reason}")),
        },
    )
}

/// The preview's line for the statement, when the key is in another account.
pub(crate) fn preview_line(
    connection: &Connection,
    kind: PrincipalKind,
    name: &str,
    key_arn: Option<&str>,
) -> Option<String> {
    key_arn.filter(|arn| other_account(connection, arn)).map(|arn| {
        format!(
            "statement {} in the key policy of {arn}: removed with the key account's credentials if it is still exactly what this app wrote, otherwise left as it is",
            crate::setup::cross_account::setup_sid(connection, kind, name)
        )
    })
}
