//! What lives on this computer: the OS keychain, the journal, private atomic files, the AWS config editor and profiles, and the credential formats.

pub mod atomic_file;
pub mod aws_config_file;
pub mod credential_profile;
pub mod credentials;
pub mod data_dir;
pub mod deliveries;
pub mod hardening;
pub mod imported;
pub mod journal;
pub mod keychain;
pub mod profiles;
pub mod sealed;
pub mod session_credentials;
pub mod store;
