//! EKS: a cluster's ARN and OIDC issuer (an IRSA role's trust names the issuer, a Pod Identity
//! role's trust the cluster), and the Pod Identity associations that bind a service account to a
//! role. An association is made only for the setup's own role, tagged with its run, and removed
//! only when it carries that run's tag and EKS made it with the role.

use crate::aws::careful::{self, Found};
use crate::aws::connect::Connection;
use crate::aws::tags;
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use crate::validate::{Field, InputError};
use std::collections::HashMap;

/// What EKS says of a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub arn: String,
    /// The `https://` URL of its OIDC issuer, once it has one.
    pub issuer: Option<String>,
}

/// eks:DescribeCluster in the connection's region; a missing cluster is a clear input error.
pub async fn cluster(connection: &Connection, name: &str) -> Result<Cluster, ProvisionError> {
    let eks = aws_sdk_eks::Client::new(&connection.config);
    let reply = match eks.describe_cluster().name(name).send().await {
        Ok(reply) => reply,
        Err(e) => {
            let failure = AwsFailure::from_sdk("eks:DescribeCluster", &e);
            if failure.kind == AwsFailureKind::NotFound {
                return Err(ProvisionError::Input(InputError {
                    field: Field::Trust,
                    rule: format!(
                        "there is no EKS cluster named {name} in {}; check the name and the region",
                        connection.region()
                    ),
                }));
            }
            return Err(failure.into());
        }
    };
    let found = reply.cluster();
    Ok(Cluster {
        arn: found.and_then(|c| c.arn()).unwrap_or_default().to_string(),
        issuer: found
            .and_then(|c| c.identity())
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer())
            .filter(|issuer| issuer.starts_with("https://"))
            .map(str::to_string),
    })
}

/// The `https://` URL of `name`'s OIDC issuer.
pub async fn cluster_issuer(connection: &Connection, name: &str) -> Result<String, ProvisionError> {
    cluster(connection, name).await?.issuer.ok_or_else(|| {
        ProvisionError::Config(format!(
            "The EKS cluster {name} has no OIDC issuer yet (a cluster still being created has none), so no service account of it can assume a role. Try again once it is active."
        ))
    })
}

/// One Pod Identity association, as EKS describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Association {
    pub id: String,
    pub role_arn: String,
    pub namespace: String,
    pub service_account: String,
    pub tags: HashMap<String, String>,
    /// EKS's `createdAt`, unix seconds.
    pub created_at: i64,
}

/// Every association of the cluster, described; with `service_account` (namespace, name) only
/// that service account's (EKS allows one).
pub async fn associations(
    connection: &Connection,
    cluster: &str,
    service_account: Option<(&str, &str)>,
) -> Result<Vec<Association>, AwsFailure> {
    let eks = aws_sdk_eks::Client::new(&connection.config);
    let mut request = eks.list_pod_identity_associations().cluster_name(cluster);
    if let Some((namespace, name)) = service_account {
        request = request.namespace(namespace).service_account(name);
    }
    let mut ids = Vec::new();
    let mut pages = request.into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsFailure::from_sdk("eks:ListPodIdentityAssociations", &e))?;
        ids.extend(
            page.associations()
                .iter()
                .filter_map(|a| a.association_id().map(str::to_string)),
        );
    }
    let mut described = Vec::new();
    for id in ids {
        let reply = eks
            .describe_pod_identity_association()
            .cluster_name(cluster)
            .association_id(&id)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("eks:DescribePodIdentityAssociation", &e))?;
        if let Some(a) = reply.association() {
            described.push(Association {
                id,
                role_arn: a.role_arn().unwrap_or_default().to_string(),
                namespace: a.namespace().unwrap_or_default().to_string(),
                service_account: a.service_account().unwrap_or_default().to_string(),
                tags: a.tags().cloned().unwrap_or_default(),
                created_at: a.created_at().map_or(0, |d| d.secs()),
            });
        }
    }
    Ok(described)
}

/// Binds the service account to `role_arn`; after a lost reply the association is adopted only
/// if it names the role, carries the run's tag and EKS made it after the call was sent.
pub async fn create_association(
    connection: &Connection,
    cluster: &str,
    service_account: (&str, &str),
    role_arn: &str,
    run_id: &str,
) -> Result<String, ProvisionError> {
    let eks = aws_sdk_eks::Client::new(&connection.config);
    let sent = careful::Sent::now();
    let (namespace, name) = service_account;
    let run_tags: HashMap<String, String> = [
        (tags::CREATED_BY_KEY, tags::CREATED_BY_VALUE),
        (tags::RUN_KEY, run_id),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    careful::create(
        || async {
            let reply = eks
                .create_pod_identity_association()
                .cluster_name(cluster)
                .namespace(namespace)
                .service_account(name)
                .role_arn(role_arn)
                .set_tags(Some(run_tags.clone()))
                .customize()
                .config_override(careful::eks_no_retry())
                .send()
                .await
                .map_err(|e| {
                    let mut failure = AwsFailure::from_sdk("eks:CreatePodIdentityAssociation", &e);
                    // EKS's word for "this service account is bound already": it may be the
                    // answer to this run's own lost request, so it is looked into like any
                    // other "already exists".
                    if failure.code.as_deref() == Some("ResourceInUseException") {
                        failure.kind = crate::error::aws::AwsFailureKind::AlreadyExists;
                    }
                    failure
                })?;
            Ok(reply
                .association()
                .and_then(|a| a.association_id())
                .unwrap_or_default()
                .to_string())
        },
        || async {
            let found = associations(connection, cluster, Some(service_account)).await?;
            let ours = found.into_iter().find(|a| {
                let tagged = a.tags.get(tags::RUN_KEY).map(String::as_str) == Some(run_id);
                a.role_arn == role_arn && sent.made_it(tagged, a.created_at)
            });
            Ok(match ours {
                Some(a) => Found::Ours(a.id),
                None => Found::Nothing,
            })
        },
    )
    .await
}

pub async fn delete_association(
    connection: &Connection,
    cluster: &str,
    id: &str,
) -> Result<(), AwsFailure> {
    let eks = aws_sdk_eks::Client::new(&connection.config);
    eks.delete_pod_identity_association()
        .cluster_name(cluster)
        .association_id(id)
        .send()
        .await
        .map(drop)
        .map_err(|e| AwsFailure::from_sdk("eks:DeletePodIdentityAssociation", &e))
}
