//! Crash recovery: the runs the journal says were killed part-way, resumed or cleaned up.

use super::{failed, report, Session};
use crate::aws::connect::Connection;
use crate::error::{ErrorReport, ProvisionError, RollbackReport};
use crate::lifecycle::recovery::{self, CleanupPreview, InterruptedRun};
use crate::local::journal::Run;
use crate::model::{Outcome, ProgressSink};

impl Session {
    /// The interrupted runs in the connected account and region.
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

    /// Finishes the interrupted run `run_id`: keeps what it made, makes the rest.
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
                std::sync::Arc::clone(&self.vault),
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

    /// What cleaning up the interrupted run `run_id` would remove (proven against AWS) and what
    /// its journal names that AWS does not show as the run's. Changes nothing.
    pub async fn clean_up_preview(&self, run_id: String) -> Result<CleanupPreview, ErrorReport> {
        let connection = self.connection().await?;
        let run = self.interrupted(&connection, &run_id)?;
        recovery::clean_up_preview(&connection, &self.vault, &run)
            .await
            .map_err(report)
    }

    /// Removes everything the interrupted run `run_id` made. Anything that could not be removed
    /// makes it a failure, with the rollback report attached: the admin must know about every
    /// leftover, whichever front end asked.
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
        let (connection, journal, target) = (&connection, &journal, &run);
        let cleaned = self
            .cancellable(|cancel| async move {
                recovery::clean_up(connection, &self.vault, journal, target, sink, &cancel).await
            })
            .await
            .map_err(report)?;
        if cleaned.left_behind.is_empty() {
            return Ok(cleaned);
        }
        let error = ProvisionError::CleanupIncomplete {
            principal: run.principal_name,
        };
        Err(error.report(Some(cleaned)))
    }

    fn interrupted(&self, connection: &Connection, run_id: &str) -> Result<Run, ErrorReport> {
        self.journal()
            .map(|j| recovery::interrupted(j, connection))
            .unwrap_or_default()
            .into_iter()
            .find(|r| r.id == run_id)
            .ok_or_else(|| report(ProvisionError::RunGone))
    }
}
