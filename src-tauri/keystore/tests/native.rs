//! Against the real store of the machine running the test: the login Keychain on macOS, Credential
//! Manager on Windows (CI's macos-latest and windows-latest, and Wine here), a Secret Service on
//! Linux. Ignored by default because a developer's own keychain may prompt or be locked; run with
//! `cargo test -p csfle-keystore -- --include-ignored`.

use csfle_keystore::{attributes, load, remove, save, Failure};

const SERVICE: &str = "csfle-provisioner-keystore-test";

fn account(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("000000000000/{name}-{}-{nanos}", std::process::id())
}

#[test]
#[ignore = "touches the real OS keychain"]
fn save_load_replace_remove() {
    let account = account("round-trip");
    let first = r#"{"AccessKeyId":"AKIAFIRST","SecretAccessKey":"first/secret+value"}"#;
    let second = r#"{"AccessKeyId":"AKIASECOND","SecretAccessKey":"second/secret+value"}"#;

    let missing = load(SERVICE, &account).expect_err("nothing stored yet");
    assert_eq!(missing.failure, Failure::Missing, "{missing}");

    save(SERVICE, &account, "keystore test item", first).expect("save");
    assert_eq!(load(SERVICE, &account).expect("load"), first);
    save(SERVICE, &account, "keystore test item", second).expect("replace");
    assert_eq!(load(SERVICE, &account).expect("load again"), second);

    // A second item of the same setup (same account plus a suffix) is a separate item.
    let sibling = format!("{account}#second");
    save(SERVICE, &sibling, "keystore test sibling", first).expect("save sibling");
    assert_eq!(load(SERVICE, &account).expect("first item intact"), second);
    assert_eq!(load(SERVICE, &sibling).expect("sibling"), first);

    let attrs = attributes(SERVICE, &account).expect("attributes");
    if cfg!(windows) {
        assert_eq!(
            attrs.get("persistence").map(String::as_str),
            Some("Local"),
            "{attrs:?}"
        );
        assert_eq!(attrs.get("username"), Some(&account), "{attrs:?}");
        assert_eq!(
            attrs.get("comment").map(String::as_str),
            Some("keystore test item")
        );
    }
    if cfg!(target_os = "linux") {
        assert_eq!(attrs.get("username"), Some(&account), "{attrs:?}");
    }

    remove(SERVICE, &account).expect("remove");
    remove(SERVICE, &account).expect("removing again succeeds");
    let gone = load(SERVICE, &account).expect_err("removed");
    assert_eq!(gone.failure, Failure::Missing, "{gone}");
    assert_eq!(load(SERVICE, &sibling).expect("sibling survives"), first);
    remove(SERVICE, &sibling).expect("remove sibling");
}
