//! The local journal: every setup this app made or started, and what each run created so far.
//! It holds names and ARNs only, never a secret. Each change rewrites the file atomically, so a
//! run killed at any moment leaves a journal that says exactly what exists.

use crate::model::created::Created;
use crate::model::principal::PrincipalKind;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    /// Started and not finished: the process may have been killed. Offer to resume or clean up.
    InProgress,
    Complete,
    RolledBack,
    TornDown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub id: String,
    pub account_id: String,
    pub region: String,
    pub endpoint: Option<String>,
    pub principal_kind: PrincipalKind,
    pub principal_name: String,
    pub policy_name: String,
    pub key_arn: Option<String>,
    pub key_alias: Option<String>,
    pub keychain_account: Option<String>,
    pub state: RunState,
    pub started_at: u64,
    pub created: Vec<Created>,
    /// AWS profiles this app wrote for the setup, removed again at teardown.
    #[serde(default)]
    pub aws_profiles: Vec<String>,
    /// Set when the run creates its key (with this description), so it can be resumed.
    #[serde(default)]
    pub new_key_description: Option<String>,
    /// For a key in another account: the name of the AWS profile (of this computer's shared
    /// config) that signed in to the key's account at provision, so that a later teardown, in
    /// any session, removes the key-policy statement with it. A name only, never a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_profile: Option<String>,
}

impl Run {
    /// A run about to make its first change.
    pub fn started(
        id: &str,
        connection: &crate::aws::connect::Connection,
        principal_kind: PrincipalKind,
        principal_name: &str,
        policy_name: &str,
        key: &crate::model::PlannedKey,
        keychain_account: Option<String>,
    ) -> Run {
        use crate::model::PlannedKey;
        let (key_arn, key_alias, new_key_description) = match key {
            PlannedKey::New { alias, description } => {
                (None, Some(alias.clone()), Some(description.clone()))
            }
            PlannedKey::Existing { arn, alias } => (Some(arn.clone()), alias.clone(), None),
        };
        Run {
            id: id.to_string(),
            account_id: connection.account_id().to_string(),
            region: connection.region().to_string(),
            endpoint: connection.identity.endpoint_override.clone(),
            principal_kind,
            principal_name: principal_name.to_string(),
            policy_name: policy_name.to_string(),
            key_arn,
            key_alias,
            keychain_account,
            state: RunState::InProgress,
            started_at: now(),
            created: vec![],
            aws_profiles: vec![],
            new_key_description,
            key_profile: None,
        }
    }
}

/// Held by a running apply; see [`Journal::hold_run`].
#[derive(Debug)]
pub struct RunLock(#[allow(dead_code)] std::fs::File);

#[derive(Debug, Default, Serialize, Deserialize)]
struct Contents {
    version: u32,
    runs: Vec<Run>,
}

#[derive(Debug, thiserror::Error)]
#[error("The setup journal at {path} could not be {action}: {reason}")]
pub struct JournalError {
    pub path: String,
    pub action: &'static str,
    pub reason: String,
}

/// The app's data folder (see [`crate::local::data_dir`]). When it cannot be found (no `HOME`)
/// this is an empty path, which no writer here accepts (it is not absolute); the journal itself
/// then refuses every read and write with the reason.
pub fn data_dir() -> PathBuf {
    crate::local::data_dir::find().unwrap_or_default()
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The journal file, with a lock so concurrent steps of one run update it one at a time.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    lock: Mutex<()>,
    /// Why there is no journal on this computer (no data folder): every access fails with it.
    unusable: Option<String>,
}

impl Journal {
    /// The journal in the app's data folder; without one (no `HOME`), a journal that refuses
    /// every access and says why.
    pub fn open_default() -> Journal {
        match crate::local::data_dir::find() {
            Ok(dir) => Journal::at(dir.join("journal.json")),
            Err(reason) => Journal {
                unusable: Some(reason),
                ..Journal::at(PathBuf::new())
            },
        }
    }

    pub fn at(path: PathBuf) -> Journal {
        Journal {
            path,
            lock: Mutex::new(()),
            unusable: None,
        }
    }

    /// Fails when this computer has no data folder, before any file is touched.
    fn usable(&self, action: &'static str) -> Result<(), JournalError> {
        match &self.unusable {
            None => Ok(()),
            Some(reason) => Err(JournalError {
                path: "the app's data folder".into(),
                action,
                reason: format!(
                    "{reason}; set HOME, or {} to an absolute folder",
                    crate::local::data_dir::OVERRIDE
                ),
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, action: &'static str, reason: impl ToString) -> JournalError {
        JournalError {
            path: self.path.display().to_string(),
            action,
            reason: reason.to_string(),
        }
    }

    /// Holds `journal.json.lock` exclusively until dropped.
    fn lock_file(&self) -> Result<std::fs::File, JournalError> {
        self.usable("written")?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        crate::local::data_dir::make_private(dir).map_err(|e| self.error("written", e))?;
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(self.path.with_extension("json.lock"))
            .map_err(|e| self.error("written", e))?;
        file.lock().map_err(|e| self.error("written", e))?;
        Ok(file)
    }

    fn read(&self) -> Result<Contents, JournalError> {
        self.usable("read")?;
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| self.error("read", e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Contents {
                version: 1,
                runs: vec![],
            }),
            Err(e) => Err(self.error("read", e)),
        }
    }

    fn write(&self, contents: &Contents) -> Result<(), JournalError> {
        self.usable("written")?;
        let text = serde_json::to_vec_pretty(contents).map_err(|e| self.error("written", e))?;
        crate::local::atomic_file::replace_private(&self.path, &text)
            .map_err(|e| self.error("written", e))
    }

    pub fn runs(&self) -> Result<Vec<Run>, JournalError> {
        Ok(self.read()?.runs)
    }

    /// Reads, changes and writes back under two locks: the mutex orders this process's
    /// threads, the file lock orders processes (the app and the CLI may run at once), so no
    /// update is lost. The OS drops the file lock if the process dies.
    pub fn update(&self, change: impl FnOnce(&mut Vec<Run>)) -> Result<(), JournalError> {
        let _guard = self
            .lock
            .lock()
            .map_err(|_| self.error("written", "a previous update panicked"))?;
        let _file_lock = self.lock_file()?;
        let mut contents = self.read()?;
        contents.version = 1;
        change(&mut contents.runs);
        self.write(&contents)
    }

    /// Marks the run as live for as long as the returned lock lives (the whole apply): recovery
    /// in another process then leaves it alone. The OS releases it when the process dies, which
    /// is exactly when a run becomes "interrupted".
    pub fn hold_run(&self, run_id: &str) -> Result<RunLock, JournalError> {
        let file = self.run_lock_file(run_id)?;
        file.lock().map_err(|e| self.error("written", e))?;
        Ok(RunLock(file))
    }

    /// True while some process holds the run's lock.
    pub fn is_live(&self, run_id: &str) -> bool {
        match self.run_lock_file(run_id) {
            Ok(file) => matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
            Err(_) => false,
        }
    }

    fn run_lock_file(&self, run_id: &str) -> Result<std::fs::File, JournalError> {
        self.usable("written")?;
        let dir = self.path.parent().unwrap_or(Path::new(".")).join("runs");
        crate::local::data_dir::make_private(&dir).map_err(|e| self.error("written", e))?;
        let safe: String = run_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(dir.join(format!("{safe}.lock")))
            .map_err(|e| self.error("written", e))
    }

    pub fn start(&self, run: Run) -> Result<(), JournalError> {
        self.update(|runs| runs.push(run))
    }

    pub fn record(&self, run_id: &str, item: Created) -> Result<(), JournalError> {
        self.record_all(run_id, vec![item])
    }

    /// Several items made at the same time, in one durable write.
    pub fn record_all(&self, run_id: &str, items: Vec<Created>) -> Result<(), JournalError> {
        self.update(|runs| {
            if let Some(run) = runs.iter_mut().find(|r| r.id == run_id) {
                for item in items {
                    if let Created::Key { arn, .. } = &item {
                        run.key_arn = Some(arn.clone());
                    }
                    run.created.push(item);
                }
            }
        })
    }

    /// Drops one item, for example an access key that rotation replaced.
    pub fn forget(&self, run_id: &str, item: &Created) -> Result<(), JournalError> {
        self.update(|runs| {
            if let Some(run) = runs.iter_mut().find(|r| r.id == run_id) {
                run.created.retain(|c| c != item);
            }
        })
    }

    pub fn set_state(&self, run_id: &str, state: RunState) -> Result<(), JournalError> {
        self.update(|runs| {
            if let Some(run) = runs.iter_mut().find(|r| r.id == run_id) {
                run.state = state;
            }
        })
    }

    pub fn set_key(
        &self,
        run_id: &str,
        arn: &str,
        alias: Option<&str>,
    ) -> Result<(), JournalError> {
        self.update(|runs| {
            if let Some(run) = runs.iter_mut().find(|r| r.id == run_id) {
                run.key_arn = Some(arn.to_string());
                run.key_alias = alias.map(str::to_string);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str) -> Run {
        Run {
            id: id.into(),
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            endpoint: None,
            principal_kind: PrincipalKind::User,
            principal_name: "app".into(),
            policy_name: "csfle-kms-app".into(),
            key_arn: None,
            key_alias: None,
            keychain_account: None,
            state: RunState::InProgress,
            started_at: 1,
            created: vec![],
            aws_profiles: vec![],
            new_key_description: None,
            key_profile: None,
        }
    }

    #[test]
    fn concurrent_writers_through_separate_handles_lose_nothing() {
        // Two handles have two mutexes, as two processes would: only the file lock orders them.
        let dir = std::env::temp_dir().join(format!("csfle-journal-lock-{}", std::process::id()));
        let path = dir.join("journal.json");
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let journal = Journal::at(path);
                    for i in 0..25 {
                        journal.start(run(&format!("{w}-{i}"))).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        assert_eq!(Journal::at(path.clone()).runs().unwrap().len(), 100);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the journal is private");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_journal_without_a_data_folder_refuses_everything_and_says_why() {
        let journal = Journal {
            unusable: Some("HOME is not set".into()),
            ..Journal::at(PathBuf::new())
        };
        let error = journal.runs().unwrap_err().to_string();
        assert!(error.contains("HOME is not set"), "{error}");
        assert!(journal.start(run("a")).is_err());
        assert!(journal.hold_run("a").is_err());
        assert!(!journal.is_live("a"));
        assert!(
            !Path::new("journal.json").exists(),
            "nothing relative was written"
        );
    }

    #[test]
    fn a_held_run_is_live_until_its_lock_is_dropped() {
        let dir = std::env::temp_dir().join(format!("csfle-journal-live-{}", std::process::id()));
        let journal = Journal::at(dir.join("journal.json"));
        assert!(!journal.is_live("1-app"));
        let lock = journal.hold_run("1-app").unwrap();
        assert!(Journal::at(dir.join("journal.json")).is_live("1-app"));
        drop(lock);
        assert!(!journal.is_live("1-app"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn records_survive_a_reopen() {
        let dir = std::env::temp_dir().join(format!("csfle-journal-{}", std::process::id()));
        let path = dir.join("journal.json");
        let journal = Journal::at(path.clone());
        journal.start(run("a")).unwrap();
        journal.record("a", Created::User("app".into())).unwrap();
        journal
            .record(
                "a",
                Created::Key {
                    key_id: "k".into(),
                    arn: "arn:k".into(),
                },
            )
            .unwrap();
        journal.set_state("a", RunState::Complete).unwrap();
        let reopened = Journal::at(path).runs().unwrap();
        assert_eq!(reopened.len(), 1);
        assert_eq!(reopened[0].state, RunState::Complete);
        assert_eq!(reopened[0].key_arn.as_deref(), Some("arn:k"));
        assert_eq!(reopened[0].created.len(), 2);
        let _ = std::fs::remove_dir_all(dir);
    }
}
