//! The keychain item's content: one JSON object with the access key and the setup it belongs to,
//! so the item alone is enough to configure a MongoDB driver or answer `credential_process`.

use crate::model::CredentialTerms;
use crate::secret::Sensitive;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Borrowed view for writing; the secret is only ever serialized here, into zeroizing memory.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StoredCredentials<'a> {
    pub access_key_id: &'a str,
    #[serde(serialize_with = "expose")]
    pub secret_access_key: &'a Sensitive,
    pub key_arn: &'a str,
    pub key_alias: Option<&'a str>,
    pub region: &'a str,
    pub account_id: &'a str,
    #[serde(rename = "UserArn")]
    pub principal_arn: &'a str,
    #[serde(rename = "UserName")]
    pub principal_name: &'a str,
    pub policy_name: &'a str,
    /// Not secret: what `credential-process` may hand out (`AllowLongLived`, `MaxSessionSeconds`).
    #[serde(flatten)]
    pub terms: StoredTerms,
}

/// The item's record of [`CredentialTerms`], as its two JSON fields.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StoredTerms {
    pub allow_long_lived: bool,
    pub max_session_seconds: i32,
}

impl From<CredentialTerms> for StoredTerms {
    fn from(terms: CredentialTerms) -> Self {
        StoredTerms {
            allow_long_lived: terms.allow_long_lived,
            max_session_seconds: terms.max_session_seconds,
        }
    }
}

fn expose<S: serde::Serializer>(secret: &&Sensitive, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose())
}

impl StoredCredentials<'_> {
    /// The item's text. Written into a buffer large enough up front, so no reallocation leaves a
    /// stray copy of the secret in freed memory.
    pub fn seal(&self) -> Sensitive {
        let mut buffer = Zeroizing::new(Vec::with_capacity(4096));
        buffer.extend_from_slice(br#"{"Version":1,"#);
        let mut body = Zeroizing::new(Vec::with_capacity(4096));
        if serde_json::to_writer(&mut *body, self).is_ok() {
            // Splice our fields after the version marker: `{"Version":1,` + `"AccessKeyId":…}`.
            buffer.extend_from_slice(&body[1..]);
        }
        let text = String::from_utf8(std::mem::take(&mut *buffer)).unwrap_or_default();
        Sensitive::new(text)
    }
}

/// What a keychain item holds, read back.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadedCredentials {
    pub access_key_id: String,
    pub secret_access_key: Sensitive,
    pub key_arn: String,
    #[serde(default)]
    pub key_alias: Option<String>,
    pub region: String,
    #[serde(default)]
    pub account_id: String,
    pub user_arn: String,
    #[serde(default)]
    pub user_name: String,
    #[serde(default)]
    pub policy_name: String,
    /// Absent in items written before it existed: then no long-lived key is handed out.
    #[serde(default)]
    pub allow_long_lived: bool,
    #[serde(default)]
    pub max_session_seconds: Option<i32>,
}

impl LoadedCredentials {
    /// What `credential-process` may hand out for this setup. A missing or out-of-range cap
    /// (an item from before caps, or edited by hand) is the default of one hour.
    pub fn terms(&self) -> CredentialTerms {
        let max_session_seconds = self
            .max_session_seconds
            .filter(|s| CredentialTerms::MAX_SESSION_RANGE.contains(s))
            .unwrap_or(CredentialTerms::DEFAULT_MAX_SESSION_SECONDS);
        CredentialTerms {
            allow_long_lived: self.allow_long_lived,
            max_session_seconds,
        }
    }

    pub fn parse(item: &Sensitive) -> Result<Self, crate::error::keychain::KeychainError> {
        // serde_json's message can quote the input; say only where it broke.
        serde_json::from_str(item.expose()).map_err(|e| {
            crate::error::keychain::KeychainError::ReadFailed {
                detail: format!(
                    "the item is not in this app's format (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            }
        })
    }
}

/// The AWS `credential_process` answer for these credentials: `{"Version":1,"AccessKeyId",
/// "SecretAccessKey"}`, built in zeroizing memory.
pub fn credential_process_output(access_key_id: &str, secret: &Sensitive) -> Sensitive {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Output<'a> {
        version: u8,
        access_key_id: &'a str,
        #[serde(serialize_with = "expose")]
        secret_access_key: &'a Sensitive,
    }
    let mut buffer = Zeroizing::new(Vec::with_capacity(1024));
    let output = Output {
        version: 1,
        access_key_id,
        secret_access_key: secret,
    };
    if serde_json::to_writer(&mut *buffer, &output).is_err() {
        buffer.clear();
    }
    Sensitive::new(String::from_utf8(std::mem::take(&mut *buffer)).unwrap_or_default())
}

impl<'de> Deserialize<'de> for Sensitive {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Sensitive::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_item_round_trips_and_names_every_field() {
        let secret = Sensitive::new("s3cr3t/with\"quote".into());
        let stored = StoredCredentials {
            access_key_id: "AKIAEXAMPLE",
            secret_access_key: &secret,
            key_arn: "arn:aws:kms:us-east-1:111122223333:key/k",
            key_alias: Some("alias/app"),
            region: "us-east-1",
            account_id: "111122223333",
            principal_arn: "arn:aws:iam::111122223333:user/app",
            principal_name: "app",
            policy_name: "csfle-kms-app",
            terms: CredentialTerms {
                allow_long_lived: true,
                max_session_seconds: 7_200,
            }
            .into(),
        };
        let sealed = stored.seal();
        let value: serde_json::Value = serde_json::from_str(sealed.expose()).unwrap();
        assert_eq!(value["Version"], 1);
        assert_eq!(value["SecretAccessKey"], "s3cr3t/with\"quote");
        assert_eq!(value["UserArn"], "arn:aws:iam::111122223333:user/app");
        let loaded = LoadedCredentials::parse(&sealed).unwrap();
        assert_eq!(loaded.secret_access_key.expose(), "s3cr3t/with\"quote");
        assert_eq!(loaded.key_alias.as_deref(), Some("alias/app"));
        assert!(!format!("{loaded:?}").contains("s3cr3t"));
        assert_eq!(value["AllowLongLived"], true);
        assert_eq!(value["MaxSessionSeconds"], 7_200);
        assert_eq!(
            loaded.terms(),
            CredentialTerms {
                allow_long_lived: true,
                max_session_seconds: 7_200
            }
        );
    }

    #[test]
    fn an_item_without_terms_hands_out_session_credentials_for_an_hour_at_most() {
        let old = Sensitive::new(
            r#"{"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"s","KeyArn":"k","Region":"us-east-1","UserArn":"u"}"#.into(),
        );
        assert_eq!(
            LoadedCredentials::parse(&old).unwrap().terms(),
            CredentialTerms::default()
        );
        let edited = Sensitive::new(
            r#"{"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"s","KeyArn":"k","Region":"us-east-1","UserArn":"u","MaxSessionSeconds":129600}"#.into(),
        );
        let terms = LoadedCredentials::parse(&edited).unwrap().terms();
        assert_eq!(terms.max_session_seconds, 3_600);
        assert!(!terms.allow_long_lived);
    }

    #[test]
    fn credential_process_output_is_what_the_aws_sdks_read() {
        let secret = Sensitive::new("s3cr3t".into());
        let output = credential_process_output("AKIAEXAMPLE", &secret);
        assert_eq!(
            output.expose(),
            r#"{"Version":1,"AccessKeyId":"AKIAEXAMPLE","SecretAccessKey":"s3cr3t"}"#
        );
    }

    #[test]
    fn parse_errors_do_not_quote_the_item() {
        let broken = Sensitive::new("{\"SecretAccessKey\": \"s3cr3t\", oops".into());
        let error = LoadedCredentials::parse(&broken).unwrap_err();
        assert!(!error.to_string().contains("s3cr3t"));
    }
}
