use super::*;
use proptest::prelude::*;

#[test]
fn user_names_follow_iam_rules() {
    assert_eq!(user_name("app-csfle").as_deref(), Ok("app-csfle"));
    assert!(user_name("a+b=c,d.e@f_g-h").is_ok());
    assert!(user_name(&"x".repeat(64)).is_ok());
    let too_long = user_name(&"x".repeat(65)).unwrap_err();
    assert_eq!(too_long.field, Field::UserName);
    assert!(too_long.rule.contains("1–64"), "{}", too_long.rule);
    assert!(user_name("").is_err());
    let spaced = user_name("my app").unwrap_err();
    assert!(
        spaced.to_string().starts_with("IAM user name: "),
        "{spaced}"
    );
    assert!(user_name("naïve").is_err());
    assert!(user_name("a/b").is_err());
}

#[test]
fn aliases_follow_kms_rules() {
    assert!(alias("alias/app-csfle").is_ok());
    assert!(alias("alias/team/app_1").is_ok());
    assert!(alias("app-csfle").unwrap_err().rule.contains("alias/"));
    assert!(alias("alias/").is_err());
    assert!(alias("alias/aws/s3").unwrap_err().rule.contains("reserved"));
    assert!(alias("alias/has space").is_err());
    assert!(alias("alias/dot.ted").is_err());
    assert!(alias(&format!("alias/{}", "k".repeat(250))).is_ok());
    assert!(alias(&format!("alias/{}", "k".repeat(251))).is_err());
}

#[test]
fn existing_keys_accept_the_three_forms() {
    let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(existing_key(id, "us-east-1"), Ok(KeyRef::Id(id.into())));
    assert_eq!(
        existing_key("mrk-1234abcd12ab34cd56ef1234567890ab", "us-east-1"),
        Ok(KeyRef::Id("mrk-1234abcd12ab34cd56ef1234567890ab".into()))
    );
    assert_eq!(
        existing_key("alias/app", "us-east-1"),
        Ok(KeyRef::Alias("alias/app".into()))
    );
    let arn = format!("arn:aws:kms:eu-west-1:111122223333:key/{id}");
    let parsed = existing_key(&arn, "eu-west-1").unwrap();
    assert_eq!(parsed.as_kms_key_id(), arn);
}

#[test]
fn key_arns_are_checked_part_by_part() {
    let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let wrong_region = existing_key(
        &format!("arn:aws:kms:eu-west-1:111122223333:key/{id}"),
        "us-east-1",
    );
    assert!(wrong_region.unwrap_err().rule.contains("eu-west-1"));
    assert!(existing_key(
        &format!("arn:aws:s3:us-east-1:111122223333:key/{id}"),
        "us-east-1"
    )
    .is_err());
    assert!(existing_key(
        &format!("arn:aws-cn:kms:us-east-1:111122223333:key/{id}"),
        "us-east-1"
    )
    .is_err());
    assert!(existing_key(
        &format!("arn:aws:kms:us-east-1:11112222333:key/{id}"),
        "us-east-1"
    )
    .is_err());
    assert!(existing_key("arn:aws:kms:us-east-1:111122223333:key/nope", "us-east-1").is_err());
    assert!(
        existing_key("arn:aws:kms:us-east-1:111122223333:alias/app", "us-east-1")
            .unwrap_err()
            .rule
            .contains("alias ARN")
    );
    assert!(existing_key(
        "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/"
            .to_string()
            .as_str(),
        "us-gov-west-1"
    )
    .is_err());
    assert!(existing_key("not a key", "us-east-1").is_err());
}

#[test]
fn regions_must_be_known() {
    assert!(region("us-east-1").is_ok());
    assert!(region("").is_err());
    assert!(region("us-east-9").is_err());
    assert!(region("US-EAST-1").is_err());
}

#[test]
fn profiles_reject_config_syntax() {
    assert!(profile("admin-sso").is_ok());
    assert!(profile("a b").is_err());
    assert!(profile("x]").is_err());
    assert!(profile("").is_err());
}

proptest! {
    #[test]
    fn validators_never_panic(s in "\\PC*") {
        let _ = user_name(&s);
        let _ = role_name(&s);
        let _ = policy_name(&s);
        let _ = alias(&s);
        let _ = description(&s);
        let _ = region(&s);
        let _ = profile(&s);
        let _ = existing_key(&s, "us-east-1");
    }

    #[test]
    fn accepted_user_names_match_the_iam_pattern(s in "[A-Za-z0-9+=,.@_-]{1,64}") {
        prop_assert!(user_name(&s).is_ok());
    }

    #[test]
    fn accepted_names_contain_only_allowed_characters(s in ".{0,80}") {
        if let Ok(name) = user_name(&s) {
            prop_assert!(name.chars().all(is_iam_name_char));
            prop_assert!((1..=64).contains(&name.chars().count()));
        }
        if let Ok(a) = alias(&s) {
            prop_assert!(a.starts_with("alias/") && !a.starts_with("alias/aws/"));
        }
    }
}
