//! csfle-provisioner-cli: the same engine as the desktop app, for scripts and servers.

mod deliver;
mod exec;
mod key_admin;
mod manage;
mod output;
mod profile;
mod prove;
mod provision;
mod recover;
mod signals;
mod store;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "csfle-provisioner-cli",
    version,
    about = "Sets up the AWS side of MongoDB Client-Side Field Level Encryption: a KMS key, a least-privilege IAM user, and its access key stored in the OS keychain."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create (or reuse) a KMS key and a service-account user whose access key goes to the keychain.
    Provision(provision::Args),
    /// Print a setup's credentials from the keychain in the AWS credential_process format.
    CredentialProcess(profile::CredentialProcessArgs),
    /// Add an AWS profile whose credentials come from the keychain (through credential-process).
    AwsProfile(profile::AwsProfileArgs),
    /// List the setups this app made, with the health of each part.
    List(manage::ListArgs),
    /// Turn on automatic yearly rotation of a setup's KMS key (Security Hub KMS.4).
    EnableRotation(manage::EnableRotationArgs),
    /// Replace a setup's access key: create, verify, store, then retire the old key.
    Rotate(manage::RotateArgs),
    /// Remove a setup: access keys, keychain item, policy, user, and the key this app made.
    Teardown(manage::TeardownArgs),
    /// Let IAM policies grant access to an existing key (adds KMS's default account statement).
    FixKeyPolicy(key_admin::FixKeyPolicyArgs),
    /// List this app's keys that KMS will delete (each can still be cancelled).
    PendingDeletions(key_admin::PendingDeletionsArgs),
    /// Cancel a key's deletion and enable it again, while KMS still waits.
    CancelKeyDeletion(key_admin::CancelKeyDeletionArgs),
    /// Print the least-privilege IAM policy an administrator needs to run this program.
    AdminPolicy(key_admin::AdminPolicyArgs),
    /// Find setups that were interrupted (the program was killed) and resume or clean them up.
    Recover(recover::Args),
    /// Run a command with a setup's session credentials in its environment only (for drivers
    /// that read no AWS profile: Go, C, PHP); its exit status is passed through.
    Exec(exec::Args),
    /// Prove, where the application runs, that the credentials the platform gives it (a role
    /// through web identity, Pod Identity, ECS or EC2) encrypt and decrypt with the master key.
    Prove(prove::Args),
    /// On the computer where the application runs: print its age recipient (public) for deliver.
    Receive(deliver::ReceiveArgs),
    /// Send a user setup's credentials, never shown: sealed to another computer's age recipient
    /// in a file, or copied into Vault/OpenBao or AWS Secrets Manager.
    Deliver(deliver::DeliverArgs),
    /// Store credentials sealed to this computer in its keychain (or systemd-creds, see --store).
    Import(deliver::ImportArgs),
}

fn main() -> ExitCode {
    // Before any keychain read: no core file, no debugger of the same user (local/hardening.rs).
    if let Err(error) = csfle_core::local::hardening::harden_process() {
        eprintln!("error: will not hold credentials in a process that could dump them: {error}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    // Windows gives the main thread 1 MiB of stack, and a debug build's provision overflowed it
    // (at "create alias", the command's future boxed or not): commands run on a thread with the
    // 8 MiB Linux gives its main thread.
    let command = std::thread::Builder::new()
        .name("command".into())
        .stack_size(COMMAND_STACK_BYTES)
        .spawn(move || run(cli));
    let result = match command.map(|thread| thread.join()) {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => {
            eprintln!("error: the command stopped unexpectedly; nothing more was done");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("error: could not start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(code) => code,
        Err(report) => {
            output::print_error(&report);
            ExitCode::FAILURE
        }
    }
}

const COMMAND_STACK_BYTES: usize = 8 * 1024 * 1024;

fn run(cli: Cli) -> Result<ExitCode, csfle_core::error::ErrorReport> {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start: {error}");
            return Ok(ExitCode::FAILURE);
        }
    };
    // Boxed: the commands' futures together are large, and block_on keeps the future it runs on
    // the calling thread's stack.
    runtime.block_on(Box::pin(async {
        match cli.command {
            Command::Exec(args) => return exec::run(args).await,
            Command::Provision(args) => provision::run(args).await,
            Command::CredentialProcess(args) => profile::credential_process(args).await,
            Command::AwsProfile(args) => profile::aws_profile(args).await,
            Command::List(args) => manage::list(args).await,
            Command::Rotate(args) => manage::rotate(args).await,
            Command::EnableRotation(args) => manage::enable_rotation(args).await,
            Command::Teardown(args) => manage::teardown(args).await,
            Command::Recover(args) => recover::run(args).await,
            Command::Prove(args) => prove::run(args).await,
            Command::Receive(args) => deliver::receive(args),
            Command::Deliver(args) => deliver::deliver(args).await,
            Command::Import(args) => deliver::import(args),
            Command::FixKeyPolicy(args) => key_admin::fix_key_policy(args).await,
            Command::PendingDeletions(args) => key_admin::pending_deletions(args).await,
            Command::CancelKeyDeletion(args) => key_admin::cancel_key_deletion(args).await,
            Command::AdminPolicy(args) => key_admin::admin_policy(args),
        }
        .map(|()| ExitCode::SUCCESS)
    }))
}
