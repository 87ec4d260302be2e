//! The AWS regions this app accepts, and the partition each belongs to (the `arn:<partition>:` part).

const COMMERCIAL: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];
const GOV_CLOUD: &[&str] = &["us-gov-east-1", "us-gov-west-1"];
const CHINA: &[&str] = &["cn-north-1", "cn-northwest-1"];

/// Every region the app knows, commercial first, for pickers.
pub fn all() -> impl Iterator<Item = &'static str> {
    COMMERCIAL.iter().chain(GOV_CLOUD).chain(CHINA).copied()
}

/// The ARN partition of a known region, or `None` when the region is unknown.
pub fn partition_of(region: &str) -> Option<&'static str> {
    if COMMERCIAL.contains(&region) {
        Some("aws")
    } else if GOV_CLOUD.contains(&region) {
        Some("aws-us-gov")
    } else if CHINA.contains(&region) {
        Some("aws-cn")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region_family() {
        assert_eq!(partition_of("eu-west-1"), Some("aws"));
        assert_eq!(partition_of("us-gov-west-1"), Some("aws-us-gov"));
        assert_eq!(partition_of("cn-north-1"), Some("aws-cn"));
        assert_eq!(partition_of("moon-base-1"), None);
        assert!(all().all(|r| partition_of(r).is_some()));
    }
}
