//! Rotating a setup's access key with no moment in which the keychain holds a key that does not
//! work: create the new key, prove it, replace the keychain item atomically, then retire the old
//! key. Whatever fails, exactly one working key remains, and it is the one in the keychain.

use crate::aws::connect::Connection;
use crate::aws::ownership;
use crate::cancel::Cancel;
use crate::error::aws::AwsFailure;
use crate::error::ProvisionError;
use crate::local::credentials::{LoadedCredentials, StoredCredentials};
use crate::local::journal::Journal;
use crate::local::keychain::{self, Vault};
use crate::model::created::Created;
use crate::model::principal::Principal;
use crate::model::Quiet;
use crate::setup::verify::{self, Probe};
use aws_sdk_iam::types::StatusType;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RotateReport {
    pub user_name: String,
    pub new_access_key_id: String,
    pub old_access_key_id: String,
    pub old_key_deleted: bool,
    pub deleted_inactive_key: Option<String>,
    pub message: String,
}

pub struct RotateOptions {
    pub delete_inactive_key: bool,
    pub verify_limit: Duration,
    pub journal: Option<Arc<Journal>>,
}

pub async fn rotate(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    user: &str,
    options: &RotateOptions,
) -> Result<RotateReport, ProvisionError> {
    crate::validate::user_name(user)?;
    ownership::our_principal(connection, Principal::user(user)).await?;
    let account = keychain::account_for(connection.account_id(), user);
    let read_account = account.clone();
    let old_item = keychain::off_thread(&vault, move |vault| vault.load(&read_account)).await?;
    let old = LoadedCredentials::parse(&old_item)?;
    let iam = connection.iam();

    let (deleted_inactive_key, remaining) =
        make_room(&iam, user, &old.access_key_id, options.delete_inactive_key).await?;
    let (new_id, new_secret) = crate::aws::iam::create_access_key(&iam, user, &remaining).await?;

    // From here on, any failure removes the new key, and the old one stays in the keychain.
    let undo_new = |reason: ProvisionError| {
        let iam = iam.clone();
        let new_id = new_id.clone();
        async move {
            let _ = iam
                .delete_access_key()
                .user_name(user)
                .access_key_id(&new_id)
                .send()
                .await;
            reason
        }
    };
    let probe = Probe {
        access_key_id: &new_id,
        secret: &new_secret,
        session_token: None,
        key_arn: &old.key_arn,
        expected_arn: &old.user_arn,
    };
    if let Err(error) = verify::verify(
        &connection.config_for_key(&old.key_arn),
        &probe,
        options.verify_limit,
        &Quiet,
        &Cancel::default(),
    )
    .await
    {
        return Err(undo_new(error).await);
    }
    let sealed = StoredCredentials {
        access_key_id: &new_id,
        secret_access_key: &new_secret,
        key_arn: &old.key_arn,
        key_alias: old.key_alias.as_deref(),
        region: &old.region,
        account_id: connection.account_id(),
        principal_arn: &old.user_arn,
        principal_name: user,
        policy_name: &old.policy_name,
    }
    .seal();
    let label = format!(
        "MongoDB CSFLE credentials for {user} ({})",
        connection.account_id()
    );
    let write_account = account.clone();
    let write_label = label.clone();
    let saved = keychain::off_thread(&vault, move |vault| {
        vault.save(&write_account, &write_label, &sealed)
    })
    .await;
    if let Err(error) = saved {
        return Err(undo_new(error.into()).await);
    }
    // Session credentials cached from the old key must not be handed out again.
    let _ = crate::local::session_credentials::forget_off_thread(&vault, &account).await;

    // The keychain now holds the new key. Retire the old one; if that is refused, put the old
    // item back so the key in the keychain is still the only working one.
    let deactivated = iam
        .update_access_key()
        .user_name(user)
        .access_key_id(&old.access_key_id)
        .status(StatusType::Inactive)
        .send()
        .await;
    if let Err(e) = deactivated {
        let failure = AwsFailure::from_sdk("iam:UpdateAccessKey", &e);
        let restore_account = account.clone();
        let restored = keychain::off_thread(&vault, move |vault| {
            vault.save(&restore_account, &label, &old_item)
        })
        .await;
        return match restored {
            Ok(()) => Err(undo_new(failure.into()).await),
            _ => Err(ProvisionError::RoundTrip(format!(
                "{failure}; the keychain now holds the new key {} and the old key {} is still active: deactivate it in the AWS console",
                crate::mask_access_key_id(&new_id),
                crate::mask_access_key_id(&old.access_key_id)
            ))),
        };
    }
    let old_key_deleted = iam
        .delete_access_key()
        .user_name(user)
        .access_key_id(&old.access_key_id)
        .send()
        .await
        .is_ok();
    if let Some(journal) = &options.journal {
        let _ = journal.update(|runs| {
            for run in runs
                .iter_mut()
                .filter(|r| r.keychain_account.as_deref() == Some(account.as_str()))
            {
                run.created.retain(
                    |c| !matches!(c, Created::AccessKey { id, .. } if *id == old.access_key_id),
                );
                run.created.push(Created::AccessKey {
                    user: user.to_string(),
                    id: new_id.clone(),
                });
            }
        });
    }
    let message = if old_key_deleted {
        format!(
            "The keychain now holds the new access key {}; the old key {} was deleted.",
            crate::mask_access_key_id(&new_id),
            crate::mask_access_key_id(&old.access_key_id)
        )
    } else {
        format!(
            "The keychain now holds the new access key {}; the old key {} is deactivated but could not be deleted: delete it in the AWS console.",
            crate::mask_access_key_id(&new_id),
            crate::mask_access_key_id(&old.access_key_id)
        )
    };
    Ok(RotateReport {
        user_name: user.to_string(),
        new_access_key_id: new_id,
        old_access_key_id: old.access_key_id.clone(),
        old_key_deleted,
        deleted_inactive_key,
        message,
    })
}

/// AWS allows two access keys per user. With two, the one not in the keychain must go first:
/// only an inactive one, and only when the admin said so. Returns the deleted key and the ids
/// that remain.
async fn make_room(
    iam: &aws_sdk_iam::Client,
    user: &str,
    in_keychain: &str,
    delete_inactive: bool,
) -> Result<(Option<String>, Vec<String>), ProvisionError> {
    let keys = crate::aws::ownership::access_keys(iam, user).await?;
    let others: Vec<_> = keys
        .iter()
        .filter(|k| k.access_key_id() != Some(in_keychain))
        .collect();
    let ids: Vec<String> = keys
        .iter()
        .filter_map(|k| k.access_key_id().map(str::to_string))
        .collect();
    if ids.len() < 2 {
        return Ok((None, ids));
    }
    let inactive = others
        .iter()
        .find(|k| k.status() == Some(&StatusType::Inactive))
        .and_then(|k| k.access_key_id())
        .map(str::to_string);
    match inactive {
        Some(id) if delete_inactive => {
            iam.delete_access_key()
                .user_name(user)
                .access_key_id(&id)
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:DeleteAccessKey", &e))?;
            let remaining = ids.into_iter().filter(|k| *k != id).collect();
            Ok((Some(id), remaining))
        }
        Some(id) => Err(ProvisionError::KeyLimit {
            user: user.to_string(),
            detail: format!(
                "; the other key {} is inactive",
                crate::mask_access_key_id(&id)
            ),
            inactive: Some(id),
        }),
        None => Err(ProvisionError::KeyLimit {
            user: user.to_string(),
            detail: "; both are active".into(),
            inactive: None,
        }),
    }
}
