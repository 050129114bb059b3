//! A directory entry as Latchkey reads it.

use crate::active_directory as ad;
use crate::config::{DirectoryConfig, DirectoryKind};
use ldap3::SearchEntry;
use time::OffsetDateTime;
use uuid::Uuid;

/// The operational attributes of the password policy read with every entry.
pub const POLICY_ATTRIBUTES: [&str; 4] = [
    "pwdAccountLockedTime",
    "pwdReset",
    "pwdChangedTime",
    "createTimestamp",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The stable id (`entryUUID`, `objectGUID`).
    pub id: Uuid,
    pub dn: String,
    pub user_name: String,
    /// Active Directory's `objectSid` (`S-1-5-21-…`).
    pub sid: Option<String>,
    pub mail: Option<String>,
    pub given_name: Option<String>,
    pub sn: Option<String>,
    pub display_name: Option<String>,
    pub telephone_number: Option<String>,
    /// Locked by the directory's policy (`pwdAccountLockedTime`; AD: locked out now).
    pub locked: bool,
    /// Disabled in the directory (AD: `userAccountControl`).
    pub disabled: bool,
    /// Must change after an administrator's reset (`pwdReset: TRUE`; AD: `pwdLastSet: 0`).
    pub must_change: bool,
    pub password_changed_at: Option<OffsetDateTime>,
    pub created_at: Option<OffsetDateTime>,
    /// The directory's own change counter (AD: `uSNChanged`; 0 where there is none).
    pub usn: i64,
}

impl Entry {
    /// The attributes to ask for.
    pub fn requested(c: &DirectoryConfig) -> Vec<String> {
        let a = &c.attributes;
        let mut out = vec![
            a.user_name.clone(),
            a.mail.clone(),
            a.given_name.clone(),
            a.sn.clone(),
            a.display_name.clone(),
            a.telephone_number.clone(),
            a.stable_id.clone(),
        ];
        let operational: &[&str] = match c.kind {
            DirectoryKind::OpenLdap => &POLICY_ATTRIBUTES,
            DirectoryKind::ActiveDirectory => &ad::ATTRIBUTES,
        };
        out.extend(operational.iter().map(|s| (*s).to_owned()));
        out
    }

    /// The entry, or `None` when it lacks a user name or a stable id Latchkey can use.
    pub fn read(e: SearchEntry, c: &DirectoryConfig) -> Option<Self> {
        let a = &c.attributes;
        let first = |name: &str| {
            e.attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.first().cloned())
        };
        // A binary value: ldap3 keeps one that happens to be UTF-8 as text.
        let bytes = |name: &str| {
            e.bin_attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.first().cloned())
                .or_else(|| first(name).map(String::into_bytes))
        };
        let ad = c.kind == DirectoryKind::ActiveDirectory;
        let id = if ad {
            ad::guid(&bytes(&a.stable_id)?)?
        } else {
            first(&a.stable_id)?.parse().ok()?
        };
        let (locked, disabled, must_change, changed, created) = if ad {
            let pwd_last_set = first("pwdLastSet");
            (
                ad::locked(first("msDS-User-Account-Control-Computed").as_deref()),
                ad::disabled(first("userAccountControl").as_deref()),
                pwd_last_set.as_deref() == Some("0"),
                // A reset to must-change sets `pwdLastSet` to 0, which keeps no time: the
                // entry's last change (that reset, or later) stands for it.
                match pwd_last_set.as_deref() {
                    Some("0") => first("whenChanged").and_then(|t| generalized_time(&t)),
                    other => other.and_then(ad::filetime),
                },
                first("whenCreated").and_then(|t| generalized_time(&t)),
            )
        } else {
            (
                first("pwdAccountLockedTime").is_some(),
                false,
                first("pwdReset").is_some_and(|v| v.eq_ignore_ascii_case("TRUE")),
                first("pwdChangedTime").and_then(|t| generalized_time(&t)),
                first("createTimestamp").and_then(|t| generalized_time(&t)),
            )
        };
        Some(Self {
            id,
            user_name: first(&a.user_name)?,
            sid: ad
                .then(|| bytes("objectSid").as_deref().and_then(ad::sid))
                .flatten(),
            mail: first(&a.mail),
            given_name: first(&a.given_name),
            sn: first(&a.sn),
            display_name: first(&a.display_name),
            telephone_number: first(&a.telephone_number),
            locked,
            disabled,
            must_change,
            password_changed_at: changed,
            created_at: created,
            usn: first("uSNChanged")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            dn: e.dn,
        })
    }
}

/// `20261130140418Z` (slapd), `20261130140418.0Z` (AD); fractions are dropped.
pub fn generalized_time(s: &str) -> Option<OffsetDateTime> {
    let digits = s.strip_suffix('Z')?;
    let digits = digits.split('.').next()?;
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits[r].parse::<u32>().ok();
    let date = time::Date::from_calendar_date(
        n(0..4)? as i32,
        time::Month::try_from(n(4..6)? as u8).ok()?,
        n(6..8)? as u8,
    )
    .ok()?;
    let t = time::Time::from_hms(n(8..10)? as u8, n(10..12)? as u8, n(12..14)? as u8).ok()?;
    Some(time::PrimitiveDateTime::new(date, t).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_generalized_time() {
        let t = generalized_time("20261130140418Z").unwrap();
        assert_eq!(
            (t.year(), t.day(), t.hour(), t.second()),
            (2026, 30, 14, 18)
        );
        assert!(generalized_time("20261130140418.123456Z").is_some());
        assert!(generalized_time("2026113014Z").is_none());
    }
}
