//! The password policy and its per-rule validation report (SPEC §3, §10).
//!
//! Each rule reports separately so every surface can say exactly what failed. Rules
//! that are off are not listed.

use crate::domain::{MAX_PASSWORD_BYTES, Password, PasswordError};
use crate::hashing::PasswordHash;
use crate::settings::PolicySettings;
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleMode {
    Enforce,
    Warn,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub rule: &'static str,
    pub description: String,
    pub params: Value,
    pub mode: RuleMode,
    pub satisfied: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    pub valid: bool,
    pub rules: Vec<RuleResult>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Warning {
    pub rule: &'static str,
    pub message: String,
}

impl ValidationReport {
    fn from_rules(rules: Vec<RuleResult>) -> Self {
        let valid = rules
            .iter()
            .all(|r| r.satisfied || r.mode == RuleMode::Warn);
        Self { valid, rules }
    }

    /// Warn-mode rules that were not satisfied, as returned with a success.
    pub fn warnings(&self) -> Vec<Warning> {
        self.rules
            .iter()
            .filter(|r| r.mode == RuleMode::Warn && !r.satisfied)
            .map(|r| Warning {
                rule: r.rule,
                message: r.description.clone(),
            })
            .collect()
    }

    pub fn failed(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules.iter().filter(|r| !r.satisfied)
    }
}

/// What the rules need to know beyond the candidate password.
#[derive(Default)]
pub struct PolicyContext<'a> {
    /// The proven current password (self change): compared without hashing.
    pub current_password: Option<&'a Password>,
    /// The current hash (reset): compared by verifying, which costs a hash.
    pub current_hash: Option<&'a PasswordHash>,
    /// Previous hashes, newest first, when the history rule applies.
    pub history: &'a [PasswordHash],
}

/// A policy: the default one, or a role's override (later issues add rules).
#[derive(Debug, Clone)]
pub struct Policy {
    settings: PolicySettings,
}

impl Policy {
    pub fn new(settings: PolicySettings) -> Self {
        Self { settings }
    }

    pub fn settings(&self) -> &PolicySettings {
        &self.settings
    }

    fn length_rules(&self, chars: usize) -> Vec<RuleResult> {
        let s = &self.settings;
        vec![
            RuleResult {
                rule: "min-length",
                description: format!("At least {} characters", s.min_length),
                params: json!({ "minLength": s.min_length }),
                mode: RuleMode::Enforce,
                satisfied: chars >= s.min_length,
            },
            RuleResult {
                rule: "max-length",
                description: format!("At most {} characters", s.max_length),
                params: json!({ "maxLength": s.max_length }),
                mode: RuleMode::Enforce,
                satisfied: chars <= s.max_length,
            },
        ]
    }

    /// The report for an input that could not even be read as a password (empty, over
    /// 4 KiB, control characters): no rule beyond length is evaluated, nothing is hashed.
    pub fn report_unparsable(&self, raw: &str, error: &PasswordError) -> ValidationReport {
        let chars = match error {
            PasswordError::TooLong => MAX_PASSWORD_BYTES.max(self.settings.max_length) + 1,
            _ => raw.chars().count(),
        };
        let mut rules = self.length_rules(chars);
        if matches!(error, PasswordError::ControlCharacter) {
            rules.push(RuleResult {
                rule: "deny-pattern",
                description: "Must not contain control characters".to_owned(),
                params: json!({ "pattern": "[\\x00-\\x1f\\x7f]" }),
                mode: RuleMode::Enforce,
                satisfied: false,
            });
        }
        ValidationReport::from_rules(rules)
    }

    /// Runs every rule. May verify hashes (not-current on reset, history): call it off
    /// the async executor, in the hashing pool.
    pub fn evaluate(&self, password: &Password, ctx: &PolicyContext<'_>) -> ValidationReport {
        let mut rules = self.length_rules(password.char_count());
        if ctx.current_password.is_some() || ctx.current_hash.is_some() {
            let same = match (ctx.current_password, ctx.current_hash) {
                (Some(current), _) => {
                    crate::secret::constant_time_eq(current.as_bytes(), password.as_bytes())
                }
                (None, Some(hash)) => hash.verify(password),
                (None, None) => false,
            };
            rules.push(RuleResult {
                rule: "not-current",
                description: "Must differ from the current password".to_owned(),
                params: json!({}),
                mode: RuleMode::Enforce,
                satisfied: !same,
            });
        }
        if self.settings.history_count > 0 {
            let n = self.settings.history_count;
            let reused = ctx.history.iter().take(n).any(|h| h.verify(password));
            rules.push(RuleResult {
                rule: "history",
                description: format!("Must not be one of the last {n} passwords"),
                params: json!({ "historyCount": n }),
                mode: RuleMode::Enforce,
                satisfied: !reused,
            });
        }
        ValidationReport::from_rules(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::{Hasher, HashingParams};

    fn pw(s: &str) -> Password {
        Password::parse(s).unwrap()
    }

    #[test]
    fn a_short_password_fails_only_the_length_rule() {
        let r = Policy::new(PolicySettings::default())
            .evaluate(&pw("short"), &PolicyContext::default());
        assert!(!r.valid);
        let failed: Vec<_> = r.failed().map(|r| r.rule).collect();
        assert_eq!(failed, ["min-length"]);
        assert_eq!(r.rules[0].params["minLength"], 8);
    }

    #[test]
    fn the_current_password_is_refused_by_not_current() {
        let p = Policy::new(PolicySettings::default());
        let cur = pw("the same one, long enough");
        let r = p.evaluate(
            &cur,
            &PolicyContext {
                current_password: Some(&cur),
                ..Default::default()
            },
        );
        assert_eq!(
            r.failed().map(|r| r.rule).collect::<Vec<_>>(),
            ["not-current"]
        );
        let h = Hasher::new(HashingParams::TESTING).unwrap().hash(&cur);
        let r = p.evaluate(
            &cur,
            &PolicyContext {
                current_hash: Some(&h),
                ..Default::default()
            },
        );
        assert!(!r.valid);
    }

    #[test]
    fn a_reused_password_is_refused_with_the_history_rule() {
        let p = Policy::new(PolicySettings {
            history_count: 2,
            ..Default::default()
        });
        let hasher = Hasher::new(HashingParams::TESTING).unwrap();
        let history = [
            hasher.hash(&pw("first password 1")),
            hasher.hash(&pw("second password 2")),
        ];
        let ctx = PolicyContext {
            history: &history,
            ..Default::default()
        };
        assert!(!p.evaluate(&pw("first password 1"), &ctx).valid);
        assert!(p.evaluate(&pw("a brand new password"), &ctx).valid);
    }

    #[test]
    fn an_oversized_input_is_reported_without_hashing() {
        let p = Policy::new(PolicySettings::default());
        let raw = "x".repeat(5000);
        let err = Password::parse(&raw).unwrap_err();
        let r = p.report_unparsable(&raw, &err);
        assert_eq!(
            r.failed().map(|r| r.rule).collect::<Vec<_>>(),
            ["max-length"]
        );
    }
}
