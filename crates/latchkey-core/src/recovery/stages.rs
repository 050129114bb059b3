//! The stages and the JSON Schema of what each asks for.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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

fn string(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

/// The requirements (JSON Schema) of a stage; `questions` are the texts the KBA stage
/// asks, in order (`answer1`, `answer2`, ...).
pub fn requirements(stage: Stage, questions: &[String]) -> Value {
    match stage {
        Stage::UserQuery => json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "description": "Find your account",
            "properties": {
                "userName": string("User name"),
                "email": string("E-mail address"),
                "queryFilter": string("A query filter, e.g. userName eq \"jdoe\""),
            },
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": false,
        }),
        Stage::EmailValidation => json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "description": "Enter the code sent to the e-mail address of the account",
            "properties": { "code": string("The code from the e-mail") },
            "required": ["code"],
            "additionalProperties": false,
        }),
        Stage::Kba => {
            let names: Vec<String> = (1..=questions.len())
                .map(|i| format!("answer{i}"))
                .collect();
            let props: serde_json::Map<String, Value> = names
                .iter()
                .zip(questions)
                .map(|(n, q)| (n.clone(), string(q)))
                .collect();
            json!({
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
                "description": "Answer your security questions",
                "properties": props,
                "required": names,
                "additionalProperties": false,
            })
        }
        Stage::Reset => json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "description": "Choose a new password",
            "properties": { "password": string("The new password") },
            "required": ["password"],
            "additionalProperties": false,
        }),
    }
}
