//! Where this computer keeps a setup's credentials: the OS keychain where there is one; on a
//! server without a desktop session (no D-Bus session bus, no Secret Service) credentials
//! encrypted by `systemd-creds`, which systemd hands to a service with `LoadCredentialEncrypted=`;
//! a plain private file only when the admin names it (`--store file`). Each is a [`Vault`], so
//! credential-process, exec and aws-profile read every store the same way.

mod plain_file;
mod systemd_creds;

use crate::error::keychain::KeychainError;
use crate::local::keychain::{OsVault, Vault};
use crate::secret::Sensitive;
pub use plain_file::FileVault;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
pub use systemd_creds::SystemdCreds;

/// Names the folder that holds `credstore.encrypted/` and `credstore/` (tests, portable installs).
/// Unset: `/etc` for root, where systemd looks for credentials by name, else the data folder.
pub const BASE_OVERRIDE: &str = "CSFLE_PROVISIONER_CREDSTORE_BASE";
/// What systemd sets in a service that has `LoadCredential…=`: the decrypted credentials, by name.
const CREDENTIALS_DIRECTORY: &str = "CREDENTIALS_DIRECTORY";
const PREFIX: &str = "csfle-provisioner.";

/// The store the admin asked for (`--store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Keychain,
    SystemdCreds,
    File,
}

impl StoreKind {
    pub fn flag(self) -> &'static str {
        match self {
            StoreKind::Keychain => "keychain",
            StoreKind::SystemdCreds => "systemd-creds",
            StoreKind::File => "file",
        }
    }
}

/// The credential name (and file name) of a keychain account: systemd's names are file names, so
/// the `/` between account id and user becomes `.` (the account id is 12 digits, never a dot).
pub fn credential_name(account: &str) -> String {
    format!("{PREFIX}{}", account.replace('/', "."))
}

/// The folder both non-keychain stores live under.
pub fn base_dir() -> Result<PathBuf, String> {
    if let Some(base) = std::env::var_os(BASE_OVERRIDE).filter(|v| !v.is_empty()) {
        let base = PathBuf::from(base);
        if !base.is_absolute() {
            return Err(format!("{BASE_OVERRIDE} must be an absolute path"));
        }
        return Ok(base);
    }
    if is_root() {
        return Ok(PathBuf::from("/etc"));
    }
    crate::local::data_dir::find()
}

fn is_root() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() == 0 }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// The item as systemd handed it to this service (`LoadCredentialEncrypted=NAME`), when it did.
fn from_service(account: &str) -> Option<Sensitive> {
    let dir = std::env::var_os(CREDENTIALS_DIRECTORY).filter(|v| !v.is_empty())?;
    read_private(&Path::new(&dir).join(credential_name(account))).ok()
}

/// A file's text, in zeroizing memory.
fn read_private(path: &Path) -> std::io::Result<Sensitive> {
    let bytes = zeroize::Zeroizing::new(std::fs::read(path)?);
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| std::io::Error::other("the stored item is not text"))?;
    Ok(Sensitive::new(text.to_string()))
}

/// The store for `asked`, or without it: the keychain when it answers, else systemd-creds when it
/// is installed (and any item the admin put in the plain file store), else a clear error.
pub fn open(asked: Option<StoreKind>) -> Result<Arc<dyn Vault>, KeychainError> {
    let failed = |detail: String| KeychainError::StoreFailed {
        store: "the credential store".into(),
        detail,
    };
    Ok(match asked {
        Some(StoreKind::Keychain) => Arc::new(OsVault),
        Some(StoreKind::SystemdCreds) => {
            let base = base_dir().map_err(failed)?;
            Arc::new(SystemdCreds::find(&base).ok_or_else(|| {
                KeychainError::StoreFailed {
                    store: "--store systemd-creds".into(),
                    detail:
                        "systemd-creds is not on PATH; install systemd, or choose another --store"
                            .into(),
                }
            })?)
        }
        Some(StoreKind::File) => Arc::new(FileVault::new(&base_dir().map_err(failed)?)),
        None => Arc::new(AutoVault::default()),
    })
}

/// The keychain, until it turns out not to answer; from then on the stores of a computer without
/// one. Decided at the first call rather than up front: a reachability probe would cost every
/// credential-process answer a second connection to the keychain.
#[derive(Default)]
pub struct AutoVault {
    /// Why the keychain cannot be used, once a call found out.
    no_keychain: Mutex<Option<String>>,
}

impl AutoVault {
    fn keychain_gone(&self) -> Option<String> {
        self.no_keychain.lock().ok().and_then(|gone| gone.clone())
    }

    /// Runs `call` on the keychain, or on [`Headless`] when the keychain is not there.
    fn route<T>(
        &self,
        call: impl Fn(&dyn Vault) -> Result<T, KeychainError>,
    ) -> Result<T, KeychainError> {
        let detail = match self.keychain_gone() {
            Some(detail) => detail,
            None => match call(&OsVault) {
                Err(KeychainError::Unavailable { detail }) => {
                    if let Ok(mut gone) = self.no_keychain.lock() {
                        *gone = Some(detail.clone());
                    }
                    detail
                }
                other => return other,
            },
        };
        call(&Headless::here(detail))
    }
}

impl Vault for AutoVault {
    fn store_name(&self) -> String {
        if self.keychain_gone().is_none() && OsVault.check_reachable().is_ok() {
            return OsVault.store_name();
        }
        match self.keychain_gone() {
            Some(detail) => Headless::here(detail).store_name(),
            None => self
                .route(|vault| Ok(vault.store_name()))
                .unwrap_or_else(|_| "no credential store".into()),
        }
    }

    fn save(&self, account: &str, label: &str, secret: &Sensitive) -> Result<(), KeychainError> {
        self.route(|vault| vault.save(account, label, secret))
    }

    fn load(&self, account: &str) -> Result<Sensitive, KeychainError> {
        self.route(|vault| vault.load(account))
    }

    fn remove(&self, account: &str) -> Result<(), KeychainError> {
        self.route(|vault| vault.remove(account))
    }

    fn check_reachable(&self) -> Result<(), KeychainError> {
        self.route(|vault| vault.check_reachable())
    }
}

/// A computer without a keychain: systemd-creds, plus the items the admin put in the plain file
/// store with `--store file` (found there, and kept there when replaced).
struct Headless {
    creds: Option<SystemdCreds>,
    /// None when there is no folder for it (no HOME): a service still reads what systemd gave it.
    file: Option<FileVault>,
    /// Why the keychain could not be used, for the error when nothing else can be either.
    no_keychain: String,
}

impl Headless {
    fn here(no_keychain: String) -> Headless {
        match base_dir() {
            Ok(base) => Headless {
                creds: SystemdCreds::find(&base),
                file: Some(FileVault::new(&base)),
                no_keychain,
            },
            Err(detail) => Headless {
                creds: None,
                file: None,
                no_keychain: format!("{no_keychain}; {detail}"),
            },
        }
    }

    fn file_holding(&self, account: &str) -> Option<&FileVault> {
        self.file.as_ref().filter(|file| file.holds(account))
    }

    fn creds(&self) -> Result<&SystemdCreds, KeychainError> {
        self.creds.as_ref().ok_or_else(|| KeychainError::NoStore {
            detail: self.no_keychain.clone(),
        })
    }

    /// Whether `account` (or the setup a cache item belongs to) was put in the plain file store.
    fn in_file(&self, account: &str) -> Option<&FileVault> {
        let cache_suffix = crate::local::session_credentials::cache_account("");
        let setup = account.strip_suffix(&cache_suffix).unwrap_or(account);
        self.file_holding(setup)
    }
}

impl Vault for Headless {
    fn store_name(&self) -> String {
        match &self.creds {
            Some(creds) => creds.store_name(),
            None => "no credential store".into(),
        }
    }

    fn save(&self, account: &str, label: &str, secret: &Sensitive) -> Result<(), KeychainError> {
        if let Some(file) = self.in_file(account) {
            return file.save(account, label, secret);
        }
        self.creds()?.save(account, label, secret)
    }

    fn load(&self, account: &str) -> Result<Sensitive, KeychainError> {
        if let Some(item) = from_service(account) {
            return Ok(item);
        }
        if let Some(file) = self.file_holding(account) {
            return file.load(account);
        }
        match &self.creds {
            Some(creds) => creds.load(account),
            // Nothing could ever have been stored here: say why, not "no such item".
            None => Err(KeychainError::NoStore {
                detail: self.no_keychain.clone(),
            }),
        }
    }

    fn remove(&self, account: &str) -> Result<(), KeychainError> {
        if let Some(file) = &self.file {
            file.remove(account)?;
        }
        match &self.creds {
            Some(creds) => creds.remove(account),
            None => Ok(()),
        }
    }

    fn check_reachable(&self) -> Result<(), KeychainError> {
        self.creds().map(|_| ())
    }
}

/// Removes `path`; a file that is not there counts as removed.
fn remove_file(store: &str, path: &Path) -> Result<(), KeychainError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(KeychainError::StoreFailed {
            store: store.to_string(),
            detail: format!("{} could not be removed: {e}", path.display()),
        }),
    }
}

#[cfg(test)]
mod tests;
