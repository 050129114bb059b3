//! The password policy (SPEC §3): one engine for every surface. A policy is a list of
//! rules built from `policy.*`; per-role overrides make further policies; every
//! evaluation returns a per-rule [`ValidationReport`].

pub mod dictionary;
mod generate;
mod report;
pub mod rules;
pub mod settings;

pub use dictionary::{BreachedCorpus, Dictionary, NoFiles, PolicyFiles};
pub use report::{Preview, RuleInfo, RuleMode, RuleResult, ValidationReport, Warning};
pub use rules::{Candidate, Entry};
pub use settings::{Mode, PolicySettings};

use crate::domain::{Account, MAX_PASSWORD_BYTES, PasswordError, Role, Roles};
use rules::*;
use serde_json::json;
use std::sync::Arc;

/// A configuration the policy cannot be built from; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

fn mode(m: Mode) -> Option<RuleMode> {
    match m {
        Mode::Enforce => Some(RuleMode::Enforce),
        Mode::Warn => Some(RuleMode::Warn),
        Mode::Off => None,
    }
}

#[derive(Debug)]
pub struct Policy {
    settings: PolicySettings,
    rules: Vec<Box<dyn Rule>>,
}

impl Policy {
    /// Builds the rules, in the order of SPEC §10; `key` prefixes error messages
    /// (`policy` or `policy.roles.<role>`).
    pub fn build(
        settings: PolicySettings,
        files: &dyn PolicyFiles,
        key: &str,
    ) -> Result<Self, PolicyError> {
        let s = &settings;
        let err = |what: String| PolicyError(format!("{key}.{what}"));
        if s.min_length == 0 {
            return Err(err("min_length: must be at least 1".into()));
        }
        if s.max_length < s.min_length || s.max_length > MAX_PASSWORD_BYTES {
            return Err(err(format!(
                "max_length: must be between min_length and {MAX_PASSWORD_BYTES}"
            )));
        }
        if s.min_classes > 4 {
            return Err(err("min_classes: there are only 4 classes".into()));
        }
        if s.min_lowercase + s.min_uppercase + s.min_digits + s.min_special > s.max_length {
            return Err(err(
                "min_lowercase..min_special: together longer than max_length".into(),
            ));
        }
        let mut rules: Vec<Box<dyn Rule>> = vec![
            Box::new(MinLength(s.min_length)),
            Box::new(MaxLength(s.max_length)),
        ];
        for (class, min) in [
            (CharClass::Lowercase, s.min_lowercase),
            (CharClass::Uppercase, s.min_uppercase),
            (CharClass::Digit, s.min_digits),
            (CharClass::Special, s.min_special),
        ] {
            if min > 0 {
                rules.push(Box::new(ClassCount { class, min }));
            }
        }
        if s.min_classes > 0 {
            rules.push(Box::new(MinClasses(s.min_classes)));
        }
        rules.push(Box::new(NotCurrent));
        if s.history_count > 0 {
            rules.push(Box::new(History(s.history_count)));
        }
        if let Some(age) = s.min_age {
            rules.push(Box::new(MinAge(age)));
        }
        if s.not_personal {
            rules.push(Box::new(NotPersonal));
        }
        if let Some(m) = mode(s.dictionary.mode) {
            let dictionary = match &s.dictionary.file {
                Some(path) => files
                    .dictionary(path)
                    .map_err(|e| err(format!("dictionary.file: {e}")))?,
                None => Dictionary::builtin(),
            };
            rules.push(Box::new(DictionaryRule {
                dictionary,
                mode: m,
            }));
        }
        if let (Some(m), Some(path)) = (mode(s.breached.mode), &s.breached.file) {
            let corpus = files
                .breached(path, s.breached.min_count)
                .map_err(|e| err(format!("breached.file: {e}")))?;
            rules.push(Box::new(Breached { corpus, mode: m }));
        }
        if let Some(score) = s.min_strength {
            rules.push(Box::new(MinStrength(score)));
        }
        for (i, pattern) in s.deny_patterns.iter().enumerate() {
            let re = regex::RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    err(format!(
                        "deny_patterns[{i}]: invalid regular expression {pattern:?}: {e}"
                    ))
                })?;
            rules.push(Box::new(DenyPattern(re)));
        }
        let policy = Self { settings, rules };
        if policy
            .generate(None, time::OffsetDateTime::UNIX_EPOCH)
            .is_none()
        {
            return Err(err(
                "deny_patterns: no generated password can satisfy this policy".into(),
            ));
        }
        Ok(policy)
    }

    pub fn settings(&self) -> &PolicySettings {
        &self.settings
    }

    /// Runs every rule that applies. May verify hashes (not-current on reset, history):
    /// call it in the hashing pool, off the async executor.
    pub fn evaluate(&self, candidate: &Candidate<'_>) -> ValidationReport {
        ValidationReport::from_rules(
            self.rules
                .iter()
                .filter_map(|r| r.evaluate(candidate))
                .collect(),
        )
    }

    /// Every rule of the policy, in report order, without a candidate.
    pub fn describe(&self) -> Vec<RuleInfo> {
        self.rules
            .iter()
            .map(|r| RuleInfo {
                rule: r.name(),
                description: r.description(),
                params: r.params(),
                mode: r.mode(),
                on_submit: r.needs_a_change(),
            })
            .collect()
    }

    /// A dry run's report with the candidate's strength score.
    pub fn preview(&self, candidate: &Candidate<'_>) -> Preview {
        Preview {
            report: self.evaluate(candidate),
            strength: rules::strength_score(candidate),
        }
    }

    /// The report for input that is not even a password (empty, over 4 KiB, control
    /// characters): only length and the control-character refusal, nothing hashed.
    pub fn report_unparsable(&self, raw: &str, error: &PasswordError) -> ValidationReport {
        let chars = match error {
            PasswordError::TooLong => MAX_PASSWORD_BYTES.max(self.settings.max_length) + 1,
            _ => raw.chars().count(),
        };
        let mut rules = vec![
            RuleResult::new(
                "min-length",
                MinLength(self.settings.min_length).description(),
                MinLength(self.settings.min_length).params(),
                RuleMode::Enforce,
                chars >= self.settings.min_length,
            ),
            RuleResult::new(
                "max-length",
                MaxLength(self.settings.max_length).description(),
                MaxLength(self.settings.max_length).params(),
                RuleMode::Enforce,
                chars <= self.settings.max_length,
            ),
        ];
        if matches!(error, PasswordError::ControlCharacter) {
            rules.push(RuleResult::new(
                "deny-pattern",
                "Must not contain control characters".to_owned(),
                json!({ "pattern": "[\\x00-\\x1f\\x7f]" }),
                RuleMode::Enforce,
                false,
            ));
        }
        ValidationReport::from_rules(rules)
    }
}

/// The default policy and the per-role ones.
#[derive(Debug, Clone)]
pub struct Policies {
    default: Arc<Policy>,
    /// Strongest role first: an account with several roles gets the first that matches.
    roles: Vec<(Role, Arc<Policy>)>,
}

impl Policies {
    pub fn build(settings: &PolicySettings, files: &dyn PolicyFiles) -> Result<Self, PolicyError> {
        let default = Arc::new(Policy::build(settings.clone(), files, "policy")?);
        let mut roles = vec![];
        for role in [Role::Admin, Role::Helpdesk, Role::User] {
            if let Some(s) = settings.for_role(role).map_err(PolicyError)? {
                roles.push((
                    role,
                    Arc::new(Policy::build(s, files, &format!("policy.roles.{role}"))?),
                ));
            }
        }
        Ok(Self { default, roles })
    }

    /// The policy for an account: its strongest role's override, else the default.
    pub fn for_account(&self, account: Option<&Account>) -> &Arc<Policy> {
        account.map_or(&self.default, |a| self.for_roles(&a.roles))
    }

    /// The policy for a set of roles: the strongest role's override, else the default.
    pub fn for_roles(&self, roles: &Roles) -> &Arc<Policy> {
        self.roles
            .iter()
            .find(|(role, _)| roles.contains(*role))
            .map_or(&self.default, |(_, p)| p)
    }

    pub fn default_policy(&self) -> &Arc<Policy> {
        &self.default
    }

    /// Every policy in effect: `("default", settings)`, then each role with an override.
    pub fn effective(&self) -> Vec<(String, &PolicySettings)> {
        let mut out = vec![("default".to_owned(), self.default.settings())];
        out.extend(
            self.roles
                .iter()
                .map(|(r, p)| (r.to_string(), p.settings())),
        );
        out
    }
}

#[cfg(test)]
mod tests;
