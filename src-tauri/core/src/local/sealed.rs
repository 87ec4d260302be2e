//! Sealing a setup's credentials to another computer with age (X25519): only the holder of that
//! computer's identity can open the file, and any age implementation can. The plaintext is the
//! keychain item's JSON, kept in zeroizing memory on both sides; nothing of it is ever shown.

pub use crate::error::sealed::SealError;
use crate::secret::Sensitive;
use std::str::FromStr;
use zeroize::Zeroizing;

/// The keychain account of this computer's age identity (its `AGE-SECRET-KEY-1…`).
pub const IDENTITY_ACCOUNT: &str = "this-computer/age-identity";
/// The most a sealed file may hold: a keychain item is well under a kilobyte.
pub const MAX_SEALED_BYTES: u64 = 64 * 1024;

/// A new identity, as age writes it (`AGE-SECRET-KEY-1…`).
pub fn new_identity() -> Sensitive {
    use age::secrecy::ExposeSecret;
    let identity = age::x25519::Identity::generate();
    Sensitive::new(identity.to_string().expose_secret().to_string())
}

fn identity_of(identity: &Sensitive) -> Result<age::x25519::Identity, SealError> {
    age::x25519::Identity::from_str(identity.expose()).map_err(|_| SealError::Identity)
}

/// The public recipient (`age1…`) of `identity`: safe to send by chat or mail.
pub fn recipient_of(identity: &Sensitive) -> Result<String, SealError> {
    Ok(identity_of(identity)?.to_public().to_string())
}

/// Checks a recipient typed or pasted by the admin, before anything is read from the keychain.
pub fn recipient(value: &str) -> Result<age::x25519::Recipient, SealError> {
    let value = value.trim();
    age::x25519::Recipient::from_str(value).map_err(|_| SealError::Recipient(value.to_string()))
}

/// The age file holding `plaintext` for `to` alone.
pub fn seal(to: &age::x25519::Recipient, plaintext: &Sensitive) -> Vec<u8> {
    // Encrypting to one valid X25519 recipient cannot fail but for a broken writer, and ours is
    // memory: an empty result is refused by the caller rather than written.
    age::encrypt(to, plaintext.expose().as_bytes()).unwrap_or_default()
}

/// Opens a file sealed to `identity`.
pub fn open(identity: &Sensitive, sealed: &[u8]) -> Result<Sensitive, SealError> {
    let identity = identity_of(identity)?;
    let plain =
        Zeroizing::new(age::decrypt(&identity, sealed).map_err(|_| SealError::NotForThisComputer)?);
    let text = std::str::from_utf8(&plain).map_err(|_| SealError::NotForThisComputer)?;
    Ok(Sensitive::new(text.to_string()))
}

/// A new private file: never over an existing file or through a link.
pub fn write_new(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_identity_it_was_sealed_to_opens_it() {
        let target = new_identity();
        let other = new_identity();
        let to = recipient(&recipient_of(&target).unwrap()).unwrap();
        let secret = Sensitive::new(r#"{"SecretAccessKey":"s3cr3t"}"#.into());
        let sealed = seal(&to, &secret);
        assert!(!sealed.is_empty());
        assert!(!String::from_utf8_lossy(&sealed).contains("s3cr3t"));
        assert_eq!(open(&target, &sealed).unwrap().expose(), secret.expose());
        assert_eq!(
            open(&other, &sealed).unwrap_err(),
            SealError::NotForThisComputer
        );
    }

    #[test]
    fn a_recipient_is_checked_before_anything_is_sealed() {
        assert!(recipient("age1notarecipient").is_err());
        assert!(recipient("AGE-SECRET-KEY-1QQQ").is_err());
        let identity = new_identity();
        let printed = recipient_of(&identity).unwrap();
        assert!(printed.starts_with("age1"));
        assert!(recipient(&format!("  {printed}\n")).is_ok());
    }
}
