//! Ctrl-C (and SIGTERM) during a run: the first one cancels it the way the GUI's Cancel button
//! does (the AWS call in flight finishes, then everything made so far is rolled back); a second
//! one exits at once, leaving the run for `recover` to find.

use csfle_core::cancel::Cancel;

/// A cancel switch flipped by the first interrupt; the second ends the process.
pub fn cancel_on_interrupt() -> Cancel {
    let cancel = Cancel::default();
    let switch = cancel.clone();
    tokio::spawn(async move {
        if interrupted().await.is_err() {
            return;
        }
        switch.cancel();
        eprintln!(
            "Cancelling: the AWS call in flight finishes, then everything made so far is undone. Press Ctrl-C again to stop at once (recover finds the run later)."
        );
        if interrupted().await.is_ok() {
            eprintln!("Stopped. Run `csfle-provisioner-cli recover` to resume or clean up.");
            std::process::exit(130);
        }
    });
    cancel
}

#[cfg(unix)]
async fn interrupted() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn interrupted() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}
