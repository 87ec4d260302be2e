//! Teardown's part in the key's account, for a setup whose key is in another account: the one
//! key-policy statement the setup owns goes, and only if it is still exactly what this app wrote.
//! The key itself is never touched there: this app did not make it.

use crate::aws::connect::Connection;
use crate::error::ProvisionError;
use crate::model::principal::PrincipalKind;

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
        return Err(ProvisionError::CrossAccount {
            message: format!(
                "The key of {name} ({key_arn}) is in account {key_account}, whose key policy holds a statement for {name} that only that account can remove."
            ),
            hint: format!(
                "Nothing was removed. Give the profile of account {key_account} as the key's account profile (--key-profile) and run teardown again."
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
