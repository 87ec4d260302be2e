//! The OS credential store, one item per (service, account), the same way on Linux, macOS and
//! Windows. Each platform's keyring-core store takes different modifiers (an unknown one is an
//! error), so everything store-specific lives in one module per platform; callers see only
//! save / load / remove and one error type.
//!
//! Items are never searched for: search differs per store (attributes on Linux and macOS, a regex
//! on the target name on Windows). Callers know which accounts to expect (from their journal and
//! their AWS tags) and probe each one with [`load`].

use std::collections::HashMap;
use std::fmt;

#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod platform;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod platform;
#[cfg(target_os = "windows")]
#[path = "windows.rs"]
mod platform;
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
#[path = "unsupported.rs"]
mod platform;

/// What went wrong, in the terms a caller acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The store is there but locked (or access was refused).
    Locked,
    /// No item for this service and account.
    Missing,
    /// No store can be reached at all (no session bus, no keychain).
    Unavailable,
    Other,
}

/// A store failure. `detail` never carries stored bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub failure: Failure,
    pub detail: String,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for StoreError {}

impl From<keyring_core::Error> for StoreError {
    fn from(error: keyring_core::Error) -> Self {
        StoreError {
            failure: classify(&error),
            detail: describe(&error),
        }
    }
}

/// The name the OS gives its credential store, for people.
pub fn store_name() -> &'static str {
    platform::STORE_NAME
}

/// Where the item is kept and who else can get it, for the review screen.
pub fn storage_note() -> &'static str {
    platform::STORAGE_NOTE
}

/// Creates the item or atomically replaces its secret. `label` is what the OS's own credential
/// manager shows next to it.
pub fn save(service: &str, account: &str, label: &str, secret: &str) -> Result<(), StoreError> {
    // Safe to repeat: the write replaces the item, so a first attempt that did land changes nothing.
    with_one_retry(|| {
        let entry = platform::entry(service, account, Some(label)).map_err(opening)?;
        entry.set_password(secret).map_err(calling)?;
        platform::after_save(&entry, account, label).map_err(calling)
    })
}

/// Whether the store answers at all. The Secret Service is asked for a session without key
/// exchange; elsewhere `probe_account`, an item that is not there, is read.
#[cfg(target_os = "linux")]
pub fn reachable(_service: &str, _probe_account: &str) -> Result<(), StoreError> {
    platform::reachable()
}

/// Whether the store answers at all: reading `probe_account`, an item that is not there, asks it.
#[cfg(not(target_os = "linux"))]
pub fn reachable(service: &str, probe_account: &str) -> Result<(), StoreError> {
    match load(service, probe_account) {
        Err(error) if error.failure != Failure::Missing => Err(error),
        _ => Ok(()),
    }
}

/// The item's secret.
pub fn load(service: &str, account: &str) -> Result<String, StoreError> {
    with_one_retry(|| {
        let entry = platform::entry(service, account, None).map_err(opening)?;
        entry.get_password().map_err(calling)
    })
}

/// Deletes the item; an item that is not there counts as deleted.
pub fn remove(service: &str, account: &str) -> Result<(), StoreError> {
    // Safe to repeat: if a first attempt deleted the item before its reply was lost, the second
    // finds nothing, which counts as deleted.
    with_one_retry(|| {
        let entry = platform::entry(service, account, None).map_err(opening)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(calling(e)),
        }
    })
}

/// What the store reports about the item (for tests and diagnostics; empty on macOS, where the
/// store exposes none).
pub fn attributes(service: &str, account: &str) -> Result<HashMap<String, String>, StoreError> {
    with_one_retry(|| {
        let entry = platform::entry(service, account, None).map_err(opening)?;
        entry.get_attributes().map_err(calling)
    })
}

/// A failed attempt, with the step that failed: opening the store and calling it read differently
/// to the admin (see [`unavailable`]).
enum Attempt {
    Opening(keyring_core::Error),
    Calling(keyring_core::Error),
}

fn opening(error: keyring_core::Error) -> Attempt {
    Attempt::Opening(error)
}

fn calling(error: keyring_core::Error) -> Attempt {
    Attempt::Calling(error)
}

impl Attempt {
    fn error(&self) -> &keyring_core::Error {
        match self {
            Attempt::Opening(error) | Attempt::Calling(error) => error,
        }
    }
}

impl From<Attempt> for StoreError {
    fn from(attempt: Attempt) -> Self {
        match attempt {
            Attempt::Opening(error) => unavailable(error),
            Attempt::Calling(error) => error.into(),
        }
    }
}

/// Runs `attempt` once more when the connection to the store went away under it (on Linux, the
/// keyring daemon left the bus mid-call, or was between two lives). Each attempt opens a new
/// connection, and the bus starts the daemon again for it when the session can (D-Bus
/// activation), so the second try usually lands. Only once: a store that keeps vanishing is
/// reported, not waited for. Every operation here is safe to repeat.
fn with_one_retry<T>(mut attempt: impl FnMut() -> Result<T, Attempt>) -> Result<T, StoreError> {
    match attempt() {
        Err(failed) if platform::connection_dropped(failed.error()) => attempt(),
        other => other,
    }
    .map_err(StoreError::from)
}

/// The Windows Credential Manager target name of an item (the key Windows files it under).
pub fn windows_target_name(service: &str, account: &str) -> String {
    format!("{service}:{account}")
}

/// Opening a store or an entry fails only when the store itself cannot be used.
fn unavailable(error: keyring_core::Error) -> StoreError {
    let failure = match classify(&error) {
        Failure::Locked => Failure::Locked,
        _ => Failure::Unavailable,
    };
    StoreError {
        failure,
        detail: describe(&error),
    }
}

fn classify(error: &keyring_core::Error) -> Failure {
    use keyring_core::Error;
    match error {
        // Windows: no logon session (a service, or a task that runs while nobody is signed in)
        // has no Credential Manager at all; signing in helps, unlocking does not.
        Error::NoStorageAccess(inner) if inner.to_string().contains("NO_SUCH_LOGON_SESSION") => {
            Failure::Unavailable
        }
        Error::NoStorageAccess(_) => Failure::Locked,
        Error::NoEntry => Failure::Missing,
        Error::NoDefaultStore => Failure::Unavailable,
        Error::PlatformFailure(inner) if looks_unreachable(&inner.to_string()) => {
            Failure::Unavailable
        }
        Error::PlatformFailure(inner) if looks_locked(&inner.to_string()) => Failure::Locked,
        _ => Failure::Other,
    }
}

/// macOS answers errSecInteractionNotAllowed (-25308) when the keychain is locked and no unlock
/// dialog can be shown (an SSH session, a background job): to the admin, a locked keychain.
fn looks_locked(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("interaction is not allowed") || text.contains("-25308")
}

/// D-Bus reports a missing Secret Service as a generic platform failure; its wording is the only tell.
fn looks_unreachable(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "serviceunknown",
        "service unknown",
        "not provided by any .service",
        "no such file",
        "connection refused",
        "unable to autolaunch",
        "dbus_session_bus_address",
        "was not provided",
        "did not receive a reply",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// A description safe to show: the two variants that carry the stored bytes are named, not printed.
fn describe(error: &keyring_core::Error) -> String {
    use keyring_core::Error;
    match error {
        Error::BadEncoding(_) => "the stored item is not text".into(),
        Error::BadDataFormat(..) => "the stored item is malformed".into(),
        Error::Ambiguous(items) => format!("{} items match; remove the duplicates", items.len()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_never_carry_stored_bytes() {
        let secret = b"wJalrXUtnFEMI/K7MDENG".to_vec();
        let encoded = keyring_core::Error::BadEncoding(secret.clone());
        assert!(!describe(&encoded).contains("wJalr"));
        let malformed = keyring_core::Error::BadDataFormat(secret, "bad".into());
        assert!(!describe(&malformed).contains("wJalr"));
        assert!(
            !describe(&malformed).contains("119"),
            "no byte values either"
        );
    }

    #[test]
    fn missing_bus_reads_as_unavailable() {
        let error = keyring_core::Error::PlatformFailure(
            "org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files".into(),
        );
        assert_eq!(classify(&error), Failure::Unavailable);
        assert_eq!(unavailable(error).failure, Failure::Unavailable);
    }

    #[test]
    fn no_windows_logon_session_reads_as_unavailable() {
        let error = keyring_core::Error::NoStorageAccess(Box::new(std::io::Error::other(
            "Windows ERROR_NO_SUCH_LOGON_SESSION",
        )));
        assert_eq!(classify(&error), Failure::Unavailable);
    }

    #[test]
    fn macos_interaction_not_allowed_reads_as_locked() {
        let error = keyring_core::Error::PlatformFailure("User interaction is not allowed.".into());
        assert_eq!(classify(&error), Failure::Locked);
        let cancelled = keyring_core::Error::PlatformFailure("User canceled the operation.".into());
        assert_eq!(classify(&cancelled), Failure::Other);
    }

    #[test]
    fn refused_access_reads_as_locked_even_when_opening() {
        let error = keyring_core::Error::NoStorageAccess("locked".into());
        assert_eq!(unavailable(error).failure, Failure::Locked);
    }

    #[test]
    fn windows_target_names_keep_the_second_item_of_a_setup_apart() {
        let first = windows_target_name("csfle-provisioner", "123456789012/app");
        let second = windows_target_name("csfle-provisioner", "123456789012/app#session");
        assert_eq!(first, "csfle-provisioner:123456789012/app");
        assert_ne!(first, second);
    }

    /// An error every platform's `connection_dropped` accepts is not constructible off Linux, so
    /// the retry itself is tested where it can be.
    #[cfg(target_os = "linux")]
    fn dropped() -> keyring_core::Error {
        platform::tests::dbus_failure(
            "org.freedesktop.DBus.Error.NoReply",
            "Message recipient disconnected from message bus without replying",
        )
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_dropped_connection_is_tried_once_more_and_the_second_answer_counts() {
        let mut calls = 0;
        let result = with_one_retry(|| {
            calls += 1;
            if calls == 1 {
                Err(opening(dropped()))
            } else {
                Ok("secret")
            }
        });
        assert_eq!(result, Ok("secret"));
        assert_eq!(calls, 2);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_connection_that_drops_twice_is_reported_not_retried_again() {
        let mut calls = 0;
        let result: Result<(), StoreError> = with_one_retry(|| {
            calls += 1;
            Err(calling(dropped()))
        });
        assert_eq!(calls, 2);
        assert_eq!(result.map_err(|e| e.failure), Err(Failure::Other));
    }

    #[test]
    fn other_failures_are_not_retried() {
        let mut calls = 0;
        let result: Result<(), StoreError> = with_one_retry(|| {
            calls += 1;
            Err(calling(keyring_core::Error::NoEntry))
        });
        assert_eq!(calls, 1);
        assert_eq!(result.map_err(|e| e.failure), Err(Failure::Missing));
        let mut calls = 0;
        let opened: Result<(), StoreError> = with_one_retry(|| {
            calls += 1;
            Err(opening(keyring_core::Error::NoStorageAccess(
                "locked".into(),
            )))
        });
        assert_eq!(calls, 1);
        assert_eq!(opened.map_err(|e| e.failure), Err(Failure::Locked));
    }

    #[test]
    fn every_platform_says_where_the_item_lives() {
        assert!(!store_name().is_empty());
        assert!(storage_note().contains("this computer") || storage_note().contains("this Mac"));
    }
}
