//! The admin's connection: credentials from the default chain or a named profile, a region, and
//! whatever endpoint override the environment sets (`AWS_ENDPOINT_URL`), checked with STS.

use crate::error::aws::AwsFailure;
use crate::error::ProvisionError;
use crate::model::Identity;
use crate::validate;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use serde::Deserialize;
use ts_rs::TS;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
pub struct ConnectOptions {
    /// A profile of the shared config files; `None` uses the default credential chain.
    #[serde(default)]
    pub profile: Option<String>,
    /// `None` takes the region from the profile or the environment.
    #[serde(default)]
    pub region: Option<String>,
}

/// A checked connection: the SDK configuration every later call uses, and who it acts as.
#[derive(Debug, Clone)]
pub struct Connection {
    pub config: SdkConfig,
    pub identity: Identity,
    /// A second, checked connection into the account that holds the master key, when that is
    /// another account than this one's (`--key-profile`): its key policy is written with it.
    pub key_account: Option<Box<Connection>>,
}

impl Connection {
    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.config)
    }

    pub fn kms(&self) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.config)
    }

    /// The same connection with the SDK's own retries off, for reads that go through one shared
    /// [`crate::aws::backoff::Backoff`] instead (the setups view).
    pub fn for_reads(&self) -> Connection {
        let config = self
            .config
            .to_builder()
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
            .build();
        Connection {
            config,
            identity: self.identity.clone(),
            key_account: self.key_account.as_ref().map(|k| Box::new(k.for_reads())),
        }
    }

    /// This connection with `key_account` as the key's account (or none).
    pub fn with_key_account(mut self, key_account: Option<Connection>) -> Connection {
        self.key_account = key_account.map(|mut k| {
            k.key_account = None;
            Box::new(k)
        });
        self
    }

    /// The connection that acts in the account of `key_arn`: the key account's when the ARN
    /// names another account than this one and that account is connected.
    pub fn for_key_account(&self, key_arn: &str) -> Option<&Connection> {
        match key_account_of(key_arn) {
            Some(account) if account != self.account_id() => self
                .key_account
                .as_deref()
                .filter(|k| k.account_id() == account),
            _ => Some(self),
        }
    }

    pub fn region(&self) -> &str {
        &self.identity.region
    }

    pub fn account_id(&self) -> &str {
        &self.identity.account_id
    }

    /// The caller's own partition (aws, aws-cn, aws-us-gov) as its ARN names it; the region's
    /// partition only when the ARN is unusual.
    pub fn partition(&self) -> &str {
        match self.identity.arn.split(':').nth(1) {
            Some(partition) if partition.starts_with("aws") => partition,
            _ => crate::validate::regions::partition_of(self.region()).unwrap_or("aws"),
        }
    }

    /// A KMS client for the region the key lives in (read from its ARN), so a setup whose key is
    /// in another region than the session is checked, verified and rotated against the right one.
    pub fn kms_for_key(&self, key: &str) -> aws_sdk_kms::Client {
        match key_region(key) {
            Some(region) if region != self.region() => {
                let config = aws_sdk_kms::config::Builder::from(&self.config)
                    .region(Region::new(region.to_string()))
                    .build();
                aws_sdk_kms::Client::from_conf(config)
            }
            _ => self.kms(),
        }
    }

    /// The SDK configuration for work done in the key's region (verification with new credentials).
    pub fn config_for_key(&self, key: &str) -> SdkConfig {
        match key_region(key) {
            Some(region) if region != self.region() => self
                .config
                .to_builder()
                .region(Region::new(region.to_string()))
                .build(),
            _ => self.config.clone(),
        }
    }
}

/// The region of a key ARN (`arn:<partition>:kms:<region>:<account>:key/<id>`); `None` for a bare
/// id or an alias name, which live in the session's region.
pub fn key_region(key: &str) -> Option<&str> {
    let mut parts = key.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(_), Some("kms"), Some(region)) if !region.is_empty() => Some(region),
        _ => None,
    }
}

/// The account of a key ARN; `None` for a bare id or an alias name (the caller's own account).
pub fn key_account_of(key: &str) -> Option<&str> {
    let mut parts = key.split(':');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some("arn"), Some(_), Some("kms"), Some(_), Some(account)) if !account.is_empty() => {
            Some(account)
        }
        _ => None,
    }
}

/// Loads the SDK configuration for `options` without calling AWS.
pub async fn load_config(options: &ConnectOptions) -> Result<SdkConfig, ProvisionError> {
    let profile = non_empty(&options.profile);
    let region = non_empty(&options.region);
    if let Some(profile) = profile {
        validate::profile(profile)?;
    }
    if let Some(region) = region {
        validate::region(region)?;
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = profile {
        // A profile the admin named is the identity they chose: its own credentials, as the AWS
        // CLI does with --profile. The default chain would let keys in the environment win.
        let named = aws_config::profile::ProfileFileCredentialsProvider::builder()
            .profile_name(profile)
            .build();
        loader = loader.profile_name(profile).credentials_provider(named);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    Ok(loader.load().await)
}

/// Loads the configuration and asks STS who it is, before anything else may happen.
pub async fn connect(options: &ConnectOptions) -> Result<Connection, ProvisionError> {
    establish(load_config(options).await?).await
}

/// The region a loaded configuration will act in, checked.
pub fn region_of(config: &SdkConfig) -> Result<String, ProvisionError> {
    let region = config.region().map(|r| r.as_ref()).unwrap_or_default();
    Ok(validate::region(region)?)
}

/// Checks a loaded configuration with STS.
pub async fn establish(config: SdkConfig) -> Result<Connection, ProvisionError> {
    let region = region_of(&config)?;
    if config.credentials_provider().is_none() {
        return Err(ProvisionError::NoCredentials(
            "no credential source is configured".into(),
        ));
    }
    let identity = whoami(&config, &region).await?;
    Ok(Connection {
        config,
        identity,
        key_account: None,
    })
}

/// The account's alias, or None: many identities may not call iam:ListAccountAliases, and the
/// account id alone identifies the account, so a refusal is no error.
pub async fn account_alias(config: &SdkConfig) -> Option<String> {
    let reply = aws_sdk_iam::Client::new(config)
        .list_account_aliases()
        .send()
        .await
        .ok()?;
    reply.account_aliases().first().cloned()
}

/// sts:GetCallerIdentity needs no permission, so it tells "wrong credentials" from "not allowed".
pub async fn whoami(config: &SdkConfig, region: &str) -> Result<Identity, ProvisionError> {
    let sts = aws_sdk_sts::Client::new(config);
    let reply =
        sts.get_caller_identity().send().await.map_err(|error| {
            match credentials_problem(&error) {
                Some(problem) => ProvisionError::NoCredentials(problem),
                None => ProvisionError::Aws(AwsFailure::from_sdk("sts:GetCallerIdentity", &error)),
            }
        })?;
    Ok(Identity {
        account_id: reply.account().unwrap_or_default().to_string(),
        account_alias: None,
        arn: reply.arn().unwrap_or_default().to_string(),
        region: region.to_string(),
        endpoint_override: config.endpoint_url().map(str::to_string),
    })
}

/// When the SDK failed because no credentials could be loaded, what the credential chain said
/// (for example "no providers in chain provided credentials").
pub fn credentials_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current
            .downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
            .is_some()
        {
            let mut innermost = current;
            while let Some(next) = innermost.source() {
                innermost = next;
            }
            return Some(innermost.to_string());
        }
        cause = current.source();
    }
    None
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod key_region_tests {
    #[test]
    fn regions_come_from_key_arns_only() {
        assert_eq!(
            super::key_region("arn:aws:kms:eu-west-1:111122223333:key/abc"),
            Some("eu-west-1")
        );
        assert_eq!(
            super::key_region("arn:aws-cn:kms:cn-north-1:111122223333:alias/x"),
            Some("cn-north-1")
        );
        assert_eq!(super::key_region("1234abcd-12ab"), None);
        assert_eq!(super::key_region("alias/app"), None);
    }
}
