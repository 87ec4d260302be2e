//! Runs that were killed part-way (power loss, kill -9) are found in the journal at the next start.
//! They can be cleaned up (everything the run made is removed) or resumed (what exists is kept,
//! the rest is made). Either way AWS and the keychain end up consistent. AWS is inspected by name
//! and by the run's tag, so even a resource the journal missed (killed between AWS's answer and the
//! journal write) is found.

use crate::aws::connect::Connection;
use crate::aws::ownership;
use crate::cancel::Cancel;
use crate::error::{ProvisionError, RollbackReport};
use crate::local::journal::{Journal, Run, RunState};
use crate::local::keychain::Vault;
use crate::model::created::Created;
use crate::model::ownership::KnownRun;
use crate::model::principal::{Principal, PrincipalKind};
use crate::model::{Outcome, Plan, PlannedKey, ProgressSink};
use crate::setup::apply::{self, Existing};
use crate::setup::plan::{self, ValidKey, ValidRequest};
use crate::setup::rollback::{self, Ledger};
use crate::setup::run_frame::ApplyFailure;
use crate::setup::run_frame::ApplyOptions;
use serde::Serialize;
use std::sync::Arc;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct InterruptedRun {
    pub run_id: String,
    pub kind: crate::model::principal::PrincipalKind,
    pub user_name: String,
    pub region: String,
    /// Unix seconds; exact as a JavaScript number until the year 285 million.
    #[ts(type = "number")]
    pub started_at: u64,
    pub created: Vec<String>,
}

/// Interrupted runs in `connection`'s account and region.
pub fn interrupted(journal: &Journal, connection: &Connection) -> Vec<Run> {
    journal
        .runs()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r.state == RunState::InProgress
                && r.account_id == connection.account_id()
                && r.region == connection.region()
                && !journal.is_live(&r.id)
        })
        .collect()
}

pub fn summary(run: &Run) -> InterruptedRun {
    InterruptedRun {
        run_id: run.id.clone(),
        kind: run.principal_kind,
        user_name: run.principal_name.clone(),
        region: run.region.clone(),
        started_at: run.started_at,
        created: run.created.iter().map(Created::describe).collect(),
    }
}

/// What the run made, as AWS shows it now, and what its journal names that AWS does not show
/// as made by this run (left alone: an edited or mistaken journal deletes nothing).
pub struct Inventory {
    pub made: Vec<Created>,
    pub left_alone: Vec<Created>,
    /// Made by the run but kept, and why (an OIDC provider another role trusts by now).
    pub kept: Vec<String>,
}

/// Everything the run made, proven against AWS (the run's tag and a creation time inside the
/// run) and the keychain. The journal's entries only say where to look: each is undone only if
/// AWS shows it made by this run; a resource the journal missed (killed between AWS's answer and
/// the journal write) is found by the same proof.
async fn inventory(
    connection: &Connection,
    vault: &Arc<dyn Vault>,
    run: &Run,
) -> Result<Inventory, ProvisionError> {
    let (mut found, kept) = match run.principal_kind {
        PrincipalKind::User => (user_inventory(connection, run).await?, vec![]),
        PrincipalKind::Role => role_inventory(connection, run).await?,
    };
    found.extend(key_inventory(connection, run).await?);
    // A key-policy statement in another account carries no tag: it is the run's when the run
    // made its principal, and undo removes it only if it still is exactly what the run wrote.
    let principal_made = found
        .iter()
        .any(|item| matches!(item, Created::User(_) | Created::Role(_)));
    if principal_made {
        found.extend(
            run.created
                .iter()
                .filter(|item| matches!(item, Created::KeyPolicyStatement { .. }))
                .cloned(),
        );
        if let Some(statement) = unrecorded_statement(connection, run).await {
            if !found.contains(&statement) {
                found.push(statement);
            }
        }
    }
    // The keychain item is the run's only if it holds one of the run's access keys: after the
    // name was reused, the item belongs to the newer setup and is that setup's working secret.
    if let Some(item) = keychain_inventory(vault, run, &found).await? {
        found.push(item);
    }
    let left_alone = run
        .created
        .iter()
        .filter(|item| !matches!(item, Created::KeychainItem(_)) && !found.contains(item))
        .filter(|item| !kept.iter().any(|k| k.starts_with(&item.describe())))
        .cloned()
        .collect();
    // Undo order is the reverse of this: keychain item and access keys first, the key last.
    found.sort_by_key(|item| match item {
        Created::Key { .. } | Created::OidcProvider { .. } => 0,
        Created::Alias(_) => 1,
        Created::User(_) | Created::Role(_) => 2,
        Created::Policy { .. } | Created::RolePolicy { .. } => 3,
        Created::AccessKey { .. }
        | Created::InstanceProfile { .. }
        | Created::PodIdentityAssociation { .. }
        | Created::KeyPolicyStatement { .. } => 4,
        Created::KeychainItem(_) => 5,
    });
    found.dedup();
    Ok(Inventory {
        made: found,
        left_alone,
        kept,
    })
}

/// The statement a run killed between PutKeyPolicy and its journal write left in the other
/// account's key policy: exactly what the app writes for the run's principal (which the run made:
/// KMS accepts no statement naming a principal before it exists). Read only when the key account
/// is connected.
async fn unrecorded_statement(connection: &Connection, run: &Run) -> Option<Created> {
    use crate::setup::cross_account;
    let key_arn = run.key_arn.as_deref()?;
    let key_side = connection
        .for_key_account(key_arn)
        .filter(|k| k.account_id() != connection.account_id())?;
    let (kind, name) = (run.principal_kind, run.principal_name.as_str());
    let sid = cross_account::setup_sid(connection, kind, name);
    let principal_arn = cross_account::principal_arn(connection, kind, name);
    let found = crate::aws::key_grant::find(key_side, key_arn, &sid)
        .await
        .ok()??;
    (found == crate::model::key_grant::statement(&sid, &principal_arn)).then(|| {
        Created::KeyPolicyStatement {
            key_arn: key_arn.to_string(),
            sid,
            principal_arn,
        }
    })
}

/// The run as ownership evidence: its tag, and from when.
fn known(run: &Run) -> KnownRun {
    KnownRun {
        run_id: run.id.clone(),
        started_at: i64::try_from(run.started_at).unwrap_or(i64::MAX),
    }
}

/// The user a run made (its run tag, and IAM made it during the run), its inline policy and its
/// access keys.
async fn user_inventory(
    connection: &Connection,
    run: &Run,
) -> Result<Vec<Created>, ProvisionError> {
    let iam = connection.iam();
    let user = run.principal_name.as_str();
    if !ownership::made_in_run(&iam, Principal::user(user), &known(run)).await? {
        return Ok(vec![]);
    }
    let mut found = vec![Created::User(user.to_string())];
    if ownership::inline_policy_names(&iam, Principal::user(user))
        .await?
        .contains(&run.policy_name)
    {
        found.push(Created::Policy {
            user: user.to_string(),
            name: run.policy_name.clone(),
        });
    }
    for id in ownership::access_key_ids(connection, user).await? {
        found.push(Created::AccessKey {
            user: user.to_string(),
            id,
        });
    }
    Ok(found)
}

/// The key a run made (its run tag, and KMS made it during the run) and its alias.
async fn key_inventory(connection: &Connection, run: &Run) -> Result<Vec<Created>, ProvisionError> {
    if run.new_key_description.is_none() {
        return Ok(vec![]);
    }
    let started = known(run).started_at;
    let made = crate::aws::kms::key_made_by_run(connection, &run.id, started).await?;
    let Some((key_id, arn)) = made else {
        return Ok(vec![]);
    };
    let mut found = vec![];
    if let Some(alias) = &run.key_alias {
        if ownership::key_aliases(connection, &key_id)
            .await?
            .contains(alias)
        {
            found.push(Created::Alias(alias.clone()));
        }
    }
    found.push(Created::Key { key_id, arn });
    Ok(found)
}

/// The run's keychain item, when it holds one of the access keys in `found`.
async fn keychain_inventory(
    vault: &Arc<dyn Vault>,
    run: &Run,
    found: &[Created],
) -> Result<Option<Created>, ProvisionError> {
    let Some(account) = &run.keychain_account else {
        return Ok(None);
    };
    let run_keys: Vec<String> = found
        .iter()
        .filter_map(|item| match item {
            Created::AccessKey { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    let reader = account.clone();
    let stored =
        crate::local::keychain::off_thread(vault, move |vault| match vault.load(&reader) {
            Ok(item) => crate::local::credentials::LoadedCredentials::parse(&item)
                .map(|c| Some(c.access_key_id))
                .or(Ok(None)),
            Err(crate::error::keychain::KeychainError::NotFound { .. }) => Ok(None),
            Err(other) => Err(other),
        })
        .await?;
    Ok(stored
        .is_some_and(|id| run_keys.contains(&id))
        .then(|| Created::KeychainItem(account.clone())))
}

/// The role a run made (found by its run tag), its inline policy and its instance profile, and
/// what it made for the workload's platform (found even when the role was never made).
async fn role_inventory(
    connection: &Connection,
    run: &Run,
) -> Result<(Vec<Created>, Vec<String>), ProvisionError> {
    let iam = connection.iam();
    let role = run.principal_name.as_str();
    let role_made = ownership::made_in_run(&iam, Principal::role(role), &known(run)).await?;
    let workload =
        crate::lifecycle::recovery_workload::inventory(connection, run, &known(run), role_made)
            .await?;
    if !role_made {
        return Ok((workload.made, workload.kept));
    }
    let mut found = vec![Created::Role(role.to_string())];
    if ownership::inline_policy_names(&iam, Principal::role(role))
        .await?
        .contains(&run.policy_name)
    {
        found.push(Created::RolePolicy {
            role: role.to_string(),
            name: run.policy_name.clone(),
        });
    }
    found.extend(workload.made);
    // Only the run's own instance profile (same name as the role, the run's tag, made during
    // the run): a profile someone else made and put the role in is theirs.
    let profile =
        crate::aws::iam::instance_profile_made_by_run(&iam, role, role, &known(run)).await;
    if let Ok(Some((true, holds_role))) = profile {
        found.push(Created::InstanceProfile {
            name: role.to_string(),
            role: holds_role.then(|| role.to_string()),
        });
    }
    Ok((found, workload.kept))
}

/// What cleaning up would remove, and what the journal names but AWS does not show as the run's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CleanupPreview {
    pub run_id: String,
    pub principal_name: String,
    pub remove: Vec<String>,
    pub left_alone: Vec<String>,
}

/// For a run whose key is in another account: the connection with that account's beside it,
/// through the profile the run recorded (checked to sign in there), so the key-policy statement
/// can be taken out again; otherwise the connection as it is (undoing the statement then fails
/// and says what to do).
async fn with_key_account(connection: &Connection, run: &Run) -> Option<Connection> {
    use crate::lifecycle::key_grant_teardown::{key_account_access, KeyProfileChoice};
    let runs = [run.clone()];
    let choice = KeyProfileChoice {
        chosen: None,
        runs: &runs,
    };
    key_account_access(connection, run.key_arn.as_deref(), &choice)
        .await
        .0
}

/// Reads what [`clean_up`] would do. Changes nothing.
pub async fn clean_up_preview(
    connection: &Connection,
    vault: &Arc<dyn Vault>,
    run: &Run,
) -> Result<CleanupPreview, ProvisionError> {
    let joined = with_key_account(connection, run).await;
    let connection = joined.as_ref().unwrap_or(connection);
    let found = inventory(connection, vault, run).await?;
    Ok(CleanupPreview {
        run_id: run.id.clone(),
        principal_name: run.principal_name.clone(),
        remove: found.made.iter().map(Created::describe).collect(),
        left_alone: found
            .left_alone
            .iter()
            .map(left_alone)
            .chain(found.kept)
            .collect(),
    })
}

fn left_alone(item: &Created) -> String {
    format!(
        "{}: named by this computer's journal, but AWS does not show it made by this run, so it \
         is left alone",
        item.describe()
    )
}

/// Removes everything the interrupted run made, as [`inventory`] proves it.
pub async fn clean_up(
    connection: &Connection,
    vault: &Arc<dyn Vault>,
    journal: &Arc<Journal>,
    run: &Run,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<RollbackReport, ProvisionError> {
    let joined = with_key_account(connection, run).await;
    let connection = joined.as_ref().unwrap_or(connection);
    let found = inventory(connection, vault, run).await?;
    let mut report = Ledger::journaled(Arc::clone(journal), &run.id)
        .with_items(found.made)
        .roll_back_until(connection, vault, sink, cancel)
        .await;
    report.left_alone = found.left_alone.iter().map(left_alone).collect();
    report.left_alone.extend(found.kept);
    if report.left_behind.is_empty() {
        let _ = journal.set_state(&run.id, RunState::RolledBack);
    }
    Ok(report)
}

/// Finishes the interrupted run: keeps its key, alias, user and policy; replaces any access key
/// (its secret died with the process unless the keychain has it) and completes the rest.
pub async fn resume(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    options: &ApplyOptions,
    run: &Run,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<Outcome, ApplyFailure> {
    if run.principal_kind == crate::model::principal::PrincipalKind::Role {
        return Err(ApplyFailure {
            error: ProvisionError::Unsupported(
                "Resuming an interrupted role setup is not supported".into(),
            ),
            rollback: RollbackReport::default(),
        });
    }
    let fail = |error: ProvisionError| ApplyFailure {
        error,
        rollback: RollbackReport::default(),
    };
    let found = inventory(connection, &vault, run).await.map_err(fail)?;
    let kept = remake_secrets(connection, &vault, options, run, found.made)
        .await
        .map_err(fail)?;
    let key = kept.iter().find_map(|c| match c {
        Created::Key { key_id, arn } => Some((key_id.clone(), arn.clone())),
        _ => None,
    });
    let user_made = kept.iter().any(|c| matches!(c, Created::User(_)));
    let user_arn = if user_made {
        ownership::principal_arn(&connection.iam(), Principal::user(&run.principal_name))
            .await
            .ok()
            .filter(|arn| !arn.is_empty())
    } else {
        None
    };
    let plan = plan_from_journal(connection, &vault, run).map_err(fail)?;
    let existing = Existing {
        run_id: Some(run.id.clone()),
        alias: kept.iter().any(|c| matches!(c, Created::Alias(_))),
        key,
        user_arn,
        created: kept,
    };
    apply::apply_resuming(connection, &plan, vault, sink, cancel, options, existing).await
}

/// Access keys and the keychain item are made again (a secret not in the keychain is lost), so
/// they are removed first; returns what is kept.
async fn remake_secrets(
    connection: &Connection,
    vault: &Arc<dyn Vault>,
    options: &ApplyOptions,
    run: &Run,
    found: Vec<Created>,
) -> Result<Vec<Created>, ProvisionError> {
    let mut kept = Vec::new();
    for item in found {
        match item {
            Created::AccessKey { .. } | Created::KeychainItem(_) => {
                rollback::undo(&item, connection, vault)
                    .await
                    .map_err(ProvisionError::RoundTrip)?;
                if let Some(journal) = &options.journal {
                    let _ = journal.forget(&run.id, &item);
                }
            }
            other => kept.push(other),
        }
    }
    Ok(kept)
}

/// The plan the interrupted run was applying, rebuilt from its journal entry.
fn plan_from_journal(
    connection: &Connection,
    vault: &Arc<dyn Vault>,
    run: &Run,
) -> Result<Plan, ProvisionError> {
    let key = match (&run.new_key_description, &run.key_alias, &run.key_arn) {
        (Some(description), Some(alias), _) => ValidKey::New {
            alias: alias.clone(),
            description: description.clone(),
        },
        (_, _, Some(arn)) => {
            ValidKey::Existing(crate::validate::existing_key(arn, connection.region())?)
        }
        _ => {
            return Err(ProvisionError::RoundTrip(
                "the journal does not say which key the run used".into(),
            ))
        }
    };
    let planned_key = match &key {
        ValidKey::New { alias, description } => PlannedKey::New {
            alias: alias.clone(),
            description: description.clone(),
        },
        ValidKey::Existing(_) => PlannedKey::Existing {
            arn: run.key_arn.clone().unwrap_or_default(),
            alias: run.key_alias.clone(),
        },
    };
    let valid = ValidRequest {
        key,
        user_name: run.principal_name.clone(),
        policy_name: run.policy_name.clone(),
    };
    Ok(plan::build_plan(
        connection,
        valid,
        planned_key,
        &vault.store_name(),
    ))
}
