//! IAM's credential report: one CSV for the whole account that says, per user, whether it has a
//! console password, an MFA device, signing certificates, and when each access key was last used.
//! It replaces four calls per user in the setups view. IAM makes a new one only when the last is
//! more than four hours old, so it can be that old: a user or access key made since is not in it
//! and is read directly, and teardown reads everything again before it acts.

use crate::error::aws::AwsFailure;
use std::collections::HashMap;
use std::time::Duration;

/// Asks for the report while IAM is still making it, at most this many times.
const TRIES: u32 = 8;
const PAUSE: Duration = Duration::from_millis(250);

/// One user's row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub password: bool,
    pub mfa: bool,
    /// Each access key's creation time (unix seconds) and last use (RFC 3339), in IAM's order.
    pub keys: Vec<(i64, Option<String>)>,
    /// Each signing certificate's upload time (RFC 3339) and whether it is active.
    pub certificates: Vec<(String, bool)>,
}

/// The report, by user name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// When IAM made it, unix seconds.
    pub generated_at: i64,
    pub users: HashMap<String, Row>,
}

impl Row {
    /// The last use of the access key made at `created_at`, if the report has that key:
    /// `Some(None)` for a key never used.
    pub fn key_last_used(&self, created_at: i64) -> Option<Option<String>> {
        self.keys
            .iter()
            .find(|(made, _)| *made == created_at)
            .map(|(_, used)| used.clone())
    }
}

/// The account's report, asking IAM to make one first (IAM keeps a report for four hours and
/// answers at once while it is that fresh).
pub async fn read(iam: &aws_sdk_iam::Client) -> Result<Report, AwsFailure> {
    iam.generate_credential_report()
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("iam:GenerateCredentialReport", &e))?;
    let mut tries = 0;
    loop {
        tries += 1;
        match iam.get_credential_report().send().await {
            Ok(reply) => {
                let content = reply.content().map(|b| b.as_ref()).unwrap_or_default();
                let generated_at = reply.generated_time().map_or(0, |t| t.secs());
                return Ok(parse(&String::from_utf8_lossy(content), generated_at));
            }
            Err(e) => {
                let failure = AwsFailure::from_sdk("iam:GetCredentialReport", &e);
                let making = e.as_service_error().is_some_and(|s| {
                    s.is_credential_report_not_ready_exception()
                        || s.is_credential_report_not_present_exception()
                });
                if !making || tries >= TRIES {
                    return Err(failure);
                }
                tokio::time::sleep(PAUSE).await;
            }
        }
    }
}

/// The report's times are ISO 8601 in UTC with a `+00:00` offset, which the SDK's parser does
/// not take: it wants `Z`.
fn time(text: &str) -> Option<i64> {
    let text = match text.strip_suffix("+00:00") {
        Some(utc) => format!("{utc}Z"),
        None => text.to_string(),
    };
    aws_smithy_types::DateTime::from_str(&text, aws_smithy_types::date_time::Format::DateTime)
        .ok()
        .map(|t| t.secs())
}

/// RFC 3339 as the rest of the app writes it (`GetAccessKeyLastUsed`'s form).
fn rfc3339(text: &str) -> Option<String> {
    time(text).map(|secs| aws_smithy_types::DateTime::from_secs(secs).to_string())
}

/// The rows of the CSV; a row it cannot read is left out (that user is then read directly).
pub fn parse(csv: &str, generated_at: i64) -> Report {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name);
    let mut users = HashMap::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let cell = |name: &str| column(name).and_then(|i| cells.get(i).copied());
        let (Some(user), Some(password), Some(mfa)) =
            (cell("user"), cell("password_enabled"), cell("mfa_active"))
        else {
            continue;
        };
        let mut row = Row {
            password: password == "true",
            mfa: mfa == "true",
            ..Row::default()
        };
        for n in 1..=2 {
            if let Some(made) = cell(&format!("access_key_{n}_last_rotated")).and_then(time) {
                let used = cell(&format!("access_key_{n}_last_used_date")).and_then(rfc3339);
                row.keys.push((made, used));
            }
            let uploaded = cell(&format!("cert_{n}_last_rotated")).filter(|t| time(t).is_some());
            if let Some(uploaded) = uploaded {
                let active = cell(&format!("cert_{n}_active")) == Some("true");
                row.certificates.push((uploaded.to_string(), active));
            }
        }
        users.insert(user.to_string(), row);
    }
    Report {
        generated_at,
        users,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n\
<root_account>,arn:aws:iam::1:root,2020-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
app,arn:aws:iam::1:user/csfle-provisioner/app,2026-12-01T14:41:54+00:00,true,no_information,2026-12-01T14:41:54+00:00,not_supported,false,true,2026-12-01T14:41:54+00:00,2026-12-01T15:00:00+00:00,us-east-1,kms,true,2026-12-01T16:00:00+00:00,N/A,N/A,N/A,false,2026-12-01T14:50:00+00:00,false,N/A\n";

    #[test]
    fn rows_say_password_mfa_certificates_and_each_keys_last_use() {
        let report = parse(CSV, 7);
        assert_eq!(report.generated_at, 7);
        let app = &report.users["app"];
        assert!(app.password && !app.mfa);
        let made = time("2026-12-01T14:41:54+00:00").unwrap();
        assert_eq!(
            app.key_last_used(made),
            Some(Some("2026-12-01T15:00:00Z".into()))
        );
        let second = time("2026-12-01T16:00:00+00:00").unwrap();
        assert_eq!(app.key_last_used(second), Some(None), "never used");
        assert_eq!(app.key_last_used(made + 1), None, "a key not in the report");
        assert_eq!(app.certificates.len(), 1, "an inactive one counts too");
        assert!(report.users["<root_account>"].mfa);
    }
}
