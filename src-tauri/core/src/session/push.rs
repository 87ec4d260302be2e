//! Pushing a user setup's credentials into the organisation's secret store, never shown: a
//! Vault/OpenBao KV v2 path, or a Secrets Manager secret. The plan says where the copy goes and
//! what is written (the resource policy exactly) before anything is; every copy is recorded.

use super::{report, Session};
use crate::error::push::PushError;
use crate::error::{ErrorReport, ProvisionError};
use crate::lifecycle::push::{self, SecretRequest};
use crate::local::credential_profile::resolve_account;
use crate::local::credentials::LoadedCredentials;
use crate::local::deliveries::{self, Delivery, DeliveryKind};
use crate::local::keychain;
use crate::store::login::VaultLogin;
use crate::store::vault::{self, Vault};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A copy written, or (dry run) the plan for it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Pushed {
    pub user: String,
    pub kind: DeliveryKind,
    /// Where the copy goes: its Vault URL, or its name or ARN in Secrets Manager.
    pub location: String,
    /// The access key the copy holds (its id, which is public).
    pub access_key_id: String,
    /// What is (or would be) done, in order.
    pub steps: Vec<String>,
    /// Secrets Manager: the resource policy, exactly as it is written.
    #[ts(type = "unknown")]
    pub resource_policy: Option<serde_json::Value>,
    #[ts(type = "number | null")]
    pub vault_version: Option<u64>,
    pub kms_key: Option<String>,
    pub dry_run: bool,
}

/// The window's "Copy to a secret store": where the copy goes.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "store", rename_all = "kebab-case")]
pub enum CopyTarget {
    /// HashiCorp Vault or OpenBao: the server's address and MOUNT/PATH of a KV version 2 secret.
    Vault { url: String, path: String },
    /// AWS Secrets Manager, in the connected account: the secret's name and who may read it.
    SecretsManager { name: String, readers: Vec<String> },
}

/// What the admin asked for a push: which setup, and whether only to plan.
#[derive(Debug, Clone)]
pub struct PushSetup {
    pub user: String,
    pub account_id: Option<String>,
    pub dry_run: bool,
}

impl Session {
    /// The setup's keychain item, parsed: the one thing every copy is made from. Read off the
    /// async threads: the keychain answers synchronously, and the window's runtime serves others.
    async fn setup_item(&self, setup: &PushSetup) -> Result<LoadedCredentials, ErrorReport> {
        crate::validate::user_name(&setup.user).map_err(report)?;
        // With the account given (the window), this reads nothing; the CLI's lookup may.
        let account = resolve_account(
            self.vault.as_ref(),
            &setup.user,
            setup.account_id.as_deref(),
        )
        .map_err(report)?;
        let read = account.clone();
        let item = keychain::off_thread(&self.vault, move |vault| vault.load(&read))
            .await
            .map_err(report)?;
        let mut creds = LoadedCredentials::parse(&item).map_err(report)?;
        if creds.user_name.is_empty() {
            creds.user_name = setup.user.clone();
        }
        if creds.account_id.is_empty() {
            creds.account_id = account.split('/').next().unwrap_or_default().to_string();
        }
        Ok(creds)
    }

    /// `deliver --vault URL --vault-path MOUNT/PATH`: with no `login` (the CLI) the token comes
    /// from the environment (`VAULT_TOKEN`, or AppRole's `VAULT_ROLE_ID` + `VAULT_SECRET_ID`).
    pub async fn deliver_to_vault(
        &self,
        setup: PushSetup,
        url: String,
        vault_path: String,
        login: Option<&VaultLogin>,
    ) -> Result<Pushed, ErrorReport> {
        let target = vault::target(&url, &vault_path).map_err(report)?;
        let creds = self.setup_item(&setup).await?;
        let steps = vec![
            format!("read the metadata of {}/metadata/{} (a path holding a secret this app did not write for this setup is refused)", target.mount, target.path),
            format!("write a new version of {} with check-and-set (0 for a new path, else the current version): AccessKeyId, SecretAccessKey, KeyArn, Region, AccountId, UserArn, UserName, WrittenBy", target.display()),
            "set its custom metadata: created-by=csfle-provisioner, the setup, the access key id".to_string(),
            "record the copy on this computer (names only)".to_string(),
        ];
        let mut pushed = Pushed {
            user: creds.user_name.clone(),
            kind: DeliveryKind::Vault,
            location: target.display(),
            access_key_id: creds.access_key_id.clone(),
            steps,
            resource_policy: None,
            vault_version: None,
            kms_key: None,
            dry_run: setup.dry_run,
        };
        if setup.dry_run {
            return Ok(pushed);
        }
        let credential = match login {
            Some(login) => login.credential(),
            None => vault::credential_from_env(),
        }
        .map_err(report)?;
        let store = Vault::sign_in(target.clone(), credential)
            .await
            .map_err(report)?;
        let recorded = deliveries::of_setup(&creds.account_id, &creds.user_name)
            .into_iter()
            .find(|d| d.kind == DeliveryKind::Vault && d.location == target.display())
            .and_then(|d| d.vault_version);
        let version = push::write_vault(&store, &creds, recorded)
            .await
            .map_err(report)?;
        deliveries::record(push::vault_record(&target, &creds, version))
            .map_err(|e| report(PushError::Unrecorded(e)))?;
        pushed.vault_version = Some(version);
        Ok(pushed)
    }

    /// `deliver --secrets-manager NAME --reader ARN…`, through the connected AWS session.
    pub async fn deliver_to_secrets_manager(
        &self,
        setup: PushSetup,
        request: SecretRequest,
    ) -> Result<Pushed, ErrorReport> {
        crate::aws::secrets_manager::check_name(&request.name).map_err(report)?;
        if request.readers.is_empty() {
            return Err(report(PushError::Reader(
                "name at least one reader: the role or user the application runs as (--reader ROLE_OR_USER_ARN in the CLI)".into(),
            )));
        }
        for reader in &request.readers {
            crate::aws::secrets_manager::check_reader(reader).map_err(report)?;
        }
        let creds = self.setup_item(&setup).await?;
        let policy = crate::aws::secrets_manager::resource_policy(&request.readers);
        let key = match &request.kms_key {
            Some(key) => format!("the customer-managed KMS key {key}"),
            None => "a new KMS key tagged created-by=csfle-provisioner (kms:CreateKey, default key policy; the readers also need kms:Decrypt on it)".into(),
        };
        let steps = vec![
            format!("look for the secret {} (one this app did not make for this setup is refused)", request.name),
            format!("create it, encrypted with {key}, tagged created-by=csfle-provisioner and csfle-provisioner:setup; or, if it is this app's, put a new AWSCURRENT version"),
            "put its resource policy (below): only the readers may call secretsmanager:GetSecretValue".into(),
            "record the copy on this computer (names only)".into(),
        ];
        let mut pushed = Pushed {
            user: creds.user_name.clone(),
            kind: DeliveryKind::SecretsManager,
            location: request.name.clone(),
            access_key_id: creds.access_key_id.clone(),
            steps,
            resource_policy: Some(policy),
            vault_version: None,
            kms_key: request.kms_key.clone(),
            dry_run: setup.dry_run,
        };
        if setup.dry_run {
            return Ok(pushed);
        }
        let connection = self.connection().await?;
        if connection.account_id() != creds.account_id {
            return Err(report(ProvisionError::Delivery(format!(
                "the setup is in account {}, but this session acts in {}: connect to the setup's account",
                creds.account_id,
                connection.account_id()
            ))));
        }
        let delivery = push::write_secret(&connection, &creds, &request)
            .await
            .map_err(report)?;
        pushed.location = delivery.location.clone();
        pushed.kms_key = delivery.kms_key.clone();
        deliveries::record(delivery).map_err(|e| report(PushError::Unrecorded(e)))?;
        Ok(pushed)
    }

    /// The window's "Copy to a secret store", for `user`'s setup in the connected account: the
    /// plan (`dry_run`, no login needed), or the copy written. A Vault copy signs in only with
    /// the `login` the admin typed; the window never falls back to this process's environment.
    pub async fn copy_from_window(
        &self,
        user: String,
        target: CopyTarget,
        login: Option<VaultLogin>,
        dry_run: bool,
    ) -> Result<Pushed, ErrorReport> {
        let account_id = Some(self.connection().await?.account_id().to_string());
        let setup = PushSetup {
            user,
            account_id,
            dry_run,
        };
        match target {
            CopyTarget::Vault { url, path } => {
                let login = match (login, dry_run) {
                    (Some(login), _) => Some(login),
                    (None, true) => None,
                    (None, false) => return Err(report(PushError::NoLogin)),
                };
                let login = login.as_ref();
                // Refused before the keychain is read: an empty field is not a sign-in.
                if let (Some(login), false) = (login, dry_run) {
                    login.credential().map_err(report)?;
                }
                self.deliver_to_vault(setup, url, path, login).await
            }
            CopyTarget::SecretsManager { name, readers } => {
                let request = SecretRequest {
                    name: name.trim().to_string(),
                    readers: readers
                        .iter()
                        .map(|r| r.trim().to_string())
                        .filter(|r| !r.is_empty())
                        .collect(),
                    kms_key: None,
                };
                self.deliver_to_secrets_manager(setup, request).await
            }
        }
    }

    /// Every recorded copy of every setup (names only), for `list` and the setups view.
    pub fn deliveries(&self) -> Vec<Delivery> {
        deliveries::load().deliveries
    }
}
