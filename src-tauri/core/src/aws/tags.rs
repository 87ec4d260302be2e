//! The tags that mark resources as this app's: teardown and the setups view touch nothing else.

pub const CREATED_BY_KEY: &str = "created-by";
pub const CREATED_BY_VALUE: &str = "csfle-provisioner";
pub const SERVICE_ACCOUNT_KEY: &str = "csfle-provisioner:service-account";
/// Ties every resource to the run that made it, so an interrupted run can find what it created.
pub const RUN_KEY: &str = "csfle-provisioner:run";
/// The IAM path of every user and role this app creates, so listing ours (`PathPrefix`) costs the
/// same in an account of three users or thirty thousand.
pub const IAM_PATH: &str = "/csfle-provisioner/";

pub fn kms_tags(service_account: &str, run_id: &str) -> Vec<aws_sdk_kms::types::Tag> {
    [
        (CREATED_BY_KEY, CREATED_BY_VALUE),
        (SERVICE_ACCOUNT_KEY, service_account),
        (RUN_KEY, run_id),
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

pub fn iam_tags(run_id: &str) -> Vec<aws_sdk_iam::types::Tag> {
    [(CREATED_BY_KEY, CREATED_BY_VALUE), (RUN_KEY, run_id)]
        .into_iter()
        .filter_map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .ok()
        })
        .collect()
}

/// True when IAM tags say this app made the resource.
pub fn iam_is_ours(tags: &[aws_sdk_iam::types::Tag]) -> bool {
    tags.iter()
        .any(|t| t.key() == CREATED_BY_KEY && t.value() == CREATED_BY_VALUE)
}

/// True when IAM tags say this run (`run_id`) made the resource.
pub fn iam_made_by_run(tags: &[aws_sdk_iam::types::Tag], run_id: &str) -> bool {
    tags.iter()
        .any(|t| t.key() == RUN_KEY && t.value() == run_id)
}

/// True when KMS tags say this app made the key.
pub fn kms_is_ours(tags: &[aws_sdk_kms::types::Tag]) -> bool {
    tags.iter()
        .any(|t| t.tag_key() == CREATED_BY_KEY && t.tag_value() == CREATED_BY_VALUE)
}
