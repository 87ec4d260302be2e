//! `prove`: run where the application runs (a pod, a CI job, an instance) with whatever
//! credentials the platform gives the AWS SDK's default chain, and show that they encrypt and
//! decrypt with the master key. For roles only the platform can assume (web identity, Pod
//! Identity), this is the proof the admin's computer cannot make.

use super::{report, Session};
use crate::aws::connect::{self, ConnectOptions};
use crate::error::{ErrorReport, ProvisionError};
use crate::validate;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ProofHere {
    /// Who the platform's credentials are (an assumed-role session for a role setup).
    pub identity_arn: String,
    pub key_arn: String,
    pub message: String,
}

impl Session {
    /// Encrypts and decrypts a random value with `key_arn`, signed by the default chain's
    /// credentials in the key's region.
    pub async fn prove_here(&self, key_arn: String) -> Result<ProofHere, ErrorReport> {
        let key_arn = validate::key_arn(&key_arn).map_err(report)?;
        let region = connect::key_region(&key_arn).map(str::to_string);
        let options = ConnectOptions {
            profile: None,
            region,
        };
        let connection = connect::connect(&options).await.map_err(report)?;
        let kms = connection.kms_for_key(&key_arn);
        let plaintext: [u8; 32] = rand::random();
        let encrypted = crate::aws::kms::encrypt(&kms, &key_arn, &plaintext)
            .await
            .map_err(report)?
            .ok_or_else(|| {
                report(ProvisionError::RoundTrip(
                    "KMS returned no ciphertext".into(),
                ))
            })?;
        let decrypted = crate::aws::kms::decrypt(&kms, &key_arn, encrypted)
            .await
            .map_err(report)?;
        if decrypted.as_ref().map(|b| b.as_ref()) != Some(&plaintext[..]) {
            return Err(report(ProvisionError::RoundTrip(
                "decrypting gave back a different value than was encrypted".into(),
            )));
        }
        let identity_arn = connection.identity.arn.clone();
        Ok(ProofHere {
            message: format!(
                "Signed in as {identity_arn}; encrypted and decrypted a random 32-byte value with {key_arn}."
            ),
            identity_arn,
            key_arn,
        })
    }
}
