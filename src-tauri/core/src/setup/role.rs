//! The production path MongoDB recommends: an IAM role instead of a user. The role trusts the
//! chosen principal (an AWS service, or an ARN), gets the same least-privilege KMS policy, and has
//! no access key at all: drivers fetch its temporary credentials themselves.

use crate::aws::connect::Connection;
use crate::aws::policy;
use crate::aws::{iam, kms};
use crate::cancel::Cancel;
use crate::error::ProvisionError;
use crate::local::journal::Run;
use crate::local::keychain::{OsVault, Vault};
use crate::model::created::Created;
use crate::model::principal::PrincipalKind;
use crate::model::principal::{Principal, Trust};
use crate::model::{PlannedKey, ProgressSink, StepId};
use crate::setup::apply::{self, checkpoint, step};
use crate::setup::role_plan::RolePlan;
use crate::setup::role_verify;
use crate::setup::rollback::Ledger;
use crate::setup::run_frame::ApplyFailure;
use crate::setup::run_frame::ApplyOptions;
use crate::setup::run_frame::{self, Frame, Start};
use serde::Serialize;
use std::sync::Arc;
use ts_rs::TS;

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
    /// What the setup could not record locally (the journal), though it works.
    pub warnings: Vec<String>,
    /// The workload's own configuration for a web-identity trust (a GitHub Actions workflow).
    pub workload_snippet: Option<String>,
}

pub async fn apply_role(
    connection: &Connection,
    plan: &RolePlan,
    sink: &dyn ProgressSink,
    cancel: &Cancel,
    options: &ApplyOptions,
) -> Result<RoleOutcome, ApplyFailure> {
    let run_id = run_frame::new_run_id();
    let mut record = Run::started(
        &run_id,
        connection,
        PrincipalKind::Role,
        &plan.role_name,
        &plan.policy_name,
        &plan.key,
        None,
    );
    record.key_profile = plan.key_grant.as_ref().and_then(|g| g.key_profile.clone());
    let mut frame = Frame::begin(options, Start::New(Box::new(record)))
        .map_err(ApplyFailure::before_any_change)?;
    let result = run(
        connection,
        plan,
        sink,
        cancel,
        options,
        &mut frame.ledger,
        &run_id,
    )
    .await;
    // A role setup stores nothing in the keychain; rollback never asks the vault.
    let vault: Arc<dyn Vault> = Arc::new(OsVault);
    let (mut outcome, warnings) = frame
        .finish(
            result,
            connection,
            &vault,
            sink,
            |outcome: &RoleOutcome, run| {
                run.key_arn = Some(outcome.key_arn.clone());
                run.key_alias = outcome.key_alias.clone();
            },
        )
        .await?;
    outcome.warnings = warnings;
    Ok(outcome)
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
    made.grant_key_account(ledger, &role_arn, options, cancel)
        .await?;
    checkpoint(cancel)?;
    made.bind_service_account(ledger, &role_arn).await?;
    let (verified, verification) = step(
        sink,
        StepId::Verify,
        role_verify::verify_role(connection, plan, &role_arn, &key_arn, options, sink, cancel),
    )
    .await?;
    let workload_snippet = match &plan.trust {
        Trust::WebIdentity {
            issuer, subject, ..
        } => crate::model::web_identity::workload_snippet(
            issuer,
            subject,
            &role_arn,
            connection.region(),
        ),
        Trust::PodIdentity {
            namespace,
            service_account,
            ..
        } => Some(crate::model::web_identity::pod_identity_snippet(
            namespace,
            service_account,
        )),
        _ => None,
    };
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
        warnings: vec![],
        workload_snippet,
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
    /// For a key in another account: its key-policy statement naming the new role.
    async fn grant_key_account(
        &self,
        ledger: &mut Ledger,
        role_arn: &str,
        options: &ApplyOptions,
        cancel: &Cancel,
    ) -> Result<(), ProvisionError> {
        let parts = crate::setup::cross_account::RunParts {
            connection: self.connection,
            limit: options.verify_limit,
            sink: self.sink,
            cancel,
        };
        let grant = self.plan.key_grant.as_ref();
        let (granted, made) =
            crate::setup::cross_account::grant_step_of_run(parts, grant, role_arn).await;
        ledger.record_all(made.into_iter().collect());
        granted
    }

    /// Stage 1: the key (when the plan makes one) and the role, independent of each other.
    async fn key_and_role(
        &self,
        ledger: &mut Ledger,
    ) -> Result<(Option<(String, String)>, String), ProvisionError> {
        let (plan, sink) = (self.plan, self.sink);
        let role = plan.role_name.as_str();
        let iam = self.connection.iam();
        // IAM accepts a trust naming an OIDC provider only once the provider exists.
        if let Some(provider) = plan.oidc_provider.as_ref().filter(|p| !p.exists) {
            let made = crate::aws::oidc::create_provider(
                &iam,
                &provider.issuer,
                &provider.arn,
                self.run_id,
            );
            let arn = step(sink, StepId::CreateOidcProvider, made).await?;
            ledger.record(Created::OidcProvider { arn });
        }
        let create_key = async {
            match &plan.key {
                PlannedKey::New { description, .. } => step(
                    sink,
                    StepId::CreateKey,
                    kms::create_key(self.connection, description, role, self.run_id),
                )
                .await
                .map(Some),
                PlannedKey::Existing { .. } => Ok(None),
            }
        };
        let create_role = step(
            sink,
            StepId::CreateRole,
            iam::create_role(&iam, role, &plan.trust_policy, self.run_id),
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

    /// Stage 3, for Pod Identity: the association that lets EKS hand the service account's pods
    /// the role (EKS checks iam:PassRole on the role, which exists by now).
    async fn bind_service_account(
        &self,
        ledger: &mut Ledger,
        role_arn: &str,
    ) -> Result<(), ProvisionError> {
        let Trust::PodIdentity {
            cluster,
            namespace,
            service_account,
            ..
        } = &self.plan.trust
        else {
            return Ok(());
        };
        let made = crate::aws::eks::create_association(
            self.connection,
            cluster,
            (namespace, service_account),
            role_arn,
            self.run_id,
        );
        let id = step(self.sink, StepId::CreatePodIdentityAssociation, made).await?;
        ledger.record(Created::PodIdentityAssociation {
            cluster: cluster.clone(),
            id,
        });
        Ok(())
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
                    kms::create_alias(&kms, alias, key_id),
                )
                .await
                .map(Some),
                _ => Ok(None),
            }
        };
        let document = policy::kms_policy_document(key_arn);
        let put_policy = step(
            sink,
            StepId::PutRolePolicy,
            iam::put_inline_policy(&iam, Principal::role(role), &plan.policy_name, &document),
        );
        let rotation = async {
            match key {
                Some((key_id, _)) => step(
                    sink,
                    StepId::EnableKeyRotation,
                    kms::enable_rotation(&kms, key_id),
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
        iam_client: &aws_sdk_iam::Client,
    ) -> (Option<String>, bool, Result<Option<String>, ProvisionError>) {
        let Some(name) = &self.plan.instance_profile else {
            return (None, false, Ok(None));
        };
        let role = self.plan.role_name.as_str();
        let (mut made, mut added) = (None, false);
        let result = step(self.sink, StepId::CreateInstanceProfile, async {
            let arn = iam::create_instance_profile(iam_client, name, self.run_id).await?;
            made = Some(name.clone());
            iam::add_role_to_instance_profile(iam_client, name, role).await?;
            added = true;
            Ok(arn)
        })
        .await;
        (made, added, result.map(Some))
    }
}

impl apply::Detail for (bool, String) {
    fn detail(&self) -> String {
        self.1.clone()
    }
}
