//! Whether a user or role is this app's to change. Rotate and teardown act only on a principal
//! [`prove`] shows this app made (tags, its own inline policy, its IAM path or age); a tag alone
//! proves nothing, since anyone allowed to tag can write ours.

use crate::aws::connect::Connection;
use crate::aws::ownership::{facts, inline_policy_names, PrincipalFacts};
use crate::aws::tags;
use crate::error::aws::AwsFailureKind;
use crate::error::ProvisionError;
use crate::model::ownership::{
    judge_principal, made_by_known_run, unproven_message, KnownRun, PrincipalEvidence,
};
use crate::model::principal::Principal;

/// A principal this app can prove it made, with what the proof found.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    pub facts: PrincipalFacts,
    /// The app's own inline policy: its name and the one key it grants. `None` only when the
    /// proof is a run this computer's journal knows (the policy may already be removed).
    pub policy: Option<(String, String)>,
}

/// The app's own inline policy on the principal: (its name, the one key it grants), the first
/// that grants exactly kms:Encrypt and kms:Decrypt on one key. Its name is the admin's choice
/// (any name), so the document is what counts.
pub async fn app_policy(
    iam: &aws_sdk_iam::Client,
    principal: Principal<'_>,
) -> Result<Option<(String, String)>, ProvisionError> {
    for name in inline_policy_names(iam, principal).await? {
        let document = crate::aws::iam::inline_policy_document(iam, principal, &name).await?;
        if let Some(arn) = crate::aws::policy::single_resource(&document) {
            if crate::aws::policy::is_least_privilege(&document, &arn) {
                return Ok(Some((name, arn)));
            }
        }
    }
    Ok(None)
}

/// Proves the principal this app's, or refuses with why not (before anything is changed):
/// its tags, its own inline policy and its IAM path (or an age from before the path) must all
/// agree, or it must carry the run tag of a run in `known_runs` and have been made during it.
/// Extra policies, groups or a password someone added since do not matter here.
pub async fn prove(
    connection: &Connection,
    principal: Principal<'_>,
    known_runs: &[KnownRun],
) -> Result<Proof, ProvisionError> {
    let iam = connection.iam();
    let facts = facts(&iam, principal).await.map_err(|failure| {
        if failure.kind == AwsFailureKind::NotFound {
            ProvisionError::NotFound(format!("The {} does not exist", principal.describe()))
        } else {
            failure.into()
        }
    })?;
    let tagged_by_app = tags::iam_is_ours(&facts.tags);
    // Without the app's tag there is nothing to prove: the policies are not even read.
    let policy = match tagged_by_app {
        true => app_policy(&iam, principal).await?,
        false => None,
    };
    let evidence = PrincipalEvidence {
        tagged_by_app,
        under_app_path: facts.path == tags::IAM_PATH,
        created_at: facts.created_at,
        has_app_policy: policy.is_some(),
    };
    let verdict = judge_principal(&evidence);
    let by_run = made_by_known_run(facts.run_id(), facts.created_at, known_runs);
    match verdict {
        Ok(()) => Ok(Proof { facts, policy }),
        Err(_) if by_run => Ok(Proof { facts, policy }),
        Err(reason) => Err(ProvisionError::NotOurs(unproven_message(
            &format!("The {}", principal.describe()),
            &reason,
        ))),
    }
}
