//! The one type that may hold a secret access key.
//!
//! It zeroizes its memory on drop, prints as `[redacted]`, and has no `Serialize`, `Display` or
//! `Clone`: a secret can reach the keychain and AWS's signer, and nothing else.

use std::fmt;
use zeroize::Zeroizing;

pub struct Sensitive(Zeroizing<String>);

impl Sensitive {
    pub fn new(value: String) -> Self {
        Sensitive(Zeroizing::new(value))
    }

    /// The plaintext, for the keychain write and request signing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    static_assertions::assert_not_impl_any!(Sensitive: serde::Serialize, fmt::Display, Clone);

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Sensitive::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into());
        let printed = format!("{secret:?} {secret:#?}");
        assert!(!printed.contains("wJalr"), "{printed}");
        assert_eq!(secret.expose(), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    }
}
