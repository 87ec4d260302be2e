//! Where each setup's credentials were copied (`deliveries.json` in the app's data folder):
//! sealed files, Vault paths, Secrets Manager secrets, with the access key id each copy holds and
//! when it was written. Names only, never a secret. Rotation reads it to keep every copy current,
//! teardown to remove them, the setups view and `list --json` to show them.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use ts_rs::TS;

const FILE_NAME: &str = "deliveries.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryKind {
    Sealed,
    Vault,
    SecretsManager,
}

/// One copy of a setup's credentials outside this computer's keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Delivery {
    pub account_id: String,
    pub user: String,
    pub kind: DeliveryKind,
    /// The file, the Vault URL of the copy (`…/v1/MOUNT/data/PATH`) or its ARN in Secrets Manager.
    pub location: String,
    /// Sealed: the target's age recipient.
    pub recipient: Option<String>,
    /// Vault: the address, mount and path, and the KV version this app wrote last.
    pub vault_url: Option<String>,
    pub vault_mount: Option<String>,
    pub vault_path: Option<String>,
    #[ts(type = "number | null")]
    pub vault_version: Option<u64>,
    /// Secrets Manager: the region, the KMS key encrypting it and the readers it allows.
    pub region: Option<String>,
    pub kms_key: Option<String>,
    #[serde(default)]
    pub readers: Vec<String>,
    /// The access key the copy holds.
    pub access_key_id: String,
    /// When it was written (Unix seconds).
    #[ts(type = "number")]
    pub written_at: u64,
    /// Sealed: the admin said the target imported this file (`rotate --confirm-imported`).
    #[serde(default)]
    pub confirmed: bool,
}

impl Delivery {
    /// Same copy (same place), whatever key it holds.
    pub fn same_place(&self, other: &Delivery) -> bool {
        self.account_id == other.account_id
            && self.user == other.user
            && self.kind == other.kind
            && match self.kind {
                DeliveryKind::Sealed => self.recipient == other.recipient,
                _ => self.location == other.location,
            }
    }

    pub fn of(&self, account_id: &str, user: &str) -> bool {
        self.account_id == account_id && self.user == user
    }
}

/// An old access key a rotation kept active because a copy still holds it; `rotate --finish`
/// deletes it once every copy has the new key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retiring {
    pub account_id: String,
    pub user: String,
    pub old_access_key_id: String,
    pub new_access_key_id: String,
    /// When the rotation kept the old key (unix seconds), after its own proof had used the new
    /// one: only a use IAM reports after this is the application's.
    #[serde(default)]
    pub kept_at: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Contents {
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
    #[serde(default)]
    pub retiring: Vec<Retiring>,
}

fn file() -> Result<PathBuf, String> {
    crate::local::data_dir::find().map(|dir| dir.join(FILE_NAME))
}

fn read(file: &Path) -> Result<Contents, String> {
    match std::fs::read(file) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", file.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Contents::default()),
        Err(e) => Err(format!("{}: {e}", file.display())),
    }
}

/// Everything recorded (empty when nothing was, or there is no data folder).
pub fn load() -> Contents {
    file().and_then(|f| read(&f)).unwrap_or_default()
}

/// The copies of one setup.
pub fn of_setup(account_id: &str, user: &str) -> Vec<Delivery> {
    load()
        .deliveries
        .into_iter()
        .filter(|d| d.of(account_id, user))
        .collect()
}

/// Reads, changes and writes back atomically (a private file, replaced in one rename).
pub fn update(change: impl FnOnce(&mut Contents)) -> Result<(), String> {
    update_at(&file()?, change)
}

/// Holds `deliveries.json.lock` exclusively until dropped, as the journal holds its own: the
/// app and a CLI (or two CLIs) may record copies at once, and a read-change-write that is not
/// ordered loses the other's record. The OS drops the lock if the process dies.
fn lock(file: &Path) -> Result<std::fs::File, String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let path = file.with_extension("json.lock");
    let lock = options
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    lock.lock()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(lock)
}

fn update_at(file: &Path, change: impl FnOnce(&mut Contents)) -> Result<(), String> {
    if let Some(dir) = file.parent() {
        crate::local::data_dir::make_private(dir).map_err(|e| e.to_string())?;
    }
    let _lock = lock(file)?;
    let mut contents = read(file)?;
    change(&mut contents);
    let bytes = serde_json::to_vec_pretty(&contents).map_err(|e| e.to_string())?;
    crate::local::atomic_file::replace_private(file, &bytes)
        .map_err(|e| format!("{}: {e}", file.display()))
}

/// Records `delivery`, replacing the record of the same place.
pub fn record(delivery: Delivery) -> Result<(), String> {
    update(|contents| {
        contents.deliveries.retain(|d| !d.same_place(&delivery));
        contents.deliveries.push(delivery);
    })
}

/// Forgets the record of the copy at `delivery`'s place.
pub fn forget(delivery: &Delivery) -> Result<(), String> {
    update(|contents| contents.deliveries.retain(|d| !d.same_place(delivery)))
}

pub fn now() -> u64 {
    crate::local::journal::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(writer: usize, n: usize) -> Delivery {
        Delivery {
            account_id: "111122223333".into(),
            user: format!("app{writer}"),
            kind: DeliveryKind::Vault,
            location: format!("http://127.0.0.1:8200/v1/secret/data/w{writer}/{n}"),
            recipient: None,
            vault_url: None,
            vault_mount: None,
            vault_path: None,
            vault_version: Some(1),
            region: None,
            kms_key: None,
            readers: vec![],
            access_key_id: "AKIAEXAMPLE".into(),
            written_at: 1,
            confirmed: true,
        }
    }

    #[test]
    fn two_writers_at_once_lose_no_record() {
        // Each writer opens the lock file itself, as a second process would: only the file
        // lock orders them (without it, one read-change-write overwrites the other's).
        let dir =
            std::env::temp_dir().join(format!("csfle-deliveries-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let file = dir.join(FILE_NAME);
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let file = file.clone();
                std::thread::spawn(move || {
                    for n in 0..40 {
                        let record = copy(w, n);
                        update_at(&file, |c| {
                            c.deliveries.retain(|d| !d.same_place(&record));
                            c.deliveries.push(record);
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let contents = read(&file).unwrap();
        assert_eq!(contents.deliveries.len(), 80);
        for w in 0..2 {
            assert_eq!(
                contents
                    .deliveries
                    .iter()
                    .filter(|d| d.user == format!("app{w}"))
                    .count(),
                40
            );
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
