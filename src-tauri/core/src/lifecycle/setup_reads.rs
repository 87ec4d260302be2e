//! What the setups view asks AWS about one setup: each question once, all of them at once, through
//! one shared [`Backoff`]. The answers are judged by [`crate::lifecycle::setups`].

use crate::aws::backoff::Backoff;
use crate::aws::connect::Connection;
use crate::aws::outside_changes::{self, Extra};
use crate::aws::ownership::{self, PrincipalFacts};
use crate::error::aws::AwsFailure;
use crate::model::principal::{Principal, PrincipalKind};
use aws_sdk_iam::types::AccessKeyMetadata;

/// An inline policy's name and its document (`Err` when it could not be read).
pub type InlinePolicy = (String, Result<serde_json::Value, String>);

/// IAM's answers about one user or role.
pub struct PrincipalReads {
    /// GetUser/GetRole: ARN, path, creation time, tags, boundary.
    pub facts: Result<PrincipalFacts, AwsFailure>,
    /// Every inline policy, with its document.
    pub inline: Result<Vec<InlinePolicy>, AwsFailure>,
    /// The managed policies attached.
    pub managed: Result<Vec<Extra>, AwsFailure>,
    /// A user's groups and sign-in material (empty for a role).
    pub groups_and_sign_in: Result<Vec<Extra>, AwsFailure>,
    /// A user's access keys with their last use (empty for a role).
    pub access_keys: Result<Vec<(AccessKeyMetadata, Option<String>)>, AwsFailure>,
}

/// KMS's answers about one key.
pub struct KeyReads {
    /// `None` when KMS has no such key.
    pub state: Result<Option<String>, AwsFailure>,
    pub tags: Result<Vec<aws_sdk_kms::types::Tag>, AwsFailure>,
    pub aliases: Result<Vec<String>, AwsFailure>,
    pub rotation: Result<bool, AwsFailure>,
}

/// Everything IAM is asked about `principal`, at once.
pub async fn principal(
    connection: &Connection,
    backoff: &Backoff,
    principal: Principal<'_>,
) -> PrincipalReads {
    let iam = connection.iam();
    let user = principal.kind == PrincipalKind::User;
    let facts = backoff.run(|| ownership::facts(&iam, principal));
    let inline = inline_policies(&iam, backoff, principal);
    let managed = backoff.run(|| outside_changes::managed_policies(&iam, principal));
    let groups_and_sign_in = async {
        if user {
            backoff
                .run(|| outside_changes::groups_and_sign_in(&iam, principal.name))
                .await
        } else {
            Ok(vec![])
        }
    };
    let access_keys = async {
        if user {
            access_keys(&iam, backoff, principal.name).await
        } else {
            Ok(vec![])
        }
    };
    let (facts, inline, managed, groups_and_sign_in, access_keys) =
        tokio::join!(facts, inline, managed, groups_and_sign_in, access_keys);
    PrincipalReads {
        facts,
        inline,
        managed,
        groups_and_sign_in,
        access_keys,
    }
}

/// The names of the inline policies, then every document at once (in the order IAM lists them).
async fn inline_policies(
    iam: &aws_sdk_iam::Client,
    backoff: &Backoff,
    principal: Principal<'_>,
) -> Result<Vec<InlinePolicy>, AwsFailure> {
    let names = backoff
        .run(|| ownership::inline_policy_names(iam, principal))
        .await?;
    let documents = futures_util::future::join_all(names.iter().map(|name| async move {
        let document = backoff
            .run(|| crate::aws::iam::inline_policy_document(iam, principal, name))
            .await
            .map_err(|e| e.to_string());
        (name.clone(), document)
    }));
    Ok(documents.await)
}

async fn access_keys(
    iam: &aws_sdk_iam::Client,
    backoff: &Backoff,
    user: &str,
) -> Result<Vec<(AccessKeyMetadata, Option<String>)>, AwsFailure> {
    let keys = backoff.run(|| ownership::access_keys(iam, user)).await?;
    let last_used = futures_util::future::join_all(keys.iter().map(|key| async move {
        let id = key.access_key_id().unwrap_or_default();
        backoff
            .run(|| crate::aws::iam::access_key_last_used(iam, id))
            .await
            .ok()
            .flatten()
    }));
    Ok(keys.clone().into_iter().zip(last_used.await).collect())
}

/// Everything KMS is asked about the key, at once, in the key's own region.
pub async fn key(connection: &Connection, backoff: &Backoff, arn: &str) -> KeyReads {
    let kms = connection.kms_for_key(arn);
    let state = backoff.run(|| async {
        let metadata = crate::aws::kms::describe_key(&kms, arn).await?;
        Ok::<_, AwsFailure>(metadata.map(|m| {
            m.key_state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default()
        }))
    });
    let tags = backoff.run(|| crate::aws::kms::tags_of(&kms, arn));
    let aliases = backoff.run(|| ownership::key_aliases(connection, arn));
    let rotation = backoff.run(|| crate::aws::kms::rotation_enabled(&kms, arn));
    let (state, tags, aliases, rotation) = tokio::join!(state, tags, aliases, rotation);
    KeyReads {
        state,
        tags,
        aliases,
        rotation,
    }
}
