//! A recovery stage's requirements in the native shape: a JSON Schema (draft 4) of the
//! input the stage takes.

use latchkey_core::recovery::Requirements;
use serde_json::{Value, json};

fn string(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

pub fn schema(r: &Requirements) -> Value {
    match r {
        Requirements::UserQuery => json!({
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
        Requirements::EmailCode => json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "description": "Enter the code sent to the e-mail address of the account",
            "properties": { "code": string("The code from the e-mail") },
            "required": ["code"],
            "additionalProperties": false,
        }),
        Requirements::SecurityAnswers { .. } => {
            let fields = r.answer_fields();
            let props: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(name, question)| (name.clone(), string(question)))
                .collect();
            let names: Vec<&String> = fields.iter().map(|(n, _)| n).collect();
            json!({
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
                "description": "Answer your security questions",
                "properties": props,
                "required": names,
                "additionalProperties": false,
            })
        }
        Requirements::NewPassword => json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "description": "Choose a new password",
            "properties": { "password": string("The new password") },
            "required": ["password"],
            "additionalProperties": false,
        }),
    }
}
