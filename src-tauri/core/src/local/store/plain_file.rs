//! The store of last resort, only when the admin names it (`--store file`): the item as a plain
//! file that only its owner can read (0600, in a 0700 folder). For root it is
//! `/etc/credstore/NAME`, where a unit's `LoadCredential=NAME` finds it.

use super::{credential_name, read_private, remove_file};
use crate::error::keychain::KeychainError;
use crate::local::keychain::Vault;
use crate::secret::Sensitive;
use std::path::{Path, PathBuf};

/// systemd's own folder name for plain credentials looked up by name.
pub const FOLDER: &str = "credstore";
const STORE: &str = "the plain file store";

pub struct FileVault {
    dir: PathBuf,
}

impl FileVault {
    pub fn new(base: &Path) -> FileVault {
        FileVault {
            dir: base.join(FOLDER),
        }
    }

    pub fn path_of(&self, account: &str) -> PathBuf {
        self.dir.join(credential_name(account))
    }

    /// Whether this store holds `account` (a file is there).
    pub fn holds(&self, account: &str) -> bool {
        self.path_of(account).is_file()
    }

    fn failed(&self, detail: String) -> KeychainError {
        KeychainError::StoreFailed {
            store: STORE.into(),
            detail,
        }
    }
}

impl Vault for FileVault {
    fn store_name(&self) -> String {
        format!(
            "a plain file readable only by this account, in {}",
            self.dir.display()
        )
    }

    fn save(&self, account: &str, _label: &str, secret: &Sensitive) -> Result<(), KeychainError> {
        crate::local::atomic_file::create_private_dir(&self.dir)
            .and_then(|()| {
                crate::local::atomic_file::replace_private(
                    &self.path_of(account),
                    secret.expose().as_bytes(),
                )
            })
            .map_err(|e| self.failed(format!("{} could not be written: {e}", self.dir.display())))
    }

    fn load(&self, account: &str) -> Result<Sensitive, KeychainError> {
        let path = self.path_of(account);
        match read_private(&path) {
            Ok(item) => Ok(item),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(KeychainError::NotFound {
                account: account.to_string(),
            }),
            Err(e) => Err(self.failed(format!("{} could not be read: {e}", path.display()))),
        }
    }

    fn remove(&self, account: &str) -> Result<(), KeychainError> {
        remove_file(STORE, &self.path_of(account))
    }

    fn check_reachable(&self) -> Result<(), KeychainError> {
        Ok(())
    }

    fn store_flag(&self) -> Option<&'static str> {
        Some("file")
    }
}
