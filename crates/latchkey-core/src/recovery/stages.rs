//! The stages and what each asks for.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    #[serde(rename = "userQuery")]
    UserQuery,
    #[serde(rename = "emailValidation")]
    EmailValidation,
    #[serde(rename = "kbaSecurityAnswerVerificationStage")]
    Kba,
    #[serde(rename = "resetStage")]
    Reset,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::UserQuery => "userQuery",
            Stage::EmailValidation => "emailValidation",
            Stage::Kba => "kbaSecurityAnswerVerificationStage",
            Stage::Reset => "resetStage",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Stage::UserQuery,
            Stage::EmailValidation,
            Stage::Kba,
            Stage::Reset,
        ]
        .into_iter()
        .find(|x| x.name() == s)
    }
}

/// What a stage asks for, as a value: each surface renders it in its own shape (native
/// JSON Schema, IDM's requirements, an HTML form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirements {
    /// One of `userName`, `email`, `queryFilter`.
    UserQuery,
    /// `code`, from the mail.
    EmailCode,
    /// `answer1`, `answer2`, … for these question texts, in order.
    SecurityAnswers { questions: Vec<String> },
    /// `password`.
    NewPassword,
}

impl Requirements {
    /// What `stage` asks for before any account is known (no questions yet).
    pub fn of(stage: Stage) -> Self {
        match stage {
            Stage::UserQuery => Requirements::UserQuery,
            Stage::EmailValidation => Requirements::EmailCode,
            Stage::Kba => Requirements::SecurityAnswers { questions: vec![] },
            Stage::Reset => Requirements::NewPassword,
        }
    }

    pub fn stage(&self) -> Stage {
        match self {
            Requirements::UserQuery => Stage::UserQuery,
            Requirements::EmailCode => Stage::EmailValidation,
            Requirements::SecurityAnswers { .. } => Stage::Kba,
            Requirements::NewPassword => Stage::Reset,
        }
    }

    /// The input fields of the security-answer stage: `(answerN, question text)`.
    pub fn answer_fields(&self) -> Vec<(String, &str)> {
        match self {
            Requirements::SecurityAnswers { questions } => questions
                .iter()
                .enumerate()
                .map(|(i, q)| (format!("answer{}", i + 1), q.as_str()))
                .collect(),
            _ => vec![],
        }
    }
}
