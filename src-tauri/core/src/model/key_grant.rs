//! The one key-policy statement a cross-account setup owns (its key in one account, its
//! application in another), and the edits of a key policy's raw text that add and remove it.
//!
//! The policy is edited as text, never parsed and written back: a reserialised document would
//! reorder keys and change whitespace in every statement of the key's owners, and teardown could
//! not give them back the policy byte for byte. Only the span of the `Statement` array that
//! holds this statement changes.

use serde::Serialize;
use serde_json::{json, Value};
use ts_rs::TS;

/// The cross-account half of a plan: the statement to add to the key's policy, in the key's
/// account, with that account's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct KeyGrant {
    pub key_arn: String,
    /// The key's account (the workload's is the plan's identity).
    pub key_account: String,
    /// Who acts in the key's account (an ARN from sts:GetCallerIdentity).
    pub key_admin_arn: String,
    /// The AWS profile the key's account is reached through, if one was named.
    pub key_profile: Option<String>,
    pub sid: String,
    /// The role or user the statement names.
    pub principal_arn: String,
    /// The statement exactly as PutKeyPolicy will add it.
    pub statement: String,
}

/// The statement's `Sid`: stable for one principal, letters and digits only (what IAM accepts
/// in any policy), and never the same for two principals (every character outside `[A-Za-z0-9]`
/// and the escape letter itself are written as `X` and two hex digits).
pub fn sid(kind: &str, account: &str, name: &str) -> String {
    let mut sid = format!("CsfleProvisioner{kind}{account}");
    for c in name.chars() {
        if c.is_ascii_alphanumeric() && c != 'X' {
            sid.push(c);
        } else {
            sid.push_str(&format!("X{:02X}", u32::from(c)));
        }
    }
    sid
}

/// Exactly what the setup's principal needs in the key's policy: Encrypt and Decrypt, this key
/// (`Resource: "*"` in a key policy is the key itself), nobody else.
pub fn statement(sid: &str, principal_arn: &str) -> Value {
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": principal_arn},
        "Action": ["kms:Encrypt", "kms:Decrypt"],
        "Resource": "*"
    })
}

/// The statement's text as it goes into the policy.
pub fn statement_text(sid: &str, principal_arn: &str) -> String {
    serde_json::to_string_pretty(&statement(sid, principal_arn)).unwrap_or_default()
}

/// Where the elements of the policy's top-level `Statement` array lie in its text.
#[derive(Debug, PartialEq, Eq)]
struct Statements {
    /// The index just after `[`.
    open: usize,
    /// (start, end) of each element, end exclusive.
    elements: Vec<(usize, usize)>,
}

fn skip_ws(text: &[u8], mut i: usize) -> usize {
    while i < text.len() && text[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The end (exclusive) of the string starting at `i` (a `"`).
fn skip_string(text: &[u8], mut i: usize) -> Result<usize, String> {
    i += 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err("a string is not closed".into())
}

/// The end (exclusive) of the JSON value starting at `i`.
fn skip_value(text: &[u8], i: usize) -> Result<usize, String> {
    match text.get(i) {
        Some(b'"') => skip_string(text, i),
        Some(b'{') | Some(b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < text.len() {
                match text[j] {
                    b'"' => {
                        j = skip_string(text, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Err("an object or list is not closed".into())
        }
        Some(_) => {
            let mut j = i;
            while j < text.len() && !matches!(text[j], b',' | b'}' | b']') {
                j += 1;
            }
            Ok(j)
        }
        None => Err("the text ends where a value should be".into()),
    }
}

fn statements(text: &str) -> Result<Statements, String> {
    serde_json::from_str::<Value>(text).map_err(|e| format!("it is not valid JSON: {e}"))?;
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return Err("it is not a JSON object".into());
    }
    i = skip_ws(bytes, i + 1);
    while bytes.get(i) == Some(&b'"') {
        let key_end = skip_string(bytes, i)?;
        let key: String = serde_json::from_str(&text[i..key_end]).map_err(|e| e.to_string())?;
        i = skip_ws(bytes, key_end);
        i = skip_ws(bytes, i + 1); // past ':'
        let value_end = skip_value(bytes, i)?;
        if key == "Statement" {
            return list_elements(bytes, i, value_end);
        }
        i = skip_ws(bytes, value_end);
        if bytes.get(i) == Some(&b',') {
            i = skip_ws(bytes, i + 1);
        }
    }
    Err("it has no Statement".into())
}

fn list_elements(bytes: &[u8], start: usize, end: usize) -> Result<Statements, String> {
    if bytes.get(start) != Some(&b'[') {
        return Err(
            "its Statement is a single object, not a list; write it as a list of one ([ … ]) and plan again"
                .into(),
        );
    }
    let mut elements = Vec::new();
    let mut i = skip_ws(bytes, start + 1);
    while i < end - 1 {
        let element_end = skip_value(bytes, i)?;
        elements.push((i, element_end));
        i = skip_ws(bytes, element_end);
        if bytes.get(i) == Some(&b',') {
            i = skip_ws(bytes, i + 1);
        }
    }
    Ok(Statements {
        open: start + 1,
        elements,
    })
}

/// The statement with `sid` in the policy, if there is one.
pub fn find(text: &str, sid: &str) -> Result<Option<Value>, String> {
    let found = statements(text)?;
    Ok(found
        .elements
        .iter()
        .filter_map(|(start, end)| serde_json::from_str::<Value>(&text[*start..*end]).ok())
        .find(|value| value.get("Sid").and_then(Value::as_str) == Some(sid)))
}

/// The policy with `statement` appended to its list; every other byte stays where it was.
pub fn add(text: &str, statement: &str) -> Result<String, String> {
    let found = statements(text)?;
    let mut edited = String::with_capacity(text.len() + statement.len() + 2);
    match found.elements.last() {
        Some((_, end)) => {
            edited.push_str(&text[..*end]);
            edited.push_str(", ");
            edited.push_str(statement);
            edited.push_str(&text[*end..]);
        }
        None => {
            edited.push_str(&text[..found.open]);
            edited.push_str(statement);
            edited.push_str(&text[found.open..]);
        }
    }
    Ok(edited)
}

/// What [`remove`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Removal {
    /// The policy without the statement.
    Removed(String),
    /// A statement with the Sid is there, but not the one the app wrote: someone changed it.
    Changed(Value),
    Absent,
}

/// The policy without the statement `sid`, if it is still exactly `expected`. The separator
/// [`add`] put before it goes with it, so add then remove gives back the text byte for byte.
pub fn remove(text: &str, sid: &str, expected: &Value) -> Result<Removal, String> {
    let found = statements(text)?;
    let position = found.elements.iter().position(|(start, end)| {
        serde_json::from_str::<Value>(&text[*start..*end])
            .ok()
            .and_then(|v| v.get("Sid").and_then(Value::as_str).map(|s| s == sid))
            .unwrap_or(false)
    });
    let Some(index) = position else {
        return Ok(Removal::Absent);
    };
    let (start, end) = found.elements[index];
    let value: Value = serde_json::from_str(&text[start..end]).map_err(|e| e.to_string())?;
    if &value != expected {
        return Ok(Removal::Changed(value));
    }
    let (cut_from, cut_to) = match (index.checked_sub(1), found.elements.get(index + 1)) {
        (Some(previous), _) => (found.elements[previous].1, end),
        (None, Some((next, _))) => (start, *next),
        (None, None) => (start, end),
    };
    Ok(Removal::Removed(format!(
        "{}{}",
        &text[..cut_from],
        &text[cut_to..]
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KMS_DEFAULT: &str = "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::222233334444:root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }, {\"Sid\":\"Odd \\\"]}\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"kms:ScheduleKeyDeletion\",\"Resource\":\"*\"} ]\n}";

    #[test]
    fn adding_then_removing_gives_the_policy_back_byte_for_byte() {
        let sid = sid("Role", "111122223333", "app");
        let arn = "arn:aws:iam::111122223333:role/csfle/app";
        let added = add(KMS_DEFAULT, &statement_text(&sid, arn)).unwrap();
        let parsed: Value = serde_json::from_str(&added).unwrap();
        let list = parsed["Statement"].as_array().unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[2], statement(&sid, arn));
        assert_eq!(find(&added, &sid).unwrap(), Some(statement(&sid, arn)));
        let removed = remove(&added, &sid, &statement(&sid, arn)).unwrap();
        assert_eq!(removed, Removal::Removed(KMS_DEFAULT.to_string()));
    }

    #[test]
    fn a_changed_statement_is_reported_and_an_absent_one_is_no_error() {
        let sid = sid("User", "111122223333", "app");
        let arn = "arn:aws:iam::111122223333:user/csfle/app";
        let added = add(KMS_DEFAULT, &statement_text(&sid, arn)).unwrap();
        let widened = added.replace("\"kms:Decrypt\"", "\"kms:Decrypt\", \"kms:ReEncrypt*\"");
        assert!(matches!(
            remove(&widened, &sid, &statement(&sid, arn)).unwrap(),
            Removal::Changed(_)
        ));
        assert_eq!(
            remove(KMS_DEFAULT, &sid, &statement(&sid, arn)).unwrap(),
            Removal::Absent
        );
    }

    #[test]
    fn first_only_and_empty_positions_and_refusals() {
        let sid = sid("Role", "111122223333", "app");
        let expected = statement(&sid, "arn:aws:iam::111122223333:role/app");
        let text = statement_text(&sid, "arn:aws:iam::111122223333:role/app");
        let empty = "{\"Statement\": []}";
        let one = add(empty, &text).unwrap();
        assert_eq!(
            remove(&one, &sid, &expected).unwrap(),
            Removal::Removed(empty.into())
        );
        let first = format!("{{\"Statement\": [{text}, {{\"Sid\": \"x\"}}]}}");
        assert_eq!(
            remove(&first, &sid, &expected).unwrap(),
            Removal::Removed("{\"Statement\": [{\"Sid\": \"x\"}]}".into())
        );
        assert!(add("{\"Statement\": {\"Sid\": \"x\"}}", &text)
            .unwrap_err()
            .contains("single object"));
        assert!(add("not json", &text).is_err());
    }

    #[test]
    fn sids_are_alphanumeric_and_tell_principals_apart() {
        assert_eq!(
            sid("Role", "111122223333", "my-app"),
            "CsfleProvisionerRole111122223333myX2Dapp"
        );
        assert_ne!(
            sid("Role", "111122223333", "myX2Dapp"),
            sid("Role", "111122223333", "my-app")
        );
        assert_ne!(sid("User", "1", "a"), sid("Role", "1", "a"));
        assert!(sid("User", "111122223333", "a.b@c+d=e,f_g")
            .chars()
            .all(|c| c.is_ascii_alphanumeric()));
    }
}
