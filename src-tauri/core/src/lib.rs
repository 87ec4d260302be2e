//! The provisioning engine of csfle-provisioner: everything that talks to AWS and to the OS
//! keychain, with no user interface. The desktop app and the command-line program are thin users.
//!
//! Grouped by concern: [`setup`] makes a setup, [`lifecycle`] lives with it, [`aws`] talks to
//! AWS, [`local`] is what stays on this computer.

pub mod aws;
pub mod lifecycle;
pub mod local;
pub mod setup;
pub mod store;

pub mod cancel;
pub mod error;
pub mod model;
pub mod secret;
pub mod session;
pub mod validate;

/// `AKIA…WXYZ`: enough to tell keys apart, too little to matter if shown.
pub fn mask_access_key_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "…".repeat(usize::from(!chars.is_empty()));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn masking_keeps_four_and_four() {
        assert_eq!(
            super::mask_access_key_id("AKIAIOSFODNN7EXAMPLE"),
            "AKIA…MPLE"
        );
        assert_eq!(super::mask_access_key_id("short"), "…");
        assert_eq!(super::mask_access_key_id(""), "");
    }
}
