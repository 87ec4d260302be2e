//! `--store`: where the commands that run beside the application keep and read credentials.

use csfle_core::error::ErrorReport;
use csfle_core::local::store::StoreKind;
use csfle_core::session::Session;

#[derive(clap::Args)]
pub struct StoreArg {
    /// Where this computer keeps the credentials. Without it: the OS keychain when it answers,
    /// else systemd-creds when installed. `file` (a plain file only this account can read) is
    /// used only when named.
    #[arg(long, value_enum, value_name = "STORE")]
    store: Option<Store>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Store {
    Keychain,
    SystemdCreds,
    File,
}

impl StoreArg {
    /// A session on this computer over the store asked for.
    pub fn session(&self) -> Result<Session, ErrorReport> {
        Session::on_this_computer_in(self.store.map(|store| match store {
            Store::Keychain => StoreKind::Keychain,
            Store::SystemdCreds => StoreKind::SystemdCreds,
            Store::File => StoreKind::File,
        }))
    }
}
