//! Links to the AWS console for what a setup made. The address is built here from the resource's
//! ARN, never taken from the window, so the app can only ever open a page of
//! https://console.aws.amazon.com/ (in the system browser; the window loads no remote content).

use crate::error::ProvisionError;

pub const CONSOLE: &str = "https://console.aws.amazon.com/";

fn refused(arn: &str, why: &str) -> ProvisionError {
    ProvisionError::Console(format!("No AWS console link for {arn}: {why}"))
}

/// Every character AWS allows in a region, account id, key id or IAM name: letters, digits and
/// `+=,.@_-` (IAM's name rule). Anything else (`#`, `?`, `/`, `%`, spaces) could change the address.
fn plain(part: &str) -> bool {
    !part.is_empty()
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// The console page of a KMS key, an IAM user or an IAM role, from its ARN (commercial AWS only).
pub fn console_url(arn: &str) -> Result<String, ProvisionError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err(refused(arn, "it is not an ARN"));
    };
    if prefix != "arn" {
        return Err(refused(arn, "it is not an ARN"));
    }
    if partition != "aws" {
        return Err(refused(
            arn,
            "only the commercial AWS console (aws partition) is linked",
        ));
    }
    if !plain(account) || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(refused(arn, "its account id is not 12 digits"));
    }
    let (kind, path) = resource
        .split_once('/')
        .ok_or_else(|| refused(arn, "it names no resource"))?;
    // IAM paths may hold folders; the console finds users and roles by their name, the last part.
    let name = path.rsplit('/').next().unwrap_or_default();
    if !plain(name) || !path.split('/').all(|p| p.is_empty() || plain(p)) {
        return Err(refused(arn, "its name has characters AWS does not allow"));
    }
    match (service, kind) {
        ("kms", "key") if plain(region) => Ok(format!(
            "{CONSOLE}kms/home?region={region}#/kms/keys/{name}"
        )),
        ("iam", "user") if region.is_empty() => {
            Ok(format!("{CONSOLE}iam/home#/users/details/{name}"))
        }
        ("iam", "role") if region.is_empty() => {
            Ok(format!("{CONSOLE}iam/home#/roles/details/{name}"))
        }
        _ => Err(refused(
            arn,
            "only KMS keys, IAM users and IAM roles are linked",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keys_users_and_roles() {
        assert_eq!(
            console_url("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab").unwrap(),
            "https://console.aws.amazon.com/kms/home?region=eu-west-1#/kms/keys/1234abcd-12ab-34cd-56ef-1234567890ab"
        );
        assert_eq!(
            console_url("arn:aws:iam::123456789012:user/csfle-provisioner/orders-app").unwrap(),
            "https://console.aws.amazon.com/iam/home#/users/details/orders-app"
        );
        assert_eq!(
            console_url("arn:aws:iam::123456789012:role/csfle-provisioner/reports-task").unwrap(),
            "https://console.aws.amazon.com/iam/home#/roles/details/reports-task"
        );
    }

    #[test]
    fn refuses_anything_that_could_leave_the_console() {
        for arn in [
            "https://evil.example/",
            "arn:aws-cn:iam::123456789012:user/x",
            "arn:aws:iam::123456789012:user/x?next=https://evil.example",
            "arn:aws:iam::123456789012:user/x#y",
            "arn:aws:iam::123456789012:user/a b",
            "arn:aws:iam::12345678901x:user/x",
            "arn:aws:kms:eu-west-1/..:123456789012:key/x",
            "arn:aws:s3:::bucket/x",
            "arn:aws:iam::123456789012:user/",
            "arn:aws:kms:us-east-1:123456789012:alias/x%2f",
        ] {
            let error = console_url(arn).unwrap_err();
            assert_eq!(error.code(), "no-console-link", "{arn}");
            assert!(error.to_string().contains("No AWS console link"), "{arn}");
        }
    }
}
