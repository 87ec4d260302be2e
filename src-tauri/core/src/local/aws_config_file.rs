//! Adds, replaces and removes one profile section of the AWS shared config file, leaving every
//! byte outside that section as it was (comments, order, other profiles, line endings).

/// First line of every section this app writes: proof that a section is ours to change.
pub const MARKER: &str = "# managed by csfle-provisioner: credentials come from the OS keychain";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigEditError {
    #[error("The profile {0} already exists in your AWS config and was not made by this app")]
    NotOurs(String),
    #[error("{0:?} cannot be used as a profile name")]
    BadName(String),
}

/// The lines of our section, without line endings.
pub fn section_lines(profile: &str, region: &str, credential_process: &str) -> Vec<String> {
    vec![
        header_for(profile),
        MARKER.to_string(),
        format!("credential_process = {credential_process}"),
        format!("region = {region}"),
    ]
}

fn header_for(profile: &str) -> String {
    if profile == "default" {
        "[default]".into()
    } else {
        format!("[profile {profile}]")
    }
}

/// The profile a header line opens, if it is one (`[default]`, `[profile x]`).
fn header_name(line: &str) -> Option<String> {
    let inner = line.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    if inner == "default" {
        return Some("default".into());
    }
    let rest = inner.strip_prefix("profile")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    Some(rest.trim().to_string())
}

fn is_header(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.starts_with('[') && trimmed.ends_with(']')
}

/// Splits keeping each line's ending, so joining the pieces gives back the exact input.
fn lines_with_endings(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The byte range of `profile`'s section: its header up to the next header (trailing blank lines
/// stay outside, so they are kept when the section is replaced).
fn section_range(lines: &[&str], profile: &str) -> Option<(usize, usize)> {
    let start = lines
        .iter()
        .position(|l| header_name(l).as_deref() == Some(profile))?;
    let mut end = lines[start + 1..]
        .iter()
        .position(|l| is_header(l))
        .map_or(lines.len(), |offset| start + 1 + offset);
    while end > start + 1 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    Some((start, end))
}

fn check_name(profile: &str) -> Result<(), ConfigEditError> {
    if crate::validate::profile(profile).is_err() {
        return Err(ConfigEditError::BadName(profile.to_string()));
    }
    Ok(())
}

/// `original` with our section for `profile` added or replaced.
pub fn upsert(
    original: &str,
    profile: &str,
    new_lines: &[String],
) -> Result<String, ConfigEditError> {
    check_name(profile)?;
    let newline = if original.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let lines = lines_with_endings(original);
    let section: String = new_lines.iter().map(|l| format!("{l}{newline}")).collect();
    match section_range(&lines, profile) {
        Some((start, end)) => {
            if !lines[start..end].iter().any(|l| l.trim_end() == MARKER) {
                return Err(ConfigEditError::NotOurs(profile.to_string()));
            }
            let mut out: String = lines[..start].concat();
            out.push_str(&section);
            out.push_str(&lines[end..].concat());
            Ok(out)
        }
        None => {
            let mut out = original.to_string();
            if !out.is_empty() {
                if !out.ends_with('\n') {
                    out.push_str(newline);
                }
                out.push_str(newline);
            }
            out.push_str(&section);
            Ok(out)
        }
    }
}

/// `original` without our section for `profile`; unchanged when there is none.
pub fn remove(original: &str, profile: &str) -> Result<String, ConfigEditError> {
    check_name(profile)?;
    let lines = lines_with_endings(original);
    match section_range(&lines, profile) {
        Some((start, end)) => {
            if !lines[start..end].iter().any(|l| l.trim_end() == MARKER) {
                return Err(ConfigEditError::NotOurs(profile.to_string()));
            }
            Ok(format!(
                "{}{}",
                lines[..start].concat(),
                lines[end..].concat()
            ))
        }
        None => Ok(original.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ours(profile: &str) -> Vec<String> {
        section_lines(profile, "us-east-1", "\"/usr/bin/csfle-provisioner-cli\" credential-process --user app --account 111122223333")
    }

    const CONFIG: &str = "# my settings\n[default]\nregion = eu-west-1\n\n[profile admin]  \n; comment\nsso_session = corp\n\n[sso-session corp]\nsso_region = us-east-1\n";

    #[test]
    fn adding_keeps_everything_else_byte_for_byte() {
        let edited = upsert(CONFIG, "csfle-app", &ours("csfle-app")).unwrap();
        assert!(edited.starts_with(CONFIG));
        assert!(edited.ends_with("region = us-east-1\n"));
        assert_eq!(
            remove(&edited, "csfle-app").unwrap().trim_end(),
            CONFIG.trim_end()
        );
    }

    #[test]
    fn replacing_only_touches_our_section() {
        let once = upsert(CONFIG, "csfle-app", &ours("csfle-app")).unwrap();
        let with_more = format!("{once}\n[profile later]\nregion = ap-south-1\n");
        let mut changed = ours("csfle-app");
        changed[3] = "region = eu-central-1".into();
        let twice = upsert(&with_more, "csfle-app", &changed).unwrap();
        assert_eq!(
            twice,
            with_more.replace(
                "region = us-east-1\n\n[profile later]",
                "region = eu-central-1\n\n[profile later]"
            )
        );
    }

    #[test]
    fn a_profile_we_did_not_write_is_refused() {
        assert_eq!(
            upsert(CONFIG, "admin", &ours("admin")),
            Err(ConfigEditError::NotOurs("admin".into()))
        );
        assert_eq!(
            remove(CONFIG, "default"),
            Err(ConfigEditError::NotOurs("default".into()))
        );
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let crlf = CONFIG.replace('\n', "\r\n");
        let edited = upsert(&crlf, "csfle-app", &ours("csfle-app")).unwrap();
        assert!(edited.starts_with(&crlf));
        assert!(!edited.replace("\r\n", "").contains('\n'));
    }

    proptest! {
        #[test]
        fn any_file_round_trips_outside_our_section(original in "(\\PC{0,30}(\r?\n)?){0,12}", name in "[a-z][a-z0-9-]{0,12}") {
            let profile = format!("csfle-{name}");
            prop_assume!(!original.contains(&format!("profile {profile}")));
            let edited = upsert(&original, &profile, &ours(&profile)).unwrap();
            prop_assert!(edited.starts_with(&original));
            let removed = remove(&edited, &profile).unwrap();
            // Back to the original, plus at most the line breaks that separated our section.
            prop_assert!(removed.starts_with(&original));
            prop_assert!(removed[original.len()..].chars().all(|c| c == '\r' || c == '\n'));
            prop_assert!(!removed.contains(MARKER));
        }

        #[test]
        fn editing_never_panics(original in "\\PC{0,400}", profile in "\\PC{0,20}") {
            let _ = upsert(&original, &profile, &ours("x"));
            let _ = remove(&original, &profile);
        }
    }
}
