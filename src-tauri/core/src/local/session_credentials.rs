//! Short-lived credentials for applications: `sts:GetSessionToken` made with the access key the
//! keychain holds, handed to the application's AWS SDK in the `credential_process` format with an
//! `Expiration`. The long-lived key only ever signs the STS call; it never reaches an application.
//!
//! The answer is cached as a second keychain item (`<account>/<user>#session`), in the same
//! zeroized memory as the stored key, and served from there until shortly before it expires, so
//! an SDK that asks often costs one keychain read, not an STS round trip.

use crate::error::keychain::KeychainError;
use crate::error::ProvisionError;
use crate::local::credentials::LoadedCredentials;
use crate::local::keychain::Vault;
use crate::secret::Sensitive;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use zeroize::Zeroizing;

/// What an application gets by default: one hour.
pub const DEFAULT_DURATION_SECONDS: i32 = 3_600;
/// AWS's bounds for an IAM user's GetSessionToken.
pub const MIN_DURATION_SECONDS: i32 = 900;
pub const MAX_DURATION_SECONDS: i32 = 129_600;
/// A cached answer is served until this many seconds before it expires.
pub const REFRESH_MARGIN_SECONDS: i64 = 300;

const SUFFIX: &str = "#session";

/// The keychain account of the cache item that belongs to the stored item `account`.
pub fn cache_account(account: &str) -> String {
    format!("{account}{SUFFIX}")
}

/// True for a cache item's account (so listings of setups can skip it).
pub fn is_cache_account(account: &str) -> bool {
    account.ends_with(SUFFIX)
}

/// Removes the cache item of `account`: the stored key was replaced or removed, so credentials
/// made with it must not be handed out again. Removing an absent item succeeds.
pub fn forget(vault: &dyn Vault, account: &str) -> Result<(), KeychainError> {
    vault.remove(&cache_account(account))
}

/// [`forget`] on the blocking pool, for async callers (rotation, teardown).
pub async fn forget_off_thread(vault: &Arc<dyn Vault>, account: &str) -> Result<(), KeychainError> {
    let account = account.to_string();
    crate::local::keychain::off_thread(vault, move |vault| forget(vault, &account)).await
}

/// What gives an application on a role setup its credentials: AWS's own temporary credentials,
/// renewed by the platform, so there is nothing to store or rotate.
pub fn role_credential_source(
    trust: &crate::model::principal::Trust,
    role_arn: &str,
    instance_profile_arn: Option<&str>,
) -> String {
    use crate::model::principal::Trust;
    match (trust, instance_profile_arn) {
        (_, Some(profile)) => format!("On EC2 the instance profile {profile} gives the application its credentials: the instance metadata service hands the AWS SDK temporary credentials for {role_arn} and renews them before they expire."),
        (Trust::Service { service }, None) if service.starts_with("ecs-tasks") => format!("On ECS set {role_arn} as the task role (taskRoleArn) of the task definition: the ECS agent hands the AWS SDK temporary credentials through the container credentials endpoint and renews them."),
        (Trust::Service { service }, None) if service.starts_with("lambda") => format!("Make {role_arn} the function's execution role: Lambda gives every execution environment temporary credentials for it in the environment variables the AWS SDK reads."),
        (Trust::Service { service }, None) => format!("{service} hands the application temporary credentials for {role_arn}."),
        (Trust::Principal { arn }, None) => format!("{arn} calls sts:AssumeRole on {role_arn} and gives the application the temporary credentials (for example an AWS profile with role_arn and source_profile)."),
        (Trust::PodIdentity { cluster, namespace, service_account, .. }, None) => format!("EKS Pod Identity gives pods of the service account {namespace}/{service_account} in {cluster} temporary credentials for {role_arn} through the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI). The Go, C and PHP drivers cannot read that endpoint yet: for them use eks:{cluster}:{namespace}/{service_account} (IRSA)."),
        (Trust::WebIdentity { issuer, subject, source }, None) => format!("{source} gives the workload an OIDC token from {issuer} for {subject}; with AWS_ROLE_ARN={role_arn} and AWS_WEB_IDENTITY_TOKEN_FILE pointing at the token, the AWS SDK (and the drivers that read these two variables) exchange it for temporary credentials with sts:AssumeRoleWithWebIdentity."),
    }
}

/// Seconds since the epoch at which the `credential_process` answer `text` expires, when it is one.
fn expiry_of(text: &str) -> Option<i64> {
    #[derive(Deserialize)]
    struct Cached<'a> {
        #[serde(rename = "Version")]
        version: u8,
        #[serde(rename = "Expiration", borrow)]
        expiration: &'a str,
        #[serde(rename = "SessionToken")]
        _token: serde::de::IgnoredAny,
    }
    let cached: Cached<'_> = serde_json::from_str(text).ok()?;
    if cached.version != 1 {
        return None;
    }
    DateTime::from_str(cached.expiration, Format::DateTime)
        .ok()
        .map(|t| t.secs())
}

/// The cached answer for `account` when it is still good for more than the refresh margin.
pub fn cached(vault: &dyn Vault, account: &str, now: i64) -> Option<Sensitive> {
    let item = vault.load(&cache_account(account)).ok()?;
    let expires = expiry_of(item.expose())?;
    (expires - now > REFRESH_MARGIN_SECONDS).then_some(item)
}

/// The `credential_process` answer with a session token, built in zeroizing memory.
pub fn answer(
    access_key_id: &str,
    secret: &Sensitive,
    session_token: &Sensitive,
    expiration: &str,
) -> Sensitive {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Output<'a> {
        version: u8,
        access_key_id: &'a str,
        #[serde(serialize_with = "expose")]
        secret_access_key: &'a Sensitive,
        #[serde(serialize_with = "expose")]
        session_token: &'a Sensitive,
        expiration: &'a str,
    }
    // Large enough up front that no reallocation leaves a copy in freed memory.
    let mut buffer = Zeroizing::new(Vec::with_capacity(4096));
    let output = Output {
        version: 1,
        access_key_id,
        secret_access_key: secret,
        session_token,
        expiration,
    };
    if serde_json::to_writer(&mut *buffer, &output).is_err() {
        buffer.clear();
    }
    Sensitive::new(String::from_utf8(std::mem::take(&mut *buffer)).unwrap_or_default())
}

fn expose<S: serde::Serializer>(value: &&Sensitive, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value.expose())
}

/// Cached session credentials for `account`, or fresh ones from STS (then cached). `asked` is the
/// caller's explicit duration: above the setup's cap it is refused, before any cached answer is
/// served, so the answer does not depend on what happens to be cached. Without one, the duration
/// is an hour, or the cap when that is shorter; a cache hit then costs one keychain read.
pub async fn serve(
    vault: &dyn Vault,
    account: &str,
    asked: Option<i32>,
) -> Result<Sensitive, ProvisionError> {
    let mut stored = None;
    if let Some(asked) = asked {
        let loaded = load_stored(vault, account)?;
        check_duration(&loaded, asked)?;
        stored = Some(loaded);
    }
    if let Some(hit) = cached(vault, account, crate::local::journal::now() as i64) {
        return Ok(hit);
    }
    let stored = match stored {
        Some(loaded) => loaded,
        None => load_stored(vault, account)?,
    };
    let cap = stored.terms().max_session_seconds;
    let duration = asked.unwrap_or(DEFAULT_DURATION_SECONDS.min(cap));
    check_duration(&stored, duration)?;
    let fresh = fetch(&stored, duration).await?;
    let label = format!(
        "MongoDB CSFLE session credentials for {} ({}), renewed from the stored key",
        stored.user_name, stored.account_id
    );
    // The cache only saves STS round trips: an application still gets its credentials when the
    // keychain refuses the write.
    let _ = vault.save(&cache_account(account), &label, &fresh);
    Ok(fresh)
}

fn load_stored(vault: &dyn Vault, account: &str) -> Result<LoadedCredentials, ProvisionError> {
    let item = vault.load(account)?;
    Ok(LoadedCredentials::parse(&item)?)
}

/// Refuses a duration above the cap recorded in the setup's keychain item.
fn check_duration(stored: &LoadedCredentials, asked: i32) -> Result<(), ProvisionError> {
    let max = stored.terms().max_session_seconds;
    if asked > max {
        return Err(ProvisionError::SessionTooLong {
            user: stored.user_name.clone(),
            asked,
            max,
        });
    }
    Ok(())
}

/// The stored key itself in the `credential_process` format, only for a setup provisioned with
/// `--allow-long-lived`. Otherwise nothing of the item leaves this function.
pub fn long_lived(vault: &dyn Vault, account: &str) -> Result<Sensitive, ProvisionError> {
    let stored = load_stored(vault, account)?;
    if !stored.terms().allow_long_lived {
        return Err(ProvisionError::LongLivedRefused {
            user: stored.user_name.clone(),
        });
    }
    Ok(crate::local::credentials::credential_process_output(
        &stored.access_key_id,
        &stored.secret_access_key,
    ))
}

/// sts:GetSessionToken signed with the stored key, in the stored item's region; the endpoint
/// follows the usual AWS settings (AWS_ENDPOINT_URL, the config file).
pub async fn fetch(
    stored: &LoadedCredentials,
    duration_seconds: i32,
) -> Result<Sensitive, ProvisionError> {
    let region = crate::validate::region(&stored.region)?;
    let credentials = Credentials::new(
        &stored.access_key_id,
        stored.secret_access_key.expose(),
        None,
        None,
        "csfle-provisioner-keychain",
    );
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .load()
        .await;
    let issued =
        crate::aws::sts::session_token(&aws_sdk_sts::Client::new(&config), duration_seconds)
            .await?;
    let expiration = issued
        .expiration
        .as_deref()
        .ok_or_else(|| ProvisionError::NotFound("sts:GetSessionToken gave no expiry".into()))?;
    Ok(answer(
        &issued.access_key_id,
        &issued.secret,
        &issued.session_token,
        expiration,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct MemoryVault(Mutex<HashMap<String, String>>);

    impl Vault for MemoryVault {
        fn store_name(&self) -> String {
            "memory".into()
        }
        fn save(&self, account: &str, _: &str, secret: &Sensitive) -> Result<(), KeychainError> {
            self.0
                .lock()
                .unwrap()
                .insert(account.into(), secret.expose().into());
            Ok(())
        }
        fn load(&self, account: &str) -> Result<Sensitive, KeychainError> {
            self.0
                .lock()
                .unwrap()
                .get(account)
                .map(|s| Sensitive::new(s.clone()))
                .ok_or(KeychainError::NotFound {
                    account: account.into(),
                })
        }
        fn remove(&self, account: &str) -> Result<(), KeychainError> {
            self.0.lock().unwrap().remove(account);
            Ok(())
        }
        fn check_reachable(&self) -> Result<(), KeychainError> {
            Ok(())
        }
    }

    fn expiring_at(secs: i64) -> Sensitive {
        let expiration = DateTime::from_secs(secs).fmt(Format::DateTime).unwrap();
        answer(
            "ASIAEXAMPLE",
            &Sensitive::new("s3cr3t".into()),
            &Sensitive::new("t0k3n/+=".into()),
            &expiration,
        )
    }

    #[test]
    fn the_answer_is_what_the_aws_sdks_read() {
        let text = expiring_at(1_800_000_000);
        let value: serde_json::Value = serde_json::from_str(text.expose()).unwrap();
        assert_eq!(value["Version"], 1);
        assert_eq!(value["AccessKeyId"], "ASIAEXAMPLE");
        assert_eq!(value["SecretAccessKey"], "s3cr3t");
        assert_eq!(value["SessionToken"], "t0k3n/+=");
        assert_eq!(value["Expiration"], "2027-01-15T08:00:00Z");
        assert_eq!(expiry_of(text.expose()), Some(1_800_000_000));
    }

    #[test]
    fn the_cache_serves_until_five_minutes_before_expiry() {
        let vault = MemoryVault::default();
        let account = "111122223333/app";
        let now = 1_800_000_000;
        assert!(cached(&vault, account, now).is_none(), "empty cache");
        vault
            .save(&cache_account(account), "", &expiring_at(now + 301))
            .unwrap();
        let hit = cached(&vault, account, now).expect("still good for 301 s");
        assert!(hit.expose().contains("ASIAEXAMPLE"));
        vault
            .save(&cache_account(account), "", &expiring_at(now + 300))
            .unwrap();
        assert!(cached(&vault, account, now).is_none(), "inside the margin");
        forget(&vault, account).unwrap();
        assert!(vault.load(&cache_account(account)).is_err());
    }

    #[test]
    fn a_long_lived_item_is_never_taken_for_a_cached_answer() {
        let vault = MemoryVault::default();
        let account = "111122223333/app";
        let long_lived = crate::local::credentials::credential_process_output(
            "AKIAEXAMPLE",
            &Sensitive::new("s3cr3t".into()),
        );
        vault
            .save(&cache_account(account), "", &long_lived)
            .unwrap();
        assert!(cached(&vault, account, 0).is_none());
    }

    fn stored_item(terms: crate::model::CredentialTerms) -> Sensitive {
        crate::local::credentials::StoredCredentials {
            access_key_id: "AKIASTORED",
            secret_access_key: &Sensitive::new("st0red-s3cret".into()),
            key_arn: "arn:aws:kms:us-east-1:111122223333:key/k",
            key_alias: None,
            region: "us-east-1",
            account_id: "111122223333",
            principal_arn: "arn:aws:iam::111122223333:user/app",
            principal_name: "app",
            policy_name: "csfle-kms-app",
            terms: terms.into(),
        }
        .seal()
    }

    #[test]
    fn the_long_lived_key_is_printed_only_when_the_setup_allows_it() {
        use crate::model::CredentialTerms;
        let vault = MemoryVault::default();
        let account = "111122223333/app";
        vault
            .save(account, "", &stored_item(CredentialTerms::default()))
            .unwrap();
        let error = long_lived(&vault, account).unwrap_err();
        assert_eq!(error.code(), "long-lived-not-allowed");
        assert!(!error.to_string().contains("st0red-s3cret"));
        assert!(!error.hint().contains("st0red-s3cret"));
        let allowed = CredentialTerms {
            allow_long_lived: true,
            ..CredentialTerms::default()
        };
        vault.save(account, "", &stored_item(allowed)).unwrap();
        assert!(long_lived(&vault, account)
            .unwrap()
            .expose()
            .contains("st0red-s3cret"));
    }

    #[tokio::test]
    async fn a_duration_above_the_cap_is_refused_even_when_an_answer_is_cached() {
        use crate::model::CredentialTerms;
        let vault = MemoryVault::default();
        let account = "111122223333/app";
        let terms = CredentialTerms {
            allow_long_lived: false,
            max_session_seconds: 1_800,
        };
        vault.save(account, "", &stored_item(terms)).unwrap();
        let now = crate::local::journal::now() as i64;
        vault
            .save(&cache_account(account), "", &expiring_at(now + 1_000))
            .unwrap();
        let error = serve(&vault, account, Some(1_801)).await.unwrap_err();
        assert_eq!(error.code(), "session-duration-above-cap");
        assert!(error.to_string().contains("1800"));
        // Within the cap, and without an explicit duration, the cached answer is served.
        let hit = serve(&vault, account, Some(1_800)).await.unwrap();
        assert!(hit.expose().contains("ASIAEXAMPLE"));
        assert!(serve(&vault, account, None).await.is_ok());
    }

    #[test]
    fn cache_accounts_are_told_apart() {
        assert_eq!(cache_account("1/app"), "1/app#session");
        assert!(is_cache_account("1/app#session"));
        assert!(!is_cache_account("1/app"));
        // IAM user names cannot contain '#', so no setup's account ends like a cache item.
        assert!(crate::validate::user_name("app#session").is_err());
    }
}
