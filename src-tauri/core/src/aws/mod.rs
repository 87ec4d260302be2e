//! Talking to AWS: connecting, error meanings, tags, regions, policies, listing every page, careful creates, and what other admins changed.

pub mod account_reads;
pub mod admin_policy;
pub mod aws_error;
pub mod backoff;
pub mod careful;
pub mod connect;
pub mod credential_report;
pub mod eks;
pub mod iam;
pub mod iam_remove;
pub mod key_grant;
pub mod key_policy;
pub mod kms;
pub mod kms_pending;
#[cfg(test)]
pub(crate) mod mock;
pub mod oidc;
pub mod outside_changes;
pub mod ownership;
pub mod pages;
pub mod permissions;
pub mod policy;
pub mod proof;
pub mod secrets_manager;
pub mod sts;
pub mod tags;
