//! Signing in to Vault with what the admin typed in the window: a token, or an AppRole's role id
//! and secret id. The CLI reads the same from the environment (`vault::credential_from_env`); the
//! window has no environment the admin controls, so the values arrive as IPC arguments, straight
//! into [`Sensitive`], and are dropped (zeroized) when the call ends. None is ever sent back.

use super::vault::{self, Credential};
use crate::error::push::PushError;
use crate::secret::Sensitive;
use serde::Deserialize;
use ts_rs::TS;

/// How the admin signs in to one Vault server.
#[derive(Debug, Deserialize, TS)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum VaultLogin {
    Token {
        #[ts(type = "string")]
        token: Sensitive,
    },
    AppRole {
        role_id: String,
        #[ts(type = "string")]
        secret_id: Sensitive,
    },
}

impl VaultLogin {
    /// A credential of its own (the login may serve several copies on one server).
    pub fn credential(&self) -> Result<Credential, PushError> {
        let copy = |secret: &Sensitive| Sensitive::new(secret.expose().trim().to_string());
        match self {
            VaultLogin::Token { token } if !token.expose().trim().is_empty() => {
                Ok(Credential::Token(copy(token)))
            }
            VaultLogin::AppRole { role_id, secret_id }
                if !role_id.trim().is_empty() && !secret_id.expose().trim().is_empty() =>
            {
                Ok(Credential::AppRole {
                    role_id: role_id.trim().to_string(),
                    secret_id: copy(secret_id),
                })
            }
            _ => Err(PushError::NoLogin),
        }
    }
}

/// The login for one Vault server, named by its address.
#[derive(Debug, Deserialize, TS)]
pub struct VaultSignIn {
    pub url: String,
    pub login: VaultLogin,
}

/// The credential for the Vault at `url` (already checked, as a delivery records it): with
/// `logins` (the window), the login typed for that server and nothing else, since the app's own
/// environment is not something the admin chose; without (the CLI), the environment's.
pub fn credential_for(logins: Option<&[VaultSignIn]>, url: &str) -> Result<Credential, PushError> {
    let Some(logins) = logins else {
        return vault::credential_from_env();
    };
    let same = |given: &str| vault::target(given, "a/b").is_ok_and(|t| t.url == url);
    match logins.iter().find(|l| same(&l.url)) {
        Some(sign_in) => sign_in.login.credential(),
        None => Err(PushError::NoLogin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str) -> VaultLogin {
        VaultLogin::Token {
            token: Sensitive::new(value.into()),
        }
    }

    #[test]
    fn an_empty_login_is_refused_in_the_window_words() {
        assert_eq!(token("  ").credential().unwrap_err(), PushError::NoLogin);
        let approle = VaultLogin::AppRole {
            role_id: "r".into(),
            secret_id: Sensitive::new(String::new()),
        };
        assert_eq!(approle.credential().unwrap_err(), PushError::NoLogin);
        assert!(matches!(token(" t ").credential(), Ok(Credential::Token(t)) if t.expose() == "t"));
    }

    #[test]
    fn the_login_is_matched_to_the_server_by_its_checked_address() {
        let logins = vec![VaultSignIn {
            url: "https://vault.example.com:8200/".into(),
            login: token("t1"),
        }];
        let found = credential_for(Some(&logins), "https://vault.example.com:8200");
        assert!(matches!(found, Ok(Credential::Token(t)) if t.expose() == "t1"));
        // The window never falls back to the app's environment for a server it has no login for.
        let other = credential_for(Some(&logins), "https://other.example.com");
        assert_eq!(other.unwrap_err(), PushError::NoLogin);
    }

    #[test]
    fn the_window_s_login_parses_and_never_prints() {
        let parsed: VaultSignIn = serde_json::from_str(
            r#"{"url":"http://127.0.0.1:8200","login":{"method":"token","token":"s.SECRET"}}"#,
        )
        .unwrap();
        assert!(!format!("{parsed:?}").contains("SECRET"));
        let approle: VaultLogin = serde_json::from_str(
            r#"{"method":"app-role","role_id":"role","secret_id":"s.SECRET"}"#,
        )
        .unwrap();
        assert!(!format!("{approle:?}").contains("SECRET"));
    }
}
