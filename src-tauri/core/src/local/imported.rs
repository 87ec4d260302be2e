//! The keychain accounts of setups imported from another computer (`import`): credential-process
//! finds them as it finds the setups this computer made, which its journal names.

use std::path::{Path, PathBuf};

const FILE_NAME: &str = "imported-setups.json";

fn file() -> Option<PathBuf> {
    crate::local::data_dir::find()
        .ok()
        .map(|dir| dir.join(FILE_NAME))
}

fn load(file: &Path) -> Vec<String> {
    std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Every imported account (`<account id>/<user>`).
pub fn accounts() -> Vec<String> {
    file().map(|f| load(&f)).unwrap_or_default()
}

/// Remembers `account`; only names, no secret.
pub fn remember(account: &str) -> std::io::Result<()> {
    let Some(file) = file() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "this computer has no data folder (no HOME)",
        ));
    };
    let mut known = load(&file);
    if known.iter().any(|a| a == account) {
        return Ok(());
    }
    known.push(account.to_string());
    known.sort();
    if let Some(dir) = file.parent() {
        crate::local::atomic_file::create_private_dir(dir)?;
    }
    let bytes = serde_json::to_vec_pretty(&known).map_err(std::io::Error::other)?;
    crate::local::atomic_file::replace_private(&file, &bytes)
}
