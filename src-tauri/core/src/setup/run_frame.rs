//! The frame every run of a setup goes through, user or role alike: hold the run's lock, record it
//! in the journal, keep the ledger of what it makes, and at the end either mark it complete (with
//! any journal trouble as a warning) or roll back everything it made.

use crate::aws::connect::Connection;
use crate::error::{ProvisionError, RollbackReport};
use crate::local::journal::{self, Journal, Run, RunLock, RunState};
use crate::local::keychain::Vault;
use crate::model::created::Created;
use crate::model::ProgressSink;
use crate::setup::rollback::Ledger;
use crate::setup::verify;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The bound on waiting for IAM to make the new key usable.
    pub verify_limit: Duration,
    /// Where runs are recorded for crash recovery and the setups view; `None` records nothing.
    pub journal: Option<Arc<Journal>>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            verify_limit: verify::DEFAULT_LIMIT,
            journal: None,
        }
    }
}

/// A failed run: why, and what rollback did about it.
#[derive(Debug)]
pub struct ApplyFailure {
    pub error: ProvisionError,
    pub rollback: RollbackReport,
}

impl ApplyFailure {
    /// A run that stopped before it made anything: there was nothing to roll back.
    pub fn before_any_change(error: ProvisionError) -> ApplyFailure {
        ApplyFailure {
            error,
            rollback: RollbackReport::default(),
        }
    }
}

/// A run in progress: its id, its ledger, and the lock that tells recovery to keep out.
pub(crate) struct Frame {
    pub run_id: String,
    pub ledger: Ledger,
    journal: Option<Arc<journal::Journal>>,
    /// Held until the frame is finished: recovery elsewhere must not touch a live run.
    _live: Option<RunLock>,
}

/// How a run starts: afresh (its journal record), or resuming one the journal already holds.
pub(crate) enum Start {
    New(Box<Run>),
    Resume {
        run_id: String,
        created: Vec<Created>,
    },
}

/// A new run's id: 128 random bits (rand's thread generator, a CSPRNG seeded by the operating
/// system). It is the run tag on everything the run makes, and what is adopted after a lost reply
/// carries it: an id anyone could guess (a time and a name) would let a key or user planted in
/// advance be adopted.
pub(crate) fn new_run_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl Frame {
    /// Locks and records the run; a journal that cannot be written stops it before any change.
    pub fn begin(options: &ApplyOptions, start: Start) -> Result<Frame, ProvisionError> {
        let (run_id, created, record) = match start {
            Start::New(run) => (run.id.clone(), Vec::new(), Some(*run)),
            Start::Resume { run_id, created } => (run_id, created, None),
        };
        let journal = options.journal.clone();
        let refused = |error: journal::JournalError| ProvisionError::Journal(error.to_string());
        let live = match &journal {
            Some(journal) => Some(journal.hold_run(&run_id).map_err(refused)?),
            None => None,
        };
        let ledger = match &journal {
            Some(journal) => {
                if let Some(run) = record {
                    journal.start(run).map_err(refused)?;
                }
                Ledger::journaled(Arc::clone(journal), &run_id)
            }
            None => Ledger::default(),
        }
        .with_items(created);
        Ok(Frame {
            run_id,
            ledger,
            journal,
            _live: live,
        })
    }

    /// Ends the run. On success `record` completes its journal entry and the warnings say what
    /// the journal could not record; on failure everything the ledger holds is rolled back.
    pub async fn finish<T>(
        self,
        result: Result<T, ProvisionError>,
        connection: &Connection,
        vault: &Arc<dyn Vault>,
        sink: &dyn ProgressSink,
        record: impl FnOnce(&T, &mut Run),
    ) -> Result<(T, Vec<String>), ApplyFailure> {
        let value = match result {
            Ok(value) => value,
            Err(error) => {
                let rollback = self.ledger.roll_back(connection, vault, sink).await;
                if let (Some(journal), true) = (&self.journal, rollback.left_behind.is_empty()) {
                    let _ = journal.set_state(&self.run_id, RunState::RolledBack);
                }
                return Err(ApplyFailure { error, rollback });
            }
        };
        let mut warnings: Vec<String> = self
            .ledger
            .journal_trouble()
            .map(journal_warning)
            .into_iter()
            .collect();
        if let Some(journal) = &self.journal {
            let run_id = self.run_id.as_str();
            let completed = journal.update(|runs| {
                if let Some(run) = runs.iter_mut().find(|r| r.id == run_id) {
                    record(&value, run);
                    run.state = RunState::Complete;
                }
            });
            if let Err(error) = completed {
                warnings.push(journal_warning(&error.to_string()));
            }
        }
        Ok((value, warnings))
    }
}

fn journal_warning(trouble: &str) -> String {
    format!(
        "The setup works, but the local journal could not record it ({trouble}). The setups view still finds it by its AWS tags; check that the app's data folder is writable."
    )
}
