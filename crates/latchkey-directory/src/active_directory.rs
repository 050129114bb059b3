//! What Active Directory says differently: passwords as `unicodePwd` values, binary
//! `objectGUID` and `objectSid`, FILETIME timestamps, and the `data` codes and
//! `0000052D` reasons its answers carry in their text.

use crate::client::{BindOutcome, PasswordRefusal};
use ldap3::Mod;
use std::collections::HashSet;
use time::OffsetDateTime;
use uuid::Uuid;

/// `memberOf` through nested groups (LDAP_MATCHING_RULE_IN_CHAIN).
pub const IN_CHAIN: &str = "1.2.840.113556.1.4.1941";

/// The operational attributes read with every entry.
pub const ATTRIBUTES: [&str; 7] = [
    "pwdLastSet",
    "userAccountControl",
    "msDS-User-Account-Control-Computed",
    "whenCreated",
    "whenChanged",
    "uSNChanged",
    "objectSid",
];

/// `userAccountControl`: the account is disabled.
const ACCOUNTDISABLE: u32 = 0x2;
/// `msDS-User-Account-Control-Computed`: locked out now (lockout time within the
/// domain's lockout duration).
const LOCKOUT: u32 = 0x10;

/// A password as AD takes it: in double quotes, UTF-16LE.
pub fn unicode_pwd(password: &str) -> Vec<u8> {
    format!("\"{password}\"")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// One kind of `Mod` (delete, add, replace) of an attribute with its values.
type ModOp = fn(Vec<u8>, HashSet<Vec<u8>>) -> Mod<Vec<u8>>;

fn password(op: ModOp, pw: &str) -> Mod<Vec<u8>> {
    op(b"unicodePwd".to_vec(), HashSet::from([unicode_pwd(pw)]))
}

/// A self change: the old value removed and the new added in one modify (AD checks the
/// old one).
pub fn change_mods(old: &str, new: &str) -> Vec<Mod<Vec<u8>>> {
    vec![password(Mod::Delete, old), password(Mod::Add, new)]
}

/// A reset: the value replaced, and `pwdLastSet` 0 (must change) or -1 (need not).
pub fn reset_mods(new: &str, must_change: Option<bool>) -> Vec<Mod<Vec<u8>>> {
    let mut mods = vec![password(Mod::Replace, new)];
    if let Some(must) = must_change {
        let v: &[u8] = if must { b"0" } else { b"-1" };
        mods.push(Mod::Replace(
            b"pwdLastSet".to_vec(),
            HashSet::from([v.to_vec()]),
        ));
    }
    mods
}

/// `objectGUID`: 16 bytes, the first three fields little-endian.
pub fn guid(bytes: &[u8]) -> Option<Uuid> {
    Some(Uuid::from_bytes_le(bytes.try_into().ok()?))
}

/// The GUID as a filter value (each byte escaped).
pub fn guid_filter_value(id: Uuid) -> String {
    escape_bytes(&id.to_bytes_le())
}

/// `objectSid` in its usual form, `S-1-5-21-…`.
pub fn sid(bytes: &[u8]) -> Option<String> {
    let (&revision, rest) = bytes.split_first()?;
    let (&count, rest) = rest.split_first()?;
    let (authority, rest) = rest.split_at_checked(6)?;
    if rest.len() != usize::from(count) * 4 {
        return None;
    }
    let authority = authority.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b));
    let mut out = format!("S-{revision}-{authority}");
    for sub in rest.chunks_exact(4) {
        let v = u32::from_le_bytes(sub.try_into().ok()?);
        out.push_str(&format!("-{v}"));
    }
    Some(out)
}

/// Every byte as `\xx`: a binary value in a filter.
fn escape_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// A FILETIME (100 ns since 1601-01-01), as AD's `pwdLastSet` holds it; 0 and the
/// "never" value are `None`.
pub fn filetime(value: &str) -> Option<OffsetDateTime> {
    const UNIX_EPOCH_AS_FILETIME: i64 = 116_444_736_000_000_000;
    let v: i64 = value.parse().ok()?;
    if v <= 0 || v == i64::MAX {
        return None;
    }
    let nanos = i128::from(v - UNIX_EPOCH_AS_FILETIME) * 100;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// The flags an entry's account-control attributes carry.
pub fn disabled(user_account_control: Option<&str>) -> bool {
    flag(user_account_control, ACCOUNTDISABLE)
}

pub fn locked(computed: Option<&str>) -> bool {
    flag(computed, LOCKOUT)
}

fn flag(value: Option<&str>, bit: u32) -> bool {
    value
        .and_then(|v| v.parse::<i64>().ok())
        .is_some_and(|v| (v as u32) & bit != 0)
}

/// The `data` code of a failed bind's text (`…AcceptSecurityContext error, data 52e, v…`).
fn data_code(text: &str) -> Option<&str> {
    let rest = &text[text.find("data ")? + 5..];
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// A failed bind (49) by its `data` code. AD names the state only when the password
/// was right (`773`, `532`, `533`, `701`); `775` (locked) whatever it was.
pub fn bind_outcome(text: &str) -> BindOutcome {
    match data_code(text).map(str::to_ascii_lowercase).as_deref() {
        Some("773") => BindOutcome::ChangeOnly { expired: false },
        Some("532") => BindOutcome::ChangeOnly { expired: true },
        Some("775") => BindOutcome::Locked,
        Some("533") => BindOutcome::Disabled,
        Some("701") => BindOutcome::AccountExpired,
        _ => BindOutcome::Wrong,
    }
}

/// A refused `unicodePwd` write (result 19, constraint violation, or 53) by its code
/// and, for `0000052D`, its reason.
pub fn refusal(text: &str) -> PasswordRefusal {
    let t = text.to_ascii_lowercase();
    let reason = text
        .split_once("check_password_restrictions:")
        .map_or(text, |(_, r)| r)
        .trim()
        .trim_end_matches('!')
        .to_owned();
    if t.starts_with("00000056") {
        PasswordRefusal::WrongOld
    } else if !t.starts_with("0000052d") {
        PasswordRefusal::Other(text.to_owned())
    } else if t.contains("too short") {
        PasswordRefusal::TooShort(reason)
    } else if t.contains("complexity") {
        PasswordRefusal::Complexity(reason)
    } else if t.contains("history") {
        PasswordRefusal::InHistory(reason)
    } else if t.contains("too young") {
        PasswordRefusal::TooYoung(reason)
    } else {
        PasswordRefusal::Quality(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sids_guids_and_filetimes_as_samba_gives_them() {
        let s = [
            1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0xf1, 0x84, 0xbe, 0x0e, 0xa3, 0xf2, 0x29, 0x13,
            0x6f, 0xbe, 0xda, 0x76, 0x4e, 0x04, 0, 0,
        ];
        assert_eq!(
            sid(&s).as_deref(),
            Some("S-1-5-21-247366897-321516195-1994047087-1102")
        );
        assert_eq!(sid(&s[..27]), None);
        // objectGUID:: rnLJeOLcaE+xDZY0xPe9yw==
        let g = [
            0xae, 0x72, 0xc9, 0x78, 0xe2, 0xdc, 0x68, 0x4f, 0xb1, 0x0d, 0x96, 0x34, 0xc4, 0xf7,
            0xbd, 0xcb,
        ];
        let id = guid(&g).unwrap();
        assert_eq!(id.to_string(), "78c972ae-dce2-4f68-b10d-9634c4f7bdcb");
        assert_eq!(guid_filter_value(id), escape_bytes(&g));
        let t = filetime("134405439326651170").unwrap();
        assert_eq!((t.year(), t.month() as u8, t.day()), (2026, 11, 30));
        assert_eq!(filetime("0"), None);
        assert_eq!(filetime("9223372036854775807"), None);
        assert_eq!(unicode_pwd("ab"), b"\"\0a\0b\0\"\0");
    }

    #[test]
    fn maps_ads_codes_and_reasons() {
        let bind = |code: &str| {
            bind_outcome(&format!(
                "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data {code}, v1db1"
            ))
        };
        assert_eq!(bind("52e"), BindOutcome::Wrong);
        assert_eq!(bind("775"), BindOutcome::Locked);
        assert_eq!(bind("533"), BindOutcome::Disabled);
        assert_eq!(bind("701"), BindOutcome::AccountExpired);
        assert_eq!(bind("773"), BindOutcome::ChangeOnly { expired: false });
        assert_eq!(bind("532"), BindOutcome::ChangeOnly { expired: true });
        let refused = |r: &str| {
            refusal(&format!(
                "0000052D: Constraint violation - check_password_restrictions: {r}!"
            ))
        };
        assert_eq!(
            refused("the password is too short. It should be equal or longer than 7 characters"),
            PasswordRefusal::TooShort(
                "the password is too short. It should be equal or longer than 7 characters".into()
            )
        );
        assert!(matches!(
            refused("the password does not meet the complexity criteria"),
            PasswordRefusal::Complexity(_)
        ));
        assert!(matches!(
            refused("the password was already used (in history)"),
            PasswordRefusal::InHistory(_)
        ));
        assert!(matches!(
            refused("password is too young to change"),
            PasswordRefusal::TooYoung(_)
        ));
        assert_eq!(
            refusal(
                "00000056: Constraint violation - check_password_restrictions: The old password specified doesn't match!"
            ),
            PasswordRefusal::WrongOld
        );
    }
}
