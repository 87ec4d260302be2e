//! The OIDC provider a web-identity role trusted, after the role is gone: one provider serves
//! every role of the account that trusts its issuer, so it goes only if this app made it for
//! this very setup (its tags, the role's run tag, made with the role) and no role trusts it now.

use crate::aws::oidc;
use crate::aws::ownership::PrincipalFacts;
use crate::aws::tags;
use crate::model::ownership::key_made_in_same_run;

/// What became of the provider, in words for the teardown report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderFate {
    Gone,
    Removed(String),
    Kept(String),
    Failed(String),
}

/// Removes `provider_arn` when the setup's run made it and nothing trusts it; otherwise says why
/// it is kept. `role` is what IAM showed of the role before it was deleted.
pub async fn retire_provider(
    iam: &aws_sdk_iam::Client,
    role: &PrincipalFacts,
    provider_arn: &str,
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
    let made_for_this = tags::iam_is_ours(&found.tags)
        && role
            .run_id()
            .is_some_and(|run| tags::iam_made_by_run(&found.tags, run))
        && key_made_in_same_run(found.created_at, role.created_at);
    if !made_for_this {
        return ProviderFate::Kept(format!(
            "OIDC provider {provider_arn}: kept, this app did not make it for this setup"
        ));
    }
    match oidc::roles_trusting(iam, provider_arn).await {
        Ok(roles) if roles.is_empty() => match oidc::delete_provider(iam, provider_arn).await {
            Ok(()) => ProviderFate::Removed(format!("OIDC provider {provider_arn}")),
            Err(failure) => ProviderFate::Failed(format!(
                "OIDC provider {provider_arn}: {failure}. {}",
                failure.hint()
            )),
        },
        Ok(roles) => ProviderFate::Kept(format!(
            "OIDC provider {provider_arn}: kept, still trusted by {}",
            roles.join(", ")
        )),
        Err(failure) => ProviderFate::Failed(format!(
            "OIDC provider {provider_arn}: whether other roles trust it could not be checked \
             ({failure}), so it is kept"
        )),
    }
}
