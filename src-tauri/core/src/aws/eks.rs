//! EKS, read only: a cluster's OIDC issuer, which an IRSA role's trust names.

use crate::aws::connect::Connection;
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use crate::validate::{Field, InputError};

/// The `https://` URL of `cluster`'s OIDC issuer (eks:DescribeCluster), in the connection's region.
pub async fn cluster_issuer(
    connection: &Connection,
    cluster: &str,
) -> Result<String, ProvisionError> {
    let eks = aws_sdk_eks::Client::new(&connection.config);
    let reply = eks.describe_cluster().name(cluster).send().await;
    let reply = match reply {
        Ok(reply) => reply,
        Err(e) => {
            let failure = AwsFailure::from_sdk("eks:DescribeCluster", &e);
            if failure.kind == AwsFailureKind::NotFound {
                return Err(ProvisionError::Input(InputError {
                    field: Field::Trust,
                    rule: format!(
                        "there is no EKS cluster named {cluster} in {}; check the name and the region",
                        connection.region()
                    ),
                }));
            }
            return Err(failure.into());
        }
    };
    reply
        .cluster()
        .and_then(|c| c.identity())
        .and_then(|i| i.oidc())
        .and_then(|o| o.issuer())
        .filter(|issuer| issuer.starts_with("https://"))
        .map(str::to_string)
        .ok_or_else(|| {
            ProvisionError::Config(format!(
                "The EKS cluster {cluster} has no OIDC issuer yet (a cluster still being created has none), so no service account of it can assume a role. Try again once it is active."
            ))
        })
}
