//! `not-personal`: the password must not contain the user name, given name, surname,
//! e-mail local part or display-name words (case-insensitive, tokens of 3+ characters).

use super::{Candidate, Rule};
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization as _;

#[derive(Debug)]
pub struct NotPersonal;

/// Tokens shorter than this are too common to forbid.
const MIN_TOKEN_CHARS: usize = 3;

fn normalise(s: &str) -> String {
    s.nfkc().collect::<String>().to_lowercase()
}

/// The personal tokens of a candidate's account (or bare user name).
pub fn personal_tokens(c: &Candidate<'_>) -> Vec<String> {
    let mut raw: Vec<String> = vec![];
    if let Some(a) = c.account {
        raw.push(a.user_name.as_str().to_owned());
        let p = &a.profile;
        raw.extend(p.given_name.iter().cloned());
        raw.extend(p.sn.iter().cloned());
        if let Some(email) = &p.email {
            raw.push(email.split('@').next().unwrap_or_default().to_owned());
        }
        if let Some(d) = &p.display_name {
            raw.extend(d.split(|ch: char| !ch.is_alphanumeric()).map(str::to_owned));
        }
    }
    raw.extend(c.user_name.map(str::to_owned));
    let mut tokens: Vec<String> = raw
        .iter()
        .map(|t| normalise(t.trim()))
        .filter(|t| t.chars().count() >= MIN_TOKEN_CHARS)
        .collect();
    tokens.sort();
    tokens.dedup();
    tokens
}

impl Rule for NotPersonal {
    fn name(&self) -> &'static str {
        "not-personal"
    }
    fn description(&self) -> String {
        "Must not contain your user name, name or e-mail name".to_owned()
    }
    fn params(&self) -> Value {
        json!({ "minTokenLength": MIN_TOKEN_CHARS })
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        let tokens = personal_tokens(c);
        if tokens.is_empty() {
            return None;
        }
        let pw = normalise(c.password.expose());
        Some(!tokens.iter().any(|t| pw.contains(t.as_str())))
    }
}
