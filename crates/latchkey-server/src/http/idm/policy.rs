//! Our rules under IDM's policy-requirement names.

use latchkey_core::policy::{RuleResult, ValidationReport};
use serde_json::{Value, json};

fn requirement(r: &RuleResult) -> Value {
    let p = &r.params;
    let (name, params) = match r.rule {
        "min-length" => ("MIN_LENGTH", json!({ "minLength": p["minLength"] })),
        "max-length" => ("MAX_LENGTH", json!({ "maxLength": p["maxLength"] })),
        "min-uppercase" => (
            "AT_LEAST_X_CAPITAL_LETTERS",
            json!({ "numCaps": p["minUppercase"] }),
        ),
        "min-lowercase" => (
            "AT_LEAST_X_LOWERCASE_LETTERS",
            json!({ "numLower": p["minLowercase"] }),
        ),
        "min-digits" => ("AT_LEAST_X_NUMBERS", json!({ "numNums": p["minDigits"] })),
        "min-special" => (
            "AT_LEAST_X_SPECIAL_CHARACTERS",
            json!({ "numSpecial": p["minSpecial"] }),
        ),
        "min-classes" => (
            "AT_LEAST_X_CHARACTER_CLASSES",
            json!({ "numClasses": p["minClasses"] }),
        ),
        "not-current" | "history" => (
            "IS_NEW",
            json!({ "historyLength": p.get("historyCount").cloned().unwrap_or(json!(1)) }),
        ),
        "min-age" => ("MIN_AGE", p.clone()),
        "not-personal" => (
            "CANNOT_CONTAIN_OTHERS",
            json!({ "disallowedFields": ["userName", "givenName", "sn", "mail"] }),
        ),
        "dictionary" => ("CANNOT_BE_COMMON_PASSWORD", json!({})),
        "breached" => ("CANNOT_BE_BREACHED_PASSWORD", json!({})),
        "min-strength" => ("MIN_STRENGTH", json!({ "minStrength": p["minStrength"] })),
        "deny-pattern" => ("CANNOT_MATCH_PATTERN", json!({ "pattern": p["pattern"] })),
        other => (other, p.clone()),
    };
    json!({ "policyRequirement": name, "params": params })
}

/// `{"result":false,"failedPolicyRequirements":[{"property":"password","policyRequirements":[...]}]}`
pub fn failed_requirements(report: &ValidationReport) -> Value {
    let reqs: Vec<Value> = report.refusals().map(requirement).collect();
    let failed = if reqs.is_empty() {
        vec![]
    } else {
        vec![json!({ "property": "password", "policyRequirements": reqs })]
    };
    json!({ "result": report.valid, "failedPolicyRequirements": failed })
}
