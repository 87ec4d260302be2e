//! The tags that mark resources as this app's: teardown and the setups view touch nothing else.

pub const CREATED_BY_KEY: &str = "created-by";
pub const CREATED_BY_VALUE: &str = "csfle-provisioner";
pub const SERVICE_ACCOUNT_KEY: &str = "csfle-provisioner:service-account";

pub fn kms_tags(service_account: &str) -> Vec<aws_sdk_kms::types::Tag> {
    [
        (CREATED_BY_KEY, CREATED_BY_VALUE),
        (SERVICE_ACCOUNT_KEY, service_account),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        aws_sdk_kms::types::Tag::builder()
            .tag_key(k)
            .tag_value(v)
            .build()
            .ok()
    })
    .collect()
}

pub fn iam_tags() -> Vec<aws_sdk_iam::types::Tag> {
    aws_sdk_iam::types::Tag::builder()
        .key(CREATED_BY_KEY)
        .value(CREATED_BY_VALUE)
        .build()
        .into_iter()
        .collect()
}
