//! HashiCorp Vault and OpenBao, KV version 2, over their HTTP API (the same API for both): the
//! secret travels in a request body over TLS, never in a command line. The token is a secret too:
//! it lives in [`Sensitive`], so no Debug, error or output ever shows it.
//!
//! The HTTP client is the one the AWS SDK already carries (hyper 1 with rustls and the OS's
//! roots): no second TLS stack in the binary.

use crate::error::push::PushError;
use crate::secret::Sensitive;
use aws_smithy_runtime_api::client::http::{HttpConnector, SharedHttpConnector};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use std::collections::BTreeMap;
use std::time::Duration;
use zeroize::Zeroizing;

/// How long one call to Vault may take before the store is called unreachable.
const CALL_LIMIT: Duration = Duration::from_secs(30);

/// Where a copy goes: Vault's address and the KV v2 mount and path, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultTarget {
    pub url: String,
    pub mount: String,
    pub path: String,
}

impl VaultTarget {
    /// `secret/apps/billing` as the admin wrote it.
    pub fn display(&self) -> String {
        format!("{}/v1/{}/data/{}", self.url, self.mount, self.path)
    }
}

/// Checks Vault's address and the KV path before anything is read from the keychain: https, or
/// plain http only to this computer (a dev server), and no parts that would make the request go
/// somewhere other than the path the admin named.
pub fn target(url: &str, vault_path: &str) -> Result<VaultTarget, PushError> {
    VaultTarget {
        url: check_url(url)?,
        mount: String::new(),
        path: String::new(),
    }
    .with_path(vault_path)
}

impl VaultTarget {
    fn with_path(mut self, vault_path: &str) -> Result<VaultTarget, PushError> {
        let bad =
            |why: &str| PushError::VaultPath(format!("{vault_path:?} is not a KV path: {why}"));
        let trimmed = vault_path.trim().trim_matches('/');
        if trimmed.len() > 512 {
            return Err(bad("it is longer than 512 characters"));
        }
        let parts: Vec<&str> = trimmed.split('/').collect();
        if parts.len() < 2 {
            return Err(bad("it needs the mount and a path under it (MOUNT/PATH)"));
        }
        for part in &parts {
            if part.is_empty() || *part == "." || *part == ".." {
                return Err(bad("it has an empty, . or .. part"));
            }
            if !part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.@+=".contains(c))
            {
                return Err(bad(
                    "use letters, digits and - _ . @ + = between the slashes",
                ));
            }
        }
        if matches!(parts.get(1), Some(&"data") | Some(&"metadata")) {
            return Err(bad("leave out data/ or metadata/: give MOUNT/PATH as you would to `bao kv put -mount=MOUNT PATH`"));
        }
        self.mount = parts[0].to_string();
        self.path = parts[1..].join("/");
        Ok(self)
    }
}

fn check_url(url: &str) -> Result<String, PushError> {
    let bad = |why: &str| PushError::VaultUrl(format!("{url:?} is not Vault's address: {why}"));
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("it needs https://"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(bad(
            "give only https://HOST[:PORT], without a path, user or query",
        ));
    }
    let host = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => {
            if port.parse::<u16>().is_err() {
                return Err(bad("the port is not a number"));
            }
            host
        }
        _ => rest,
    };
    match scheme {
        "https" => {}
        "http" if matches!(host, "127.0.0.1" | "localhost" | "[::1]") => {}
        "http" => {
            return Err(bad(
                "plain http would send the credentials unencrypted; use https (http only for 127.0.0.1 or localhost)",
            ))
        }
        _ => return Err(bad("it needs https://")),
    }
    Ok(format!("{scheme}://{rest}"))
}

/// How to sign in to Vault, from the environment as Vault's own tools read it.
pub enum Credential {
    Token(Sensitive),
    AppRole {
        role_id: String,
        secret_id: Sensitive,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Token(_) => write!(f, "Token([redacted])"),
            Credential::AppRole { role_id, .. } => write!(f, "AppRole({role_id}, [redacted])"),
        }
    }
}

/// `VAULT_TOKEN`, else AppRole's `VAULT_ROLE_ID` and `VAULT_SECRET_ID`.
pub fn credential_from_env() -> Result<Credential, PushError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if let Some(token) = env("VAULT_TOKEN") {
        return Ok(Credential::Token(Sensitive::new(token.trim().to_string())));
    }
    match (env("VAULT_ROLE_ID"), env("VAULT_SECRET_ID")) {
        (Some(role_id), Some(secret_id)) => Ok(Credential::AppRole {
            role_id: role_id.trim().to_string(),
            secret_id: Sensitive::new(secret_id.trim().to_string()),
        }),
        _ => Err(PushError::NoToken),
    }
}

/// What KV v2 keeps beside the versions: the current version and the custom metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub current_version: u64,
    pub custom: BTreeMap<String, String>,
}

/// A signed-in client for one KV v2 path.
pub struct Vault {
    target: VaultTarget,
    token: Sensitive,
    namespace: Option<String>,
    connector: SharedHttpConnector,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault({}, token [redacted])", self.target.display())
    }
}

fn connector() -> SharedHttpConnector {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    SharedHttpConnector::new(
        aws_smithy_http_client::Connector::builder()
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
            .build(),
    )
}

impl Vault {
    /// Signs in (AppRole) or takes the token as it is; a refused sign-in is said here.
    pub async fn sign_in(target: VaultTarget, credential: Credential) -> Result<Vault, PushError> {
        let namespace = std::env::var("VAULT_NAMESPACE")
            .ok()
            .filter(|n| !n.trim().is_empty());
        let mut vault = Vault {
            target,
            token: Sensitive::new(String::new()),
            namespace,
            connector: connector(),
        };
        vault.token = match credential {
            Credential::Token(token) => token,
            Credential::AppRole { role_id, secret_id } => {
                let body = Zeroizing::new(
                    serde_json::json!({"role_id": role_id, "secret_id": secret_id.expose()})
                        .to_string(),
                );
                let (status, reply) = vault
                    .call("POST", "auth/approle/login", Some(body.as_bytes().to_vec()))
                    .await?;
                vault.check(status, &reply, "AppRole sign-in")?;
                let reply: serde_json::Value = serde_json::from_slice(&reply).unwrap_or_default();
                let token = reply["auth"]["client_token"].as_str().unwrap_or_default();
                if token.is_empty() {
                    return Err(vault.refused("AppRole sign-in", "no token in the answer"));
                }
                Sensitive::new(token.to_string())
            }
        };
        Ok(vault)
    }

    pub fn target(&self) -> &VaultTarget {
        &self.target
    }

    fn api(&self, kind: &str) -> String {
        format!("{}/{kind}/{}", self.target.mount, self.target.path)
    }

    /// The path's metadata, or `None` when nothing was ever written there.
    pub async fn metadata(&self) -> Result<Option<Metadata>, PushError> {
        let (status, reply) = self.call("GET", &self.api("metadata"), None).await?;
        if status == 404 {
            return Ok(None);
        }
        self.check(status, &reply, "reading the metadata")?;
        let reply: serde_json::Value = serde_json::from_slice(&reply).unwrap_or_default();
        let data = &reply["data"];
        let custom = data["custom_metadata"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(Metadata {
            current_version: data["current_version"].as_u64().unwrap_or_default(),
            custom,
        }))
    }

    /// Writes a new version holding the JSON object `data`, only if the path's current version is
    /// `cas` (0: only if the path is new). Returns the version written.
    pub async fn write(&self, data: &Sensitive, cas: u64) -> Result<u64, PushError> {
        let mut body = Zeroizing::new(Vec::with_capacity(data.expose().len() + 64));
        body.extend_from_slice(format!(r#"{{"options":{{"cas":{cas}}},"data":"#).as_bytes());
        body.extend_from_slice(data.expose().as_bytes());
        body.push(b'}');
        let (status, reply) = self
            .call("POST", &self.api("data"), Some(body.to_vec()))
            .await?;
        if status == 400 && String::from_utf8_lossy(&reply).contains("check-and-set") {
            return Err(PushError::VaultConflict {
                path: self.target.display(),
                cas,
            });
        }
        self.check(status, &reply, "writing the secret")?;
        let reply: serde_json::Value = serde_json::from_slice(&reply).unwrap_or_default();
        Ok(reply["data"]["version"].as_u64().unwrap_or_default())
    }

    /// Sets the path's custom metadata (names only; never a secret).
    pub async fn set_custom_metadata(
        &self,
        custom: &BTreeMap<String, String>,
    ) -> Result<(), PushError> {
        let body = serde_json::json!({ "custom_metadata": custom }).to_string();
        let (status, reply) = self
            .call("POST", &self.api("metadata"), Some(body.into_bytes()))
            .await?;
        self.check(status, &reply, "writing the custom metadata")
    }

    /// Deletes the path's metadata and every version of it.
    pub async fn destroy(&self) -> Result<(), PushError> {
        let (status, reply) = self.call("DELETE", &self.api("metadata"), None).await?;
        if status == 404 {
            return Ok(());
        }
        self.check(status, &reply, "deleting the secret and its versions")
    }

    fn refused(&self, what: &str, detail: &str) -> PushError {
        PushError::VaultRefused {
            url: self.target.url.clone(),
            what: what.to_string(),
            detail: detail.to_string(),
        }
    }

    /// Vault's answer in words: its own `errors`, never the request (which holds the secret).
    fn check(&self, status: u16, reply: &[u8], what: &str) -> Result<(), PushError> {
        if (200..300).contains(&status) {
            return Ok(());
        }
        if status == 503 {
            return Err(PushError::VaultSealed {
                url: self.target.url.clone(),
            });
        }
        let reply: serde_json::Value = serde_json::from_slice(reply).unwrap_or_default();
        let said: Vec<String> = reply["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|m| m.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let detail = match (status, said.is_empty()) {
            (403, true) => "permission denied (HTTP 403)".to_string(),
            (_, true) => format!("HTTP {status}"),
            (_, false) => format!("{} (HTTP {status})", said.join("; ")),
        };
        Err(self.refused(what, &detail))
    }

    async fn call(
        &self,
        method: &str,
        api_path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Vec<u8>), PushError> {
        let unreachable = |detail: String| PushError::VaultUnreachable {
            url: self.target.url.clone(),
            detail,
        };
        let mut request = HttpRequest::new(body.map(SdkBody::from).unwrap_or_else(SdkBody::empty));
        request
            .set_method(method)
            .map_err(|_| unreachable("the request could not be built".into()))?;
        request
            .set_uri(format!("{}/v1/{api_path}", self.target.url))
            .map_err(|_| unreachable("the request could not be built".into()))?;
        let headers = request.headers_mut();
        headers.insert("content-type", "application/json");
        if !self.token.expose().is_empty() {
            headers.insert("x-vault-token", self.token.expose().to_string());
        }
        if let Some(namespace) = &self.namespace {
            headers.insert("x-vault-namespace", namespace.clone());
        }
        headers.insert("x-vault-request", "true");
        let answer = tokio::time::timeout(CALL_LIMIT, async {
            let response = self
                .connector
                .call(request)
                .await
                .map_err(|e| unreachable(connector_problem(&e)))?;
            let status = response.status().as_u16();
            let bytes = aws_smithy_types::byte_stream::ByteStream::new(response.into_body())
                .collect()
                .await
                .map_err(|_| unreachable("the answer was cut off".into()))?;
            Ok::<_, PushError>((status, bytes.to_vec()))
        })
        .await;
        answer.unwrap_or_else(|_| {
            Err(unreachable(format!(
                "no answer within {} s",
                CALL_LIMIT.as_secs()
            )))
        })
    }
}

/// The connector's failure in words (connection refused, TLS, DNS), without any request detail.
fn connector_problem(error: &aws_smithy_runtime_api::client::result::ConnectorError) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut deepest = String::from("the connection failed");
    while let Some(current) = source {
        deepest = current.to_string();
        source = current.source();
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_https_or_this_computer() {
        assert!(target("https://vault.example.com:8200", "secret/app").is_ok());
        assert!(target("http://127.0.0.1:8200/", "secret/app").is_ok());
        assert!(target("http://localhost:8200", "secret/app").is_ok());
        for bad in [
            "http://vault.example.com",
            "ftp://vault",
            "vault.example.com",
            "https://user@vault",
            "https://vault/v1/secret",
            "https://vault:port",
            "https://",
        ] {
            assert!(target(bad, "secret/app").is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_name_a_mount_and_a_secret_under_it() {
        let t = target("https://v", "/secret/apps/billing/").unwrap();
        assert_eq!(
            (t.mount.as_str(), t.path.as_str()),
            ("secret", "apps/billing")
        );
        assert_eq!(t.display(), "https://v/v1/secret/data/apps/billing");
        for bad in [
            "secret",
            "secret//x",
            "secret/../sys",
            "secret/data/x",
            "secret/a b",
            "secret/x?list=true",
        ] {
            assert!(target("https://v", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_token_is_never_in_debug() {
        let credential = Credential::Token(Sensitive::new("hvs.s3cr3t".into()));
        assert!(!format!("{credential:?}").contains("s3cr3t"));
    }
}
