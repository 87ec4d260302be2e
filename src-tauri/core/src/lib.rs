//! The provisioning engine of csfle-provisioner: everything that talks to AWS and to the OS
//! keychain, with no user interface. The desktop app and the command-line program are thin users.

pub mod apply;
pub mod atomic_file;
pub mod aws_config_file;
pub mod aws_error;
pub mod cancel;
pub mod careful;
pub mod connect;
pub mod credential_profile;
pub mod credentials;
pub mod discovery;
pub mod error;
pub mod findings;
pub mod journal;
pub mod key_policy;
pub mod key_rotation;
pub mod key_usage;
pub mod keychain;
pub mod keys;
pub mod model;
pub mod outside_changes;
pub mod ownership;
pub mod pages;
pub mod permissions;
pub mod plan;
pub mod policy;
pub mod profiles;
pub mod recovery;
pub mod regions;
pub mod role;
pub mod rollback;
pub mod rotate;
pub mod secret;
pub mod session;
pub mod session_credentials;
pub mod setups;
pub mod tags;
pub mod teardown;
pub mod validate;
pub mod verify;

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
