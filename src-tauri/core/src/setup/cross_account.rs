//! The key in one account, the application in another. KMS lets a principal of another account
//! use a key only when both agree ("neither alone is sufficient"): the workload account's IAM
//! policy (the setup's inline policy, as for any setup) and the key's policy in the key's
//! account, where this plans and writes exactly one statement with that account's credentials.

use crate::aws::connect::Connection;
use crate::aws::key_grant::{self, Added};
use crate::aws::tags;
use crate::cancel::Cancel;
use crate::error::aws::AwsFailure;
use crate::error::ProvisionError;
use crate::model::created::Created;
use crate::model::key_grant::{self as grant_text, KeyGrant};
use crate::model::principal::PrincipalKind;
use crate::model::{PlanStep, Progress, ProgressSink, StepId};
use crate::setup::verify::{self, Pace};
use crate::validate::KeyRef;
use std::time::Duration;

fn refused(message: String, hint: &str) -> ProvisionError {
    ProvisionError::CrossAccount {
        message,
        hint: format!("{hint} Nothing was changed in either account."),
    }
}

/// The connection that reads (and for a grant, writes) the existing key: the workload's own for
/// a key of its account, the key account's for an ARN of another account. Every mismatch of
/// key, accounts and profiles is refused here, before any change.
pub(crate) fn key_side<'a>(
    connection: &'a Connection,
    key: &KeyRef,
) -> Result<&'a Connection, ProvisionError> {
    let workload = connection.account_id();
    let other = connection.key_account.as_deref();
    let shown = key.as_kms_key_id();
    match (key, other) {
        (KeyRef::Arn { account, .. }, Some(_)) if account == workload => Err(refused(
            format!("The key {shown} is in account {workload}, the application's own; the key's account profile is only for a key in another account."),
            "Leave the key's account profile out, or give the other account's key ARN.",
        )),
        (KeyRef::Arn { account, .. }, None) if account != workload => Err(refused(
            format!("The key {shown} is in account {account}, not in {workload} where the application's role or user is made. Its key policy must name the application too, and only account {account} can write that."),
            &format!("Give the profile of account {account} as the key's account profile (--key-profile) so the app writes that statement, or choose a key of account {workload}."),
        )),
        (KeyRef::Arn { account, .. }, Some(key_account)) if key_account.account_id() != account => Err(refused(
            format!("The key {shown} is in account {account}, but the key's account profile signs in to account {} ({}).", key_account.account_id(), key_account.identity.arn),
            &format!("Choose a profile of account {account} for the key's account."),
        )),
        (KeyRef::Arn { .. }, Some(key_account)) => Ok(key_account),
        (_, Some(key_account)) => Err(refused(
            format!("A key in another account is named by its full ARN (arn:{}:kms:REGION:{}:key/ID); an alias or key id names a key of account {workload}.", connection.partition(), key_account.account_id()),
            "Give the key's ARN, as the key's account shows it in the KMS console.",
        )),
        (_, None) => Ok(connection),
    }
}

/// A new key is made in the workload's account: a key account profile with it is a mistake.
pub(crate) fn no_key_account_for_a_new_key(connection: &Connection) -> Result<(), ProvisionError> {
    match &connection.key_account {
        Some(other) => Err(refused(
            format!("A new key is made in account {} (the application's); the key's account profile (account {}) is only for an existing key there.", connection.account_id(), other.account_id()),
            "Leave the key's account profile out, or choose \"Use an existing key\" with that account's key ARN.",
        )),
        None => Ok(()),
    }
}

/// The principal's ARN as IAM will make it (the app's own path).
pub fn principal_arn(connection: &Connection, kind: PrincipalKind, name: &str) -> String {
    let what = match kind {
        PrincipalKind::User => "user",
        PrincipalKind::Role => "role",
    };
    format!(
        "arn:{}:iam::{}:{what}{}{name}",
        connection.partition(),
        connection.account_id(),
        tags::IAM_PATH
    )
}

fn kind_word(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "User",
        PrincipalKind::Role => "Role",
    }
}

/// The grant a setup of `name` with the key `key_arn` needs, when the key is in the connected
/// key account; checked against that key's policy as it is now.
pub(crate) async fn plan_grant(
    connection: &Connection,
    kind: PrincipalKind,
    name: &str,
    key_arn: &str,
) -> Result<Option<KeyGrant>, ProvisionError> {
    let Some(key_side) = connection
        .key_account
        .as_deref()
        .filter(|k| crate::aws::connect::key_account_of(key_arn) == Some(k.account_id()))
    else {
        return Ok(None);
    };
    let sid = grant_text::sid(kind_word(kind), connection.account_id(), name);
    let principal_arn = principal_arn(connection, kind, name);
    let grant = KeyGrant {
        key_arn: key_arn.to_string(),
        key_account: key_side.account_id().to_string(),
        key_admin_arn: key_side.identity.arn.clone(),
        key_profile: None,
        statement: grant_text::statement_text(&sid, &principal_arn),
        sid,
        principal_arn,
    };
    key_grant::check_addable(key_side, &grant).await?;
    Ok(Some(grant))
}

/// The plan line of the grant.
pub(crate) fn grant_step(grant: &KeyGrant) -> PlanStep {
    PlanStep {
        id: StepId::PutKeyPolicy,
        action: "kms:GetKeyPolicy, kms:PutKeyPolicy".into(),
        target: grant.key_arn.clone(),
        summary: format!(
            "In the key's account {} (as {}): add one statement {} to the key policy, letting {} use this key for kms:Encrypt and kms:Decrypt only (statement below). Every other statement stays exactly as it is; teardown removes this one again.",
            grant.key_account, grant.key_admin_arn, grant.sid, grant.principal_arn
        ),
    }
}

/// Writes the grant with the key account's credentials, for the principal IAM just made
/// (`made_arn`, which must be the one the plan showed). KMS refuses a statement naming a
/// principal it cannot see yet: that is waited out within `limit`, like IAM's other delays.
pub(crate) async fn write_grant(
    connection: &Connection,
    grant: &KeyGrant,
    made_arn: &str,
    limit: Duration,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<String, ProvisionError> {
    if made_arn != grant.principal_arn {
        return Err(ProvisionError::RoundTrip(format!(
            "IAM made {made_arn}, not {} as planned; the key policy was not changed",
            grant.principal_arn
        )));
    }
    let key_side = connection.for_key_account(&grant.key_arn).ok_or_else(|| {
        refused(
            format!("The key's account {} is not connected.", grant.key_account),
            "Plan again with the key's account profile.",
        )
    })?;
    let deadline = verify::deadline_for(limit);
    let mut pace = Pace::new();
    loop {
        match key_grant::add_once(key_side, grant).await? {
            Added::Done => {
                return Ok(format!(
                    "Added statement {} to the key policy in account {}",
                    grant.sid, grant.key_account
                ))
            }
            Added::PrincipalNotVisible(failure) => {
                if tokio::time::Instant::now() >= deadline {
                    return Err(failure.into());
                }
                sink.emit(Progress::Waiting {
                    step: StepId::PutKeyPolicy,
                    message: "Waiting for KMS to see the new principal".into(),
                });
                pace.pause(false, deadline, cancel).await?;
            }
        }
    }
}

/// True when a failed write may still have reached KMS (no answer, or a 5xx): the ledger keeps
/// the statement then, and rollback removes it if it is there.
pub(crate) fn may_have_written(error: &ProvisionError) -> bool {
    match error {
        ProvisionError::Aws(AwsFailure { action, status, .. }) => {
            *action == "kms:PutKeyPolicy" && status.is_none_or(|s| s >= 500)
        }
        _ => false,
    }
}

/// Removes a setup's statement from the key policy, with the key account's connection.
pub async fn remove_grant(
    connection: &Connection,
    key_arn: &str,
    sid: &str,
    principal_arn: &str,
) -> Result<key_grant::Removed, String> {
    let Some(key_side) = connection.for_key_account(key_arn) else {
        return Err(format!(
            "the key's account is not connected: choose its profile as the key's account profile (on the command line --key-profile) and run again, or remove statement {sid} from the key policy of {key_arn} in the KMS console"
        ));
    };
    key_grant::remove(key_side, key_arn, sid, principal_arn)
        .await
        .map_err(|e| format!("{e}. {}", e.hint()))
}

/// The Sid a setup of `(kind, name)` in the workload account owns in a key policy.
pub fn setup_sid(connection: &Connection, kind: PrincipalKind, name: &str) -> String {
    grant_text::sid(kind_word(kind), connection.account_id(), name)
}

/// The plan's grant, if it has one, as a step of the run, and what the run's ledger must enter:
/// the statement the moment KMS holds it (or may hold it), so that any later failure takes it
/// out again.
pub(crate) async fn grant_step_of_run(
    run: RunParts<'_>,
    grant: Option<&KeyGrant>,
    made_arn: &str,
) -> (Result<(), ProvisionError>, Option<Created>) {
    let Some(grant) = grant else {
        return (Ok(()), None);
    };
    let step = StepId::PutKeyPolicy;
    run.sink.emit(Progress::Started { step });
    let started = std::time::Instant::now();
    let result = write_grant(
        run.connection,
        grant,
        made_arn,
        run.limit,
        run.sink,
        run.cancel,
    )
    .await;
    let elapsed_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    run.sink.emit(match &result {
        Ok(detail) => Progress::Finished {
            step,
            detail: detail.clone(),
            elapsed_ms,
        },
        Err(error) => Progress::Failed {
            step,
            message: error.to_string(),
            elapsed_ms,
        },
    });
    let made =
        result
            .as_ref()
            .err()
            .is_none_or(may_have_written)
            .then(|| Created::KeyPolicyStatement {
                key_arn: grant.key_arn.clone(),
                sid: grant.sid.clone(),
                principal_arn: grant.principal_arn.clone(),
            });
    (result.map(drop), made)
}

/// What a run's grant step works with.
#[derive(Clone, Copy)]
pub(crate) struct RunParts<'a> {
    pub connection: &'a Connection,
    pub limit: Duration,
    pub sink: &'a dyn ProgressSink,
    pub cancel: &'a Cancel,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Identity;

    fn connection(account: &str) -> Connection {
        Connection {
            config: aws_config::SdkConfig::builder().build(),
            identity: Identity {
                account_id: account.into(),
                arn: format!("arn:aws:iam::{account}:user/admin"),
                region: "us-east-1".into(),
                account_alias: None,
                endpoint_override: None,
            },
            key_account: None,
        }
    }

    fn arn(account: &str) -> KeyRef {
        KeyRef::Arn {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account: account.into(),
            key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
        }
    }

    fn code(result: Result<&Connection, ProvisionError>) -> String {
        match result {
            Ok(c) => c.account_id().to_string(),
            Err(e) => e.code().to_string(),
        }
    }

    #[test]
    fn the_key_is_read_in_its_own_account_and_every_mismatch_is_refused() {
        let alone = connection("111122223333");
        assert_eq!(code(key_side(&alone, &arn("111122223333"))), "111122223333");
        assert_eq!(
            code(key_side(&alone, &KeyRef::Alias("alias/a".into()))),
            "111122223333"
        );
        assert_eq!(
            code(key_side(&alone, &arn("222233334444"))),
            "cross-account-key"
        );
        let paired = connection("111122223333").with_key_account(Some(connection("222233334444")));
        assert_eq!(
            code(key_side(&paired, &arn("222233334444"))),
            "222233334444"
        );
        assert_eq!(
            code(key_side(&paired, &arn("111122223333"))),
            "cross-account-key"
        );
        assert_eq!(
            code(key_side(&paired, &arn("999988887777"))),
            "cross-account-key"
        );
        assert_eq!(
            code(key_side(
                &paired,
                &KeyRef::Id("1234abcd-12ab-34cd-56ef-1234567890ab".into())
            )),
            "cross-account-key"
        );
        assert!(no_key_account_for_a_new_key(&paired).is_err());
        assert!(no_key_account_for_a_new_key(&alone).is_ok());
        assert_eq!(
            principal_arn(&alone, PrincipalKind::Role, "app"),
            "arn:aws:iam::111122223333:role/csfle-provisioner/app"
        );
    }
}
