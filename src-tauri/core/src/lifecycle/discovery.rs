//! Finding this app's users and roles in an account at a cost that does not grow with the account.
//!
//! Setups live under the app's own IAM path (`tags::IAM_PATH`), so `ListUsers`/`ListRoles` with
//! that `PathPrefix` return only ours. Setups made before the app used a path sit at `/` among
//! everyone else's users: they are looked for by tag only when the admin asks (every page, every
//! user), and the names found are remembered in a small file beside the journal.

use crate::aws::connect::Connection;
use crate::aws::tags;
use crate::error::aws::AwsFailureKind;
use crate::error::ProvisionError;
use crate::model::principal::{Principal, PrincipalKind};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// Tag look-ups in flight at once: quick, and gentle on IAM's request quota.
const CONCURRENT_TAG_READS: usize = 10;
const FILE_NAME: &str = "legacy-setups.json";

/// The one-time look for setups made before the app had its own IAM path, in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LegacyScan {
    /// Unix seconds.
    #[ts(type = "number")]
    pub scanned_at: u64,
    pub users_scanned: u32,
    pub roles_scanned: u32,
    pub users: Vec<String>,
    pub roles: Vec<String>,
}

impl LegacyScan {
    /// What the admin is told, so nobody wonders why an old setup is (or is not) listed.
    pub fn describe(&self) -> String {
        let found = self.users.len() + self.roles.len();
        format!(
            "Setups made before this app kept its users and roles under the IAM path {} were looked \
             for, by tag, among {} users and {} roles: {} found{}. If an older version of this app made setups since, \
             `csfle-provisioner-cli list --rescan` looks again.",
            tags::IAM_PATH,
            self.users_scanned,
            self.roles_scanned,
            found,
            if found == 0 {
                String::new()
            } else {
                format!(" ({})", [&self.users[..], &self.roles[..]].concat().join(", "))
            }
        )
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Remembered {
    accounts: BTreeMap<String, LegacyScan>,
}

/// Every principal of ours in the account, and the legacy scan behind the ones at other paths.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub users: Vec<String>,
    pub roles: Vec<String>,
    pub legacy: LegacyScan,
}

/// Where the scan is remembered: beside the journal, else in the app's data folder.
pub fn dir_for(journal: Option<&crate::local::journal::Journal>) -> PathBuf {
    journal
        .and_then(|j| j.path().parent().map(Path::to_path_buf))
        .unwrap_or_else(crate::local::journal::data_dir)
}

pub fn file_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

fn load(file: &Path) -> Remembered {
    // No data folder (no HOME) leaves a relative name: never read from wherever we were started.
    if !file.is_absolute() {
        return Remembered::default();
    }
    std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn store(file: &Path, remembered: &Remembered) {
    // Only names: losing this file costs one more scan, nothing else, so a failed write is not
    // worth failing the listing over.
    if !file.is_absolute() {
        return;
    }
    if let Ok(bytes) = serde_json::to_vec_pretty(remembered) {
        if let Some(dir) = file.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = crate::local::atomic_file::replace(file, &bytes);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600));
        }
    }
}

/// The remembered legacy scan of `account`, if one was made on this computer.
pub fn remembered(dir: &Path, account: &str) -> Option<LegacyScan> {
    load(&file_in(dir)).accounts.remove(account)
}

/// The names of our users and roles: every one under our path, plus the legacy ones this computer
/// has looked for. Names only: whether each still exists and carries our tag is for the caller to
/// read with the rest of its facts (one GetUser or GetRole). The account-wide tag scan runs only
/// when asked ([`scan`]), never as a side effect of a first listing: it reads every user and role
/// of the account, and a tag is what anyone can copy onto a colleague's principal. `dir` is where
/// the scan is remembered.
pub async fn candidates(
    connection: &Connection,
    dir: Option<&Path>,
) -> Result<Found, ProvisionError> {
    let iam = connection.iam();
    let (users, roles) = futures_util::future::try_join(
        names(&iam, PrincipalKind::User, Some(tags::IAM_PATH)),
        names(&iam, PrincipalKind::Role, Some(tags::IAM_PATH)),
    )
    .await?;
    let legacy = dir
        .and_then(|dir| remembered(dir, connection.account_id()))
        .unwrap_or_default();
    Ok(Found {
        users: users.into_iter().chain(legacy.users.clone()).collect(),
        roles: roles.into_iter().chain(legacy.roles.clone()).collect(),
        legacy,
    })
}

/// Looks through every user and role of the account for setups made before the app had its own
/// IAM path (by tag; the setups view then proves or refuses each), and remembers what it found.
pub async fn scan(connection: &Connection, dir: &Path) -> Result<LegacyScan, ProvisionError> {
    let scan = scan_legacy(&connection.iam()).await?;
    let file = file_in(dir);
    let mut remembered = load(&file);
    remembered
        .accounts
        .insert(connection.account_id().to_string(), scan.clone());
    store(&file, &remembered);
    Ok(scan)
}

/// Every name (all pages) under `prefix`, or every name at any path other than ours.
async fn names(
    iam: &aws_sdk_iam::Client,
    kind: PrincipalKind,
    prefix: Option<&str>,
) -> Result<Vec<String>, ProvisionError> {
    Ok(crate::aws::iam::principal_names(iam, kind, prefix).await?)
}

/// The names among `candidates` that carry our tag. A principal deleted meanwhile is skipped; any
/// other failure stops the listing, so nothing is silently left out.
async fn tagged(
    iam: &aws_sdk_iam::Client,
    kind: PrincipalKind,
    candidates: impl std::future::Future<Output = Result<Vec<String>, ProvisionError>>,
) -> Result<Vec<String>, ProvisionError> {
    let candidates = candidates.await?;
    let checked: Vec<Result<Option<String>, ProvisionError>> =
        futures_util::stream::iter(candidates.into_iter().map(|name| {
            let iam = iam.clone();
            async move {
                let tags =
                    crate::aws::ownership::tags_of(&iam, Principal { kind, name: &name }).await;
                match tags {
                    Ok(tags) => Ok(tags::iam_is_ours(&tags).then_some(name)),
                    Err(failure) if failure.kind == AwsFailureKind::NotFound => Ok(None),
                    Err(failure) => Err(failure.into()),
                }
            }
        }))
        .buffered(CONCURRENT_TAG_READS)
        .collect()
        .await;
    checked.into_iter().filter_map(Result::transpose).collect()
}

async fn scan_legacy(iam: &aws_sdk_iam::Client) -> Result<LegacyScan, ProvisionError> {
    let (users, roles) = futures_util::future::try_join(
        names(iam, PrincipalKind::User, None),
        names(iam, PrincipalKind::Role, None),
    )
    .await?;
    let (users_scanned, roles_scanned) = (count(users.len()), count(roles.len()));
    let (users, roles) = futures_util::future::try_join(
        tagged(iam, PrincipalKind::User, async { Ok(users) }),
        tagged(iam, PrincipalKind::Role, async { Ok(roles) }),
    )
    .await?;
    Ok(LegacyScan {
        scanned_at: crate::local::journal::now(),
        users_scanned,
        roles_scanned,
        users,
        roles,
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
