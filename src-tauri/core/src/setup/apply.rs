//! Applying a plan: create, store, prove; and on any failure, undo everything this run made.

use crate::aws::aws_error::AwsFailure;
use crate::aws::careful::{self, Found};
use crate::aws::connect::Connection;
use crate::cancel::Cancel;
use crate::error::{ProvisionError, RollbackReport};
use crate::local::journal::{self, Journal, PrincipalKind, Run, RunState};
use crate::local::keychain::{self, Vault};
use crate::model::{Outcome, Plan, PlannedKey, Progress, ProgressSink, StepId};
use crate::secret::Sensitive;
use crate::setup::rollback::{Created, Ledger};
use crate::setup::verify::{self, Probe};
use crate::{aws::policy, aws::tags, local::credentials};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The bound on waiting for IAM to make the new key usable.
    pub verify_limit: Duration,
    /// Where runs are recorded for crash recovery and the setups view; `None` records nothing.
    pub journal: Option<Arc<Journal>>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            verify_limit: verify::DEFAULT_LIMIT,
            journal: None,
        }
    }
}

/// What an interrupted run already made, so resuming does not make it twice.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    pub run_id: Option<String>,
    pub key: Option<(String, String)>,
    pub alias: bool,
    pub user_arn: Option<String>,
    pub created: Vec<Created>,
}

/// A failed run: why, and what rollback did about it.
#[derive(Debug)]
pub struct ApplyFailure {
    pub error: ProvisionError,
    pub rollback: RollbackReport,
}

/// Runs `plan`. On success everything exists and works; on failure nothing this run created is
/// left, except what the returned report lists as left behind.
pub async fn apply(
    connection: &Connection,
    plan: &Plan,
    vault: Arc<dyn Vault>,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
    options: &ApplyOptions,
) -> Result<Outcome, ApplyFailure> {
    apply_resuming(
        connection,
        plan,
        vault,
        sink,
        cancel,
        options,
        Existing::default(),
    )
    .await
}

/// Like [`apply`], starting from what an interrupted run left (see [`crate::lifecycle::recovery`]).
pub async fn apply_resuming(
    connection: &Connection,
    plan: &Plan,
    vault: Arc<dyn Vault>,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
    options: &ApplyOptions,
    existing: Existing,
) -> Result<Outcome, ApplyFailure> {
    let run_id = existing
        .run_id
        .clone()
        .unwrap_or_else(|| format!("{}-{}", journal::now(), plan.user_name));
    // Held until this function returns: recovery elsewhere must not touch a run in progress.
    let _live = match &options.journal {
        Some(journal) => match journal.hold_run(&run_id) {
            Ok(lock) => Some(lock),
            Err(error) => {
                return Err(ApplyFailure {
                    error: ProvisionError::Journal(error.to_string()),
                    rollback: RollbackReport::default(),
                })
            }
        },
        None => None,
    };
    let mut ledger = match &options.journal {
        Some(journal) => {
            if existing.run_id.is_none() {
                if let Err(error) = journal.start(new_run(&run_id, connection, plan)) {
                    return Err(ApplyFailure {
                        error: ProvisionError::Journal(error.to_string()),
                        rollback: RollbackReport::default(),
                    });
                }
            }
            Ledger::journaled(Arc::clone(journal), &run_id)
        }
        None => Ledger::default(),
    }
    .with_items(existing.created.clone());
    let job = Job {
        connection,
        plan,
        vault: &vault,
        sink,
        cancel,
        options,
        run_id: &run_id,
        existing: &existing,
    };
    let result = run(&job, &mut ledger).await;
    match result {
        Ok(mut outcome) => {
            if let Some(trouble) = ledger.journal_trouble() {
                outcome.warnings.push(journal_warning(trouble));
            }
            if let Some(journal) = &options.journal {
                let completed = journal.update(|runs| {
                    if let Some(run) = runs.iter_mut().find(|r| r.id == run_id) {
                        run.key_arn = Some(outcome.key_arn.clone());
                        run.key_alias = outcome.key_alias.clone();
                        run.keychain_account = Some(outcome.keychain.account.clone());
                        run.state = RunState::Complete;
                    }
                });
                if let Err(error) = completed {
                    outcome.warnings.push(journal_warning(&error.to_string()));
                }
            }
            Ok(outcome)
        }
        Err(error) => {
            let rollback = ledger.roll_back(connection, &vault, sink).await;
            if let Some(journal) = &options.journal {
                if rollback.left_behind.is_empty() {
                    let _ = journal.set_state(&run_id, RunState::RolledBack);
                }
            }
            Err(ApplyFailure { error, rollback })
        }
    }
}

fn journal_warning(trouble: &str) -> String {
    format!(
        "The setup works, but the local journal could not record it ({trouble}). The setups view still finds it by its AWS tags; check that the app's data folder is writable."
    )
}

fn new_run(run_id: &str, connection: &Connection, plan: &Plan) -> Run {
    Run::started(
        run_id,
        connection,
        PrincipalKind::User,
        &plan.user_name,
        &plan.policy_name,
        &plan.key,
        Some(plan.keychain.account.clone()),
    )
}

/// Everything one run works with; only the ledger changes as it goes.
struct Job<'a> {
    connection: &'a Connection,
    plan: &'a Plan,
    vault: &'a Arc<dyn Vault>,
    sink: &'a dyn ProgressSink,
    cancel: &'a Cancel,
    options: &'a ApplyOptions,
    run_id: &'a str,
    existing: &'a Existing,
}

async fn run(job: &Job<'_>, ledger: &mut Ledger) -> Result<Outcome, ProvisionError> {
    let (key, user_arn) = make_key_and_user(job, ledger).await?;
    let key_arn = match (&key, &job.plan.key) {
        (Some((_, arn)), _) => arn.clone(),
        (None, PlannedKey::Existing { arn, .. }) => arn.clone(),
        (None, PlannedKey::New { .. }) => unreachable_key()?,
    };
    checkpoint(job.cancel)?;
    let (access_key_id, secret) = grant_name_and_issue(job, ledger, key.as_ref(), &key_arn).await?;
    checkpoint(job.cancel)?;
    let alias = planned_alias(&job.plan.key);
    let issued = Issued {
        access_key_id: &access_key_id,
        secret: &secret,
        key_arn: &key_arn,
        key_alias: alias.as_deref(),
        user_arn: &user_arn,
    };
    store_and_prove(job, ledger, &issued).await?;
    let plan = job.plan;
    Ok(Outcome {
        key_alias: alias,
        region: job.connection.region().to_string(),
        user_name: plan.user_name.clone(),
        policy_name: plan.policy_name.clone(),
        keychain: plan.keychain.clone(),
        verified: true,
        warnings: vec![],
        key_arn,
        user_arn,
        access_key_id,
    })
}

/// What the run made that the keychain item and the proof need.
struct Issued<'a> {
    access_key_id: &'a str,
    secret: &'a Sensitive,
    key_arn: &'a str,
    key_alias: Option<&'a str>,
    user_arn: &'a str,
}

fn planned_alias(key: &PlannedKey) -> Option<String> {
    match key {
        PlannedKey::New { alias, .. } => Some(alias.clone()),
        PlannedKey::Existing { alias, .. } => alias.clone(),
    }
}

/// Stage 1: the key (when the plan makes one) and the user, which do not depend on each other.
/// Returns the new key's (id, ARN) and the user's ARN.
async fn make_key_and_user(
    job: &Job<'_>,
    ledger: &mut Ledger,
) -> Result<(Option<(String, String)>, String), ProvisionError> {
    let Job {
        connection,
        plan,
        sink,
        run_id,
        existing,
        ..
    } = *job;
    let user = plan.user_name.as_str();
    let create_key = async {
        match (&plan.key, &existing.key) {
            (PlannedKey::New { .. }, Some(made)) => {
                step(sink, StepId::CreateKey, already(made.clone()))
                    .await
                    .map(Some)
            }
            (PlannedKey::New { description, .. }, None) => step(
                sink,
                StepId::CreateKey,
                create_key(connection, description, user, run_id),
            )
            .await
            .map(Some),
            (PlannedKey::Existing { .. }, _) => Ok(None),
        }
    };
    let iam = connection.iam();
    let create_user = async {
        match &existing.user_arn {
            Some(arn) => step(sink, StepId::CreateUser, already(arn.clone())).await,
            None => step(sink, StepId::CreateUser, create_user(&iam, user, run_id)).await,
        }
    };
    let (key, user_arn) = tokio::join!(create_key, create_user);
    let mut made = Vec::new();
    if let (Ok(Some((key_id, arn))), None) = (&key, &existing.key) {
        made.push(Created::Key {
            key_id: key_id.clone(),
            arn: arn.clone(),
        });
    }
    if user_arn.is_ok() && existing.user_arn.is_none() {
        made.push(Created::User(user.to_string()));
    }
    ledger.record_all(made);
    Ok((key?, user_arn?))
}

/// Stage 2: naming the key and turning on its rotation, granting the user, and making its
/// access key are independent. Returns the access key id and its secret.
async fn grant_name_and_issue(
    job: &Job<'_>,
    ledger: &mut Ledger,
    key: Option<&(String, String)>,
    key_arn: &str,
) -> Result<(String, Sensitive), ProvisionError> {
    let Job {
        connection,
        plan,
        sink,
        existing,
        ..
    } = *job;
    let (iam, kms) = (connection.iam(), connection.kms());
    let user = plan.user_name.as_str();
    let create_alias = async {
        match (&plan.key, key) {
            (PlannedKey::New { alias, .. }, Some(_)) if existing.alias => {
                step(sink, StepId::CreateAlias, already(alias.clone()))
                    .await
                    .map(|_| None)
            }
            (PlannedKey::New { alias, .. }, Some((key_id, _))) => {
                step(sink, StepId::CreateAlias, create_alias(&kms, alias, key_id))
                    .await
                    .map(Some)
            }
            _ => Ok(None),
        }
    };
    let document = policy::kms_policy_document(key_arn);
    let put_policy = step(
        sink,
        StepId::PutUserPolicy,
        put_policy(&iam, user, &plan.policy_name, &document),
    );
    let create_access_key = step(
        sink,
        StepId::CreateAccessKey,
        create_access_key(&iam, user, &[]),
    );
    let rotation = async {
        match key {
            Some((key_id, _)) => step(
                sink,
                StepId::EnableKeyRotation,
                enable_rotation(&kms, key_id),
            )
            .await
            .map(drop),
            None => Ok(()),
        }
    };
    let (alias_done, policy_done, access_key, rotation_done) =
        tokio::join!(create_alias, put_policy, create_access_key, rotation);
    let mut made = Vec::new();
    if let Ok(Some(alias)) = &alias_done {
        made.push(Created::Alias(alias.clone()));
    }
    let policy_recorded = ledger
        .items()
        .iter()
        .any(|c| matches!(c, Created::Policy { .. }));
    if policy_done.is_ok() && !policy_recorded {
        made.push(Created::Policy {
            user: user.to_string(),
            name: plan.policy_name.clone(),
        });
    }
    if let Ok((id, _)) = &access_key {
        made.push(Created::AccessKey {
            user: user.to_string(),
            id: id.clone(),
        });
    }
    ledger.record_all(made);
    alias_done?;
    policy_done?;
    rotation_done?;
    access_key
}

/// Stages 3 and 4 at once: the proof needs only the credentials in memory, and on real AWS it
/// waits seconds for IAM while the keychain write takes milliseconds. A failed write ends the
/// proof at once (the rollback then deletes the access key); a failed proof still waits for the
/// write, so a stored item is always in the ledger before anything is rolled back.
async fn store_and_prove(
    job: &Job<'_>,
    ledger: &mut Ledger,
    issued: &Issued<'_>,
) -> Result<(), ProvisionError> {
    let started = Instant::now();
    let store = store_in_keychain(job, issued);
    let proof = prove(job, issued);
    tokio::pin!(store, proof);
    let (stored, proved) = tokio::select! {
        stored = &mut store => match stored {
            Ok(account) => (Ok(account), proof.await),
            Err(error) => {
                job.sink.emit(Progress::Failed {
                    step: StepId::Verify,
                    message: "Stopped: the credentials could not be stored in the keychain".into(),
                    elapsed_ms: elapsed_ms(started),
                });
                (Err(error), Ok(()))
            }
        },
        proved = &mut proof => (store.await, proved),
    };
    ledger.record(Created::KeychainItem(stored?));
    proved
}

/// Stage 3: the keychain. Until this succeeds, the secret exists only in this process. Returns
/// the item's account.
async fn store_in_keychain(job: &Job<'_>, issued: &Issued<'_>) -> Result<String, ProvisionError> {
    let Job {
        connection,
        plan,
        vault,
        sink,
        ..
    } = *job;
    let user = plan.user_name.as_str();
    let sealed = credentials::StoredCredentials {
        access_key_id: issued.access_key_id,
        secret_access_key: issued.secret,
        key_arn: issued.key_arn,
        key_alias: issued.key_alias,
        region: connection.region(),
        account_id: connection.account_id(),
        principal_arn: issued.user_arn,
        principal_name: user,
        policy_name: &plan.policy_name,
    }
    .seal();
    let account = plan.keychain.account.clone();
    let label = format!(
        "MongoDB CSFLE credentials for {user} ({})",
        connection.account_id()
    );
    let store_vault = Arc::clone(vault);
    let store_account = account.clone();
    step(sink, StepId::StoreInKeychain, async move {
        keychain::off_thread(&store_vault, move |vault| {
            vault.save(&store_account, &label, &sealed)
        })
        .await
        .map_err(ProvisionError::from)
        .map(|()| {
            format!(
                "Saved in {} as {} / {}",
                plan.keychain.store, plan.keychain.service, plan.keychain.account
            )
        })
    })
    .await?;
    Ok(account)
}

/// Stage 4: prove it with the new credentials alone, in the key's own region.
async fn prove(job: &Job<'_>, issued: &Issued<'_>) -> Result<(), ProvisionError> {
    let probe = Probe {
        access_key_id: issued.access_key_id,
        secret: issued.secret,
        session_token: None,
        key_arn: issued.key_arn,
        expected_arn: issued.user_arn,
    };
    step(job.sink, StepId::Verify, async {
        verify::verify(
            &job.connection.config_for_key(issued.key_arn),
            &probe,
            job.options.verify_limit,
            job.sink,
            job.cancel,
        )
        .await
        .map(|()| {
            "Encrypted and decrypted a random 32-byte value with the new credentials".to_string()
        })
    })
    .await
    .map(drop)
}

/// A step that an interrupted run already completed.
pub(crate) async fn already<T>(value: T) -> Result<T, ProvisionError> {
    Ok(value)
}

fn unreachable_key() -> Result<String, ProvisionError> {
    Err(ProvisionError::RoundTrip(
        "the new key was not created".into(),
    ))
}

pub(crate) fn checkpoint(cancel: &Cancel) -> Result<(), ProvisionError> {
    if cancel.is_cancelled() {
        Err(ProvisionError::Cancelled)
    } else {
        Ok(())
    }
}

/// Something that reports what it achieved in one line for the progress view.
pub(crate) trait Detail {
    fn detail(&self) -> String;
}

impl Detail for String {
    fn detail(&self) -> String {
        self.clone()
    }
}

impl Detail for (String, String) {
    fn detail(&self) -> String {
        self.1.clone()
    }
}

impl Detail for (String, Sensitive) {
    fn detail(&self) -> String {
        format!("Access key {} created", crate::mask_access_key_id(&self.0))
    }
}

fn elapsed_ms(started: Instant) -> u32 {
    u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX)
}

/// Runs one step with started/finished/failed events and its elapsed time.
pub(crate) async fn step<T: Detail>(
    sink: &dyn ProgressSink,
    id: StepId,
    work: impl Future<Output = Result<T, ProvisionError>>,
) -> Result<T, ProvisionError> {
    sink.emit(Progress::Started { step: id });
    let started = Instant::now();
    let result = work.await;
    let elapsed_ms = elapsed_ms(started);
    match &result {
        Ok(value) => sink.emit(Progress::Finished {
            step: id,
            detail: value.detail(),
            elapsed_ms,
        }),
        Err(error) => sink.emit(Progress::Failed {
            step: id,
            message: error.to_string(),
            elapsed_ms,
        }),
    }
    result
}

/// Returns (key id, key ARN). After a lost reply the key is looked for by the run's tag, so a
/// key AWS did make is adopted (and later rolled back) instead of orphaned.
pub(crate) async fn create_key(
    connection: &Connection,
    description: &str,
    principal: &str,
    run_id: &str,
) -> Result<(String, String), ProvisionError> {
    let kms = connection.kms();
    careful::create(
        || async {
            let reply = kms
                .create_key()
                .key_spec(aws_sdk_kms::types::KeySpec::SymmetricDefault)
                .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
                .description(description)
                .set_tags(Some(tags::kms_tags(principal, run_id)))
                .customize()
                .config_override(careful::kms_no_retry())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("kms:CreateKey", &e))?;
            let metadata = reply.key_metadata();
            Ok((
                metadata.map(|m| m.key_id().to_string()).unwrap_or_default(),
                metadata
                    .and_then(|m| m.arn())
                    .unwrap_or_default()
                    .to_string(),
            ))
        },
        || async {
            Ok(
                match crate::lifecycle::recovery::key_tagged_with(connection, run_id).await? {
                    Some(key) => Found::Ours(key),
                    None => Found::Nothing,
                },
            )
        },
    )
    .await
}

/// Turns on KMS's yearly automatic rotation of the key material (Security Hub KMS.4). Rotation
/// is invisible to MongoDB: KMS keeps every older key material, so no data key needs rewrapping.
pub(crate) async fn enable_rotation(
    kms: &aws_sdk_kms::Client,
    key_id: &str,
) -> Result<String, ProvisionError> {
    careful::through_lag(|| async {
        kms.enable_key_rotation()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("kms:EnableKeyRotation", &e))
    })
    .await?;
    Ok("Automatic yearly rotation of the key material is on".into())
}

pub(crate) async fn create_alias(
    kms: &aws_sdk_kms::Client,
    alias: &str,
    key_id: &str,
) -> Result<String, ProvisionError> {
    careful::create(
        || async {
            careful::through_lag(|| async {
                kms.create_alias()
                    .alias_name(alias)
                    .target_key_id(key_id)
                    .customize()
                    .config_override(careful::kms_no_retry())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| AwsFailure::from_sdk("kms:CreateAlias", &e))
            })
            .await
        },
        || async {
            let found = kms
                .describe_key()
                .key_id(alias)
                .send()
                .await
                .map(|d| d.key_metadata().map(|m| m.key_id().to_string()));
            Ok(match found {
                Ok(Some(target)) if target == key_id => Found::Ours(()),
                Ok(_) => Found::Conflict(ProvisionError::AliasExists(alias.to_string())),
                Err(e)
                    if AwsFailure::from_sdk("kms:DescribeKey", &e).kind
                        == crate::aws::aws_error::AwsFailureKind::NotFound =>
                {
                    Found::Nothing
                }
                Err(e) => return Err(AwsFailure::from_sdk("kms:DescribeKey", &e).into()),
            })
        },
    )
    .await?;
    Ok(alias.to_string())
}

/// Returns the user's ARN. A lost reply or "already exists" is settled by the user's run tag:
/// the run's own user is adopted, anybody else's is a conflict.
async fn create_user(
    iam: &aws_sdk_iam::Client,
    user: &str,
    run_id: &str,
) -> Result<String, ProvisionError> {
    careful::create(
        || async {
            let reply = iam
                .create_user()
                .user_name(user)
                .path(tags::IAM_PATH)
                .set_tags(Some(tags::iam_tags(run_id)))
                .customize()
                .config_override(careful::iam_no_retry())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:CreateUser", &e))?;
            Ok(reply
                .user()
                .map(|u| u.arn().to_string())
                .unwrap_or_default())
        },
        || async {
            let looked = async {
                let found = iam
                    .get_user()
                    .user_name(user)
                    .send()
                    .await
                    .map_err(|e| AwsFailure::from_sdk("iam:GetUser", &e))?;
                let tagged = iam
                    .list_user_tags()
                    .user_name(user)
                    .send()
                    .await
                    .map_err(|e| AwsFailure::from_sdk("iam:ListUserTags", &e))?;
                let arn = found
                    .user()
                    .map(|u| u.arn().to_string())
                    .unwrap_or_default();
                Ok((tags::iam_made_by_run(tagged.tags(), run_id), arn))
            };
            careful::settle(looked.await, || {
                ProvisionError::UserExists(user.to_string())
            })
        },
    )
    .await
}

async fn put_policy(
    iam: &aws_sdk_iam::Client,
    user: &str,
    name: &str,
    document: &str,
) -> Result<String, ProvisionError> {
    careful::through_lag(|| async {
        iam.put_user_policy()
            .user_name(user)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("iam:PutUserPolicy", &e))
    })
    .await?;
    Ok(format!(
        "Policy {name} allows kms:Encrypt and kms:Decrypt on the key"
    ))
}

/// Returns the access key id and its secret, which moves straight into a [`Sensitive`].
/// `existing` are the user's keys before this call. It is never sent twice blindly: after a lost
/// reply, every key of the user that is not in `existing` (whose secret nobody can have) is
/// deleted first.
pub(crate) async fn create_access_key(
    iam: &aws_sdk_iam::Client,
    user: &str,
    existing: &[String],
) -> Result<(String, Sensitive), ProvisionError> {
    careful::create(
        || async {
            let reply = careful::through_lag(|| async {
                iam.create_access_key()
                    .user_name(user)
                    .customize()
                    .config_override(careful::iam_no_retry())
                    .send()
                    .await
                    .map_err(|e| AwsFailure::from_sdk("iam:CreateAccessKey", &e))
            })
            .await?;
            let Some(mut key) = reply.access_key else {
                return Err(AwsFailure {
                    action: "iam:CreateAccessKey",
                    kind: crate::aws::aws_error::AwsFailureKind::Other,
                    code: None,
                    message: "IAM returned no access key".into(),
                    status: None,
                });
            };
            let secret = Sensitive::new(std::mem::take(&mut key.secret_access_key));
            Ok((std::mem::take(&mut key.access_key_id), secret))
        },
        || async {
            delete_keys_without_secret(iam, user, existing).await?;
            Ok(Found::Nothing)
        },
    )
    .await
}

/// Deletes every access key of `user` that is not in `keep`: after a lost CreateAccessKey reply
/// these are keys whose secret exists nowhere.
pub(crate) async fn delete_keys_without_secret(
    iam: &aws_sdk_iam::Client,
    user: &str,
    keep: &[String],
) -> Result<(), ProvisionError> {
    let listed = crate::aws::ownership::access_keys(iam, user).await?;
    for id in listed
        .iter()
        .filter_map(|k| k.access_key_id())
        .filter(|id| !keep.iter().any(|k| k == id))
    {
        iam.delete_access_key()
            .user_name(user)
            .access_key_id(id)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("iam:DeleteAccessKey", &e))?;
    }
    Ok(())
}
