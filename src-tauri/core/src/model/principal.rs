//! Who a setup gives the key to: an IAM user (an access key in the keychain) or an IAM role
//! (temporary credentials its platform hands out), and, for a role, whom it trusts.

use crate::validate::{Field, InputError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalKind {
    User,
    Role,
}

/// A setup's principal as IAM names it: which kind, and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal<'a> {
    pub kind: PrincipalKind,
    pub name: &'a str,
}

impl<'a> Principal<'a> {
    pub fn user(name: &'a str) -> Self {
        Principal {
            kind: PrincipalKind::User,
            name,
        }
    }

    pub fn role(name: &'a str) -> Self {
        Principal {
            kind: PrincipalKind::Role,
            name,
        }
    }

    /// "IAM user NAME" / "IAM role NAME", as the admin reads it.
    pub fn describe(&self) -> String {
        match self.kind {
            PrincipalKind::User => format!("IAM user {}", self.name),
            PrincipalKind::Role => format!("IAM role {}", self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Trust {
    Service {
        service: String,
    },
    Principal {
        arn: String,
    },
    /// Workloads holding an OIDC token from `issuer` whose `sub` claim is exactly `subject`
    /// (GitHub Actions, a Kubernetes service account, another OIDC issuer): the role is assumed
    /// with sts:AssumeRoleWithWebIdentity, audience `sts.amazonaws.com`.
    WebIdentity {
        /// The issuer URL without `https://`, as IAM names its OIDC provider.
        issuer: String,
        subject: String,
        /// Where the tokens come from, as the admin reads it ("GitHub Actions").
        source: String,
    },
    /// EKS Pod Identity: the EKS service assumes the role for pods of one service account, bound
    /// by an association the setup makes in the cluster.
    PodIdentity {
        cluster: String,
        cluster_arn: String,
        namespace: String,
        service_account: String,
    },
}

/// A trust as typed, before AWS was asked anything: ready, or an EKS service account whose
/// cluster's OIDC issuer must first be read from EKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustRequest {
    Ready(Trust),
    Eks(crate::model::web_identity::EksServiceAccount),
    PodIdentity(crate::model::web_identity::EksServiceAccount),
}

impl TrustRequest {
    /// Checks `value` alone (before connecting); an account id is read in `partition`.
    pub fn read(value: &str, partition: &str) -> Result<TrustRequest, InputError> {
        let value = value.trim();
        if let Some(rest) = value.strip_prefix("eks-pod-identity:") {
            return crate::model::web_identity::parse_eks(rest).map(TrustRequest::PodIdentity);
        }
        match value.strip_prefix("eks:") {
            Some(rest) => crate::model::web_identity::parse_eks(rest).map(TrustRequest::Eks),
            None => Trust::parse_in(value, partition).map(TrustRequest::Ready),
        }
    }
}

impl Trust {
    /// Checks `value` alone (before connecting); an account id is read in the commercial partition.
    pub fn parse(value: &str) -> Result<TrustRequest, InputError> {
        TrustRequest::read(value, "aws")
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
            federated if federated.starts_with("github:") || federated.starts_with("oidc:") => {
                let found = crate::model::web_identity::parse(federated)?;
                Ok(Trust::WebIdentity {
                    issuer: found.issuer,
                    subject: found.subject,
                    source: found.source,
                })
            }
            _ => Err(invalid(
                "choose ec2, ecs-tasks, lambda, eks:CLUSTER:NAMESPACE/SERVICEACCOUNT, \
                 eks-pod-identity:CLUSTER:NAMESPACE/SERVICEACCOUNT, \
                 github:OWNER/REPO:environment:NAME, \
                 github:OWNER/REPO:ref:refs/heads/BRANCH, oidc:https://ISSUER::SUBJECT, or enter \
                 a principal ARN or account id",
            )),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Trust::Service { service } => format!("the AWS service {service}"),
            Trust::Principal { arn } => arn.clone(),
            Trust::WebIdentity {
                issuer,
                subject,
                source,
            } => format!("{source} workloads with a token from {issuer} for {subject}"),
            Trust::PodIdentity {
                cluster,
                namespace,
                service_account,
                ..
            } => format!(
                "EKS Pod Identity, for pods of service account {namespace}/{service_account} in cluster {cluster}"
            ),
        }
    }

    pub fn is_ec2(&self) -> bool {
        matches!(self, Trust::Service { service } if service == "ec2.amazonaws.com")
    }
}
