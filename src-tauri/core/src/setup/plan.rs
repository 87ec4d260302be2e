//! Planning: validate every input, read AWS to find conflicts and unsuitable keys, and list every
//! action that applying will take. Planning changes nothing.

use crate::aws::connect::Connection;
use crate::aws::iam::{self, IamName};
use crate::aws::kms;
use crate::aws::policy;
use crate::error::ProvisionError;
use crate::local::keychain::{self, Vault};
use crate::model::{
    CredentialTerms, KeyChoice, KeychainRef, Plan, PlanStep, PlannedKey, SetupRequest, StepId,
};
use crate::validate::{self, KeyRef};
use aws_sdk_kms::types::{KeyManagerType, KeySpec, KeyState, KeyUsageType};
use std::sync::Arc;

/// A request whose every field passed AWS's naming rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRequest {
    pub key: ValidKey,
    pub user_name: String,
    pub policy_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidKey {
    New { alias: String, description: String },
    Existing(KeyRef),
}

/// Checks the request against AWS's rules; `region` is the connection's, for key ARNs.
pub fn validate_request(
    request: &SetupRequest,
    region: &str,
) -> Result<ValidRequest, validate::InputError> {
    let key = match &request.key {
        KeyChoice::New { alias, description } => ValidKey::New {
            alias: validate::alias(alias.trim())?,
            description: validate::description(description)?,
        },
        KeyChoice::Existing { key } => ValidKey::Existing(validate::existing_key(key, region)?),
    };
    let user_name = validate::user_name(request.user_name.trim())?;
    let policy_name = match request.policy_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => validate::policy_name(name)?,
        _ => validate::policy_name(&validate::default_policy_name(&user_name))?,
    };
    Ok(ValidRequest {
        key,
        user_name,
        policy_name,
    })
}

/// What `credential-process` may hand out for the requested setup, checked.
pub fn credential_terms(request: &SetupRequest) -> Result<CredentialTerms, validate::InputError> {
    let max_session_seconds = match request.max_session_seconds {
        Some(seconds) => validate::max_session_seconds(seconds)?,
        None => CredentialTerms::DEFAULT_MAX_SESSION_SECONDS,
    };
    Ok(CredentialTerms {
        allow_long_lived: request.allow_long_lived,
        max_session_seconds,
    })
}

/// Reads AWS and produces the plan. Fails on an existing user or alias (nothing is silently
/// reused) and on a key that cannot serve CSFLE.
pub async fn plan(
    connection: &Connection,
    request: &SetupRequest,
    vault: &Arc<dyn Vault>,
) -> Result<Plan, ProvisionError> {
    let valid = validate_request(request, connection.region())?;
    let credential_terms = credential_terms(request)?;
    let keychain_check = keychain::off_thread(vault, |vault| vault.check_reachable());
    let (user_check, key_check, keychain_check) = tokio::join!(
        ensure_user_is_new(connection, &valid.user_name),
        check_key(connection, &valid.key),
        keychain_check
    );
    keychain_check?;
    user_check?;
    let planned_key = key_check?;
    let findings = crate::setup::plan::predicted(
        connection,
        crate::model::principal::PrincipalKind::User,
        &planned_key,
    )
    .await;
    let key_grant = match &planned_key {
        PlannedKey::Existing { arn, .. } => {
            crate::setup::cross_account::plan_grant(
                connection,
                crate::model::principal::PrincipalKind::User,
                &valid.user_name,
                arn,
            )
            .await?
        }
        PlannedKey::New { .. } => None,
    };
    let mut plan = build_plan(connection, valid, planned_key, &vault.store_name());
    if let Some(grant) = &key_grant {
        // With the user and its policy, before the keychain and the proof.
        let at = plan
            .steps
            .iter()
            .position(|s| s.id == StepId::StoreInKeychain)
            .unwrap_or(plan.steps.len());
        plan.steps
            .insert(at, crate::setup::cross_account::grant_step(grant));
    }
    Ok(Plan {
        findings,
        credential_terms,
        key_grant,
        ..plan
    })
}

pub async fn ensure_user_is_new(
    connection: &Connection,
    user_name: &str,
) -> Result<(), ProvisionError> {
    match iam::name_taken(&connection.iam(), IamName::User(user_name)).await? {
        true => Err(ProvisionError::UserExists(user_name.to_string())),
        false => Ok(()),
    }
}

pub(crate) async fn check_key(
    connection: &Connection,
    key: &ValidKey,
) -> Result<PlannedKey, ProvisionError> {
    match key {
        ValidKey::New { alias, description } => {
            crate::setup::cross_account::no_key_account_for_a_new_key(connection)?;
            ensure_alias_is_free(connection, alias).await?;
            Ok(PlannedKey::New {
                alias: alias.clone(),
                description: description.clone(),
            })
        }
        ValidKey::Existing(key_ref) => {
            let key_side = crate::setup::cross_account::key_side(connection, key_ref)?;
            let arn = suitable_key_arn(key_side, key_ref).await?;
            // A key of another account is used through its own statement naming the principal,
            // not through the IAM policies of the key's account.
            if std::ptr::eq(key_side, connection) {
                crate::aws::key_policy::check(connection, &arn).await?;
            }
            let alias = match key_ref {
                KeyRef::Alias(alias) => Some(alias.clone()),
                _ => None,
            };
            Ok(PlannedKey::Existing { arn, alias })
        }
    }
}

pub async fn ensure_alias_is_free(
    connection: &Connection,
    alias: &str,
) -> Result<(), ProvisionError> {
    match kms::describe_key(&connection.kms(), alias).await? {
        Some(_) => Err(ProvisionError::AliasExists(alias.to_string())),
        None => Ok(()),
    }
}

/// The key's ARN when the key can protect CSFLE data keys, or why not.
pub async fn suitable_key_arn(
    connection: &Connection,
    key_ref: &KeyRef,
) -> Result<String, ProvisionError> {
    let shown = key_ref.as_kms_key_id();
    let metadata = kms::describe_key(&connection.kms(), &shown).await?;
    let Some(metadata) = metadata.as_ref() else {
        return Err(ProvisionError::KeyNotFound {
            key: shown,
            region: connection.region().to_string(),
        });
    };
    let arn = metadata.arn().unwrap_or_default().to_string();
    if let Some(reason) = unsuitability(
        metadata.key_state(),
        metadata.key_spec(),
        metadata.key_usage(),
        metadata.key_manager(),
    ) {
        return Err(ProvisionError::UnsuitableKey { key: shown, reason });
    }
    let in_region = format!(":kms:{}:", connection.region());
    if !arn.contains(&in_region) {
        return Err(ProvisionError::UnsuitableKey {
            key: shown,
            reason: format!("it is not in {}", connection.region()),
        });
    }
    Ok(arn)
}

/// Why a key cannot serve as a CSFLE master key, in the admin's words; `None` when it can.
pub fn unsuitability(
    state: Option<&KeyState>,
    spec: Option<&KeySpec>,
    usage: Option<&KeyUsageType>,
    manager: Option<&KeyManagerType>,
) -> Option<String> {
    match state {
        Some(KeyState::Enabled) => {}
        Some(KeyState::Disabled) => return Some("it is disabled".into()),
        Some(KeyState::PendingDeletion) => return Some("it is scheduled for deletion".into()),
        Some(KeyState::PendingImport) => {
            return Some("its key material has not been imported".into())
        }
        Some(other) => return Some(format!("its state is {}", other.as_str())),
        None => return Some("KMS did not report its state".into()),
    }
    if spec != Some(&KeySpec::SymmetricDefault) {
        let name = spec.map(|s| s.as_str()).unwrap_or("unknown");
        return Some(format!(
            "it is a {name} key; CSFLE needs a symmetric (SYMMETRIC_DEFAULT) key"
        ));
    }
    if usage != Some(&KeyUsageType::EncryptDecrypt) {
        return Some("it is not an encryption key (its usage is not ENCRYPT_DECRYPT)".into());
    }
    if manager == Some(&KeyManagerType::Aws) {
        return Some("AWS manages it, so its policy cannot grant your application access".into());
    }
    None
}

/// The plan lines for a new key (none for an existing one): shared by user and role setups.
pub(crate) fn key_steps(key: &PlannedKey, region: &str) -> Vec<PlanStep> {
    let PlannedKey::New { alias, .. } = key else {
        return vec![];
    };
    vec![
        PlanStep {
            id: StepId::CreateKey,
            action: "kms:CreateKey".into(),
            target: format!("new key in {region}"),
            summary:
                "Create a symmetric encryption key (SYMMETRIC_DEFAULT), tagged as made by this app."
                    .into(),
        },
        PlanStep {
            id: StepId::EnableKeyRotation,
            action: "kms:EnableKeyRotation".into(),
            target: "the new key".into(),
            summary: "Turn on automatic yearly rotation of the key material (Security Hub KMS.4). MongoDB notices nothing: KMS keeps the older material to decrypt existing data keys.".into(),
        },
        PlanStep {
            id: StepId::CreateAlias,
            action: "kms:CreateAlias".into(),
            target: alias.clone(),
            summary: format!("Give the key the name {alias}."),
        },
    ]
}

pub(crate) fn build_plan(
    connection: &Connection,
    valid: ValidRequest,
    key: PlannedKey,
    store_name: &str,
) -> Plan {
    let region = connection.region().to_string();
    let user = valid.user_name.clone();
    let key_arn = match &key {
        PlannedKey::Existing { arn, .. } => arn.clone(),
        PlannedKey::New { .. } => {
            policy::placeholder_key_arn(connection.partition(), &region, connection.account_id())
        }
    };
    let step = |id, action: &str, target: String, summary: String| PlanStep {
        id,
        action: action.to_string(),
        target,
        summary,
    };
    let mut steps = key_steps(&key, &region);
    steps.push(step(
        StepId::CreateUser,
        "iam:CreateUser",
        user.clone(),
        format!("Create the IAM user {user} as your application's service account. It gets no console password."),
    ));
    steps.push(step(
        StepId::PutUserPolicy,
        "iam:PutUserPolicy",
        format!("{user} / {}", valid.policy_name),
        format!("Allow {user} to use the key for kms:Encrypt and kms:Decrypt only, on this key only (policy below)."),
    ));
    steps.push(step(
        StepId::CreateAccessKey,
        "iam:CreateAccessKey",
        user.clone(),
        "Create the user's access key. Its secret is never shown: it goes straight into the keychain.".into(),
    ));
    let account = keychain::account_for(connection.account_id(), &user);
    steps.push(step(
        StepId::StoreInKeychain,
        "Save to keychain",
        format!("{store_name}: {} / {account}", keychain::SERVICE),
        format!("Store the access key in your {store_name} as one item. If that fails, the new access key is deleted."),
    ));
    steps.push(step(
        StepId::Verify,
        "sts:GetCallerIdentity, kms:Encrypt, kms:Decrypt",
        key_arn.clone(),
        "Prove it works: sign in with the new access key and encrypt and decrypt a random test value with the key.".into(),
    ));
    Plan {
        identity: connection.identity.clone(),
        key,
        user_name: user,
        policy_name: valid.policy_name,
        policy_document: policy::kms_policy_document(&key_arn),
        steps,
        keychain: KeychainRef {
            service: keychain::SERVICE.to_string(),
            account,
            store: store_name.to_string(),
            note: keychain::storage_note().to_string(),
        },
        // A resumed run (rebuilt from the journal) gets the safe default: session credentials only.
        credential_terms: CredentialTerms::default(),
        findings: vec![],
        key_grant: None,
    }
}

/// The findings a setup will have the moment it exists, for the review screen. An existing key's
/// rotation status is read from AWS; a new key gets rotation turned on by the setup itself.
pub async fn predicted(
    connection: &Connection,
    kind: crate::model::principal::PrincipalKind,
    key: &PlannedKey,
) -> Vec<crate::model::findings::Finding> {
    let rotation = match key {
        PlannedKey::New { .. } => Ok(true),
        PlannedKey::Existing { arn, .. } => {
            let key_side = connection.for_key_account(arn).unwrap_or(connection);
            crate::aws::kms::rotation_status(key_side, arn).await
        }
    };
    let new_key = matches!(key, PlannedKey::New { .. });
    crate::model::findings::predict(kind, new_key, rotation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: KeyChoice, user: &str, policy: Option<&str>) -> SetupRequest {
        SetupRequest {
            key,
            user_name: user.into(),
            policy_name: policy.map(str::to_string),
            allow_long_lived: false,
            max_session_seconds: None,
            key_profile: None,
        }
    }

    #[test]
    fn credential_terms_default_to_session_only_for_an_hour_and_are_checked() {
        let new_key = KeyChoice::New {
            alias: "alias/app".into(),
            description: String::new(),
        };
        let plain = credential_terms(&request(new_key.clone(), "app", None)).unwrap();
        assert_eq!(plain, CredentialTerms::default());
        assert!(!plain.allow_long_lived);
        assert_eq!(plain.max_session_seconds, 3_600);
        let mut asked = request(new_key, "app", None);
        asked.allow_long_lived = true;
        asked.max_session_seconds = Some(43_200);
        let terms = credential_terms(&asked).unwrap();
        assert!(terms.allow_long_lived);
        assert_eq!(terms.max_session_seconds, 43_200);
        for bad in [899, 43_201, 129_600, -1] {
            asked.max_session_seconds = Some(bad);
            let error = credential_terms(&asked).unwrap_err();
            assert_eq!(error.field, validate::Field::MaxSessionSeconds);
        }
    }

    #[test]
    fn policy_name_defaults_from_the_user() {
        let new_key = KeyChoice::New {
            alias: "alias/app".into(),
            description: String::new(),
        };
        let valid = validate_request(&request(new_key.clone(), "app", None), "us-east-1").unwrap();
        assert_eq!(valid.policy_name, "csfle-kms-app");
        let blank =
            validate_request(&request(new_key.clone(), "app", Some("  ")), "us-east-1").unwrap();
        assert_eq!(blank.policy_name, "csfle-kms-app");
        let bad =
            validate_request(&request(new_key, "app", Some("no spaces")), "us-east-1").unwrap_err();
        assert_eq!(bad.field, validate::Field::PolicyName);
    }

    #[test]
    fn unsuitable_keys_say_why() {
        let ok = unsuitability(
            Some(&KeyState::Enabled),
            Some(&KeySpec::SymmetricDefault),
            Some(&KeyUsageType::EncryptDecrypt),
            Some(&KeyManagerType::Customer),
        );
        assert_eq!(ok, None);
        let disabled = unsuitability(
            Some(&KeyState::Disabled),
            Some(&KeySpec::SymmetricDefault),
            Some(&KeyUsageType::EncryptDecrypt),
            None,
        );
        assert_eq!(disabled.as_deref(), Some("it is disabled"));
        let rsa = unsuitability(
            Some(&KeyState::Enabled),
            Some(&KeySpec::Rsa2048),
            Some(&KeyUsageType::EncryptDecrypt),
            None,
        )
        .unwrap();
        assert!(rsa.contains("RSA_2048"), "{rsa}");
        let managed = unsuitability(
            Some(&KeyState::Enabled),
            Some(&KeySpec::SymmetricDefault),
            Some(&KeyUsageType::EncryptDecrypt),
            Some(&KeyManagerType::Aws),
        )
        .unwrap();
        assert!(managed.contains("AWS manages"));
    }
}
