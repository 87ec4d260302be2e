//! The OIDC provider a web-identity role trusted, after the role is gone: one provider serves
//! every role of the account that trusts its issuer, so it goes only if no role trusts it now
//! and this app can prove it made it. Tags alone prove nothing (anyone may write them); the
//! proof is the provider's run tag together with its creation time inside that run: the run
//! of the role being torn down (IAM's own record of the role), or a run this computer's journal
//! records as having created exactly this provider. The second is what lets the last of several
//! roles sharing a provider remove it, after the role whose run made it was torn down first.

use crate::aws::oidc;
use crate::aws::ownership::PrincipalFacts;
use crate::aws::tags;
use crate::local::journal::{Journal, Run};
use crate::model::created::Created;
use crate::model::ownership::{key_made_in_same_run, made_during_run, SAME_RUN_WINDOW_SECONDS};

/// What became of the provider, in words for the teardown report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderFate {
    Gone,
    Removed(String),
    Kept(String),
    Failed(String),
}

/// This computer's journal runs in `account_id` that recorded creating `provider_arn`.
pub fn runs_that_made(journal: Option<&Journal>, account_id: &str, provider_arn: &str) -> Vec<Run> {
    let made = Created::OidcProvider {
        arn: provider_arn.to_string(),
    };
    journal
        .and_then(|j| j.runs().ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|run| run.account_id == account_id && run.created.contains(&made))
        .collect()
}

/// How the provider is proven to be this app's, or `None`.
fn proof(found: &oidc::Provider, role: &PrincipalFacts, made_by: &[Run]) -> Option<&'static str> {
    if !tags::iam_is_ours(&found.tags) {
        return None;
    }
    let with_the_role = role
        .run_id()
        .is_some_and(|run| tags::iam_made_by_run(&found.tags, run))
        && key_made_in_same_run(found.created_at, role.created_at);
    if with_the_role {
        return Some("made with this role");
    }
    // A run's steps all happen within the same-run window of its start (the bound the key and
    // principal checks use too).
    let in_a_known_run = made_by.iter().any(|run| {
        let started = i64::try_from(run.started_at).unwrap_or(i64::MAX);
        tags::iam_made_by_run(&found.tags, &run.id)
            && made_during_run(found.created_at, started, started + SAME_RUN_WINDOW_SECONDS)
    });
    in_a_known_run.then_some("made by a setup run this computer recorded")
}

/// Removes `provider_arn` when this app provably made it and nothing trusts it; otherwise says
/// why it is kept. `role` is what IAM showed of the role before it was deleted; `made_by` the
/// journal runs that recorded creating the provider ([`runs_that_made`]).
pub async fn retire_provider(
    iam: &aws_sdk_iam::Client,
    role: &PrincipalFacts,
    provider_arn: &str,
    made_by: &[Run],
) -> ProviderFate {
    let found = match oidc::provider(iam, provider_arn).await {
        Ok(Some(found)) => found,
        Ok(None) => return ProviderFate::Gone,
        Err(failure) => {
            return ProviderFate::Failed(format!(
                "OIDC provider {provider_arn}: {failure}. {}",
                failure.hint()
            ))
        }
    };
    let Some(how) = proof(&found, role, made_by) else {
        return ProviderFate::Kept(unproven(provider_arn, &found));
    };
    match oidc::roles_trusting(iam, provider_arn).await {
        Ok(roles) if roles.is_empty() => match oidc::delete_provider(iam, provider_arn).await {
            Ok(()) => ProviderFate::Removed(format!(
                "OIDC provider {provider_arn} ({how}; no role trusts it any more)"
            )),
            Err(failure) => ProviderFate::Failed(format!(
                "OIDC provider {provider_arn}: {failure}. {}",
                failure.hint()
            )),
        },
        Ok(roles) => ProviderFate::Kept(format!(
            "OIDC provider {provider_arn}: kept, still trusted by {}; the teardown of the last of them removes it",
            roles.join(", ")
        )),
        Err(failure) => ProviderFate::Failed(format!(
            "OIDC provider {provider_arn}: whether other roles trust it could not be checked \
             ({failure}), so it is kept"
        )),
    }
}

fn unproven(provider_arn: &str, found: &oidc::Provider) -> String {
    if !tags::iam_is_ours(&found.tags) {
        return format!(
            "OIDC provider {provider_arn}: kept, this app did not make it for this setup"
        );
    }
    format!(
        "OIDC provider {provider_arn}: kept, this app did not make it for this setup, and though its tags name this app, the run that made it is not one this computer recorded, so it cannot prove it made it. If no role uses it any more (IAM console, Roles, trusted entities), delete it there under Identity providers"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ownership::PrincipalFacts;

    fn provider(run: &str, created_at: i64) -> oidc::Provider {
        oidc::Provider {
            arn: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
                .into(),
            created_at,
            client_ids: vec![],
            tags: tags::iam_tags(run),
        }
    }

    fn role_facts(run: Option<&str>, created_at: i64) -> PrincipalFacts {
        PrincipalFacts {
            arn: "arn:aws:iam::111122223333:role/csfle-provisioner/r".into(),
            path: tags::IAM_PATH.into(),
            created_at,
            tags: run.map(tags::iam_tags).unwrap_or_default(),
            boundary: None,
            trust: None,
        }
    }

    fn run(id: &str, started_at: u64) -> Run {
        let mut run: Run = serde_json::from_value(serde_json::json!({
            "id": id, "account_id": "111122223333", "region": "us-east-1", "endpoint": null,
            "principal_kind": "role", "principal_name": "deploy", "policy_name": "p",
            "key_arn": null, "key_alias": null, "keychain_account": null, "state": "torn-down",
            "started_at": started_at, "created": []
        }))
        .unwrap();
        run.created.push(Created::OidcProvider {
            arn: provider(id, 0).arn,
        });
        run
    }

    #[test]
    fn only_a_run_tag_with_a_creation_time_inside_that_recorded_run_proves_the_provider() {
        let other_role = role_facts(Some("migrate-run"), 5_000_000);
        let made = provider("deploy-run", 1_000_100);
        assert_eq!(proof(&made, &other_role, &[]), None, "tags alone");
        let journal = [run("deploy-run", 1_000_000)];
        assert!(proof(&made, &other_role, &journal).is_some());
        // The same tags on a provider made long after that run: someone copied them.
        let copied = provider("deploy-run", 1_000_000 + SAME_RUN_WINDOW_SECONDS + 3_600);
        assert_eq!(proof(&copied, &other_role, &journal), None);
        // A run the journal knows, but whose tag the provider does not carry.
        let elsewhere = provider("unknown-run", 1_000_100);
        assert_eq!(proof(&elsewhere, &other_role, &journal), None);
        // The role's own run, as before.
        let own_role = role_facts(Some("deploy-run"), 1_000_050);
        assert!(proof(&made, &own_role, &[]).is_some());
    }
}
