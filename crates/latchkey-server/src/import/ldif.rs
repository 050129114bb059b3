//! LDIF import files as `slapcat` and `ldapsearch` write them (RFC 2849 content records):
//! `attr: value`, `attr:: base64`, folded lines (a leading space continues the previous
//! line), comments, `version: 1`, entries separated by blank lines. An entry with a `uid`
//! is an account: `uid`, `mail`, `givenName`, `sn`, `displayName` (else `cn`),
//! `telephoneNumber`, `userPassword` (its first value), `entryUUID` as the id and
//! `pwdChangedTime` as the password's change time; other entries (the tree's `ou`s) are
//! skipped.

use super::Parsed;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use latchkey_core::ops::ImportRecord;
use std::io::BufRead;

pub struct LdifRecords<R: BufRead> {
    input: R,
    line: u64,
}

impl<R: BufRead> LdifRecords<R> {
    pub fn new(input: R) -> Self {
        LdifRecords { input, line: 0 }
    }

    fn raw_line(&mut self) -> std::io::Result<Option<String>> {
        let mut l = String::new();
        if self.input.read_line(&mut l)? == 0 {
            return Ok(None);
        }
        self.line += 1;
        while l.ends_with(['\n', '\r']) {
            l.pop();
        }
        Ok(Some(l))
    }

    /// One entry's (logical) lines with the number of its first, or `None` at the end.
    fn entry(&mut self) -> std::io::Result<Option<(u64, Vec<String>)>> {
        let mut lines: Vec<String> = Vec::new();
        let mut first = 0;
        loop {
            let Some(l) = self.raw_line()? else {
                return Ok((!lines.is_empty()).then_some((first, lines)));
            };
            if l.is_empty() {
                if lines.is_empty() {
                    continue;
                }
                return Ok(Some((first, lines)));
            }
            if let Some(rest) = l.strip_prefix(' ') {
                if let Some(last) = lines.last_mut() {
                    last.push_str(rest);
                }
                continue;
            }
            if l.starts_with('#') {
                continue;
            }
            if lines.is_empty() {
                first = self.line;
            }
            lines.push(l);
        }
    }
}

impl<R: BufRead> Iterator for LdifRecords<R> {
    type Item = Parsed;

    fn next(&mut self) -> Option<Parsed> {
        loop {
            let (line, lines) = match self.entry() {
                Ok(Some(e)) => e,
                Ok(None) => return None,
                Err(e) => return Some(Err((self.line, format!("reading: {e}")))),
            };
            match account(line, &lines) {
                Ok(Some(r)) => return Some(Ok(r)),
                Ok(None) => continue, // `version: 1`, or an entry that is no account
                Err(why) => return Some(Err((line, why))),
            }
        }
    }
}

/// `attr: value` or `attr:: base64` → (attr, value).
fn attribute(l: &str) -> Result<(String, String), String> {
    let (name, rest) = l.split_once(':').ok_or_else(|| {
        format!(
            "'{}' is not 'attribute: value'",
            l.chars().take(40).collect::<String>()
        )
    })?;
    let value = if let Some(b64) = rest.strip_prefix(':') {
        let bytes = STANDARD
            .decode(b64.trim())
            .map_err(|_| format!("{name}: bad base64"))?;
        String::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8"))?
    } else if rest.starts_with('<') {
        return Err(format!("{name}: values by URL are not read"));
    } else {
        rest.trim_start().to_owned()
    };
    // Options such as `;binary` or `;lang-en` name the same attribute.
    let name = name.split(';').next().unwrap_or(name).to_ascii_lowercase();
    Ok((name, value))
}

fn account(line: u64, lines: &[String]) -> Result<Option<ImportRecord>, String> {
    let mut r = ImportRecord {
        line,
        ..Default::default()
    };
    let (mut uid, mut cn) = (None, None);
    for l in lines {
        let (name, value) = attribute(l)?;
        let set = |slot: &mut Option<String>| {
            if slot.is_none() {
                *slot = Some(value.clone());
            }
        };
        match name.as_str() {
            "version" if lines.len() == 1 => return Ok(None),
            "changetype" => return Err("change records are not imported".into()),
            "dn" => r.dn = Some(value),
            "uid" => set(&mut uid),
            "mail" => set(&mut r.profile.email),
            "givenname" => set(&mut r.profile.given_name),
            "sn" => set(&mut r.profile.sn),
            "displayname" => set(&mut r.profile.display_name),
            "cn" => set(&mut cn),
            "telephonenumber" => set(&mut r.profile.telephone_number),
            "userpassword" => set(&mut r.password_hash),
            "entryuuid" => set(&mut r.id),
            "pwdchangedtime" => r.password_changed_at = Some(generalized_time(&value)?),
            _ => {}
        }
    }
    let Some(uid) = uid else {
        return Ok(None);
    };
    r.user_name = uid;
    if r.profile.display_name.is_none() {
        r.profile.display_name = cn;
    }
    Ok(Some(r))
}

/// `20261130101500Z` (LDAP GeneralizedTime, UTC) → RFC 3339.
fn generalized_time(v: &str) -> Result<String, String> {
    let bad = || format!("pwdChangedTime: '{v}' is not a GeneralizedTime in UTC");
    let digits = v.strip_suffix('Z').ok_or_else(bad)?;
    let digits = digits.split(['.', ',']).next().unwrap_or(digits);
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let d = |a: usize, b: usize| &digits[a..b];
    Ok(format!(
        "{}-{}-{}T{}:{}:{}Z",
        d(0, 4),
        d(4, 6),
        d(6, 8),
        d(8, 10),
        d(10, 12),
        d(12, 14)
    ))
}
