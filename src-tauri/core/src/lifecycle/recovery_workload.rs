//! What an interrupted role run made for the workload's platform: the OIDC provider (made before
//! the role, so a run killed in between has a provider and no role) and the Pod Identity
//! association (made after it). Each is the run's only with the same proof as everything else:
//! the run's tag and a creation time inside the run; the journal's entries only say where to look.

use crate::aws::connect::Connection;
use crate::aws::{eks, oidc, ownership, tags};
use crate::error::aws::AwsFailureKind;
use crate::error::ProvisionError;
use crate::lifecycle::pod_identity_teardown::trusted_cluster;
use crate::local::journal::Run;
use crate::model::created::Created;
use crate::model::ownership::{made_during_run, unix_now, KnownRun};
use crate::model::principal::Principal;

/// What was found, and what was found made by the run but is kept, in words.
#[derive(Default)]
pub(super) struct Found {
    pub made: Vec<Created>,
    pub kept: Vec<String>,
}

/// The run's providers and associations; `role_made` says whether the role of that name is the
/// run's own (only then may its trust of a provider be discounted, and its associations looked at).
pub(super) async fn inventory(
    connection: &Connection,
    run: &Run,
    known: &KnownRun,
    role_made: bool,
) -> Result<Found, ProvisionError> {
    let iam = connection.iam();
    let mut found = Found::default();
    for arn in oidc::providers_made_by_run(&iam, known).await? {
        // A provider serves every role of its issuer: one that another role trusts by now is
        // that role's sign-in, and stays even though this run made it.
        let others: Vec<String> = oidc::roles_trusting(&iam, &arn)
            .await?
            .into_iter()
            .filter(|r| !(role_made && *r == run.principal_name))
            .collect();
        if others.is_empty() {
            found.made.push(Created::OidcProvider { arn });
        } else {
            found.kept.push(format!(
                "OIDC provider {arn}: made by this run, but kept, because {} trust it now",
                others.join(", ")
            ));
        }
    }
    if role_made {
        found
            .made
            .extend(associations(connection, run, known).await?);
    }
    Ok(found)
}

/// The Pod Identity associations binding the run's role that carry the run's tag and were made
/// during the run, on the cluster its trust names and any cluster the journal names.
async fn associations(
    connection: &Connection,
    run: &Run,
    known: &KnownRun,
) -> Result<Vec<Created>, ProvisionError> {
    let iam = connection.iam();
    let role = ownership::facts(&iam, Principal::role(&run.principal_name)).await?;
    let mut clusters: Vec<String> = role
        .trust
        .as_ref()
        .and_then(trusted_cluster)
        .into_iter()
        .collect();
    for item in &run.created {
        if let Created::PodIdentityAssociation { cluster, .. } = item {
            if !clusters.contains(cluster) {
                clusters.push(cluster.clone());
            }
        }
    }
    let mut made = Vec::new();
    for cluster in clusters {
        let listed = match eks::associations(connection, &cluster, None).await {
            Ok(listed) => listed,
            // A cluster deleted since took its associations with it.
            Err(failure) if failure.kind == AwsFailureKind::NotFound => continue,
            Err(failure) => return Err(failure.into()),
        };
        for association in listed {
            let tag = |key: &str| association.tags.get(key).map(String::as_str);
            let ours = association.role_arn == role.arn
                && tag(tags::CREATED_BY_KEY) == Some(tags::CREATED_BY_VALUE)
                && tag(tags::RUN_KEY) == Some(known.run_id.as_str())
                && made_during_run(association.created_at, known.started_at, unix_now());
            if ours {
                made.push(Created::PodIdentityAssociation {
                    cluster: cluster.clone(),
                    id: association.id,
                });
            }
        }
    }
    Ok(made)
}
