//! The ledger of what a run created, and its undoing in reverse order. Every resource is entered
//! the moment AWS confirms it, so a failure anywhere later can remove it.

use crate::aws::connect::Connection;
use crate::aws::{iam, iam_remove, kms};
use crate::error::aws::AwsFailure;
use crate::error::RollbackReport;
use crate::local::journal::Journal;
use crate::local::keychain::Vault;
use crate::model::created::{Created, KEY_DELETION_DAYS};
use crate::model::principal::Principal;
use crate::model::{Progress, ProgressSink};
use std::sync::Arc;

/// What one run created, in order, mirrored into the journal when there is one.
#[derive(Debug, Default)]
pub struct Ledger {
    items: Vec<Created>,
    journal: Option<(Arc<Journal>, String)>,
    /// The first journal write that failed: the run goes on, but the admin is told.
    journal_trouble: Option<String>,
}

impl Ledger {
    pub fn journaled(journal: Arc<Journal>, run_id: &str) -> Ledger {
        Ledger {
            items: Vec::new(),
            journal: Some((journal, run_id.to_string())),
            journal_trouble: None,
        }
    }

    /// Resumes a ledger from what an earlier (interrupted) run recorded.
    pub fn with_items(mut self, items: Vec<Created>) -> Ledger {
        self.items = items;
        self
    }

    pub fn record(&mut self, item: Created) {
        self.record_all(vec![item]);
    }

    /// What concurrent steps made, in one journal write.
    pub fn record_all(&mut self, items: Vec<Created>) {
        if items.is_empty() {
            return;
        }
        if let Some((journal, run_id)) = &self.journal {
            // A journal that cannot be written weakens crash recovery; the run itself goes on,
            // and the admin hears about it at the end.
            if let Err(error) = journal.record_all(run_id, items.clone()) {
                self.journal_trouble.get_or_insert(error.to_string());
            }
        }
        self.items.extend(items);
    }

    /// Why the journal could not follow this run, if it could not.
    pub fn journal_trouble(&self) -> Option<&str> {
        self.journal_trouble.as_deref()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> &[Created] {
        &self.items
    }

    fn forget(&self, item: &Created) {
        if let Some((journal, run_id)) = &self.journal {
            let _ = journal.forget(run_id, item);
        }
    }

    /// Undoes everything, newest first, and reports each result; it never stops at a failure.
    pub async fn roll_back(
        self,
        connection: &Connection,
        vault: &Arc<dyn Vault>,
        sink: &dyn ProgressSink,
    ) -> RollbackReport {
        self.roll_back_until(connection, vault, sink, &crate::cancel::Cancel::default())
            .await
    }

    /// Like [`Ledger::roll_back`], but stops between items once `cancel` is flipped: what is
    /// left stays in the journal, so a later clean-up finishes it. (A failed apply's own rollback
    /// is never cancelled.)
    pub async fn roll_back_until(
        self,
        connection: &Connection,
        vault: &Arc<dyn Vault>,
        sink: &dyn ProgressSink,
        cancel: &crate::cancel::Cancel,
    ) -> RollbackReport {
        let mut report = RollbackReport::default();
        for item in self.items.iter().rev() {
            let described = item.describe();
            if cancel.is_cancelled() {
                report.left_behind.push(format!(
                    "{described}: not removed (cancelled); clean up again to finish"
                ));
                continue;
            }
            match undo(item, connection, vault).await {
                Ok(()) => {
                    self.forget(item);
                    sink.emit(Progress::RolledBack {
                        step: item.step(),
                        message: format!("Removed {described}"),
                    });
                    report.undone.push(described);
                }
                Err(reason) => {
                    sink.emit(Progress::RollbackFailed {
                        step: item.step(),
                        message: format!("Could not remove {described}: {reason}"),
                    });
                    report.left_behind.push(format!("{described}: {reason}"));
                }
            }
        }
        report
    }
}

/// Removes one resource; a resource that is already gone counts as removed.
pub async fn undo(
    item: &Created,
    connection: &Connection,
    vault: &Arc<dyn Vault>,
) -> Result<(), String> {
    let iam_client = connection.iam();
    let kms_client = connection.kms();
    let explain = |failure: AwsFailure| format!("{failure}. {}", failure.hint());
    let result = match item {
        Created::AccessKey { user, id } => {
            iam_remove::delete_access_key(&iam_client, user, id).await
        }
        Created::Policy { user, name } => {
            iam_remove::delete_inline_policy(&iam_client, Principal::user(user), name).await
        }
        // The run's own user: any access key on it is the run's too (one whose reply was lost
        // included), and IAM refuses to delete a user that still has keys.
        Created::User(user) => {
            if let Err(error) = iam::delete_keys_without_secret(&iam_client, user, &[]).await {
                return Err(format!("{error}. {}", error.hint()));
            }
            iam_remove::delete_principal(&iam_client, Principal::user(user)).await
        }
        Created::Alias(alias) => kms::delete_alias(&kms_client, alias).await,
        Created::Key { key_id, .. } => {
            kms::schedule_deletion(&kms_client, key_id, KEY_DELETION_DAYS)
                .await
                .map(drop)
        }
        Created::Role(role) => {
            iam_remove::delete_principal(&iam_client, Principal::role(role)).await
        }
        Created::RolePolicy { role, name } => {
            iam_remove::delete_inline_policy(&iam_client, Principal::role(role), name).await
        }
        Created::InstanceProfile { name, role } => {
            if let Some(role) = role {
                let removed =
                    iam_remove::remove_role_from_instance_profile(&iam_client, name, role).await;
                if let Err(failure) = iam_remove::gone_is_fine(removed) {
                    return Err(explain(failure));
                }
            }
            iam_remove::delete_instance_profile(&iam_client, name).await
        }
        Created::OidcProvider { arn } => crate::aws::oidc::delete_provider(&iam_client, arn).await,
        Created::PodIdentityAssociation { cluster, id } => {
            crate::aws::eks::delete_association(connection, cluster, id).await
        }
        Created::KeyPolicyStatement {
            key_arn,
            sid,
            principal_arn,
        } => {
            use crate::aws::key_grant::Removed;
            let removed =
                crate::setup::cross_account::remove_grant(connection, key_arn, sid, principal_arn)
                    .await?;
            return match removed {
                Removed::Removed | Removed::Absent => Ok(()),
                Removed::Changed(_) => Err(format!(
                    "someone changed statement {sid} since this app wrote it, so it was left as it is; look at it in the key's account"
                )),
            };
        }
        Created::KeychainItem(account) => {
            let account = account.clone();
            return crate::local::keychain::off_thread(vault, move |vault| vault.remove(&account))
                .await
                .map_err(|e| format!("{e}. {}", e.hint()));
        }
    };
    iam_remove::gone_is_fine(result).map_err(explain)
}
