use super::*;

/// A fresh absolute folder under the temporary folder, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "csfle-store-{tag}-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn credential_names_are_file_names_systemd_accepts_and_keep_setups_apart() {
    assert_eq!(
        credential_name("123456789012/app"),
        "csfle-provisioner.123456789012.app"
    );
    assert_eq!(
        credential_name("123456789012/app#session"),
        "csfle-provisioner.123456789012.app#session"
    );
    assert_eq!(
        credential_name(crate::local::sealed::IDENTITY_ACCOUNT),
        "csfle-provisioner.this-computer.age-identity"
    );
    assert_ne!(
        credential_name("123456789012/a.b"),
        credential_name("123456789012/a_b")
    );
    assert!(!credential_name("123456789012/app").contains('/'));
}

#[cfg(unix)]
#[test]
fn the_plain_file_store_is_private_and_round_trips() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new("file");
    let vault = FileVault::new(&scratch.0);
    let secret = Sensitive::new(r#"{"SecretAccessKey":"s3cr3t"}"#.into());
    assert!(matches!(
        vault.load("123456789012/app"),
        Err(KeychainError::NotFound { .. })
    ));
    vault.save("123456789012/app", "label", &secret).unwrap();
    let path = vault.path_of("123456789012/app");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", path.display());
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);
    assert_eq!(
        vault.load("123456789012/app").unwrap().expose(),
        secret.expose()
    );
    vault.remove("123456789012/app").unwrap();
    vault.remove("123456789012/app").unwrap();
    assert!(!vault.holds("123456789012/app"));
}

#[test]
fn without_systemd_creds_a_computer_without_keychain_stores_nothing() {
    let scratch = Scratch::new("none");
    let headless = Headless {
        creds: None,
        file: Some(FileVault::new(&scratch.0)),
        no_keychain: "no session bus".into(),
    };
    let secret = Sensitive::new("s3cr3t".into());
    let refused = headless.save("123456789012/app", "l", &secret).unwrap_err();
    assert_eq!(refused.code(), "no-credential-store");
    assert!(refused.to_string().contains("no session bus"), "{refused}");
    assert!(refused.hint().contains("--store file"));
    assert!(headless.check_reachable().is_err());
    assert_eq!(
        std::fs::read_dir(&scratch.0).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn items_the_admin_put_in_the_file_store_are_read_and_cached_there() {
    let scratch = Scratch::new("mixed");
    let file = FileVault::new(&scratch.0);
    let secret = Sensitive::new("item".into());
    file.save("123456789012/app", "l", &secret).unwrap();
    let headless = Headless {
        creds: None,
        file: Some(FileVault::new(&scratch.0)),
        no_keychain: "no session bus".into(),
    };
    assert_eq!(headless.load("123456789012/app").unwrap().expose(), "item");
    headless
        .save(
            "123456789012/app#session",
            "l",
            &Sensitive::new("cache".into()),
        )
        .unwrap();
    assert_eq!(
        file.load("123456789012/app#session").unwrap().expose(),
        "cache"
    );
    // Another setup is not put in the plain file by default.
    assert!(headless.save("123456789012/other", "l", &secret).is_err());
    assert!(!file.holds("123456789012/other"));
}
