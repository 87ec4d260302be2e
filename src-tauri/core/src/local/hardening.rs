//! Keeps the secrets this process holds (the stored access key, session credentials) out of core
//! dumps and away from debuggers of the same user. Both front ends call [`harden_process`] first
//! thing in `main`, before any keychain read.
//!
//! - Linux: `prctl(PR_SET_DUMPABLE, 0)`, so no core file is written and another process of the
//!   same user can neither ptrace this one nor read its `/proc/<pid>/mem`; and `RLIMIT_CORE` 0.
//!   (The flag is reset by `execve`, so programs this one starts are unaffected.)
//! - macOS: `RLIMIT_CORE` 0 (the hardened runtime of a signed app already refuses debuggers).
//! - Windows: nothing is changed. Windows writes no core files; Windows Error Reporting can keep a
//!   crash dump when its LocalDumps key is set by an administrator, which a program cannot opt
//!   out of for itself.

/// Turns off core dumps (and, on Linux, dumpability). An error names the call that failed.
pub fn harden_process() -> std::io::Result<()> {
    #[cfg(unix)]
    no_core_files()?;
    #[cfg(target_os = "linux")]
    not_dumpable()?;
    Ok(())
}

#[cfg(unix)]
fn no_core_files() -> std::io::Result<()> {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads the struct we pass and nothing else.
    if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) } != 0 {
        let error = std::io::Error::last_os_error();
        return Err(std::io::Error::other(format!(
            "setrlimit(RLIMIT_CORE, 0): {error}"
        )));
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn not_dumpable() -> std::io::Result<()> {
    // SAFETY: PR_SET_DUMPABLE takes plain integers and touches no memory of ours.
    if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
        let error = std::io::Error::last_os_error();
        return Err(std::io::Error::other(format!(
            "prctl(PR_SET_DUMPABLE, 0): {error}"
        )));
    }
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    const CHILD: &str = "CSFLE_HARDENING_CHILD";

    /// Runs in a child copy of this test binary (so the test process itself stays dumpable):
    /// after hardening, the kernel reports the process non-dumpable and its core limit zero.
    #[test]
    fn hardened_child() {
        if std::env::var_os(CHILD).is_none() {
            return;
        }
        // SAFETY: PR_GET_DUMPABLE takes no pointer.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }, 1);
        super::harden_process().unwrap();
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }, 0);
        let mut limit = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: getrlimit writes into the struct we own.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) }, 0);
        assert_eq!((limit.rlim_cur, limit.rlim_max), (0, 0));
    }

    #[test]
    fn the_process_is_not_dumpable_and_writes_no_core_after_hardening() {
        let exe = std::env::current_exe().unwrap();
        let output = std::process::Command::new(exe)
            .args([
                "--exact",
                "local::hardening::tests::hardened_child",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(text.contains("1 passed"), "the child ran the check: {text}");
    }
}
