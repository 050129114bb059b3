//! Request and response controls: Password Validation Details (`…2.5.40` → `…2.5.41`)
//! and the draft-behera password policy control (`1.3.6.1.4.1.42.2.27.8.5.1`).

use super::result::LdapError;
use latchkey_core::Latchkey;
use latchkey_core::domain::Account;
use latchkey_core::policy::{RuleResult, ValidationReport};
use serde_json::{Value, json};

pub const VALIDATION_DETAILS_REQUEST: &str = "1.3.6.1.4.1.30221.2.5.40";
pub const VALIDATION_DETAILS_RESPONSE: &str = "1.3.6.1.4.1.30221.2.5.41";
pub const PASSWORD_POLICY: &str = "1.3.6.1.4.1.42.2.27.8.5.1";

/// Which controls the request carried.
#[derive(Debug, Default)]
pub struct Controls {
    pub validation_details: bool,
    pub password_policy: bool,
}

impl Controls {
    /// Known controls are honoured, unknown non-critical ones ignored, unknown critical
    /// ones refused with `unavailableCriticalExtension`.
    pub fn parse(raw: &[Value]) -> Result<Self, LdapError> {
        let mut c = Controls::default();
        for item in raw {
            let oid = item
                .get("oid")
                .and_then(|o| o.as_str())
                .ok_or_else(|| LdapError::protocol("each control needs an oid"))?;
            let critical = match item.get("criticality") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(LdapError::protocol("criticality must be true or false")),
            };
            match oid {
                VALIDATION_DETAILS_REQUEST => c.validation_details = true,
                PASSWORD_POLICY => c.password_policy = true,
                other if critical => return Err(LdapError::unavailable_critical_extension(other)),
                _ => {}
            }
        }
        Ok(c)
    }

    fn validation_details(
        report: Option<&ValidationReport>,
        account: &Account,
        core: &Latchkey,
        generated: bool,
        missing_current: bool,
    ) -> Value {
        let details: Vec<Value> = report
            .map(|r| r.rules.iter().map(requirement).collect())
            .unwrap_or_default();
        let mut v = json!({
            "response-type": if generated { "no-password-provided" } else { "validation-performed" },
            "validation-details": details,
            "missing-current-password": missing_current,
            "must-change-password": account.must_change_password,
        });
        let state = core.account_state(&latchkey_core::auth::Principal::System, account);
        if let Some(seconds) = state.seconds_until_expiry {
            v["seconds-until-expiration"] = json!(seconds);
        }
        json!({ "oid": VALIDATION_DETAILS_RESPONSE, "control-name": "Password Validation Details Response Control", "criticality": false, "value-json": v })
    }

    fn policy(error: Option<&str>, account: &Account) -> Value {
        let mut v = json!({});
        if let Some(e) = error {
            v["error"] = json!(e);
        } else if account.must_change_password {
            v["error"] = json!("changeAfterReset");
        }
        json!({ "oid": PASSWORD_POLICY, "control-name": "Password Policy Response Control", "criticality": false, "value-json": v })
    }

    /// The response controls of a success.
    pub fn on_success(
        &self,
        report: &ValidationReport,
        account: &Account,
        core: &Latchkey,
        generated: bool,
    ) -> Vec<Value> {
        let mut out = vec![];
        if self.validation_details {
            out.push(Self::validation_details(
                Some(report),
                account,
                core,
                generated,
                false,
            ));
        }
        if self.password_policy {
            out.push(Self::policy(None, account));
        }
        out
    }

    /// The response controls of a refusal; `ppolicy_error` is the draft-behera error name.
    pub fn on_failure(
        &self,
        report: Option<&ValidationReport>,
        account: &Account,
        core: &Latchkey,
        ppolicy_error: Option<&str>,
        missing_current: bool,
    ) -> Vec<Value> {
        let mut out = vec![];
        if self.validation_details {
            out.push(Self::validation_details(
                report,
                account,
                core,
                false,
                missing_current,
            ));
        }
        if self.password_policy && ppolicy_error.is_some() {
            out.push(Self::policy(ppolicy_error, account));
        }
        out
    }
}

/// One rule as Ping's password-quality requirement.
fn requirement(r: &RuleResult) -> Value {
    let kind = match r.rule {
        "min-length" | "max-length" => "length",
        "min-lowercase" | "min-uppercase" | "min-digits" | "min-special" | "min-classes" => {
            "character-set"
        }
        "not-current" => "not-current-password",
        "history" => "not-in-history",
        "min-age" => "minimum-password-age",
        "not-personal" => "attribute-value",
        "dictionary" => "dictionary",
        "breached" => "breached-password",
        "min-strength" => "strength",
        "deny-pattern" => "regular-expression",
        other => other,
    };
    let properties: serde_json::Map<String, Value> = r
        .params
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Value::String(v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut q = json!({ "description": r.description, "client-side-validation-type": kind });
    if !properties.is_empty() {
        q["client-side-validation-properties"] = Value::Object(properties);
    }
    let mut entry =
        json!({ "password-quality-requirement": q, "requirement-satisfied": r.satisfied });
    if let Some(w) = &r.warning {
        entry["additional-info"] = json!(w);
    }
    entry
}

/// The draft-behera error for a refused report.
pub fn ppolicy_error(report: &ValidationReport) -> &'static str {
    let failed: Vec<&str> = report.refusals().map(|r| r.rule).collect();
    if failed.contains(&"min-length") {
        "passwordTooShort"
    } else if failed.contains(&"min-age") {
        "passwordTooYoung"
    } else if failed.contains(&"history") || failed.contains(&"not-current") {
        "passwordInHistory"
    } else {
        "insufficientPasswordQuality"
    }
}
