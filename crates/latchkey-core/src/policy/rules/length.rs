//! `min-length`, `max-length`: code points after NFKC.

use super::{Candidate, Rule};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct MinLength(pub usize);

impl Rule for MinLength {
    fn name(&self) -> &'static str {
        "min-length"
    }
    fn description(&self) -> String {
        format!("At least {} characters", self.0)
    }
    fn params(&self) -> Value {
        json!({ "minLength": self.0 })
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        Some(c.password.char_count() >= self.0)
    }
}

#[derive(Debug)]
pub struct MaxLength(pub usize);

impl Rule for MaxLength {
    fn name(&self) -> &'static str {
        "max-length"
    }
    fn description(&self) -> String {
        format!("At most {} characters", self.0)
    }
    fn params(&self) -> Value {
        json!({ "maxLength": self.0 })
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        Some(c.password.char_count() <= self.0)
    }
}
