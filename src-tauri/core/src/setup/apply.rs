//! Applying a plan: create, store, prove; and on any failure, undo everything this run made.

use crate::aws::connect::Connection;
use crate::aws::{iam, kms};
use crate::cancel::Cancel;

use crate::error::ProvisionError;
use crate::local::journal::Run;
use crate::local::keychain::{self, Vault};
use crate::model::created::Created;
use crate::model::principal::Principal;
use crate::model::principal::PrincipalKind;
use crate::model::{Outcome, Plan, PlannedKey, Progress, ProgressSink, StepId};
use crate::secret::Sensitive;
use crate::setup::rollback::Ledger;
use crate::setup::run_frame::{self, ApplyFailure, ApplyOptions, Frame, Start};
use crate::setup::verify::{self, Probe};
use crate::{aws::policy, local::credentials};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// What an interrupted run already made, so resuming does not make it twice.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    pub run_id: Option<String>,
    pub key: Option<(String, String)>,
    pub alias: bool,
    pub user_arn: Option<String>,
    pub created: Vec<Created>,
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
    let start = match &existing.run_id {
        Some(run_id) => Start::Resume {
            run_id: run_id.clone(),
            created: existing.created.clone(),
        },
        None => Start::New(Box::new(new_run(
            &run_frame::new_run_id(),
            connection,
            plan,
        ))),
    };
    let mut frame = Frame::begin(options, start).map_err(ApplyFailure::before_any_change)?;
    let job = Job {
        connection,
        plan,
        vault: &vault,
        sink,
        cancel,
        options,
        run_id: &frame.run_id.clone(),
        existing: &existing,
    };
    let result = run(&job, &mut frame.ledger).await;
    let (mut outcome, warnings) = frame
        .finish(
            result,
            connection,
            &vault,
            sink,
            |outcome: &Outcome, run| {
                run.key_arn = Some(outcome.key_arn.clone());
                run.key_alias = outcome.key_alias.clone();
                run.keychain_account = Some(outcome.keychain.account.clone());
            },
        )
        .await?;
    outcome.warnings.extend(warnings);
    Ok(outcome)
}

fn new_run(run_id: &str, connection: &Connection, plan: &Plan) -> Run {
    let mut run = Run::started(
        run_id,
        connection,
        PrincipalKind::User,
        &plan.user_name,
        &plan.policy_name,
        &plan.key,
        Some(plan.keychain.account.clone()),
    );
    run.key_profile = plan.key_grant.as_ref().and_then(|g| g.key_profile.clone());
    run
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
    let parts = crate::setup::cross_account::RunParts {
        connection: job.connection,
        limit: job.options.verify_limit,
        sink: job.sink,
        cancel: job.cancel,
    };
    let grant = job.plan.key_grant.as_ref();
    let (granted, made) =
        crate::setup::cross_account::grant_step_of_run(parts, grant, &user_arn).await;
    ledger.record_all(made.into_iter().collect());
    granted?;
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
                kms::create_key(connection, description, user, run_id),
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
            None => {
                step(
                    sink,
                    StepId::CreateUser,
                    iam::create_user(&iam, user, run_id),
                )
                .await
            }
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
        existing: _,
        ..
    } = *job;
    let (iam_client, kms_client) = (connection.iam(), connection.kms());
    let user = plan.user_name.as_str();
    let create_alias = name_the_key(job, key);
    let document = policy::kms_policy_document(key_arn);
    let put_policy = step(
        sink,
        StepId::PutUserPolicy,
        iam::put_inline_policy(
            &iam_client,
            Principal::user(user),
            &plan.policy_name,
            &document,
        ),
    );
    let create_access_key = step(
        sink,
        StepId::CreateAccessKey,
        iam::create_access_key(&iam_client, user, &[]),
    );
    let rotation = async {
        match key {
            Some((key_id, _)) => step(
                sink,
                StepId::EnableKeyRotation,
                kms::enable_rotation(&kms_client, key_id),
            )
            .await
            .map(drop),
            None => Ok(()),
        }
    };
    let (alias_done, policy_done, access_key, rotation_done) =
        tokio::join!(create_alias, put_policy, create_access_key, rotation);
    let policy_recorded = ledger
        .items()
        .iter()
        .any(|c| matches!(c, Created::Policy { .. }));
    let mut made = Vec::new();
    if let Ok(Some(alias)) = &alias_done {
        made.push(Created::Alias(alias.clone()));
    }
    if policy_done.is_ok() && !policy_recorded {
        made.push(Created::Policy {
            user: user.to_string(),
            name: plan.policy_name.clone(),
        });
    }
    made.extend(access_key.as_ref().ok().map(|(id, _)| Created::AccessKey {
        user: user.to_string(),
        id: id.clone(),
    }));
    ledger.record_all(made);
    alias_done?;
    policy_done?;
    rotation_done?;
    access_key
}

/// The new key's alias, unless an interrupted run made it already; returns the alias made now.
async fn name_the_key(
    job: &Job<'_>,
    key: Option<&(String, String)>,
) -> Result<Option<String>, ProvisionError> {
    let (plan, sink, existing) = (job.plan, job.sink, job.existing);
    match (&plan.key, key) {
        (PlannedKey::New { alias, .. }, Some(_)) if existing.alias => {
            step(sink, StepId::CreateAlias, already(alias.clone()))
                .await
                .map(|_| None)
        }
        (PlannedKey::New { alias, .. }, Some((key_id, _))) => step(
            sink,
            StepId::CreateAlias,
            kms::create_alias(&job.connection.kms(), alias, key_id),
        )
        .await
        .map(Some),
        _ => Ok(None),
    }
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
        terms: plan.credential_terms.into(),
    }
    .seal();
    let account = plan.keychain.account.clone();
    let label = keychain::label_for(connection.account_id(), user);
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
