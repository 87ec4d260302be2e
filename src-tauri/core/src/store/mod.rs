//! The organisation's secret stores outside AWS: HashiCorp Vault and OpenBao (KV version 2).

pub mod login;
pub mod vault;
