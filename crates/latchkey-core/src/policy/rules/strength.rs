//! `min-strength`: a zxcvbn score (0–4), with the account's personal words as inputs.

use super::{Candidate, Rule};
use serde_json::{Value, json};

/// zxcvbn's cost grows with length; beyond this many characters the rest adds nothing
/// to the score that matters (a 64-character password is strong unless a pattern says
/// otherwise within its first 64 characters).
const SCORED_CHARS: usize = 64;

#[derive(Debug)]
pub struct MinStrength(pub u8);

impl Rule for MinStrength {
    fn name(&self) -> &'static str {
        "min-strength"
    }
    fn description(&self) -> String {
        format!("Strength at least {} of 4", self.0)
    }
    fn params(&self) -> Value {
        json!({ "minStrength": self.0 })
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        Some(score(c) >= self.0)
    }
}

/// The candidate's zxcvbn score (0–4), its account's personal words as inputs: the rule
/// above and the strength meter of the web page.
pub fn score(c: &Candidate<'_>) -> u8 {
    let pw: String = c.password.expose().chars().take(SCORED_CHARS).collect();
    let tokens = super::personal::personal_tokens(c);
    let inputs: Vec<&str> = tokens.iter().map(String::as_str).collect();
    u8::from(zxcvbn::zxcvbn(&pw, &inputs).score())
}
