//! `deny-pattern`: the password must not match a configured regular expression.

use super::{Candidate, Rule};
use regex::Regex;
use serde_json::{Value, json};

#[derive(Debug)]
pub struct DenyPattern(pub Regex);

impl Rule for DenyPattern {
    fn name(&self) -> &'static str {
        "deny-pattern"
    }
    fn description(&self) -> String {
        match self.0.as_str() {
            "^>.*<$" => "Must not begin with '>' and end with '<'".to_owned(),
            p => format!("Must not match the pattern {p}"),
        }
    }
    fn params(&self) -> Value {
        json!({ "pattern": self.0.as_str() })
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        Some(!self.0.is_match(c.password.expose()))
    }
}
