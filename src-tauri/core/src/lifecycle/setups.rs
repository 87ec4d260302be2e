//! The setups view: every setup this app made in the account, found from AWS by our tags and from
//! the local journal, with the health of each part.

use crate::aws::backoff::Backoff;
use crate::aws::connect::Connection;
use crate::aws::outside_changes::Extra;
use crate::aws::tags;
use crate::aws::{ownership, policy};
use crate::error::aws::{AwsFailure, AwsFailureKind};
use crate::error::ProvisionError;
use crate::lifecycle::setup_findings::{access_keys, note_new_key_use, policies_on_user};
use crate::lifecycle::setup_reads::{self, KeyReads, PrincipalReads};
use crate::local::journal::{Journal, RunState};
use crate::local::keychain::{self, Vault};
use crate::model::findings::{judge, key_age, AccessKeyInfo, Observed, Subject};
use crate::model::ownership::{
    judge_principal as judge_principal_evidence, made_by_known_run, unproven_message, KnownRun,
    Ownership, PrincipalEvidence,
};
use crate::model::principal::{Principal, PrincipalKind};
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;
use ts_rs::TS;

/// Setups read at once. Each asks its own few questions at once too; the pool below bounds the
/// calls in flight, and one shared backoff slows all of them when AWS throttles.
const CONCURRENT_SETUPS: usize = 128;
/// AWS calls in flight at once for one listing.
const CALLS_IN_FLIGHT: usize = 64;
/// Keychain reads at once: each opens its own connection to the platform's store (one daemon on
/// Linux), which serves them one by one anyway. Bounded apart from the AWS calls, so a slow
/// keychain never holds back the reads of setups waiting behind it.
const KEYCHAIN_READS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyHealth {
    LeastPrivilege,
    Drifted,
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SetupSummary {
    pub kind: PrincipalKind,
    /// The IAM user or role name.
    pub name: String,
    pub principal_arn: Option<String>,
    pub key_arn: Option<String>,
    pub key_aliases: Vec<String>,
    pub key_state: Option<String>,
    pub key_created_by_app: bool,
    pub policy_name: Option<String>,
    pub policy: PolicyHealth,
    /// Permissions and sign-in material added outside this app (managed policies, groups, other
    /// inline policies, console sign-in, a permissions boundary, …), in words. Any of them
    /// means the setup is no longer least privilege.
    pub outside_changes: Vec<String>,
    pub access_keys: Vec<AccessKeyInfo>,
    /// Empty for a role: it has no access key to store.
    pub keychain_account: String,
    pub keychain_present: bool,
    /// What `credential-process` may hand out, from the keychain item; `None` for a role or
    /// when the item cannot be read.
    pub credential_terms: Option<crate::model::CredentialTerms>,
    pub journal_state: Option<RunState>,
    /// Security Hub controls judged from what AWS says now.
    pub findings: Vec<crate::model::findings::Finding>,
    /// Each access key's age and last use in human terms.
    pub key_ages: Vec<crate::model::findings::KeyAge>,
    /// Whether this app can prove it made the principal: only then may it be rotated or torn
    /// down. An unproven setup is shown read-only.
    pub ownership: Ownership,
    /// Why the app cannot tell, for an unproven setup.
    pub ownership_reason: Option<String>,
    /// Every recorded copy of the credentials outside this keychain: where, which access key it
    /// holds, when it was written.
    pub deliveries: Vec<crate::local::deliveries::Delivery>,
    /// A rotation waiting to finish: the old key it kept active and why, with the command.
    pub rotation_waiting: Option<String>,
}

/// Every setup, in a stable order (users, then roles, by name).
pub async fn list(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
) -> Result<Vec<SetupSummary>, ProvisionError> {
    list_each(connection, vault, journal, &|_| ()).await
}

/// A setup to describe: a principal under the app's path or remembered by the legacy scan, or one
/// this computer's journal names.
struct Wanted {
    kind: PrincipalKind,
    name: String,
    journal_state: Option<RunState>,
    known: Vec<KnownRun>,
    in_journal: bool,
}

/// Like [`list`], and hands each setup to `on_setup` as soon as it is judged (in whatever order
/// the reads finish), so a window can show each card as it is known.
pub async fn list_each(
    connection: &Connection,
    vault: Arc<dyn Vault>,
    journal: Option<&Journal>,
    on_setup: &(dyn Fn(&SetupSummary) + Send + Sync),
) -> Result<Vec<SetupSummary>, ProvisionError> {
    let reads = connection.for_reads();
    let backoff = Backoff::with_pool(CALLS_IN_FLIGHT);
    let keychain = tokio::sync::Semaphore::new(KEYCHAIN_READS);
    // Our principals by their path, and the account's size: reading every user and role pays
    // only where ours are not lost among thousands.
    let iam = reads.iam();
    let (wanted, principals) = tokio::join!(
        wanted(connection, journal),
        backoff.run(|| crate::aws::account_reads::principal_count(&iam)),
    );
    let wanted = wanted?;
    let key_accounts = crate::lifecycle::key_accounts::recorded(connection, journal).await;
    let with_details =
        principals.is_ok_and(|n| crate::aws::account_reads::details_pay(n, wanted.len()));
    let account = setup_reads::Account::read(&reads, &backoff, with_details).await;
    // The futures are made first, then run: a stream built from closures over borrowed reads
    // is not `Send` to the compiler, and the window runs this on a multi-threaded runtime.
    let reading: Vec<_> = wanted
        .iter()
        .enumerate()
        .map(|(i, want)| {
            let to = Reads {
                key_accounts: &key_accounts,
                connection: &reads,
                backoff: &backoff,
                account: &account,
                keychain: &keychain,
            };
            describe_nth(to, Arc::clone(&vault), i, want)
        })
        .collect();
    let mut judged = futures_util::stream::iter(reading).buffer_unordered(CONCURRENT_SETUPS);
    let mut setups = Vec::new();
    while let Some((i, setup)) = judged.next().await {
        if let Some(setup) = setup {
            on_setup(&setup);
            setups.push((i, setup));
        }
    }
    setups.sort_by_key(|(i, _)| *i);
    Ok(setups.into_iter().map(|(_, s)| s).collect())
}

async fn describe_nth(
    reads: Reads<'_>,
    vault: Arc<dyn Vault>,
    i: usize,
    want: &Wanted,
) -> (usize, Option<SetupSummary>) {
    (i, describe(&reads, vault, want).await)
}

/// Where a setup's questions go: the connection, the listing's shared backoff and pool, and what
/// the account already answered.
struct Reads<'a> {
    connection: &'a Connection,
    /// The key accounts of cross-account setups, through the profiles recorded at provision.
    key_accounts: &'a [Connection],
    backoff: &'a Backoff,
    account: &'a setup_reads::Account,
    keychain: &'a tokio::sync::Semaphore,
}

/// The principals under our path or found by the legacy scan, and those the journal names.
async fn wanted(
    connection: &Connection,
    journal: Option<&Journal>,
) -> Result<Vec<Wanted>, ProvisionError> {
    let runs: Vec<_> = journal
        .and_then(|j| j.runs().ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r.account_id == connection.account_id()
                && r.state != RunState::RolledBack
                && r.state != RunState::TornDown
        })
        .collect();
    let named = |kind: PrincipalKind| -> BTreeSet<String> {
        runs.iter()
            .filter(|r| r.principal_kind == kind)
            .map(|r| r.principal_name.clone())
            .collect()
    };
    // Names only: whether each carries our tag is read with the rest of its facts.
    let dir = crate::lifecycle::discovery::dir_for(journal);
    let found = crate::lifecycle::discovery::candidates(connection, Some(&dir)).await?;
    let mut wanted = Vec::new();
    for (kind, candidates) in [
        (PrincipalKind::User, found.users),
        (PrincipalKind::Role, found.roles),
    ] {
        let in_journal = named(kind);
        let mut names = in_journal.clone();
        names.extend(candidates);
        for name in names {
            let mine = runs
                .iter()
                .filter(|r| r.principal_kind == kind && r.principal_name == name);
            wanted.push(Wanted {
                kind,
                journal_state: mine.clone().next_back().map(|r| r.state),
                known: mine
                    .map(|r| KnownRun {
                        run_id: r.id.clone(),
                        started_at: i64::try_from(r.started_at).unwrap_or(i64::MAX),
                    })
                    .collect(),
                in_journal: in_journal.contains(&name),
                name,
            });
        }
    }
    Ok(wanted)
}

fn empty(
    kind: PrincipalKind,
    name: &str,
    keychain_account: String,
    journal_state: Option<RunState>,
) -> SetupSummary {
    SetupSummary {
        kind,
        name: name.to_string(),
        principal_arn: None,
        key_arn: None,
        key_aliases: vec![],
        key_state: None,
        key_created_by_app: false,
        policy_name: None,
        policy: PolicyHealth::Missing,
        outside_changes: vec![],
        access_keys: vec![],
        keychain_account,
        keychain_present: false,
        credential_terms: None,
        journal_state,
        findings: vec![],
        key_ages: vec![],
        // Known only from this computer's journal until AWS shows the principal.
        ownership: Ownership::Proven,
        ownership_reason: None,
        deliveries: vec![],
        rotation_waiting: None,
    }
    .with_copies()
}

impl SetupSummary {
    /// The copies this computer recorded for the setup (a user's only: a role has no key).
    fn with_copies(mut self) -> SetupSummary {
        let Some((account_id, _)) = self.keychain_account.split_once('/') else {
            return self;
        };
        let account_id = account_id.to_string();
        self.deliveries = crate::local::deliveries::of_setup(&account_id, &self.name);
        self.rotation_waiting = crate::lifecycle::copies::waiting(&account_id, &self.name).map(|r| {
            let behind: Vec<&str> = self
                .deliveries
                .iter()
                .filter(|d| d.access_key_id != r.new_access_key_id || !d.confirmed)
                .map(|d| d.location.as_str())
                .collect();
            format!(
                "The old key {} is still active: {} not hold the new key {} yet (or waits for its import). Finish it with Finish rotation on this card, or csfle-provisioner-cli rotate --user {} --finish (add --confirm-imported once the target imported a new sealed file).",
                crate::mask_access_key_id(&r.old_access_key_id),
                if behind.is_empty() { "a copy does".to_string() } else { format!("{} do(es)", behind.join(", ")) },
                crate::mask_access_key_id(&r.new_access_key_id),
                self.name
            )
        });
        self
    }
}

/// Judges an inline policy document against the least-privilege one for the key it names.
fn judge_policy(summary: &mut SetupSummary, name: &str, document: &serde_json::Value) -> bool {
    // IAM stores documents URL-encoded; one that does not decode says nothing about the key.
    if document.is_null() {
        return false;
    }
    let own_key = policy::single_resource(document);
    let exact = own_key
        .as_deref()
        .is_some_and(|arn| policy::is_least_privilege(document, arn));
    summary.ownership = if exact {
        Ownership::Proven
    } else {
        Ownership::Unproven
    };
    let key_arn = summary.key_arn.clone().or(own_key);
    summary.policy_name = Some(name.to_string());
    summary.policy = match &key_arn {
        Some(arn) if policy::is_least_privilege(document, arn) => PolicyHealth::LeastPrivilege,
        _ => PolicyHealth::Drifted,
    };
    summary.key_arn = key_arn;
    true
}

/// One setup judged from its reads; `None` for a candidate that is gone or does not carry our tag.
async fn describe(reads: &Reads<'_>, vault: Arc<dyn Vault>, want: &Wanted) -> Option<SetupSummary> {
    let connection = reads.connection;
    let principal = Principal {
        kind: want.kind,
        name: &want.name,
    };
    let user = want.kind == PrincipalKind::User;
    let account = if user {
        keychain::account_for(connection.account_id(), &want.name)
    } else {
        String::new()
    };
    // The key is read with the principal: the one its policy names when the account's details
    // already hold that policy (the keychain, local but not always quick, is read meanwhile),
    // else the one the keychain names.
    let (stored_key, principal_reads, early_key) = match reads.account.policy_key(principal) {
        Some(arn) => {
            let (stored, principal_reads, key) = tokio::join!(
                stored_key(
                    reads.keychain,
                    Arc::clone(&vault),
                    user.then(|| account.clone())
                ),
                setup_reads::principal(connection, reads.backoff, reads.account, principal),
                read_key(reads, Some(&arn)),
            );
            (stored, principal_reads, key.map(|key| (arn, key)))
        }
        None => {
            let stored = stored_key(
                reads.keychain,
                Arc::clone(&vault),
                user.then(|| account.clone()),
            )
            .await;
            let stored_arn = stored.as_ref().map(|(_, arn, _)| arn.clone());
            let (principal_reads, key) = tokio::join!(
                setup_reads::principal(connection, reads.backoff, reads.account, principal),
                read_key(reads, stored_arn.as_deref())
            );
            let early = stored_arn.zip(key);
            (stored, principal_reads, early)
        }
    };
    let mut summary = empty(want.kind, &want.name, account, want.journal_state);
    summary.key_arn = stored_key.as_ref().map(|(_, arn, _)| arn.clone());
    summary.credential_terms = stored_key.as_ref().map(|(_, _, terms)| *terms);
    summary.keychain_present = stored_key.is_some();
    let observed_policies = policies_on_user(want.kind, &principal_reads);
    match &principal_reads.facts {
        Ok(facts) if !want.in_journal && !tags::iam_is_ours(&facts.tags) => return None,
        Ok(facts) => {
            summary.principal_arn = Some(facts.arn.clone()).filter(|arn| !arn.is_empty());
        }
        Err(failure) if failure.kind == AwsFailureKind::NotFound && !want.in_journal => {
            return None
        }
        Err(failure) if failure.kind == AwsFailureKind::NotFound => {}
        Err(failure) => {
            summary.ownership = Ownership::Unproven;
            summary.ownership_reason = Some(format!("It could not be read: {failure}"));
        }
    }
    if let Ok(facts) = &principal_reads.facts {
        judge_principal(&mut summary, &principal_reads);
        judge_ownership(&mut summary, facts, &want.known);
        let in_keychain = stored_key.as_ref().map(|(id, _, _)| id.as_str());
        summary.access_keys = access_keys(principal_reads.access_keys, in_keychain);
        note_new_key_use(&mut summary);
    }
    // A key other than the one read early (named only by the policy, or only by the keychain) is
    // read now.
    let key = match early_key {
        Some((arn, key)) if summary.key_arn.as_deref() == Some(arn.as_str()) => Some(key),
        _ => read_key(reads, summary.key_arn.as_deref()).await,
    };
    let rotation = key.map(|key| describe_key(&mut summary, key));
    attach_findings(&mut summary, rotation.flatten(), observed_policies);
    Some(summary)
}

/// A key of another account is read in that account, or not at all: the workload's own
/// credentials would only see it as missing.
async fn read_key(reads: &Reads<'_>, arn: Option<&str>) -> Option<KeyReads> {
    let arn = arn?;
    let own = reads.connection.account_id();
    match crate::aws::connect::key_account_of(arn).filter(|a| *a != own) {
        None => Some(setup_reads::key(reads.connection, reads.backoff, reads.account, arn).await),
        Some(other) => {
            let key_side = reads
                .key_accounts
                .iter()
                .find(|c| c.account_id() == other)?;
            let none = setup_reads::Account::none();
            Some(setup_reads::key(key_side, reads.backoff, &none, arn).await)
        }
    }
}

/// The stored access key's id, key ARN and credential terms, if the keychain has an item for
/// `account`. Only they are kept: the item's secret is dropped (and zeroized) right here.
async fn stored_key(
    places: &tokio::sync::Semaphore,
    vault: Arc<dyn Vault>,
    account: Option<String>,
) -> Option<(String, String, crate::model::CredentialTerms)> {
    let account = account?;
    // Never closed, so a place always comes.
    let _place = places.acquire().await.ok();
    keychain::off_thread(&vault, move |vault| {
        let item = vault.load(&account)?;
        crate::local::credentials::LoadedCredentials::parse(&item)
            .map(|c| (c.access_key_id.clone(), c.key_arn.clone(), c.terms()))
    })
    .await
    .ok()
}

/// Proven only when the tags, the app's own policy (judged just before) and the IAM path or age
/// agree, or the principal is a run this computer's journal knows, made during that run.
fn judge_ownership(
    summary: &mut SetupSummary,
    facts: &ownership::PrincipalFacts,
    known: &[KnownRun],
) {
    let evidence = PrincipalEvidence {
        tagged_by_app: tags::iam_is_ours(&facts.tags),
        under_app_path: facts.path == tags::IAM_PATH,
        created_at: facts.created_at,
        has_app_policy: summary.ownership == Ownership::Proven && summary.policy_name.is_some(),
    };
    let verdict = match judge_principal_evidence(&evidence) {
        Ok(()) => Ok(()),
        Err(_) if made_by_known_run(facts.run_id(), facts.created_at, known) => Ok(()),
        Err(reason) => Err(reason),
    };
    match verdict {
        Ok(()) => {
            summary.ownership = Ownership::Proven;
            summary.ownership_reason = None;
        }
        Err(reason) => {
            summary.ownership = Ownership::Unproven;
            summary.ownership_reason = Some(unproven_message("It", &reason));
        }
    }
}

/// Names what was added outside this app; anything that widens permissions means drift.
fn note_outside_changes(
    summary: &mut SetupSummary,
    found: Result<Vec<crate::aws::outside_changes::Extra>, AwsFailure>,
) {
    let ours = summary.policy_name.clone();
    match found {
        Ok(extras) => {
            let extras: Vec<_> = extras
                .into_iter()
                .filter(|e| !matches!(e, crate::aws::outside_changes::Extra::InlinePolicy(name) if Some(name) == ours.as_ref()))
                .collect();
            if extras.iter().any(|e| e.widens_permissions())
                && summary.policy == PolicyHealth::LeastPrivilege
            {
                summary.policy = PolicyHealth::Drifted;
            }
            summary.outside_changes = extras.iter().map(|e| e.describe()).collect();
        }
        Err(failure) => summary
            .outside_changes
            .push(format!("could not be checked: {failure}")),
    }
}

/// The key's state, aliases and whether this app made it; its rotation (for the findings) when
/// the key exists.
fn describe_key(summary: &mut SetupSummary, key: KeyReads) -> Option<Result<bool, String>> {
    summary.key_state = match key.state {
        Ok(Some(state)) => Some(state).filter(|s| !s.is_empty()),
        Ok(None) | Err(_) => Some("Missing".into()),
    };
    summary.key_created_by_app = key.tags.is_ok_and(|t| tags::kms_is_ours(&t));
    if let Ok(aliases) = key.aliases {
        summary.key_aliases = aliases;
    }
    (summary.key_state.as_deref() != Some("Missing"))
        .then(|| key.rotation.map_err(|failure| failure.to_string()))
}

/// The setup's inline policy judged (the first that names one key) and what other admins added.
fn judge_principal(summary: &mut SetupSummary, reads: &PrincipalReads) {
    if let Ok(policies) = &reads.inline {
        for (name, document) in policies {
            if let Ok(document) = document {
                if judge_policy(summary, name, document) {
                    break;
                }
            }
        }
    }
    note_outside_changes(summary, outside_changes(reads));
}

/// Everything on the principal besides its access keys, as teardown would find it.
fn outside_changes(reads: &PrincipalReads) -> Result<Vec<Extra>, AwsFailure> {
    let mut extras = reads.managed.clone()?;
    extras.extend(reads.groups_and_sign_in.clone()?);
    let inline = reads.inline.as_ref().map_err(Clone::clone)?;
    extras.extend(
        inline
            .iter()
            .map(|(name, _)| Extra::InlinePolicy(name.clone())),
    );
    let boundary = reads.facts.as_ref().map_err(Clone::clone)?.boundary.clone();
    extras.extend(boundary.map(Extra::PermissionsBoundary));
    Ok(extras)
}

fn subject_of(summary: &SetupSummary) -> Subject<'_> {
    Subject {
        kind: summary.kind,
        name: &summary.name,
        key_state: summary.key_state.as_deref(),
        access_keys: &summary.access_keys,
    }
}

/// Judges a listed setup's Security Hub controls and stores the result in it.
fn attach_findings(
    summary: &mut SetupSummary,
    rotation_enabled: Option<Result<bool, String>>,
    user_policies: Option<Result<Vec<String>, String>>,
) {
    let observed = Observed {
        rotation_enabled,
        user_policies,
    };
    let now = crate::local::journal::now() as i64;
    let subject = subject_of(summary);
    summary.findings = judge(&subject, &observed, now);
    summary.key_ages = summary
        .access_keys
        .iter()
        .map(|key| key_age(key, now))
        .collect();
}
