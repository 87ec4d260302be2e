//! Making a setup: plan (validate and read AWS, change nothing), apply with rollback, the IAM-role path, the proof, and the key picker.

pub mod apply;
pub mod cross_account;
pub mod keys;
pub mod plan;
pub mod role;
pub mod role_plan;
pub mod role_verify;
pub mod rollback;
pub mod run_frame;
pub mod verify;
