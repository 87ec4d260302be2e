//! The Pod Identity associations of a role being torn down: those the setup's run made (its tag,
//! made with the role) go first, so no association is left naming a deleted role; anyone else's
//! is reported and left alone.

use crate::aws::connect::Connection;
use crate::aws::eks;
use crate::aws::ownership::PrincipalFacts;
use crate::aws::tags;
use crate::lifecycle::oidc_teardown::ProviderFate;
use crate::model::ownership::key_made_in_same_run;

/// The cluster a Pod Identity trust names (its `aws:SourceArn` condition), if the trust is one.
pub fn trusted_cluster(trust: &serde_json::Value) -> Option<String> {
    crate::aws::policy::statements(trust)
        .into_iter()
        .find_map(|s| {
            let service = s.get("Principal")?.get("Service")?.as_str()?;
            if service != "pods.eks.amazonaws.com" {
                return None;
            }
            let arn = s
                .get("Condition")?
                .get("ArnEquals")?
                .get("aws:SourceArn")?
                .as_str()?;
            arn.rsplit_once("cluster/")
                .map(|(_, name)| name.to_string())
        })
}

/// Removes the associations of `role` the setup made; says what became of each.
pub async fn unbind(
    connection: &Connection,
    role: &PrincipalFacts,
    trust: &serde_json::Value,
) -> Vec<ProviderFate> {
    let Some(cluster) = trusted_cluster(trust) else {
        return vec![];
    };
    let found = match eks::associations(connection, &cluster, None).await {
        Ok(found) => found,
        Err(failure) => {
            return vec![ProviderFate::Failed(format!(
                "Pod Identity associations of {cluster}: {failure}. {}",
                failure.hint()
            ))]
        }
    };
    let mut fates = Vec::new();
    for association in found.into_iter().filter(|a| a.role_arn == role.arn) {
        let what = format!(
            "Pod Identity association {} ({}/{} in {cluster})",
            association.id, association.namespace, association.service_account
        );
        let ours = association
            .tags
            .get(tags::CREATED_BY_KEY)
            .map(String::as_str)
            == Some(tags::CREATED_BY_VALUE)
            && role.run_id().is_some()
            && association.tags.get(tags::RUN_KEY).map(String::as_str) == role.run_id()
            && key_made_in_same_run(association.created_at, role.created_at);
        if !ours {
            fates.push(ProviderFate::Kept(format!(
                "{what}: kept, this app did not make it for this setup"
            )));
            continue;
        }
        fates.push(
            match eks::delete_association(connection, &cluster, &association.id).await {
                Ok(()) => ProviderFate::Removed(what),
                Err(failure) => {
                    ProviderFate::Failed(format!("{what}: {failure}. {}", failure.hint()))
                }
            },
        );
    }
    fates
}
