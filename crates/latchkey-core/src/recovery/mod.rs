//! Self-service recovery ("forgot password", SPEC §5): a configured list of stages, state
//! carried in sealed tokens, each step advanced once by compare-and-swap in the store.

pub mod filter;
mod input;
mod stages;
pub mod token;

pub use input::{InputError, StrictObject};
pub use stages::{Requirements, Stage};
pub use token::{Claims, TokenKeys};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::policy::settings::duration;

/// How the e-mailed code looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeFormat {
    /// Eight digits.
    Digits,
    /// A 24-character token.
    Token,
}

/// `recovery.*` (SPEC §10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecoverySettings {
    pub stages: Vec<Stage>,
    /// Security questions without a prior proof of mailbox ownership: weaker; warned at start.
    pub allow_kba_without_email: bool,
    /// System questions, id → text.
    pub kba_questions: BTreeMap<String, String>,
    #[serde(with = "duration")]
    pub code_ttl: Duration,
    #[serde(with = "duration")]
    pub flow_ttl: Duration,
    /// Wrong codes or answers per flow, and per account across its flows within `flow_ttl`.
    pub max_attempts: u32,
    /// Base64 32-byte keys; the first seals, all open. Empty: one is generated and kept
    /// in the store, shared by every node.
    pub token_keys: Vec<String>,
    /// A file with the keys, one per line (read by the server into `token_keys`).
    pub token_keys_file: Option<std::path::PathBuf>,
    pub code_format: CodeFormat,
    /// Recovery mails per account and client network (/24, /64) within `mail_window`.
    pub max_mails_per_source: u32,
    /// Recovery mails per account within `mail_window`, from all networks together.
    pub max_mails_per_account: u32,
    #[serde(with = "duration")]
    pub mail_window: Duration,
}

impl Default for RecoverySettings {
    fn default() -> Self {
        let questions = [
            ("1", "What's your favorite color?"),
            ("2", "Who was your first employer?"),
            ("3", "What was the name of your first pet?"),
            ("4", "In what city were you born?"),
        ];
        Self {
            stages: vec![Stage::UserQuery, Stage::EmailValidation, Stage::Reset],
            allow_kba_without_email: false,
            kba_questions: questions
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            code_ttl: Duration::from_secs(600),
            flow_ttl: Duration::from_secs(1800),
            max_attempts: 5,
            token_keys: vec![],
            token_keys_file: None,
            code_format: CodeFormat::Digits,
            max_mails_per_source: 3,
            max_mails_per_account: 10,
            mail_window: Duration::from_secs(3600),
        }
    }
}

impl RecoverySettings {
    /// Checks the stage list; `Ok(true)` when it uses security questions without a prior
    /// e-mail proof (allowed only with `allow_kba_without_email`, worth a warning).
    pub fn validate(&self) -> Result<bool, String> {
        let s = &self.stages;
        if s.first() != Some(&Stage::UserQuery) {
            return Err(
                "recovery.stages: must begin with userQuery (how else is the account found?)"
                    .into(),
            );
        }
        if s.last() != Some(&Stage::Reset) {
            return Err("recovery.stages: must end with resetStage".into());
        }
        for (i, stage) in s.iter().enumerate() {
            if s[..i].contains(stage) {
                return Err(format!("recovery.stages: {} appears twice", stage.name()));
            }
        }
        let kba_at = s.iter().position(|x| *x == Stage::Kba);
        let email_at = s.iter().position(|x| *x == Stage::EmailValidation);
        let weak = match (kba_at, email_at) {
            (Some(k), Some(e)) => k < e,
            (Some(_), None) => true,
            _ => false,
        };
        if weak && !self.allow_kba_without_email {
            return Err("recovery.stages: kbaSecurityAnswerVerificationStage must come after emailValidation (security questions are no proof of identity on their own); set recovery.allow_kba_without_email = true to allow it anyway".into());
        }
        if email_at.is_none() && kba_at.is_none() {
            return Err("recovery.stages: needs emailValidation (or, with allow_kba_without_email, security questions) before resetStage".into());
        }
        if self.max_attempts == 0 {
            return Err("recovery.max_attempts: must be at least 1".into());
        }
        if !self.token_keys.is_empty() {
            TokenKeys::parse(&self.token_keys).map_err(|e| e.to_string())?;
        }
        Ok(weak)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_flow_is_valid_and_kba_first_needs_the_switch() {
        assert_eq!(RecoverySettings::default().validate(), Ok(false));
        let mut s = RecoverySettings {
            stages: vec![
                Stage::UserQuery,
                Stage::Kba,
                Stage::EmailValidation,
                Stage::Reset,
            ],
            ..Default::default()
        };
        assert!(
            s.validate()
                .unwrap_err()
                .contains("allow_kba_without_email")
        );
        s.allow_kba_without_email = true;
        assert_eq!(s.validate(), Ok(true));
        let four = RecoverySettings {
            stages: vec![
                Stage::UserQuery,
                Stage::EmailValidation,
                Stage::Kba,
                Stage::Reset,
            ],
            ..Default::default()
        };
        assert_eq!(four.validate(), Ok(false));
        for bad in [
            vec![Stage::Reset],
            vec![Stage::UserQuery, Stage::Reset],
            vec![Stage::UserQuery, Stage::EmailValidation],
        ] {
            assert!(
                RecoverySettings {
                    stages: bad,
                    ..Default::default()
                }
                .validate()
                .is_err()
            );
        }
    }

    #[test]
    fn stage_names_are_the_idm_names() {
        let s: RecoverySettings = serde_json::from_value(serde_json::json!({ "stages": ["userQuery", "emailValidation", "kbaSecurityAnswerVerificationStage", "resetStage"] })).unwrap();
        assert_eq!(s.stages.len(), 4);
        assert!(
            serde_json::from_value::<RecoverySettings>(serde_json::json!({ "stages": ["magic"] }))
                .is_err()
        );
    }
}
