//! The rules: each a small type with its SPEC §10 machine name, a description,
//! parameters and a check. A rule that does not apply to a candidate is not listed.

mod age;
mod classes;
mod length;
mod lists;
mod patterns;
mod personal;
mod reuse;
mod strength;

pub use age::MinAge;
pub use classes::{CharClass, ClassCount, MinClasses};
pub use length::{MaxLength, MinLength};
pub use lists::{Breached, DictionaryRule};
pub use patterns::DenyPattern;
pub use personal::NotPersonal;
pub use reuse::{History, NotCurrent};
pub use strength::{MinStrength, score as strength_score};

use super::report::{RuleMode, RuleResult};
use crate::domain::{Account, Password};
use crate::hashing::PasswordHash;
use serde_json::Value;
use time::OffsetDateTime;

/// Which operation proposes the password: decides which rules apply (SPEC §10 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    SelfChange,
    Reset,
    Recovery,
    Create,
    /// `POST /passwords/check` and generation: nothing is proven, so the rules that
    /// compare with stored hashes are not evaluated (they would make an oracle).
    DryRun,
}

/// A proposed password and what the rules may know about it.
pub struct Candidate<'a> {
    pub password: &'a Password,
    pub account: Option<&'a Account>,
    /// A user name to keep out of the password when there is no account yet.
    pub user_name: Option<&'a str>,
    pub entry: Entry,
    pub now: OffsetDateTime,
    /// The proven current password (self change): compared without hashing.
    pub current_password: Option<&'a Password>,
    /// The current hash (reset): compared by verifying.
    pub current_hash: Option<&'a PasswordHash>,
    /// Previous hashes, newest first, when the history rule applies.
    pub history: &'a [PasswordHash],
}

pub trait Rule: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &'static str;
    fn description(&self) -> String;
    fn params(&self) -> Value;
    fn mode(&self) -> RuleMode {
        RuleMode::Enforce
    }
    /// Whether the rule needs what only a real change has (the stored hashes, the time
    /// of the last change): never evaluated in a dry run, shown as "checked on submit".
    fn needs_a_change(&self) -> bool {
        false
    }
    /// `None`: the rule does not apply here and is not listed.
    fn check(&self, candidate: &Candidate<'_>) -> Option<bool>;

    fn evaluate(&self, candidate: &Candidate<'_>) -> Option<RuleResult> {
        let satisfied = self.check(candidate)?;
        Some(RuleResult::new(
            self.name(),
            self.description(),
            self.params(),
            self.mode(),
            satisfied,
        ))
    }
}
