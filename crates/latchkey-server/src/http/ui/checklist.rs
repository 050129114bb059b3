//! The rule checklist: the policy's own rules (from the core) in the page's language,
//! marked from a report after a submit, and `POST /ui/check`, the dry run the page's
//! script asks for as a person types.

use super::Submitted;
use crate::http::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use latchkey_core::policy::{RuleInfo, RuleMode, ValidationReport};
use serde::Serialize;
use serde_json::json;

/// One line of the checklist.
#[derive(Debug, Serialize)]
pub struct Item {
    pub rule: &'static str,
    pub text: String,
    pub on_submit: bool,
    /// `pending`, `met`, `unmet` or `warn`.
    pub state: &'static str,
}

/// The checklist's items: each rule's text in `language`, and its state — `pending`
/// until a report says `met`, `unmet` or `warn`. A report's rule the policy does not list
/// (a refusal of the input itself) is added at the end.
pub fn items(
    state: &AppState,
    language: &str,
    rules: &[RuleInfo],
    report: Option<&ValidationReport>,
) -> Vec<Item> {
    let site = &state.ui;
    let strings = site.catalogues.strings(language);
    let text = |rule: &str, description: &str, params: &serde_json::Value| {
        strings
            .get("rule")
            .and_then(|r| r.get(rule))
            .and_then(serde_json::Value::as_str)
            .and_then(|t| site.render_text(t, params))
            .unwrap_or_else(|| description.to_owned())
    };
    let mut reported: Vec<(&str, Option<&latchkey_core::policy::RuleResult>)> = report
        .map(|r| r.rules.iter().map(|x| (x.rule, Some(x))).collect())
        .unwrap_or_default();
    let mut out: Vec<Item> = rules
        .iter()
        .map(|r| {
            // The n-th rule of a name (several deny patterns) takes the n-th result.
            let found = reported
                .iter_mut()
                .find(|(name, res)| *name == r.rule && res.is_some())
                .and_then(|(_, res)| res.take());
            Item {
                rule: r.rule,
                text: text(r.rule, &r.description, &r.params),
                on_submit: r.on_submit,
                state: found.map_or("pending", mark),
            }
        })
        .collect();
    out.extend(reported.into_iter().filter_map(|(_, res)| {
        res.map(|x| Item {
            rule: x.rule,
            text: text(x.rule, &x.description, &x.params),
            on_submit: false,
            state: mark(x),
        })
    }));
    out
}

/// [`items`] as a page template's value.
pub fn template_value(
    state: &AppState,
    language: &str,
    rules: &[RuleInfo],
    report: Option<&ValidationReport>,
) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(items(
        state, language, rules, report,
    )))
}

fn mark(r: &latchkey_core::policy::RuleResult) -> &'static str {
    match (r.satisfied, r.mode) {
        (true, _) => "met",
        (false, RuleMode::Warn) => "warn",
        (false, RuleMode::Enforce) => "unmet",
    }
}

/// `POST /ui/check` (`csrf`, `password`): the dry-run report for the signed-in person's
/// account, or before sign-in under the default policy; with the strength score. The
/// rules that need a real change are not in it.
pub async fn check(
    State(state): State<AppState>,
    Submitted { visitor, fields }: Submitted,
) -> Response {
    if let Err(wait) = state.ui.checks.check_client(visitor.ctx.client_ip).await {
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({ "error": "throttled" })),
        )
            .into_response();
        r.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(wait),
        );
        return r;
    }
    let principal = visitor.session.as_ref().map(|s| &s.principal);
    let password = fields.get("password").map_or("", String::as_str);
    match state.core.preview_password(principal, password).await {
        Ok(p) => {
            let rules: Vec<_> = p
                .report
                .rules
                .iter()
                .map(|r| json!({ "rule": r.rule, "satisfied": r.satisfied, "mode": r.mode }))
                .collect();
            let mut r = Json(json!({
                "valid": p.report.valid,
                "strength": p.strength,
                "rules": rules,
            }))
            .into_response();
            r.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            r
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "busy" })),
        )
            .into_response(),
    }
}
