//! IAM's OIDC providers, which a web-identity role trusts (GitHub Actions, an EKS cluster's issuer,
//! another OIDC issuer). One provider per issuer serves every role of the account, so the app
//! creates one only when none exists, and removes only one it can prove it made that no role trusts.

use crate::aws::careful;
use crate::aws::tags;
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use crate::model::ownership::{made_during_run, unix_now, KnownRun};
use crate::model::web_identity::STS_AUDIENCE;

/// What IAM holds of one OIDC provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub arn: String,
    /// IAM's `CreateDate`, unix seconds.
    pub created_at: i64,
    pub client_ids: Vec<String>,
    pub tags: Vec<aws_sdk_iam::types::Tag>,
}

/// The provider `arn`, or `None` when the account has none for that issuer.
pub async fn provider(
    iam: &aws_sdk_iam::Client,
    arn: &str,
) -> Result<Option<Provider>, AwsFailure> {
    let reply = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await;
    match reply {
        Ok(found) => Ok(Some(Provider {
            arn: arn.to_string(),
            created_at: found.create_date().map_or(0, |d| d.secs()),
            client_ids: found.client_id_list().to_vec(),
            tags: found.tags().to_vec(),
        })),
        Err(e) => {
            let failure = AwsFailure::from_sdk("iam:GetOpenIDConnectProvider", &e);
            match failure.kind {
                AwsFailureKind::NotFound => Ok(None),
                _ => Err(failure),
            }
        }
    }
}

/// Creates the provider for `issuer` (audience `sts.amazonaws.com`), tagged with the run; after a
/// lost reply the provider is adopted only if it carries the run's tag and IAM made it after the
/// call was sent. IAM checks the issuer's TLS certificate itself, so no thumbprint is pinned.
pub async fn create_provider(
    iam: &aws_sdk_iam::Client,
    issuer: &str,
    arn: &str,
    run_id: &str,
) -> Result<String, ProvisionError> {
    let sent = careful::Sent::now();
    careful::create(
        || async {
            let reply = iam
                .create_open_id_connect_provider()
                .url(format!("https://{issuer}"))
                .client_id_list(STS_AUDIENCE)
                .set_tags(Some(tags::iam_tags(run_id)))
                .customize()
                .config_override(careful::iam_no_retry())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("iam:CreateOpenIDConnectProvider", &e))?;
            Ok(reply
                .open_id_connect_provider_arn()
                .unwrap_or(arn)
                .to_string())
        },
        || async {
            let looked = provider(iam, arn).await.map(|found| match found {
                Some(p) => {
                    let ours = sent.made_it(tags::iam_made_by_run(&p.tags, run_id), p.created_at);
                    (ours, p.arn)
                }
                None => (false, String::new()),
            });
            match looked {
                Ok((false, found)) if found.is_empty() => Ok(careful::Found::Nothing),
                other => careful::settle(other, || {
                    ProvisionError::RoundTrip(format!(
                        "someone else made an OIDC provider for {issuer} meanwhile; plan again, \
                         and the setup will use it as it is (this app never changes it)"
                    ))
                }),
            }
        },
    )
    .await
}

pub async fn delete_provider(iam: &aws_sdk_iam::Client, arn: &str) -> Result<(), AwsFailure> {
    iam.delete_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
        .map(drop)
        .map_err(|e| AwsFailure::from_sdk("iam:DeleteOpenIDConnectProvider", &e))
}

/// Every role of the account (all pages) whose trust policy names `provider_arn`.
pub async fn roles_trusting(
    iam: &aws_sdk_iam::Client,
    provider_arn: &str,
) -> Result<Vec<String>, AwsFailure> {
    let mut trusting = Vec::new();
    let mut pages = iam.list_roles().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsFailure::from_sdk("iam:ListRoles", &e))?;
        for role in page.roles() {
            let document = role
                .assume_role_policy_document()
                .and_then(crate::aws::policy::percent_decode)
                .unwrap_or_default();
            if document.contains(provider_arn) {
                trusting.push(role.role_name().to_string());
            }
        }
    }
    Ok(trusting)
}

/// The OIDC providers of the account that `run` made: its tag, and IAM made them while it ran.
pub async fn providers_made_by_run(
    iam: &aws_sdk_iam::Client,
    run: &KnownRun,
) -> Result<Vec<String>, AwsFailure> {
    let listed = iam
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:ListOpenIDConnectProviders", &e))?;
    let mut made = Vec::new();
    for arn in listed
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn())
    {
        if let Some(found) = provider(iam, arn).await? {
            let now = unix_now();
            if tags::iam_made_by_run(&found.tags, &run.run_id)
                && made_during_run(found.created_at, run.started_at, now)
            {
                made.push(found.arn);
            }
        }
    }
    Ok(made)
}

/// The OIDC provider a role's trust policy names (`Principal.Federated`), if any.
pub fn federated_provider(trust_document: &serde_json::Value) -> Option<String> {
    crate::aws::policy::statements(trust_document)
        .into_iter()
        .find_map(|s| {
            s.get("Principal")?
                .get("Federated")?
                .as_str()
                .filter(|arn| arn.contains(":oidc-provider/"))
                .map(str::to_string)
        })
}

/// The role's trust policy as IAM stores it (decoded).
pub async fn trust_document(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<serde_json::Value, AwsFailure> {
    let reply = iam
        .get_role()
        .role_name(role)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:GetRole", &e))?;
    Ok(reply
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .and_then(crate::aws::policy::decode_document)
        .unwrap_or_default())
}
