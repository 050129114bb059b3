//! `not-current` and `history`: the new password must not be the current one or one of
//! the last N. Both need the stored hashes, so they apply only where a password is
//! actually being set, never to a dry run.

use super::{Candidate, Entry, Rule};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct NotCurrent;

impl Rule for NotCurrent {
    fn name(&self) -> &'static str {
        "not-current"
    }
    fn description(&self) -> String {
        "Must differ from the current password".to_owned()
    }
    fn params(&self) -> Value {
        json!({})
    }
    fn needs_a_change(&self) -> bool {
        true
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        match (c.current_password, c.current_hash) {
            (Some(current), _) => Some(!crate::secret::constant_time_eq(
                current.as_bytes(),
                c.password.as_bytes(),
            )),
            (None, Some(hash)) => Some(!hash.verify(c.password)),
            (None, None) => None,
        }
    }
}

#[derive(Debug)]
pub struct History(pub usize);

impl Rule for History {
    fn name(&self) -> &'static str {
        "history"
    }
    fn description(&self) -> String {
        format!("Must not be one of the last {} passwords", self.0)
    }
    fn params(&self) -> Value {
        json!({ "historyCount": self.0 })
    }
    fn needs_a_change(&self) -> bool {
        true
    }
    fn check(&self, c: &Candidate<'_>) -> Option<bool> {
        if matches!(c.entry, Entry::DryRun | Entry::Create) {
            return None;
        }
        Some(!c.history.iter().take(self.0).any(|h| h.verify(c.password)))
    }
}
