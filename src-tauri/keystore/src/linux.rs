//! Linux: the freedesktop Secret Service (gnome-keyring, KWallet) over D-Bus. Modifiers: `target`
//! (a collection; unset = the default "login" collection) and `label`.

use crate::{Failure, StoreError};
use keyring_core::api::CredentialStore;
use keyring_core::{Entry, Result};
use std::collections::HashMap;
use std::sync::Arc;

pub const STORE_NAME: &str = "Secret Service keyring";
pub const STORAGE_NOTE: &str =
    "stored in your login keyring on this computer only (Secret Service, unlocked with your session)";

pub fn entry(service: &str, account: &str, label: Option<&str>) -> Result<Entry> {
    // A new connection per operation: the session bus may appear (or the keyring unlock) while
    // the app is open, and a cached failure would keep the admin stuck.
    let store: Arc<CredentialStore> = dbus_secret_service_keyring_store::Store::new()?;
    let mut modifiers = HashMap::new();
    if let Some(label) = label {
        modifiers.insert("label", label);
    }
    Entry::new_in_store_with_modifiers(&store, service, account, &modifiers)
}

/// The service answered a session request. A plain session, because the check reads no secret:
/// the Diffie-Hellman exchange an item read needs cost ~5 ms of every setup's critical path.
/// Asked once more when the daemon left the bus mid-call, as every other operation is.
pub fn reachable() -> std::result::Result<(), StoreError> {
    let connect = || {
        dbus_secret_service::SecretService::connect(dbus_secret_service::EncryptionType::Plain)
            .map(drop)
    };
    match connect() {
        Err(error) if service_dropped(&error) => connect(),
        other => other,
    }
    .map_err(|error| StoreError {
        failure: Failure::Unavailable,
        detail: error.to_string(),
    })
}

/// Whether the call failed because the Secret Service went away rather than because it refused:
/// worth one more try on a new connection. The store crate wraps the D-Bus error in its own, so
/// the D-Bus error name is read from there, not guessed from the wording.
pub fn connection_dropped(error: &keyring_core::Error) -> bool {
    match error {
        keyring_core::Error::PlatformFailure(inner)
        | keyring_core::Error::NoStorageAccess(inner) => inner
            .downcast_ref::<dbus_secret_service::Error>()
            .is_some_and(service_dropped),
        _ => false,
    }
}

fn service_dropped(error: &dbus_secret_service::Error) -> bool {
    match error {
        dbus_secret_service::Error::Dbus(error) => dbus_dropped(error),
        _ => false,
    }
}

fn dbus_dropped(error: &dbus::Error) -> bool {
    match error.name() {
        // The bus's answer when the daemon died with our call unanswered. A reply timeout has the
        // same name but means a daemon that hangs: trying again would only double the wait.
        Some("org.freedesktop.DBus.Error.NoReply") => error
            .message()
            .is_some_and(|message| message.contains("disconnected")),
        // Our own connection to the bus broke (the bus restarted): a new connection may work.
        Some("org.freedesktop.DBus.Error.Disconnected") => true,
        // Nobody owns the name: the daemon is between two lives (a supervisor restarting it), or
        // there is no Secret Service at all, where the second try fails the same way at once.
        Some("org.freedesktop.DBus.Error.ServiceUnknown")
        | Some("org.freedesktop.DBus.Error.NameHasNoOwner") => true,
        _ => false,
    }
}

pub fn after_save(_entry: &Entry, _account: &str, _label: &str) -> Result<()> {
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// What the store crate returns when a D-Bus call fails with `name`.
    pub(crate) fn dbus_failure(name: &str, message: &str) -> keyring_core::Error {
        keyring_core::Error::PlatformFailure(Box::new(dbus_secret_service::Error::Dbus(
            dbus::Error::new_custom(name, message),
        )))
    }

    #[test]
    fn a_daemon_that_left_mid_call_is_a_dropped_connection() {
        let died = dbus_failure(
            "org.freedesktop.DBus.Error.NoReply",
            "Message recipient disconnected from message bus without replying",
        );
        assert!(connection_dropped(&died));
        let bus_gone = dbus_failure(
            "org.freedesktop.DBus.Error.Disconnected",
            "Connection is closed",
        );
        assert!(connection_dropped(&bus_gone));
        let restarting = dbus_failure(
            "org.freedesktop.DBus.Error.ServiceUnknown",
            "The name org.freedesktop.secrets was not provided by any .service files",
        );
        assert!(connection_dropped(&restarting));
        let locked_item = keyring_core::Error::NoStorageAccess(Box::new(
            dbus_secret_service::Error::Dbus(dbus::Error::new_custom(
                "org.freedesktop.DBus.Error.NoReply",
                "Message recipient disconnected from message bus without replying",
            )),
        ));
        assert!(connection_dropped(&locked_item));
    }

    #[test]
    fn refusals_timeouts_and_other_errors_are_not_retried() {
        let timeout = dbus_failure(
            "org.freedesktop.DBus.Error.NoReply",
            "Did not receive a reply. Possible causes include: the remote application did not send a reply, the message bus security policy blocked the reply, the reply timeout expired, or the network connection was broken.",
        );
        assert!(!connection_dropped(&timeout));
        let denied = dbus_failure(
            "org.freedesktop.DBus.Error.AccessDenied",
            "Rejected send message",
        );
        assert!(!connection_dropped(&denied));
        let locked =
            keyring_core::Error::NoStorageAccess(Box::new(dbus_secret_service::Error::Locked));
        assert!(!connection_dropped(&locked));
        // The same words without the D-Bus error behind them are not enough.
        let text_only = keyring_core::Error::PlatformFailure(
            "Message recipient disconnected from message bus without replying".into(),
        );
        assert!(!connection_dropped(&text_only));
        assert!(!connection_dropped(&keyring_core::Error::NoEntry));
    }

    #[test]
    fn the_reachability_check_retries_the_same_errors() {
        let died = dbus_secret_service::Error::Dbus(dbus::Error::new_custom(
            "org.freedesktop.DBus.Error.NoReply",
            "Message recipient disconnected from message bus without replying",
        ));
        assert!(service_dropped(&died));
        assert!(!service_dropped(&dbus_secret_service::Error::Unavailable));
    }
}
