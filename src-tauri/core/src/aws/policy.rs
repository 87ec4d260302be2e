//! The least-privilege policy the service account gets: Encrypt and Decrypt on one key, nothing else.

use crate::model::principal::Trust;

/// The exact inline policy document for `key_arn`, in the byte form that is sent to IAM and shown
/// in the plan, so what the admin reviews is what AWS stores.
pub fn kms_policy_document(key_arn: &str) -> String {
    // Structs, not json!: a serde_json Map's key order depends on a crate feature, and the
    // document must read in AWS's conventional order whatever other crates enable.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Document<'a> {
        version: &'a str,
        statement: [Statement<'a>; 1],
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Statement<'a> {
        effect: &'a str,
        action: [&'a str; 2],
        resource: &'a str,
    }
    let document = Document {
        version: "2012-10-17",
        statement: [Statement {
            effect: "Allow",
            action: ["kms:Decrypt", "kms:Encrypt"],
            resource: key_arn,
        }],
    };
    serde_json::to_string(&document).unwrap_or_default()
}

/// What the plan shows before a new key exists: the document with the ARN AWS will assign.
pub fn placeholder_key_arn(partition: &str, region: &str, account: &str) -> String {
    format!("arn:{partition}:kms:{region}:{account}:key/<id assigned when the key is created>")
}

/// IAM returns policy documents percent-encoded (RFC 3986); this gives the text back.
pub fn percent_decode(encoded: &str) -> Option<String> {
    let bytes = encoded.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// The JSON of a policy document as IAM returns it.
pub fn decode_document(encoded: &str) -> Option<serde_json::Value> {
    serde_json::from_str(&percent_decode(encoded)?).ok()
}

/// The statements of a policy document (IAM policy, trust policy or key policy): IAM and KMS
/// keep a single statement as sent, an object instead of a list of one.
pub fn statements(document: &serde_json::Value) -> Vec<&serde_json::Value> {
    match document.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(single @ serde_json::Value::Object(_)) => vec![single],
        _ => vec![],
    }
}

/// The one resource a single-statement policy names, e.g. the key ARN of our policy.
pub fn single_resource(document: &serde_json::Value) -> Option<String> {
    let statement = *statements(document).first()?;
    match statement.get("Resource")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(items) if items.len() == 1 => {
            items[0].as_str().map(str::to_string)
        }
        _ => None,
    }
}

/// True when `document` (as IAM returns it, possibly URL-encoded and reformatted) grants exactly
/// Encrypt and Decrypt on exactly `key_arn`.
pub fn is_least_privilege(document: &serde_json::Value, key_arn: &str) -> bool {
    let expected: serde_json::Value = match serde_json::from_str(&kms_policy_document(key_arn)) {
        Ok(value) => value,
        Err(_) => return false,
    };
    normalise(document) == normalise(&expected)
}

/// IAM accepts single values where lists are allowed and keeps them as sent; compare by meaning.
fn normalise(document: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let mut statements: Vec<Value> = statements(document).into_iter().cloned().collect();
    for statement in &mut statements {
        if let Value::Object(fields) = statement {
            for key in ["Action", "Resource"] {
                if let Some(value) = fields.get_mut(key) {
                    let mut list: Vec<String> = match value {
                        Value::Array(items) => items
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect(),
                        Value::String(s) => vec![s.clone()],
                        _ => vec![],
                    };
                    list.sort();
                    *value = serde_json::json!(list);
                }
            }
        }
    }
    serde_json::json!({"Version": document.get("Version"), "Statement": statements})
}

/// True when a key policy is the one KMS gives a key made without a policy: a single statement
/// allowing the account (`root`, its root ARN) and nobody else.
pub fn is_default_key_policy(document: &serde_json::Value, root: &str) -> bool {
    use serde_json::Value;
    let statements = statements(document);
    let names_only_root = |statement: &&Value| {
        let principal = statement.get("Principal").and_then(|p| p.get("AWS"));
        let effect = statement.get("Effect").and_then(Value::as_str);
        let only_root = match principal {
            Some(Value::String(arn)) => arn == root,
            Some(Value::Array(arns)) => arns.len() == 1 && arns[0].as_str() == Some(root),
            _ => false,
        };
        effect == Some("Allow") && only_root
    };
    statements.len() == 1 && statements.iter().all(names_only_root)
}

/// The trust policy: who may assume the role.
pub fn trust_policy(trust: &Trust, partition: &str, account: &str) -> String {
    let statement = match trust {
        Trust::Service { service } => serde_json::json!({
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
        }),
        Trust::Principal { arn } => serde_json::json!({
            "Effect": "Allow",
            "Principal": { "AWS": arn },
            "Action": "sts:AssumeRole",
        }),
        // Both conditions, exactly: without `sub` any workload of the issuer could assume the
        // role; without `aud` a token minted for another audience would do.
        Trust::WebIdentity {
            issuer, subject, ..
        } => serde_json::json!({
            "Effect": "Allow",
            "Principal": { "Federated": oidc_provider_arn(partition, account, issuer) },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": { "StringEquals": {
                format!("{issuer}:aud"): crate::model::web_identity::STS_AUDIENCE,
                format!("{issuer}:sub"): subject,
            }},
        }),
        // EKS documents both conditions: the service acts for this account only, and for this
        // one cluster, so no other cluster's association can hand the role out.
        Trust::PodIdentity { cluster_arn, .. } => serde_json::json!({
            "Effect": "Allow",
            "Principal": { "Service": "pods.eks.amazonaws.com" },
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": { "aws:SourceAccount": account },
                "ArnEquals": { "aws:SourceArn": cluster_arn },
            },
        }),
    };
    serde_json::json!({ "Version": "2012-10-17", "Statement": [statement] }).to_string()
}

/// The ARN IAM gives the OIDC provider of `issuer` (its URL without `https://`).
pub fn oidc_provider_arn(partition: &str, account: &str, issuer: &str) -> String {
    format!("arn:{partition}:iam::{account}:oidc-provider/{issuer}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn document_is_exactly_encrypt_and_decrypt_on_one_key() {
        assert_eq!(
            kms_policy_document(ARN),
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"{ARN}"}}]}}"#
            )
        );
    }

    #[test]
    fn drift_is_detected() {
        let ours: serde_json::Value = serde_json::from_str(&kms_policy_document(ARN)).unwrap();
        assert!(is_least_privilege(&ours, ARN));
        let reordered = serde_json::json!({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":ARN}});
        assert!(is_least_privilege(&reordered, ARN));
        let wider = serde_json::json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:*"],"Resource":ARN}]});
        assert!(!is_least_privilege(&wider, ARN));
        let any_key = serde_json::json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"}]});
        assert!(!is_least_privilege(&any_key, ARN));
    }

    #[test]
    fn iam_encoded_documents_decode() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22kms%3ADecrypt%22%5D%2C%22Resource%22%3A%22arn%3Ak%22%7D%5D%7D";
        let document = decode_document(encoded).unwrap();
        assert_eq!(single_resource(&document).as_deref(), Some("arn:k"));
        assert_eq!(percent_decode("a%2"), Some("a%2".into()));
        assert_eq!(percent_decode("%zz"), None);
    }

    proptest::proptest! {
        #[test]
        fn any_arn_yields_valid_json_that_names_it(arn in "\\PC{0,200}") {
            let parsed: serde_json::Value = serde_json::from_str(&kms_policy_document(&arn)).unwrap();
            proptest::prop_assert_eq!(parsed["Statement"][0]["Resource"].as_str(), Some(arn.as_str()));
            proptest::prop_assert!(is_least_privilege(&parsed, &arn));
        }
    }
}
