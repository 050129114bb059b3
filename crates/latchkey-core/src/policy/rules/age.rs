//! `min-age`: a self change must wait this long after the last change — unless the
//! password must be changed anyway (after a reset).

use super::{Candidate, Entry, Rule};
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Debug)]
pub struct MinAge(pub Duration);

impl Rule for MinAge {
    fn name(&self) -> &'static str {
        "min-age"
    }
    fn description(&self) -> String {
        format!(
            "At most one change every {}",
            humantime::format_duration(self.0)
        )
    }
    fn params(&self) -> Value {
        json!({ "minAgeSeconds": self.0.as_secs() })
    }
    fn needs_a_change(&self) -> bool {
        true
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        if c.entry != Entry::SelfChange {
            return None;
        }
        let account = c.account?;
        if account.must_change_password {
            return Some(true);
        }
        Some(
            account
                .password_changed_at
                .is_none_or(|at| c.now - at >= self.0),
        )
    }
}
