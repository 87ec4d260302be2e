//! Living with setups: finding and judging them, Security Hub findings, rotation, teardown (and when a key may go), and crash recovery.

pub mod copies;
pub mod discovery;
mod key_accounts;
pub mod key_grant_teardown;
pub mod key_rotation;
pub mod key_usage;
pub mod oidc_teardown;
pub mod pod_identity_teardown;
pub mod push;
pub mod recovery;
mod recovery_workload;
pub mod rotate;
pub mod setup_findings;
pub mod setup_reads;
pub mod setups;
pub mod teardown;
mod teardown_evidence;
