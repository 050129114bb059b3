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
    /// For a warn-mode rule that is not satisfied: what the user is warned of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl RuleResult {
    /// A rule's result; an unsatisfied warn-mode rule carries its warning text.
    pub fn new(
        rule: &'static str,
        description: String,
        params: Value,
        mode: RuleMode,
        satisfied: bool,
    ) -> Self {
        let warning =
            (mode == RuleMode::Warn && !satisfied).then(|| warning_text(rule, &description));
        Self {
            rule,
            description,
            params,
            mode,
            satisfied,
            warning,
        }
    }
}

/// What an unsatisfied warn-mode rule tells the user (the password is still accepted).
fn warning_text(rule: &str, description: &str) -> String {
    match rule {
        "dictionary" => {
            "This password is a common one or in the organisation's list of banned words: \
             it is accepted, but easy to guess."
                .to_owned()
        }
        "breached" => "This password has appeared in a data breach: it is accepted, but \
             attackers try such passwords first."
            .to_owned(),
        _ => format!("Not satisfied (accepted with a warning): {description}"),
    }
}

/// A rule of a policy as shown before any password is typed (the web page's checklist).
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub rule: &'static str,
    pub description: String,
    pub params: Value,
    pub mode: RuleMode,
    /// Checked only when a password is really set (it needs the stored hashes or the
    /// time of the last change): a dry run never reports it.
    pub on_submit: bool,
}

/// A dry run's report and the zxcvbn score (0–4) of the candidate.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub report: ValidationReport,
    pub strength: u8,
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
            .filter_map(|r| {
                Some(Warning {
                    rule: r.rule,
                    message: r.warning.clone()?,
                })
            })
            .collect()
    }

    /// Rules not satisfied, in either mode.
    pub fn failed(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules.iter().filter(|r| !r.satisfied)
    }

    /// This report with the account source's refusal in it: the rule it maps to marked
    /// unmet with the source's words as its description (added when the policy has no
    /// such rule), and the password no longer valid.
    pub fn refused_by_source(&self, refusal: &crate::ports::SourceRefusal) -> Self {
        let mut rules = self.rules.clone();
        let unmet = RuleResult::new(
            refusal.rule,
            refusal.text.clone(),
            Value::Object(Default::default()),
            RuleMode::Enforce,
            false,
        );
        match rules.iter_mut().find(|r| r.rule == refusal.rule) {
            Some(r) => {
                r.description = refusal.text.clone();
                r.mode = RuleMode::Enforce;
                r.satisfied = false;
                r.warning = None;
            }
            None => rules.push(unmet),
        }
        Self::from_rules(rules)
    }

    /// Enforced rules not satisfied: why the password is refused.
    pub fn refusals(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules
            .iter()
            .filter(|r| !r.satisfied && r.mode == RuleMode::Enforce)
    }
}
