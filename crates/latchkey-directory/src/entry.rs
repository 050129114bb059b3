//! A directory entry as Latchkey reads it.

use crate::config::Attributes;
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
    /// The stable id (`entryUUID`).
    pub id: Uuid,
    pub dn: String,
    pub user_name: String,
    pub mail: Option<String>,
    pub given_name: Option<String>,
    pub sn: Option<String>,
    pub display_name: Option<String>,
    pub telephone_number: Option<String>,
    /// Locked by the directory's policy (`pwdAccountLockedTime`).
    pub locked: bool,
    /// Must change after an administrator's reset (`pwdReset: TRUE`).
    pub must_change: bool,
    pub password_changed_at: Option<OffsetDateTime>,
    pub created_at: Option<OffsetDateTime>,
}

impl Entry {
    /// The attributes to ask for.
    pub fn requested(a: &Attributes) -> Vec<String> {
        let mut out = vec![
            a.user_name.clone(),
            a.mail.clone(),
            a.given_name.clone(),
            a.sn.clone(),
            a.display_name.clone(),
            a.telephone_number.clone(),
            a.stable_id.clone(),
        ];
        out.extend(POLICY_ATTRIBUTES.iter().map(|s| (*s).to_owned()));
        out
    }

    /// The entry, or `None` when it lacks a user name or a stable id Latchkey can use.
    pub fn read(e: SearchEntry, a: &Attributes) -> Option<Self> {
        let first = |name: &str| {
            e.attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.first().cloned())
        };
        let id = first(&a.stable_id)?.parse().ok()?;
        Some(Self {
            id,
            user_name: first(&a.user_name)?,
            mail: first(&a.mail),
            given_name: first(&a.given_name),
            sn: first(&a.sn),
            display_name: first(&a.display_name),
            telephone_number: first(&a.telephone_number),
            locked: first("pwdAccountLockedTime").is_some(),
            must_change: first("pwdReset").is_some_and(|v| v.eq_ignore_ascii_case("TRUE")),
            password_changed_at: first("pwdChangedTime").and_then(|t| generalized_time(&t)),
            created_at: first("createTimestamp").and_then(|t| generalized_time(&t)),
            dn: e.dn,
        })
    }
}

/// `20261130140418Z` (fractions and offsets other than `Z` are not used by slapd here).
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
