//! The app's data folder (the journal, run locks, the remembered scan): always an absolute path,
//! always private (0700). Without a home folder there is no data folder: a clear error, never a
//! path relative to wherever the program happened to start.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The variable that names the folder outright (tests, sandboxes, portable installs).
pub const OVERRIDE: &str = "CSFLE_PROVISIONER_DATA_DIR";
const APP: &str = "csfle-provisioner";

/// Whose rules decide where per-user data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    MacOs,
    Windows,
    /// Linux and the other Unixes: the XDG base directories.
    Xdg,
}

impl Platform {
    pub fn this() -> Platform {
        if cfg!(target_os = "macos") {
            Platform::MacOs
        } else if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Xdg
        }
    }
}

/// The folder for `platform` given the environment `var`; an error says what is missing.
pub fn resolve(
    platform: Platform,
    var: impl Fn(&str) -> Option<OsString>,
) -> Result<PathBuf, String> {
    // Unset and empty are the same; a relative value would depend on the working directory.
    let absolute = |name: &str| {
        var(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .map(|p| {
                if p.is_absolute() {
                    Ok(p)
                } else {
                    Err(name.to_string())
                }
            })
    };
    if let Some(dir) = absolute(OVERRIDE) {
        return dir.map_err(|name| format!("{name} must be an absolute path"));
    }
    let home = || match absolute("HOME") {
        Some(Ok(home)) => Ok(home),
        Some(Err(_)) => Err("HOME is not an absolute path".to_string()),
        None => Err("HOME is not set".to_string()),
    };
    let base = match platform {
        Platform::MacOs => home()?.join("Library/Application Support"),
        // Local, never roaming: the keychain item the journal describes stays on this computer.
        Platform::Windows => match absolute("LOCALAPPDATA") {
            Some(Ok(local)) => local,
            Some(Err(_)) => return Err("LOCALAPPDATA is not an absolute path".into()),
            None => return Err("LOCALAPPDATA is not set".into()),
        },
        // The XDG spec: a relative XDG_DATA_HOME is invalid and ignored.
        Platform::Xdg => match absolute("XDG_DATA_HOME") {
            Some(Ok(data)) => data,
            _ => home()?.join(".local/share"),
        },
    };
    Ok(base.join(APP))
}

/// The folder on this computer, from its environment.
pub fn find() -> Result<PathBuf, String> {
    resolve(Platform::this(), |name| std::env::var_os(name))
}

/// Creates `dir` (and missing parents) private, and makes an existing one private again: a
/// folder another program made 0755 would show every setup's names to other users.
pub fn make_private(dir: &Path) -> std::io::Result<()> {
    crate::local::atomic_file::create_private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn without_a_home_there_is_no_data_folder_and_never_a_relative_one() {
        for platform in [Platform::Xdg, Platform::MacOs] {
            let error = resolve(platform, env(&[])).unwrap_err();
            assert!(error.contains("HOME is not set"), "{error}");
            assert!(resolve(platform, env(&[("HOME", "")])).is_err());
            let relative = resolve(platform, env(&[("HOME", "home/me")])).unwrap_err();
            assert!(relative.contains("not an absolute path"), "{relative}");
        }
        let error = resolve(Platform::Xdg, env(&[(OVERRIDE, "data")])).unwrap_err();
        assert!(error.contains(OVERRIDE), "{error}");
    }

    #[test]
    fn each_platform_has_its_own_place() {
        let home = if cfg!(windows) {
            r"C:\Users\me"
        } else {
            "/home/me"
        };
        let under = |p: &str| PathBuf::from(home).join(p).join(APP);
        assert_eq!(
            resolve(Platform::Xdg, env(&[("HOME", home)])).unwrap(),
            under(".local/share")
        );
        assert_eq!(
            resolve(Platform::MacOs, env(&[("HOME", home)])).unwrap(),
            under("Library/Application Support")
        );
        // A relative XDG_DATA_HOME is ignored, as the XDG spec says.
        assert_eq!(
            resolve(
                Platform::Xdg,
                env(&[("HOME", home), ("XDG_DATA_HOME", "x")])
            )
            .unwrap(),
            under(".local/share")
        );
        let elsewhere = if cfg!(windows) { r"D:\data" } else { "/data" };
        assert_eq!(
            resolve(Platform::Xdg, env(&[(OVERRIDE, elsewhere)])).unwrap(),
            PathBuf::from(elsewhere)
        );
    }

    #[test]
    fn windows_uses_local_app_data_and_never_the_roaming_folder() {
        let local = if cfg!(windows) {
            r"C:\Users\me\AppData\Local"
        } else {
            "/local"
        };
        let roaming = if cfg!(windows) {
            r"C:\Users\me\AppData\Roaming"
        } else {
            "/roaming"
        };
        assert_eq!(
            resolve(
                Platform::Windows,
                env(&[("LOCALAPPDATA", local), ("APPDATA", roaming)])
            )
            .unwrap(),
            PathBuf::from(local).join(APP)
        );
        let error = resolve(
            Platform::Windows,
            env(&[("APPDATA", roaming), ("HOME", local)]),
        )
        .unwrap_err();
        assert!(error.contains("LOCALAPPDATA is not set"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_is_made_private_even_when_it_existed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!(
            "csfle-data-dir-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let data = dir.join("csfle-provisioner");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        make_private(&data).unwrap();
        let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let _ = std::fs::remove_dir_all(dir);
    }
}
