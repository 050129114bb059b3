//! The validation report (SPEC §10): every rule that is on, with its machine name,
//! description, parameters, mode and whether it is satisfied.

use serde::Serialize;
use serde_json::Value;

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
    pub fn from_rules(rules: Vec<RuleResult>) -> Self {
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

    /// Rules not satisfied, in either mode.
    pub fn failed(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules.iter().filter(|r| !r.satisfied)
    }

    /// Enforced rules not satisfied: why the password is refused.
    pub fn refusals(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules
            .iter()
            .filter(|r| !r.satisfied && r.mode == RuleMode::Enforce)
    }
}
