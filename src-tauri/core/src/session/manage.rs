//! The session's commands beyond first setup: setups view, verify, rotate, tear down, roles,
//! AWS profiles and crash recovery.

use super::{Session, VerifyReport};
use crate::error::{ErrorReport, ProvisionError, RollbackReport};
use crate::lifecycle::recovery::{self, InterruptedRun};
use crate::lifecycle::rotate::{self, RotateOptions, RotateReport};
use crate::lifecycle::setups::{self, SetupSummary};
use crate::lifecycle::teardown::{self, TeardownPreview, TeardownReport};
use crate::local::credential_profile::{self, ProfileWritten};
use crate::local::journal::Journal;
use crate::model::principal::PrincipalKind;
use crate::model::{Outcome, ProgressSink};
use crate::setup::role::{self, RoleOutcome};
use crate::setup::role_plan::RolePlan;
use crate::setup::role_plan::RoleRequest;
use crate::setup::run_frame::ApplyFailure;
use crate::{local::keychain, validate};
use std::sync::Arc;

fn report(error: ProvisionError) -> ErrorReport {
    error.report(None)
}

fn failed(failure: ApplyFailure) -> ErrorReport {
    failure.error.report(Some(failure.rollback))
}

impl Session {
    fn journal(&self) -> Option<&Journal> {
        self.options.journal.as_deref()
    }

    pub async fn list_setups(&self) -> Result<Vec<SetupSummary>, ErrorReport> {
        let connection = self.connection().await?;
        setups::list(&connection, Arc::clone(&self.vault), self.journal())
            .await
            .map_err(report)
    }

    /// The remembered one-time look for setups older than the app's IAM path, so the setups view
    /// can say how they were found; `rescan` forgets it, and the next listing looks again.
    pub async fn legacy_scan(
        &self,
        rescan: bool,
    ) -> Result<Option<crate::lifecycle::discovery::LegacyScan>, ErrorReport> {
        let connection = self.connection().await?;
        let dir = crate::lifecycle::discovery::dir_for(self.journal());
        if rescan {
            crate::lifecycle::discovery::forget(&dir, connection.account_id());
            return Ok(None);
        }
        Ok(crate::lifecycle::discovery::remembered(
            &dir,
            connection.account_id(),
        ))
    }

    /// "Enable rotation" on a setup's key (Security Hub KMS.4).
    pub async fn enable_key_rotation(
        &self,
        key: String,
    ) -> Result<crate::lifecycle::key_rotation::RotationReport, ErrorReport> {
        let connection = self.connection().await?;
        crate::lifecycle::key_rotation::enable(&connection, &key)
            .await
            .map_err(report)
    }

    pub async fn verify_setup(&self, user: String) -> Result<VerifyReport, ErrorReport> {
        validate::user_name(&user).map_err(|e| report(e.into()))?;
        let connection = self.connection().await?;
        let account = keychain::account_for(connection.account_id(), &user);
        self.verify_stored(&connection, &account).await
    }

    pub async fn rotate(
        &self,
        user: String,
        delete_inactive_key: bool,
    ) -> Result<RotateReport, ErrorReport> {
        let connection = self.connection().await?;
        let options = RotateOptions {
            delete_inactive_key,
            verify_limit: self.options.verify_limit,
            journal: self.options.journal.clone(),
        };
        rotate::rotate(&connection, Arc::clone(&self.vault), &user, &options)
            .await
            .map_err(report)
    }

    /// The IAM policy an administrator needs for everything this app does, to copy.
    pub fn admin_policy(&self) -> String {
        serde_json::to_string_pretty(&crate::aws::permissions::admin_policy()).unwrap_or_default()
    }

    /// Adds KMS's default account statement to an existing key's policy, because the admin
    /// chose to after planning stopped on that key. Returns a sentence saying what changed.
    pub async fn fix_key_policy(&self, key: String) -> Result<String, ErrorReport> {
        let connection = self.connection().await?;
        let key_ref = validate::existing_key(&key, connection.region())
            .map_err(|e| report(ProvisionError::from(e)))?;
        let arn = crate::setup::plan::suitable_key_arn(&connection, &key_ref)
            .await
            .map_err(report)?;
        crate::aws::key_policy::allow_iam(&connection, &arn)
            .await
            .map_err(report)?;
        Ok(format!(
            "IAM policies of account {} can now grant access to {arn}. Review the plan again.",
            connection.account_id()
        ))
    }

    /// What tearing down a setup would do, including whether its key may be deleted too.
    pub async fn teardown_preview(
        &self,
        name: String,
        role: bool,
    ) -> Result<TeardownPreview, ErrorReport> {
        let connection = self.connection().await?;
        let kind = if role {
            PrincipalKind::Role
        } else {
            PrincipalKind::User
        };
        teardown::preview(
            &connection,
            Arc::clone(&self.vault),
            self.journal(),
            kind,
            &name,
            true,
        )
        .await
        .map_err(report)
    }

    /// `confirmation` must repeat the principal's name: the typed confirmation of the GUI.
    /// The key is kept unless `delete_key_days` is given (a separate question in the GUI).
    pub async fn teardown(
        &self,
        name: String,
        role: bool,
        delete_key_days: Option<i32>,
        confirmation: String,
    ) -> Result<TeardownReport, ErrorReport> {
        if confirmation.trim() != name {
            return Err(ErrorReport {
                code: "not-confirmed".into(),
                message: "The confirmation does not match the name".into(),
                hint: format!("Type {name} exactly to confirm. Nothing was changed."),
                rollback: None,
            });
        }
        let connection = self.connection().await?;
        let vault = Arc::clone(&self.vault);
        let result = if role {
            teardown::teardown_role(&connection, vault, self.journal(), &name, delete_key_days)
                .await
        } else {
            teardown::teardown(&connection, vault, self.journal(), &name, delete_key_days).await
        };
        result.map_err(report)
    }

    pub async fn plan_role(&self, request: RoleRequest) -> Result<RolePlan, ErrorReport> {
        let connection = self.connection().await?;
        let plan = crate::setup::role_plan::plan_role(&connection, &request)
            .await
            .map_err(report)?;
        self.state.lock().await.role_plan = Some(plan.clone());
        Ok(plan)
    }

    pub async fn apply_role(&self, sink: &dyn ProgressSink) -> Result<RoleOutcome, ErrorReport> {
        let (connection, plan) = self.reviewed(|state| state.role_plan.take()).await?;
        self.cancellable(|cancel| async move {
            role::apply_role(&connection, &plan, sink, &cancel, &self.options).await
        })
        .await
        .map_err(failed)
    }

    /// Adds an AWS profile that reads `user`'s keychain item through the command-line program
    /// installed next to the app.
    pub async fn add_aws_profile(
        &self,
        user: String,
        profile: String,
    ) -> Result<ProfileWritten, ErrorReport> {
        validate::user_name(&user).map_err(|e| report(e.into()))?;
        validate::profile(&profile).map_err(|e| report(e.into()))?;
        let connection = self.connection().await?;
        let cli = companion_cli().ok_or_else(|| ErrorReport {
            code: "cli-missing".into(),
            message: "csfle-provisioner-cli is not installed next to the app".into(),
            hint: "Install the command-line program with the app, then try again.".into(),
            rollback: None,
        })?;
        let account = keychain::account_for(connection.account_id(), &user);
        let vault = Arc::clone(&self.vault);
        let written_account = account.clone();
        let profile_name = profile.clone();
        let written = tokio::task::spawn_blocking(move || {
            credential_profile::write_profile(vault.as_ref(), &written_account, &profile_name, &cli)
        })
        .await
        .map_err(|_| report(ProvisionError::Cancelled))?
        .map_err(report)?;
        if let Some(journal) = self.journal() {
            let _ = journal.update(|runs| {
                for run in runs
                    .iter_mut()
                    .filter(|r| r.keychain_account.as_deref() == Some(account.as_str()))
                {
                    if !run.aws_profiles.contains(&profile) {
                        run.aws_profiles.push(profile.clone());
                    }
                }
            });
        }
        Ok(written)
    }

    pub async fn interrupted_runs(&self) -> Result<Vec<InterruptedRun>, ErrorReport> {
        let connection = self.connection().await?;
        Ok(self
            .journal()
            .map(|j| {
                recovery::interrupted(j, &connection)
                    .iter()
                    .map(recovery::summary)
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn resume_run(
        &self,
        run_id: String,
        sink: &dyn ProgressSink,
    ) -> Result<Outcome, ErrorReport> {
        let connection = self.connection().await?;
        let run = self.interrupted(&connection, &run_id)?;
        self.cancellable(|cancel| async move {
            recovery::resume(
                &connection,
                Arc::clone(&self.vault),
                &self.options,
                &run,
                sink,
                &cancel,
            )
            .await
        })
        .await
        .map_err(failed)
    }

    pub async fn clean_up_run(
        &self,
        run_id: String,
        sink: &dyn ProgressSink,
    ) -> Result<RollbackReport, ErrorReport> {
        let connection = self.connection().await?;
        let run = self.interrupted(&connection, &run_id)?;
        let journal = self
            .options
            .journal
            .clone()
            .ok_or_else(|| report(ProvisionError::Journal("no journal".into())))?;
        self.cancellable(|cancel| async move {
            recovery::clean_up(&connection, &self.vault, &journal, &run, sink, &cancel).await
        })
        .await
        .map_err(report)
    }

    fn interrupted(
        &self,
        connection: &crate::aws::connect::Connection,
        run_id: &str,
    ) -> Result<crate::local::journal::Run, ErrorReport> {
        self.journal()
            .map(|j| recovery::interrupted(j, connection))
            .unwrap_or_default()
            .into_iter()
            .find(|r| r.id == run_id)
            .ok_or_else(|| ErrorReport {
                code: "not-found".into(),
                message: "That interrupted setup is no longer waiting".into(),
                hint: "Reload the list of setups.".into(),
                rollback: None,
            })
    }
}

/// The command-line program shipped beside the app's own binary.
fn companion_cli() -> Option<std::path::PathBuf> {
    let name = if cfg!(windows) {
        "csfle-provisioner-cli.exe"
    } else {
        "csfle-provisioner-cli"
    };
    let beside = std::env::current_exe().ok()?.parent()?.join(name);
    beside.exists().then_some(beside)
}
