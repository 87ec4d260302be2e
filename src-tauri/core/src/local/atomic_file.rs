//! Replacing a file so that readers see the old bytes or the new bytes, never a mix: write a
//! sibling temporary file, flush it to disk, rename it over the original.
//!
//! The files this app writes name its setups and AWS profiles, so they are private: new files
//! are 0600 and new folders 0700 (an existing file keeps its mode). The temporary file has an
//! unpredictable name and is created exclusively, so nobody can plant a file or a link there
//! first. A path that is a symbolic link (a dotfiles repository's `~/.aws/config`) is written
//! through: the link stays and its target gets the new bytes.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Replaces `path` atomically, keeping an existing file's permissions.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write(path, bytes, false)
}

/// Like [`replace`], but the result is private (0600) even when the file existed with another
/// mode: for copies such as backups, which must not be more readable than needed.
pub fn replace_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write(path, bytes, true)
}

/// A path relative to the working directory would put private files wherever the program was
/// started (a shared folder, a repository): every write here needs an absolute one.
fn absolute_only(path: &Path) -> std::io::Result<()> {
    if path.is_absolute() {
        return Ok(());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("{:?} is not an absolute path; nothing was written", path),
    ))
}

/// Creates `dir` and its missing parents as private folders.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    absolute_only(dir)?;
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes a new private (0600) file at `path` without following a link there: a link (planted or
/// not) is refused, an existing plain file is replaced by a newly created one (`create_new`, so
/// nothing can appear between). For copies of files that may hold secrets, such as backups.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    absolute_only(path)?;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} is a symbolic link", path.display()),
            ))
        }
        Ok(meta) if meta.is_file() => std::fs::remove_file(path)?,
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} is not a plain file", path.display()),
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn write(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    absolute_only(path)?;
    let target = through_links(path)?;
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    create_private_dir(&dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (temporary, mut file) = exclusive_temporary(&dir, &name)?;
    let result = (|| {
        #[cfg(unix)]
        if !private {
            if let Ok(existing) = std::fs::metadata(&target) {
                file.set_permissions(existing.permissions())?;
            }
        }
        #[cfg(not(unix))]
        let _ = private;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// Follows symbolic links to the file they finally name (a bounded number of hops).
fn through_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other(format!(
        "{} is a loop of symbolic links",
        path.display()
    )))
}

/// A new 0600 file beside the target whose name nobody can predict, created with O_EXCL.
fn exclusive_temporary(dir: &Path, name: &str) -> std::io::Result<(PathBuf, File)> {
    let mut last = None;
    for _ in 0..8 {
        let suffix: u64 = rand::random();
        let temporary = dir.join(format!(".{name}.{suffix:016x}.tmp"));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&temporary) {
            Ok(file) => return Ok((temporary, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary file could be created")))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "csfle-atomic-{name}-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_and_folders_are_private_and_existing_modes_are_kept() {
        let dir = scratch("modes");
        let nested = dir.join("a/b/journal.json");
        replace(&nested, b"{}").unwrap();
        assert_eq!(mode(&nested), 0o600);
        assert_eq!(mode(&dir.join("a/b")), 0o700);
        let shared = dir.join("config");
        std::fs::write(&shared, b"x").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
        replace(&shared, b"y").unwrap();
        assert_eq!(mode(&shared), 0o640);
        let backup = dir.join("config.bak");
        std::fs::write(&backup, b"x").unwrap();
        std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o644)).unwrap();
        replace_private(&backup, b"z").unwrap();
        assert_eq!(mode(&backup), 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file is left behind");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn relative_paths_are_refused() {
        for path in ["journal.json", "a/journal.json", ""] {
            let error = replace(Path::new(path), b"x").unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{path:?}");
            assert!(write_new_private(Path::new(path), b"x").is_err());
        }
        assert!(create_private_dir(Path::new("relative/dir")).is_err());
        assert!(!Path::new("journal.json").exists());
        assert!(!Path::new("relative").exists());
    }

    #[test]
    fn a_new_private_file_never_follows_a_link() {
        let dir = scratch("no-follow");
        let target = dir.join("elsewhere");
        std::fs::write(&target, b"theirs").unwrap();
        let link = dir.join("config.csfle-backup");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let error = write_new_private(&link, b"secret config").unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        assert_eq!(std::fs::read(&target).unwrap(), b"theirs");
        // A plain file is replaced by a fresh private one.
        let plain = dir.join("plain");
        std::fs::write(&plain, b"old").unwrap();
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_new_private(&plain, b"new").unwrap();
        assert_eq!(std::fs::read(&plain).unwrap(), b"new");
        assert_eq!(mode(&plain), 0o600);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_symlinked_file_is_written_through_and_stays_a_link() {
        let dir = scratch("links");
        let real = dir.join("dotfiles/aws-config");
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(&real, b"old").unwrap();
        let link = dir.join("config");
        std::os::unix::fs::symlink("dotfiles/aws-config", &link).unwrap();
        replace(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        let _ = std::fs::remove_dir_all(dir);
    }
}
