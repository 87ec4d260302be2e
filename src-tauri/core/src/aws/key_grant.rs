//! The key-policy statement of a cross-account setup, written and removed in the key's account
//! with that account's credentials. Each write reads the policy twice, before and just before
//! PutKeyPolicy, and refuses if it changed in between: KMS has no conditional write, and a
//! blind write would throw away what another admin wrote meanwhile.

use crate::aws::connect::Connection;
use crate::aws::key_policy;
use crate::error::aws::AwsFailure;
use crate::error::ProvisionError;
use crate::model::key_grant::{self, KeyGrant, Removal};
use serde_json::Value;

fn unreadable(key_arn: &str, why: String) -> ProvisionError {
    ProvisionError::CrossAccount {
        message: format!("The key policy of {key_arn} cannot be edited safely: {why}"),
        hint: "Nothing was changed in either account. Ask the key's owner to add the statement the plan shows, or choose another key.".into(),
    }
}

/// Why the grant cannot be added to the policy as it is now (read at planning): a statement
/// with the setup's Sid already there, or a policy this app cannot edit as text.
pub async fn check_addable(key_side: &Connection, grant: &KeyGrant) -> Result<(), ProvisionError> {
    let text = key_policy::current_text(key_side, &grant.key_arn).await?;
    addable(&text, grant).map(drop)
}

fn addable(text: &str, grant: &KeyGrant) -> Result<String, ProvisionError> {
    if key_grant::find(text, &grant.sid)
        .map_err(|why| unreadable(&grant.key_arn, why))?
        .is_some()
    {
        return Err(ProvisionError::CrossAccount {
            message: format!(
                "The key policy of {} already has a statement {}: this app would own it, but did not write it (or an earlier setup of the same name left it)",
                grant.key_arn, grant.sid
            ),
            hint: "Nothing was changed in either account. Look at that statement in the key's account (KMS console, Key policy); remove it if nothing needs it, then plan again.".into(),
        });
    }
    key_grant::add(text, &grant.statement).map_err(|why| unreadable(&grant.key_arn, why))
}

/// What one attempt to add the statement came to.
pub enum Added {
    Done,
    /// KMS refused the principal: IAM has not shown it the new role or user yet.
    PrincipalNotVisible(AwsFailure),
}

/// Adds the grant's statement once: read, edit the text, read again, write.
pub async fn add_once(key_side: &Connection, grant: &KeyGrant) -> Result<Added, ProvisionError> {
    let before = key_policy::current_text(key_side, &grant.key_arn).await?;
    let edited = addable(&before, grant)?;
    let again = key_policy::current_text(key_side, &grant.key_arn).await?;
    if again != before {
        return Err(ProvisionError::KeyPolicyRace(grant.key_arn.clone()));
    }
    match key_policy::put(key_side, &grant.key_arn, &edited).await {
        Ok(()) => Ok(Added::Done),
        Err(failure) if invalid_principal(&failure) => Ok(Added::PrincipalNotVisible(failure)),
        Err(failure) => Err(failure.into()),
    }
}

/// KMS's answer to a key policy naming a principal IAM has not propagated yet.
fn invalid_principal(failure: &AwsFailure) -> bool {
    failure.code.as_deref() == Some("MalformedPolicyDocumentException")
        && failure.message.to_ascii_lowercase().contains("principal")
}

/// What removing the statement came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Removed {
    Removed,
    /// Someone changed the statement since this app wrote it: it was left as it is.
    Changed(Value),
    Absent,
}

/// Removes the statement `sid` naming `principal_arn` if it is still exactly what this app wrote.
pub async fn remove(
    key_side: &Connection,
    key_arn: &str,
    sid: &str,
    principal_arn: &str,
) -> Result<Removed, ProvisionError> {
    let expected = key_grant::statement(sid, principal_arn);
    let before = key_policy::current_text(key_side, key_arn).await?;
    let edited =
        match key_grant::remove(&before, sid, &expected).map_err(|why| unreadable(key_arn, why))? {
            Removal::Absent => return Ok(Removed::Absent),
            Removal::Changed(found) => return Ok(Removed::Changed(found)),
            Removal::Removed(edited) => edited,
        };
    let again = key_policy::current_text(key_side, key_arn).await?;
    if again != before {
        return Err(ProvisionError::KeyPolicyRace(key_arn.to_string()));
    }
    key_policy::put(key_side, key_arn, &edited).await?;
    Ok(Removed::Removed)
}

/// The statement a principal's setup owns in the policy of `key_arn`, if any.
pub async fn find(
    key_side: &Connection,
    key_arn: &str,
    sid: &str,
) -> Result<Option<Value>, ProvisionError> {
    let text = key_policy::current_text(key_side, key_arn).await?;
    key_grant::find(&text, sid).map_err(|why| unreadable(key_arn, why))
}
