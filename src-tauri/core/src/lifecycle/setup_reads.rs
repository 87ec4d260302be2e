//! What the setups view asks AWS about one setup: each question once, all of them at once, through
//! one shared [`Backoff`]. What AWS answers for the whole account in a few calls ([`Account`]:
//! every user and role with its policies, the credential report, service credentials, aliases)
//! is read once per listing; a setup missing from those answers is asked about on its own. The
//! answers are judged by [`crate::lifecycle::setups`].

use crate::aws::account_reads::{self, Detail, Details};
use crate::aws::backoff::Backoff;
use crate::aws::connect::Connection;
use crate::aws::credential_report::{self, Report};
use crate::aws::outside_changes::{self, Extra};
use crate::aws::ownership::{self, PrincipalFacts};
use crate::error::aws::AwsFailure;
use crate::model::findings::UNUSED_WARN_DAYS;
use crate::model::principal::{Principal, PrincipalKind};
use aws_sdk_iam::types::AccessKeyMetadata;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use std::collections::HashMap;
use std::sync::Arc;
/// An inline policy's name and its document (`Err` when it could not be read).
pub type InlinePolicy = (String, Result<serde_json::Value, String>);

/// IAM's answers about one user or role.
pub struct PrincipalReads {
    /// GetUser/GetRole (or the account's details): ARN, path, creation time, tags, boundary.
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

/// The credential report, read once and awaited by every setup that needs it.
pub type SharedReport = Shared<BoxFuture<'static, Option<Arc<Report>>>>;

/// What the account answers once per listing; `None` where AWS refused or failed (each setup is
/// then asked on its own, as before these bulk reads).
pub struct Account {
    pub details: Option<Details>,
    pub service_credentials: Option<HashMap<String, Vec<Extra>>>,
    /// The session's region and the aliases of its keys, by key id.
    pub aliases: Option<(String, HashMap<String, Vec<String>>)>,
    pub report: SharedReport,
}

impl Account {
    /// No bulk answers at all: every setup is asked about on its own.
    pub fn none() -> Account {
        Account {
            details: None,
            service_credentials: None,
            aliases: None,
            report: futures_util::future::ready(None).boxed().shared(),
        }
    }

    /// Reads the account's bulk answers at once; every user and role only when `with_details`.
    /// The credential report is started here and not waited for: IAM may take seconds to make
    /// one, and only the users' sign-in reads need it.
    pub async fn read(connection: &Connection, backoff: &Backoff, with_details: bool) -> Account {
        let iam = connection.iam();
        let report_iam = iam.clone();
        let making = tokio::spawn(async move { credential_report::read(&report_iam).await });
        let report = making
            .map(|done| done.ok().and_then(Result::ok).map(Arc::new))
            .boxed()
            .shared();
        let kms = connection.kms();
        let details = async {
            match with_details {
                true => backoff.run(|| account_reads::details(&iam)).await.ok(),
                false => None,
            }
        };
        let (details, service_credentials, aliases) = tokio::join!(
            details,
            backoff.run(|| account_reads::service_credentials(&iam)),
            backoff.run(|| account_reads::aliases(&kms)),
        );
        Account {
            details,
            service_credentials: service_credentials.ok(),
            aliases: aliases
                .ok()
                .flatten()
                .map(|found| (connection.region().to_string(), found)),
            report,
        }
    }

    /// The key the principal's own policy names, as the setups view will judge it (the first inline
    /// policy that can be read), when the account's details hold the principal.
    pub fn policy_key(&self, principal: Principal<'_>) -> Option<String> {
        let detail = self.detail(principal)?;
        detail
            .inline
            .iter()
            .find_map(|(_, document)| match document {
                Ok(document) if !document.is_null() => {
                    crate::aws::policy::single_resource(document)
                }
                _ => None,
            })
    }

    fn detail(&self, principal: Principal<'_>) -> Option<&Detail> {
        let details = self.details.as_ref()?;
        match principal.kind {
            PrincipalKind::User => details.users.get(principal.name),
            PrincipalKind::Role => details.roles.get(principal.name),
        }
    }
}

/// Everything IAM is asked about `principal`, at once: from the account's answers when they
/// hold it, else by asking about it alone.
pub async fn principal(
    connection: &Connection,
    backoff: &Backoff,
    account: &Account,
    principal: Principal<'_>,
) -> PrincipalReads {
    match account.detail(principal) {
        Some(detail) => from_detail(connection, backoff, account, principal, detail).await,
        None => one_by_one(connection, backoff, principal).await,
    }
}

/// A principal the account's answers hold: only a user's access keys, SSH keys and what the
/// credential report does not say are asked.
async fn from_detail(
    connection: &Connection,
    backoff: &Backoff,
    account: &Account,
    principal: Principal<'_>,
    detail: &Detail,
) -> PrincipalReads {
    let iam = connection.iam();
    let user = principal.kind == PrincipalKind::User;
    let (sign_in, access_keys) = tokio::join!(
        async {
            match user {
                true => sign_in(&iam, backoff, account, principal.name).await,
                false => Ok(vec![]),
            }
        },
        async {
            match user {
                true => access_keys(&iam, backoff, Some(&account.report), principal.name).await,
                false => Ok(vec![]),
            }
        },
    );
    let groups_and_sign_in = sign_in.map(|more| [detail.groups.clone(), more].concat());
    PrincipalReads {
        facts: Ok(detail.facts.clone()),
        inline: Ok(detail.inline.clone()),
        managed: Ok(detail.managed.clone()),
        groups_and_sign_in,
        access_keys,
    }
}

/// A user's sign-in material: SSH keys asked now, service credentials from the account's list,
/// password, MFA and certificates from the credential report when it has the user.
async fn sign_in(
    iam: &aws_sdk_iam::Client,
    backoff: &Backoff,
    account: &Account,
    user: &str,
) -> Result<Vec<Extra>, AwsFailure> {
    let ssh = backoff.run(|| outside_changes::ssh_keys(iam, user));
    let services = async {
        match &account.service_credentials {
            Some(all) => Ok(all.get(user).cloned().unwrap_or_default()),
            None => {
                backoff
                    .run(|| outside_changes::service_credentials(iam, user))
                    .await
            }
        }
    };
    let reported = async {
        let report = account.report.clone().await;
        match report.as_ref().and_then(|r| r.users.get(user)) {
            Some(row) => Ok(reported_sign_in(row)),
            None => asked_sign_in(iam, backoff, user).await,
        }
    };
    let (reported, ssh, services) = futures_util::try_join!(reported, ssh, services)?;
    Ok([reported, ssh, services].concat())
}

fn reported_sign_in(row: &credential_report::Row) -> Vec<Extra> {
    let mut extras = Vec::new();
    if row.password {
        extras.push(Extra::ConsolePassword);
    }
    if row.mfa {
        extras.push(Extra::MfaDevice("per IAM's credential report".into()));
    }
    for (uploaded, active) in &row.certificates {
        let state = if *active { "active" } else { "inactive" };
        extras.push(Extra::SigningCertificate(format!(
            "{state}, uploaded {uploaded}"
        )));
    }
    extras
}

async fn asked_sign_in(
    iam: &aws_sdk_iam::Client,
    backoff: &Backoff,
    user: &str,
) -> Result<Vec<Extra>, AwsFailure> {
    let (password, mfa, certificates) = futures_util::try_join!(
        backoff.run(|| outside_changes::console_password(iam, user)),
        backoff.run(|| outside_changes::mfa_devices(iam, user)),
        backoff.run(|| outside_changes::signing_certificates(iam, user)),
    )?;
    Ok([password.into_iter().collect(), mfa, certificates].concat())
}

/// Everything IAM is asked about `principal` when the account's answers do not hold it.
async fn one_by_one(
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
            access_keys(&iam, backoff, None, principal.name).await
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

/// The user's access keys, each with its last use: from the credential report when it has the
/// key and its answer cannot make a finding (the report can only be older than the truth, so a
/// key it shows used lately was used at least that lately), else asked.
async fn access_keys(
    iam: &aws_sdk_iam::Client,
    backoff: &Backoff,
    report: Option<&SharedReport>,
    user: &str,
) -> Result<Vec<(AccessKeyMetadata, Option<String>)>, AwsFailure> {
    let keys = backoff.run(|| ownership::access_keys(iam, user)).await?;
    let report = match report {
        Some(report) => report.clone().await,
        None => None,
    };
    let row = report.as_ref().and_then(|r| r.users.get(user));
    let now = crate::local::journal::now() as i64;
    let last_used = futures_util::future::join_all(keys.iter().map(|key| async move {
        let made = key.create_date().map_or(0, |d| d.secs());
        if let Some(used) = row.and_then(|row| row.key_last_used(made)) {
            if !may_be_unused(made, used.as_deref(), now) {
                return used;
            }
        }
        let id = key.access_key_id().unwrap_or_default();
        backoff
            .run(|| crate::aws::iam::access_key_last_used(iam, id))
            .await
            .ok()
            .flatten()
    }));
    Ok(keys.clone().into_iter().zip(last_used.await).collect())
}

/// Whether a key made at `made` and last used at `used` (per the report) is within a day of
/// IAM.22's idle limit: then only IAM's answer now may judge it.
fn may_be_unused(made: i64, used: Option<&str>, now: i64) -> bool {
    let since = used
        .and_then(|t| {
            aws_smithy_types::DateTime::from_str(t, aws_smithy_types::date_time::Format::DateTime)
                .ok()
        })
        .map_or(made, |t| t.secs());
    (now - since) / 86_400 + 1 >= i64::from(UNUSED_WARN_DAYS)
}

/// Everything KMS is asked about the key, at once, in the key's own region.
pub async fn key(
    connection: &Connection,
    backoff: &Backoff,
    account: &Account,
    arn: &str,
) -> KeyReads {
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
    let listed = account.aliases.as_ref().filter(|(region, _)| {
        crate::aws::connect::key_region(arn).is_none_or(|r| r == region.as_str())
    });
    let aliases = async {
        match listed {
            Some((_, by_key)) => {
                let id = arn.rsplit('/').next().unwrap_or(arn);
                Ok(by_key.get(id).cloned().unwrap_or_default())
            }
            None => {
                backoff
                    .run(|| ownership::key_aliases(connection, arn))
                    .await
            }
        }
    };
    let rotation = backoff.run(|| crate::aws::kms::rotation_enabled(&kms, arn));
    let (state, tags, aliases, rotation) = tokio::join!(state, tags, aliases, rotation);
    KeyReads {
        state,
        tags,
        aliases,
        rotation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_judges_a_key_only_far_from_the_idle_limit() {
        let now = 1_800_000_000;
        let day = 86_400;
        let used =
            |days_ago: i64| aws_smithy_types::DateTime::from_secs(now - days_ago * day).to_string();
        // Used lately, or young and never used: a use since the report changes no finding.
        assert!(!may_be_unused(now - 400 * day, Some(&used(3)), now));
        assert!(!may_be_unused(now - 10 * day, None, now));
        // Near or past 45 idle days: IAM is asked now, since a use after the report would count.
        assert!(may_be_unused(now - 400 * day, Some(&used(44)), now));
        assert!(may_be_unused(now - 50 * day, None, now));
    }
}
