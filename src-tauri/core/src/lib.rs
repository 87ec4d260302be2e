//! The provisioning engine of csfle-provisioner: everything that talks to AWS and to the OS
//! keychain, with no user interface. The desktop app and the command-line program are thin users.
//!
//! Grouped by concern: [`setup`] makes a setup, [`lifecycle`] lives with it, [`aws`] talks to
//! AWS, [`local`] is what stays on this computer. Each module is also re-exported at the crate
//! root (`csfle_core::apply`, …), the paths the app, the CLI and the tests use.

pub mod aws;
pub mod lifecycle;
pub mod local;
pub mod setup;

pub mod cancel;
pub mod error;
pub mod model;
pub mod secret;
pub mod session;
pub mod validate;

pub use aws::{
    aws_error, careful, connect, key_policy, outside_changes, ownership, pages, permissions,
    policy, regions, tags,
};
pub use lifecycle::{
    discovery, findings, key_rotation, key_usage, recovery, rotate, setups, teardown,
};
pub use local::{
    atomic_file, aws_config_file, credential_profile, credentials, journal, keychain, profiles,
    session_credentials,
};
pub use setup::{apply, keys, plan, role, rollback, verify};

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
