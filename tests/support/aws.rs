//! Direct AWS calls for setting up and checking test scenarios, as the admin or as any key.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use tokio::runtime::Runtime;

pub struct Aws {
    runtime: Runtime,
    config: SdkConfig,
    endpoint: String,
}

pub fn config(endpoint: &str, access_key: &str, secret: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(super::sandbox::REGION))
        .endpoint_url(endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                access_key, secret, None, None, "tests",
            )),
        )
        .build()
}

impl Aws {
    pub fn new(endpoint: &str, access_key: &str, secret: &str) -> Aws {
        Aws {
            runtime: Runtime::new().expect("tokio runtime"),
            config: config(endpoint, access_key, secret),
            endpoint: endpoint.to_string(),
        }
    }

    pub fn as_key(&self, access_key: &str, secret: &str) -> Aws {
        Aws::new(&self.endpoint, access_key, secret)
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.config)
    }

    pub fn kms(&self) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.config)
    }

    pub fn block<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub fn users(&self) -> Vec<String> {
        let reply = self
            .block(self.iam().list_users().send())
            .expect("ListUsers");
        reply
            .users()
            .iter()
            .map(|u| u.user_name().to_string())
            .collect()
    }

    pub fn access_keys(&self, user: &str) -> Vec<String> {
        match self.block(self.iam().list_access_keys().user_name(user).send()) {
            Ok(reply) => reply
                .access_key_metadata()
                .iter()
                .filter_map(|k| k.access_key_id().map(str::to_string))
                .collect(),
            Err(_) => vec![],
        }
    }

    pub fn user_policies(&self, user: &str) -> Vec<String> {
        match self.block(self.iam().list_user_policies().user_name(user).send()) {
            Ok(reply) => reply.policy_names().to_vec(),
            Err(_) => vec![],
        }
    }

    /// The policy document as IAM stores it, URL-decoded.
    pub fn user_policy(&self, user: &str, name: &str) -> Option<String> {
        let reply = self
            .block(
                self.iam()
                    .get_user_policy()
                    .user_name(user)
                    .policy_name(name)
                    .send(),
            )
            .ok()?;
        csfle_core::aws::policy::percent_decode(reply.policy_document())
    }

    pub fn user_tags(&self, user: &str) -> Vec<(String, String)> {
        let reply = self
            .block(self.iam().list_user_tags().user_name(user).send())
            .expect("ListUserTags");
        reply
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    }

    pub fn aliases(&self) -> Vec<String> {
        let reply = self
            .block(self.kms().list_aliases().send())
            .expect("ListAliases");
        reply
            .aliases()
            .iter()
            .filter_map(|a| a.alias_name().map(str::to_string))
            .filter(|a| !a.starts_with("alias/aws/"))
            .collect()
    }

    /// Every key with its state, e.g. ("…id…", "Enabled").
    pub fn keys(&self) -> Vec<(String, String)> {
        let reply = self.block(self.kms().list_keys().send()).expect("ListKeys");
        reply
            .keys()
            .iter()
            .filter_map(|k| k.key_id())
            .map(|id| {
                let described = self
                    .block(self.kms().describe_key().key_id(id).send())
                    .expect("DescribeKey");
                let state = described
                    .key_metadata()
                    .and_then(|m| m.key_state())
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default();
                (id.to_string(), state)
            })
            .collect()
    }

    pub fn key_tags(&self, key_id: &str) -> Vec<(String, String)> {
        let reply = self
            .block(self.kms().list_resource_tags().key_id(key_id).send())
            .expect("ListResourceTags");
        reply
            .tags()
            .iter()
            .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
            .collect()
    }

    /// Creates a key as the admin and returns its ARN.
    pub fn create_key(
        &self,
        spec: aws_sdk_kms::types::KeySpec,
        usage: aws_sdk_kms::types::KeyUsageType,
    ) -> String {
        let reply = self
            .block(
                self.kms()
                    .create_key()
                    .key_spec(spec)
                    .key_usage(usage)
                    .send(),
            )
            .expect("CreateKey");
        reply
            .key_metadata()
            .and_then(|m| m.arn())
            .expect("key arn")
            .to_string()
    }

    /// Encrypts and decrypts with this identity; Ok when the value comes back unchanged.
    pub fn round_trip(&self, key_arn: &str) -> Result<(), String> {
        let plaintext = b"csfle round trip".to_vec();
        let encrypted = self
            .block(
                self.kms()
                    .encrypt()
                    .key_id(key_arn)
                    .plaintext(aws_smithy_types::Blob::new(plaintext.clone()))
                    .send(),
            )
            .map_err(|e| format!("Encrypt: {e:?}"))?;
        let blob = encrypted
            .ciphertext_blob()
            .cloned()
            .ok_or("no ciphertext")?;
        let decrypted = self
            .block(self.kms().decrypt().ciphertext_blob(blob).send())
            .map_err(|e| format!("Decrypt: {e:?}"))?;
        match decrypted.plaintext() {
            Some(p) if p.as_ref() == plaintext.as_slice() => Ok(()),
            _ => Err("decrypted value differs".into()),
        }
    }

    /// The role's trust policy as JSON (IAM returns it percent-encoded).
    pub fn role_trust(&self, role: &str) -> serde_json::Value {
        let got = self
            .block(self.iam().get_role().role_name(role).send())
            .expect("GetRole");
        let encoded = got
            .role()
            .and_then(|r| r.assume_role_policy_document())
            .unwrap_or_default();
        serde_json::from_str(&percent_decode(encoded)).expect("a trust policy in JSON")
    }

    pub fn role_exists(&self, role: &str) -> bool {
        match self.block(self.iam().get_role().role_name(role).send()) {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                false
            }
            Err(e) => panic!("GetRole {role}: {e:?}"),
        }
    }

    /// Creates the managed policy `name` with `document` and returns its ARN.
    pub fn create_policy(&self, name: &str, document: &serde_json::Value) -> String {
        self.block(
            self.iam()
                .create_policy()
                .policy_name(name)
                .policy_document(document.to_string())
                .send(),
        )
        .expect("CreatePolicy")
        .policy()
        .and_then(|p| p.arn())
        .expect("the policy's ARN")
        .to_string()
    }

    /// Sets the role's permissions boundary, as another admin would.
    pub fn put_role_boundary(&self, role: &str, policy_arn: &str) {
        self.block(
            self.iam()
                .put_role_permissions_boundary()
                .role_name(role)
                .permissions_boundary(policy_arn)
                .send(),
        )
        .expect("PutRolePermissionsBoundary");
    }

    /// The ARN of the role's permissions boundary; `None` without one or without the role.
    pub fn role_boundary(&self, role: &str) -> Option<String> {
        self.block(self.iam().get_role().role_name(role).send())
            .ok()
            .and_then(|r| {
                r.role()
                    .and_then(|r| r.permissions_boundary())
                    .and_then(|b| b.permissions_boundary_arn())
                    .map(str::to_string)
            })
    }

    /// The ARNs of the account's IAM OIDC providers.
    pub fn oidc_providers(&self) -> Vec<String> {
        let listed = self
            .block(self.iam().list_open_id_connect_providers().send())
            .expect("ListOpenIDConnectProviders");
        listed
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|p| p.arn().map(str::to_string))
            .collect()
    }

    /// Asserts that nothing this app creates is left: no user, no alias, every key pending deletion
    /// (other than `keep`, keys the test made itself).
    pub fn assert_nothing_left(&self, keep: &[String]) {
        assert_eq!(self.users(), Vec::<String>::new(), "IAM users left behind");
        assert_eq!(self.aliases(), Vec::<String>::new(), "aliases left behind");
        for (id, state) in self.keys() {
            if keep.iter().any(|k| k.ends_with(&id)) {
                continue;
            }
            assert_eq!(
                state, "PendingDeletion",
                "key {id} was not scheduled for deletion"
            );
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("UTF-8 after percent-decoding")
}
