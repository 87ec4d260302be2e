//! The production path MongoDB recommends: an IAM role instead of a user. The role trusts the
//! chosen principal (an AWS service, or an ARN), gets the same least-privilege KMS policy, and has
//! no access key at all: drivers fetch its temporary credentials themselves.

use crate::aws::aws_error::{AwsFailure, AwsFailureKind};
use crate::aws::careful;
use crate::aws::connect::Connection;
use crate::cancel::Cancel;
use crate::error::{ProvisionError, RollbackReport};
use crate::local::journal::{self, PrincipalKind, Run, RunState};
use crate::model::{KeyChoice, PlanStep, PlannedKey, Progress, ProgressSink, StepId};
use crate::secret::Sensitive;
use crate::setup::apply::{self, checkpoint, step, ApplyFailure, ApplyOptions};
use crate::setup::plan::{self, ValidKey};
use crate::setup::rollback::{Created, Ledger};
use crate::setup::verify::{self, Probe};
use crate::validate::{self, Field, InputError};
use crate::{aws::policy, aws::tags};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
pub struct RoleRequest {
    pub key: KeyChoice,
    pub role_name: String,
    /// `ec2`, `ecs-tasks`, `lambda`, or a principal ARN (or 12-digit account id).
    pub trust: String,
    #[serde(default)]
    pub policy_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Trust {
    Service { service: String },
    Principal { arn: String },
}

impl Trust {
    /// Checks `value` alone (before connecting); an account id is read in the commercial partition.
    pub fn parse(value: &str) -> Result<Trust, InputError> {
        Trust::parse_in(value, "aws")
    }

    /// Reads `value` for an account of `partition` (aws, aws-cn, aws-us-gov): a bare account id
    /// becomes that partition's root ARN.
    pub fn parse_in(value: &str, partition: &str) -> Result<Trust, InputError> {
        let invalid = |rule: &str| InputError {
            field: Field::Trust,
            rule: rule.into(),
        };
        match value.trim() {
            "ec2" => Ok(Trust::Service {
                service: "ec2.amazonaws.com".into(),
            }),
            "ecs-tasks" => Ok(Trust::Service {
                service: "ecs-tasks.amazonaws.com".into(),
            }),
            "lambda" => Ok(Trust::Service {
                service: "lambda.amazonaws.com".into(),
            }),
            account if account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) => {
                Ok(Trust::Principal {
                    arn: format!("arn:{partition}:iam::{account}:root"),
                })
            }
            arn if arn.starts_with("arn:") => {
                let parts: Vec<&str> = arn.splitn(6, ':').collect();
                let ok = parts.len() == 6
                    && ["aws", "aws-us-gov", "aws-cn"].contains(&parts[1])
                    && parts[2] == "iam"
                    && parts[3].is_empty()
                    && parts[4].len() == 12
                    && parts[4].chars().all(|c| c.is_ascii_digit())
                    && (parts[5] == "root"
                        || parts[5].starts_with("user/")
                        || parts[5].starts_with("role/"));
                if ok {
                    Ok(Trust::Principal {
                        arn: arn.to_string(),
                    })
                } else {
                    Err(invalid("a principal ARN looks like arn:aws:iam::<12 digits>:role/<name>, :user/<name> or :root"))
                }
            }
            _ => Err(invalid(
                "choose ec2, ecs-tasks, lambda, or enter a principal ARN or account id",
            )),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Trust::Service { service } => format!("the AWS service {service}"),
            Trust::Principal { arn } => arn.clone(),
        }
    }

    fn is_ec2(&self) -> bool {
        matches!(self, Trust::Service { service } if service == "ec2.amazonaws.com")
    }
}

/// The trust policy: who may assume the role.
pub fn trust_policy(trust: &Trust) -> String {
    let principal = match trust {
        Trust::Service { service } => serde_json::json!({ "Service": service }),
        Trust::Principal { arn } => serde_json::json!({ "AWS": arn }),
    };
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Document {
        version: &'static str,
        statement: [Statement; 1],
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Statement {
        effect: &'static str,
        principal: serde_json::Value,
        action: &'static str,
    }
    serde_json::to_string(&Document {
        version: "2012-10-17",
        statement: [Statement {
            effect: "Allow",
            principal,
            action: "sts:AssumeRole",
        }],
    })
    .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RolePlan {
    pub identity: crate::model::Identity,
    pub key: PlannedKey,
    pub role_name: String,
    pub trust: Trust,
    pub trust_policy: String,
    pub policy_name: String,
    pub policy_document: String,
    pub instance_profile: Option<String>,
    pub steps: Vec<PlanStep>,
    /// The Security Hub findings the setup will have the moment it exists.
    pub findings: Vec<crate::lifecycle::findings::Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RoleOutcome {
    pub key_arn: String,
    pub key_alias: Option<String>,
    pub region: String,
    pub role_arn: String,
    pub role_name: String,
    pub policy_name: String,
    pub instance_profile_arn: Option<String>,
    pub trust: Trust,
    /// True when the role was assumed and its credentials encrypted and decrypted a value.
    pub verified: bool,
    pub verification: String,
}

pub async fn plan_role(
    connection: &Connection,
    request: &RoleRequest,
) -> Result<RolePlan, ProvisionError> {
    let role_name = validate::role_name(request.role_name.trim())?;
    let trust = Trust::parse_in(&request.trust, connection.partition())?;
    let key = match &request.key {
        KeyChoice::New { alias, description } => ValidKey::New {
            alias: validate::alias(alias.trim())?,
            description: validate::description(description)?,
        },
        KeyChoice::Existing { key } => {
            ValidKey::Existing(validate::existing_key(key, connection.region())?)
        }
    };
    let policy_name = match request.policy_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => validate::policy_name(name)?,
        _ => validate::policy_name(&validate::default_policy_name(&role_name))?,
    };
    let (role_free, key) = tokio::join!(
        ensure_role_is_new(connection, &role_name, trust.is_ec2()),
        plan::check_key(connection, &key)
    );
    role_free?;
    let key = key?;
    let key_arn = match &key {
        PlannedKey::Existing { arn, .. } => arn.clone(),
        PlannedKey::New { .. } => policy::placeholder_key_arn(
            connection.partition(),
            connection.region(),
            connection.account_id(),
        ),
    };
    let instance_profile = trust.is_ec2().then(|| role_name.clone());
    let mut steps = plan::key_steps(&key, connection.region());
    let step = |id, action: &str, target: String, summary: String| PlanStep {
        id,
        action: action.into(),
        target,
        summary,
    };
    steps.push(step(
        StepId::CreateRole,
        "iam:CreateRole",
        role_name.clone(),
        format!(
            "Create the IAM role {role_name}, which only {} may assume.",
            trust.describe()
        ),
    ));
    steps.push(step(
        StepId::PutRolePolicy,
        "iam:PutRolePolicy",
        format!("{role_name} / {policy_name}"),
        format!("Allow {role_name} kms:Encrypt and kms:Decrypt on this key only (policy below)."),
    ));
    if let Some(profile) = &instance_profile {
        steps.push(step(
            StepId::CreateInstanceProfile,
            "iam:CreateInstanceProfile, iam:AddRoleToInstanceProfile",
            profile.clone(),
            "Make an instance profile so EC2 instances can carry the role.".into(),
        ));
    }
    steps.push(step(StepId::Verify, "sts:AssumeRole, kms:Encrypt, kms:Decrypt", key_arn.clone(), "Prove it works where possible: assume the role and encrypt and decrypt a random test value.".into()));
    Ok(RolePlan {
        findings: crate::lifecycle::findings::predicted(connection, PrincipalKind::Role, &key)
            .await,
        identity: connection.identity.clone(),
        key,
        trust_policy: trust_policy(&trust),
        trust,
        policy_document: policy::kms_policy_document(&key_arn),
        policy_name,
        instance_profile,
        role_name,
        steps,
    })
}

async fn ensure_role_is_new(
    connection: &Connection,
    role: &str,
    with_profile: bool,
) -> Result<(), ProvisionError> {
    let iam = connection.iam();
    match iam.get_role().role_name(role).send().await {
        Ok(_) => {
            return Err(ProvisionError::NotFound(format!(
                "The IAM role {role} already exists; choose a new name"
            )))
        }
        Err(e) => {
            let failure = AwsFailure::from_sdk("iam:GetRole", &e);
            if failure.kind != AwsFailureKind::NotFound {
                return Err(failure.into());
            }
        }
    }
    if with_profile {
        match iam
            .get_instance_profile()
            .instance_profile_name(role)
            .send()
            .await
        {
            Ok(_) => {
                return Err(ProvisionError::NotFound(format!(
                    "The instance profile {role} already exists; choose a new role name"
                )))
            }
            Err(e) => {
                let failure = AwsFailure::from_sdk("iam:GetInstanceProfile", &e);
                if failure.kind != AwsFailureKind::NotFound {
                    return Err(failure.into());
                }
            }
        }
    }
    Ok(())
}

pub async fn apply_role(
    connection: &Connection,
    plan: &RolePlan,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
    options: &ApplyOptions,
) -> Result<RoleOutcome, ApplyFailure> {
    let run_id = format!("{}-{}", journal::now(), plan.role_name);
    let mut _live = None;
    let mut ledger = match &options.journal {
        Some(journal) => {
            match journal.hold_run(&run_id) {
                Ok(lock) => _live = Some(lock),
                Err(e) => {
                    return Err(ApplyFailure {
                        error: ProvisionError::Journal(e.to_string()),
                        rollback: RollbackReport::default(),
                    })
                }
            }
            let run = Run::started(
                &run_id,
                connection,
                PrincipalKind::Role,
                &plan.role_name,
                &plan.policy_name,
                &plan.key,
                None,
            );
            if let Err(e) = journal.start(run) {
                return Err(ApplyFailure {
                    error: ProvisionError::Journal(e.to_string()),
                    rollback: RollbackReport::default(),
                });
            }
            Ledger::journaled(Arc::clone(journal), &run_id)
        }
        None => Ledger::default(),
    };
    match run(
        connection,
        plan,
        sink,
        cancel,
        options,
        &mut ledger,
        &run_id,
    )
    .await
    {
        Ok(outcome) => {
            if let Some(journal) = &options.journal {
                let _ = journal.set_key(&run_id, &outcome.key_arn, outcome.key_alias.as_deref());
                let _ = journal.set_state(&run_id, RunState::Complete);
            }
            Ok(outcome)
        }
        Err(error) => {
            // A role setup stores nothing in the keychain; the vault is never asked.
            let vault: Arc<dyn crate::local::keychain::Vault> =
                Arc::new(crate::local::keychain::OsVault);
            let rollback = ledger.roll_back(connection, &vault, sink).await;
            if let (Some(journal), true) = (&options.journal, rollback.left_behind.is_empty()) {
                let _ = journal.set_state(&run_id, RunState::RolledBack);
            }
            Err(ApplyFailure { error, rollback })
        }
    }
}

async fn run(
    connection: &Connection,
    plan: &RolePlan,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
    options: &ApplyOptions,
    ledger: &mut Ledger,
    run_id: &str,
) -> Result<RoleOutcome, ProvisionError> {
    let made = Made {
        connection,
        plan,
        sink,
        run_id,
    };
    let (key, role_arn) = made.key_and_role(ledger).await?;
    let key_arn = match (&key, &plan.key) {
        (Some((_, arn)), _) | (None, PlannedKey::Existing { arn, .. }) => arn.clone(),
        (None, PlannedKey::New { .. }) => {
            return Err(ProvisionError::RoundTrip(
                "the new key was not created".into(),
            ))
        }
    };
    checkpoint(cancel)?;
    let instance_profile_arn = made
        .grant_name_and_profile(ledger, key.as_ref(), &key_arn)
        .await?;
    checkpoint(cancel)?;
    let (verified, verification) = step(
        sink,
        StepId::Verify,
        verify_role(connection, plan, &role_arn, &key_arn, options, sink, cancel),
    )
    .await?;
    Ok(RoleOutcome {
        key_arn,
        key_alias: match &plan.key {
            PlannedKey::New { alias, .. } => Some(alias.clone()),
            PlannedKey::Existing { alias, .. } => alias.clone(),
        },
        region: connection.region().into(),
        role_arn,
        role_name: plan.role_name.clone(),
        policy_name: plan.policy_name.clone(),
        instance_profile_arn,
        trust: plan.trust.clone(),
        verified,
        verification,
    })
}

/// What one role run works with while it makes things.
struct Made<'a> {
    connection: &'a Connection,
    plan: &'a RolePlan,
    sink: &'a dyn ProgressSink,
    run_id: &'a str,
}

impl Made<'_> {
    /// Stage 1: the key (when the plan makes one) and the role, independent of each other.
    async fn key_and_role(
        &self,
        ledger: &mut Ledger,
    ) -> Result<(Option<(String, String)>, String), ProvisionError> {
        let (plan, sink) = (self.plan, self.sink);
        let role = plan.role_name.as_str();
        let iam = self.connection.iam();
        let create_key = async {
            match &plan.key {
                PlannedKey::New { description, .. } => step(
                    sink,
                    StepId::CreateKey,
                    apply::create_key(self.connection, description, role, self.run_id),
                )
                .await
                .map(Some),
                PlannedKey::Existing { .. } => Ok(None),
            }
        };
        let create_role = step(
            sink,
            StepId::CreateRole,
            create_role(&iam, role, &plan.trust_policy, self.run_id),
        );
        let (key, role_arn) = tokio::join!(create_key, create_role);
        if let Ok(Some((key_id, arn))) = &key {
            ledger.record(Created::Key {
                key_id: key_id.clone(),
                arn: arn.clone(),
            });
        }
        if role_arn.is_ok() {
            ledger.record(Created::Role(role.to_string()));
        }
        Ok((key?, role_arn?))
    }

    /// Stage 2: naming the key and turning on its rotation, granting the role, and its instance
    /// profile (for EC2) are independent. Returns the instance profile's ARN, if one was made.
    async fn grant_name_and_profile(
        &self,
        ledger: &mut Ledger,
        key: Option<&(String, String)>,
        key_arn: &str,
    ) -> Result<Option<String>, ProvisionError> {
        let (plan, sink) = (self.plan, self.sink);
        let role = plan.role_name.as_str();
        let (iam, kms) = (self.connection.iam(), self.connection.kms());
        let create_alias = async {
            match (&plan.key, key) {
                (PlannedKey::New { alias, .. }, Some((key_id, _))) => step(
                    sink,
                    StepId::CreateAlias,
                    apply::create_alias(&kms, alias, key_id),
                )
                .await
                .map(Some),
                _ => Ok(None),
            }
        };
        let document = policy::kms_policy_document(key_arn);
        let put_policy = step(sink, StepId::PutRolePolicy, async {
            careful::through_lag(|| async {
                iam.put_role_policy()
                    .role_name(role)
                    .policy_name(&plan.policy_name)
                    .policy_document(&document)
                    .send()
                    .await
                    .map_err(|e| AwsFailure::from_sdk("iam:PutRolePolicy", &e))
            })
            .await?;
            Ok(format!(
                "Policy {} allows kms:Encrypt and kms:Decrypt on the key",
                plan.policy_name
            ))
        });
        let rotation = async {
            match key {
                Some((key_id, _)) => step(
                    sink,
                    StepId::EnableKeyRotation,
                    apply::enable_rotation(&kms, key_id),
                )
                .await
                .map(drop),
                None => Ok(()),
            }
        };
        let (alias_done, policy_done, (profile_made, role_added, profile_arn), rotation_done) = tokio::join!(
            create_alias,
            put_policy,
            self.instance_profile(&iam),
            rotation
        );
        if let Ok(Some(alias)) = &alias_done {
            ledger.record(Created::Alias(alias.clone()));
        }
        if policy_done.is_ok() {
            ledger.record(Created::RolePolicy {
                role: role.into(),
                name: plan.policy_name.clone(),
            });
        }
        if let Some(name) = profile_made {
            ledger.record(Created::InstanceProfile {
                name,
                role: role_added.then(|| role.to_string()),
            });
        }
        alias_done?;
        policy_done?;
        rotation_done?;
        profile_arn
    }

    /// The EC2 instance profile holding the role: (profile made, role added, its ARN), so that
    /// rollback knows exactly what to undo even when the second call fails.
    async fn instance_profile(
        &self,
        iam: &aws_sdk_iam::Client,
    ) -> (Option<String>, bool, Result<Option<String>, ProvisionError>) {
        let Some(name) = &self.plan.instance_profile else {
            return (None, false, Ok(None));
        };
        let role = self.plan.role_name.as_str();
        let (mut made, mut added) = (None, false);
        let result = step(self.sink, StepId::CreateInstanceProfile, async {
            let arn = create_instance_profile(iam, name, self.run_id).await?;
            made = Some(name.clone());
            careful::through_lag(|| async {
                iam.add_role_to_instance_profile()
                    .instance_profile_name(name)
                    .role_name(role)
                    .send()
                    .await
                    .map_err(|e| AwsFailure::from_sdk("iam:AddRoleToInstanceProfile", &e))
            })
            .await?;
            added = true;
            Ok(arn)
        })
        .await;
        (made, added, result.map(Some))
    }
}

/// Returns the role's ARN; after a lost reply the role is adopted only if it carries this run's tag.
async fn create_role(
    iam: &aws_sdk_iam::Client,
    role: &str,
    trust_policy: &str,
    run_id: &str,
) -> Result<String, ProvisionError> {
    careful::create(
        || async {
            let reply = iam
                .create_role()
                .role_name(role)
                .path(tags::IAM_PATH)
                .assume_role_policy_document(trust_policy)
                .description(
                    "MongoDB CSFLE: kms:Encrypt and kms:Decrypt on one key (csfle-provisioner)",
                )
                .set_tags(Some(tags::iam_tags(run_id)))
                .customize()
                .config_override(careful::iam_no_retry())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:CreateRole", &e))?;
            Ok(reply
                .role()
                .map(|r| r.arn().to_string())
                .unwrap_or_default())
        },
        || async {
            let looked = iam
                .get_role()
                .role_name(role)
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:GetRole", &e))
                .map(|found| {
                    found.role().map_or((false, String::new()), |r| {
                        (tags::iam_made_by_run(r.tags(), run_id), r.arn().to_string())
                    })
                });
            careful::settle(looked, || {
                ProvisionError::Unsupported(format!(
                    "The IAM role {role} already exists and this run did not make it; choose another name"
                ))
            })
        },
    )
    .await
}

/// Returns the instance profile's ARN, adopting this run's own after a lost reply.
async fn create_instance_profile(
    iam: &aws_sdk_iam::Client,
    name: &str,
    run_id: &str,
) -> Result<String, ProvisionError> {
    careful::create(
        || async {
            let reply = iam
                .create_instance_profile()
                .instance_profile_name(name)
                .path(tags::IAM_PATH)
                .set_tags(Some(tags::iam_tags(run_id)))
                .customize()
                .config_override(careful::iam_no_retry())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:CreateInstanceProfile", &e))?;
            Ok(reply
                .instance_profile()
                .map(|p| p.arn().to_string())
                .unwrap_or_default())
        },
        || async {
            let looked = iam
                .get_instance_profile()
                .instance_profile_name(name)
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:GetInstanceProfile", &e))
                .map(|found| {
                    found.instance_profile().map_or((false, String::new()), |p| {
                        (tags::iam_made_by_run(p.tags(), run_id), p.arn().to_string())
                    })
                });
            careful::settle(looked, || {
                ProvisionError::Unsupported(format!(
                    "The instance profile {name} already exists and this run did not make it; choose another role name"
                ))
            })
        },
    )
    .await
}

impl apply::Detail for (bool, String) {
    fn detail(&self) -> String {
        self.1.clone()
    }
}

/// Assumes the role when the admin is the trusted principal (or in the trusted account) and runs
/// the round trip with its temporary credentials; otherwise checks the stored policy document.
async fn verify_role(
    connection: &Connection,
    plan: &RolePlan,
    role_arn: &str,
    key_arn: &str,
    options: &ApplyOptions,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<(bool, String), ProvisionError> {
    let stored = connection
        .iam()
        .get_role_policy()
        .role_name(&plan.role_name)
        .policy_name(&plan.policy_name)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:GetRolePolicy", &e))?;
    let document = policy::decode_document(stored.policy_document()).unwrap_or_default();
    if !policy::is_least_privilege(&document, key_arn) {
        return Err(ProvisionError::RoundTrip(
            "IAM does not hold the policy that was sent".into(),
        ));
    }
    let admin_account_root = format!(
        "arn:{}:iam::{}:root",
        connection.partition(),
        connection.account_id()
    );
    let assumable = match &plan.trust {
        Trust::Principal { arn } => *arn == admin_account_root || *arn == connection.identity.arn,
        Trust::Service { .. } => false,
    };
    if !assumable {
        return Ok((false, format!(
            "Only {} can assume this role, so it was not assumed from here; IAM holds exactly the least-privilege policy.",
            plan.trust.describe()
        )));
    }
    let sts = aws_sdk_sts::Client::new(&connection.config);
    let deadline = verify::deadline_for(options.verify_limit);
    // The same pace as the credential probes: a role that becomes assumable is noticed at once.
    let mut pace = verify::Pace::new();
    let credentials = loop {
        match sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name("csfle-provisioner-verify")
            .send()
            .await
        {
            Ok(reply) => break reply.credentials().cloned(),
            Err(e) => {
                let failure = AwsFailure::from_sdk("sts:AssumeRole", &e);
                let throttled = failure.kind == AwsFailureKind::Throttled;
                // A new role can be refused for a few seconds while IAM propagates it.
                if !(throttled || failure.kind == AwsFailureKind::AccessDenied)
                    || tokio::time::Instant::now() >= deadline
                {
                    return Err(ProvisionError::RoundTrip(failure.to_string()));
                }
                sink.emit(Progress::Waiting {
                    step: StepId::Verify,
                    message: "Waiting for AWS to let the new role be assumed".into(),
                });
                pace.pause(throttled, deadline, cancel).await?;
            }
        }
    };
    let Some(mut credentials) = credentials else {
        return Err(ProvisionError::RoundTrip(
            "STS returned no credentials".into(),
        ));
    };
    let secret = Sensitive::new(std::mem::take(&mut credentials.secret_access_key));
    let token = Sensitive::new(std::mem::take(&mut credentials.session_token));
    // An assumed-role ARN drops the role's path: arn:<partition>:sts::<account>:assumed-role/<name>.
    let partition = role_arn.split(':').nth(1).unwrap_or("aws");
    let session_arn = format!(
        "arn:{partition}:sts::{}:assumed-role/{}",
        connection.account_id(),
        plan.role_name
    );
    let probe = Probe {
        access_key_id: &credentials.access_key_id,
        secret: &secret,
        session_token: Some(&token),
        key_arn,
        expected_arn: &session_arn,
    };
    verify::verify_until(
        &connection.config_for_key(key_arn),
        &probe,
        deadline,
        options.verify_limit,
        sink,
        cancel,
    )
    .await?;
    Ok((
        true,
        "Assumed the role and encrypted and decrypted a random 32-byte value with its credentials"
            .into(),
    ))
}
