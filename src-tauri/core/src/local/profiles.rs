//! The profiles of the AWS shared config and credentials files, for the profile picker. Only
//! section names and regions are read; credentials in those files are never read by this module.

use serde::Serialize;
use std::path::PathBuf;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ProfileInfo {
    pub name: String,
    pub region: Option<String>,
}

/// The home folder, only when it is named by an absolute path (an empty or relative `HOME` would
/// put `.aws` under the working directory).
fn home() -> Option<PathBuf> {
    let absolute = |name| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    absolute("HOME").or_else(|| absolute("USERPROFILE"))
}

/// `AWS_CONFIG_FILE`, else `~/.aws/config`: the same file the SDK reads (a relative
/// `AWS_CONFIG_FILE` is relative to the working directory, as for the SDK).
pub fn config_path() -> Option<PathBuf> {
    std::env::var_os("AWS_CONFIG_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws").join("config")))
        .and_then(|p| std::path::absolute(p).ok())
}

pub fn credentials_path() -> Option<PathBuf> {
    std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws").join("credentials")))
}

/// Every profile the two files define, sorted, `default` first.
pub fn list() -> Vec<ProfileInfo> {
    let read = |path: Option<PathBuf>| {
        path.and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    };
    merge(&read(config_path()), &read(credentials_path()))
}

/// Profile names from config text (`[default]`, `[profile x]`) and credentials text (`[x]`).
pub fn merge(config: &str, credentials: &str) -> Vec<ProfileInfo> {
    let mut profiles: Vec<ProfileInfo> = Vec::new();
    let mut current: Option<usize> = None;
    for line in config.lines() {
        let line = line.trim();
        if let Some(section) = section_name(line) {
            let name = if section == "default" {
                Some("default")
            } else {
                section.strip_prefix("profile ").map(str::trim)
            };
            current = name.map(|n| upsert(&mut profiles, n));
        } else if let (Some(index), Some((key, value))) = (current, line.split_once('=')) {
            // Only a region this app knows: the value reaches the UI and the connection.
            if key.trim() == "region" {
                profiles[index].region = crate::validate::region(value.trim()).ok();
            }
        }
    }
    for line in credentials.lines() {
        if let Some(section) = section_name(line.trim()) {
            upsert(&mut profiles, section.trim());
        }
    }
    profiles.sort_by(|a, b| (a.name != "default", &a.name).cmp(&(b.name != "default", &b.name)));
    profiles
}

fn section_name(line: &str) -> Option<&str> {
    line.strip_prefix('[')?.strip_suffix(']').map(str::trim)
}

fn upsert(profiles: &mut Vec<ProfileInfo>, name: &str) -> usize {
    if let Some(index) = profiles.iter().position(|p| p.name == name) {
        return index;
    }
    profiles.push(ProfileInfo {
        name: name.to_string(),
        region: None,
    });
    profiles.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_files_contribute_and_other_sections_are_ignored() {
        let config = "[default]\nregion = eu-west-1\n\n[profile admin-sso]\nsso_session = corp\nregion=us-east-2\n[sso-session corp]\nsso_region = us-east-1\n[services dev]\n[profile odd]\nregion = <img src=x onerror=alert(1)>\n";
        let credentials =
            "[default]\naws_access_key_id = AKIA\n[legacy]\naws_secret_access_key = s\n";
        let names: Vec<_> = merge(config, credentials)
            .into_iter()
            .map(|p| (p.name, p.region))
            .collect();
        assert_eq!(
            names,
            vec![
                ("default".to_string(), Some("eu-west-1".to_string())),
                ("admin-sso".to_string(), Some("us-east-2".to_string())),
                ("legacy".to_string(), None),
                ("odd".to_string(), None),
            ]
        );
    }
}
