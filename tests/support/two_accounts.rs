//! Two accounts as an organisation has them: the workload account (123456789012, the sandbox's
//! admin) and a security account (222233334444) holding the key, reached through two profiles of
//! the sandbox's shared files: `workload` and `keyacct` (a role session of account B's key
//! administrator). The key's policy is its owners' own text, formatted as a person wrote it.

use super::sandbox::{ADMIN_ACCESS_KEY, ADMIN_SECRET, REGION};
use super::Sandbox;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

pub const WORKLOAD: &str = "123456789012";
pub const KEY_ACCOUNT: &str = "222233334444";
/// The key owners' own policy: it must come back byte for byte.
pub const OWNERS_POLICY: &str = "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"owners\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : { \"AWS\" : \"arn:aws:iam::222233334444:root\" },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  },\n    {\"Sid\":\"Auditors read\",  \"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::222233334444:role/Audit\"},\"Action\":[\"kms:Describe*\",\"kms:Get*\"],\"Resource\":\"*\"} ]\n}";

pub struct KeyAccount {
    pub runtime: tokio::runtime::Runtime,
    /// Account B's key administrator.
    pub key_admin: SdkConfig,
    pub key_arn: String,
    /// The key administrator's secret, which nothing may print.
    pub key_secret: String,
}

pub fn sdk_config(url: &str, access_key: &str, secret: &str, token: Option<&str>) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                access_key,
                secret,
                token.map(str::to_string),
                None,
                "tests",
            )),
        )
        .build()
}

/// Writes the two profiles and makes the key in account B with the owners' policy.
pub fn key_account(sandbox: &Sandbox) -> KeyAccount {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let admin = sdk_config(&sandbox.emulator.url, ADMIN_ACCESS_KEY, ADMIN_SECRET, None);
    let assumed = runtime
        .block_on(
            aws_sdk_sts::Client::new(&admin)
                .assume_role()
                .role_arn(format!("arn:aws:iam::{KEY_ACCOUNT}:role/KeyAdmin"))
                .role_session_name("key-admin")
                .send(),
        )
        .unwrap();
    let c = assumed.credentials().unwrap();
    let (ak, sk, token) = (c.access_key_id(), c.secret_access_key(), c.session_token());
    std::fs::write(
        sandbox.aws_dir().join("credentials"),
        format!(
            "[workload]\naws_access_key_id = {ADMIN_ACCESS_KEY}\naws_secret_access_key = {ADMIN_SECRET}\n\n[keyacct]\naws_access_key_id = {ak}\naws_secret_access_key = {sk}\naws_session_token = {token}\n"
        ),
    )
    .unwrap();
    let key_admin = sdk_config(&sandbox.emulator.url, ak, sk, Some(token));
    let kms = aws_sdk_kms::Client::new(&key_admin);
    let made = runtime
        .block_on(
            kms.create_key()
                .key_spec(aws_sdk_kms::types::KeySpec::SymmetricDefault)
                .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
                .send(),
        )
        .unwrap();
    let key_arn = made.key_metadata().unwrap().arn().unwrap().to_string();
    assert!(
        key_arn.contains(&format!(":{KEY_ACCOUNT}:key/")),
        "{key_arn}"
    );
    let owners = KeyAccount {
        runtime,
        key_admin,
        key_arn,
        key_secret: sk.to_string(),
    };
    owners.put_key_policy(OWNERS_POLICY);
    sandbox.emulator.clear_requests();
    owners
}

impl KeyAccount {
    pub fn key_policy(&self) -> String {
        let kms = aws_sdk_kms::Client::new(&self.key_admin);
        let reply = self
            .runtime
            .block_on(
                kms.get_key_policy()
                    .key_id(&self.key_arn)
                    .policy_name("default")
                    .send(),
            )
            .unwrap();
        reply.policy().unwrap().to_string()
    }

    pub fn put_key_policy(&self, text: &str) {
        let kms = aws_sdk_kms::Client::new(&self.key_admin);
        self.runtime
            .block_on(
                kms.put_key_policy()
                    .key_id(&self.key_arn)
                    .policy_name("default")
                    .policy(text)
                    .send(),
            )
            .unwrap();
    }
}
