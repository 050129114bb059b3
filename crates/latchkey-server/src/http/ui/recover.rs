//! `/ui/recover`: opening the e-mailed link (GET) only shows a form with the code filled in
//! — mail scanners follow links, so a GET consumes nothing. Submitting the form (POST)
//! advances the flow, and the next stage's form follows, until the password is set.

use crate::http::AppState;
use crate::http::extract::request_context;
use axum::extract::{Form, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_core::CoreError;
use latchkey_core::ops::RecoveryStep;
use latchkey_core::recovery::{Requirements, Stage, StrictObject};
use serde::Deserialize;
use std::collections::BTreeMap;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{t}</title></head>\
         <body><main><h1>{t}</h1>{body}</main></body></html>",
        t = escape(title)
    );
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; form-action 'self'; frame-ancestors 'none'"),
    );
    r
}

fn form(token: &str, fields: &str, button: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/ui/recover\"><input type=\"hidden\" name=\"token\" value=\"{}\">{fields}\
         <p><button type=\"submit\">{}</button></p></form>",
        escape(token),
        escape(button)
    )
}

fn field(name: &str, label: &str, kind: &str, value: &str) -> String {
    format!(
        "<p><label for=\"{n}\">{l}</label><br><input id=\"{n}\" name=\"{n}\" type=\"{kind}\" value=\"{v}\" required autocomplete=\"{ac}\"></p>",
        n = escape(name),
        l = escape(label),
        v = escape(value),
        ac = if kind == "password" {
            "new-password"
        } else {
            "off"
        }
    )
}

#[derive(Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
    code: Option<String>,
}

/// Shows the code form; consumes nothing.
pub async fn show_link(Query(q): Query<LinkQuery>) -> Response {
    let (Some(token), code) = (q.token, q.code.unwrap_or_default()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Reset your password",
            "<p>This link is incomplete. Start again.</p>",
        );
    };
    let body = format!(
        "<p>Confirm the code we sent to your e-mail address.</p>{}",
        form(&token, &field("code", "Code", "text", &code), "Continue")
    );
    page(StatusCode::OK, "Reset your password", &body)
}

/// Advances the flow with the submitted fields and shows what comes next.
pub async fn submit(
    State(state): State<AppState>,
    parts: Parts,
    Form(fields): Form<BTreeMap<String, String>>,
) -> Response {
    let ctx = request_context(&parts, &state, "ui");
    let token = fields.get("token").cloned().unwrap_or_default();
    let input = StrictObject(
        fields
            .iter()
            .filter(|(k, _)| *k != "token")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    );
    match state.core.recover(&ctx, Some(&token), input).await {
        Ok(RecoveryStep::End) => page(
            StatusCode::OK,
            "Password changed",
            "<p>Your password is changed. You can sign in with it now.</p>",
        ),
        Ok(RecoveryStep::Next {
            requirements,
            token,
        }) => next_form(&requirements, &token, None),
        Err(CoreError::RecoveryRefused(why)) => retry(&token, &fields, why),
        Err(CoreError::Policy(report)) => {
            let failed: Vec<String> = report
                .refusals()
                .map(|r| format!("<li>{}</li>", escape(&r.description)))
                .collect();
            let msg = format!("The password was not accepted:<ul>{}</ul>", failed.join(""));
            next_form(&Requirements::NewPassword, &token, Some(&msg))
        }
        Err(CoreError::Invalid(_)) => page(
            StatusCode::BAD_REQUEST,
            "Reset your password",
            "<p>The form was not filled in as expected. Start again.</p>",
        ),
        Err(CoreError::Overloaded | CoreError::Unavailable) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please wait",
            "<p>The service is busy. Try again shortly.</p>",
        ),
        Err(_) => page(
            StatusCode::BAD_REQUEST,
            "Reset your password",
            "<p>This recovery link or step is no longer valid. Start again.</p>",
        ),
    }
}

fn retry(token: &str, fields: &BTreeMap<String, String>, why: &str) -> Response {
    let inputs: String = fields
        .keys()
        .filter(|k| *k != "token")
        .map(|k| field(k, if k == "code" { "Code" } else { k }, "text", ""))
        .collect();
    let body = format!(
        "<p role=\"alert\">{}</p>{}",
        escape(why),
        form(token, &inputs, "Continue")
    );
    page(StatusCode::BAD_REQUEST, "Reset your password", &body)
}

fn next_form(requirements: &Requirements, token: &str, message: Option<&str>) -> Response {
    let alert = message
        .map(|m| format!("<div role=\"alert\">{m}</div>"))
        .unwrap_or_default();
    let (status, body) = match requirements.stage() {
        Stage::Reset => (
            if message.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            },
            format!(
                "{alert}<p>Choose a new password.</p>{}",
                form(
                    token,
                    &field("password", "New password", "password", ""),
                    "Set password"
                )
            ),
        ),
        Stage::Kba => {
            let inputs: String = requirements
                .answer_fields()
                .iter()
                .map(|(name, question)| field(name, question, "text", ""))
                .collect();
            (
                StatusCode::OK,
                format!(
                    "{alert}<p>Answer your security questions.</p>{}",
                    form(token, &inputs, "Continue")
                ),
            )
        }
        _ => (
            StatusCode::OK,
            format!(
                "{alert}{}",
                form(token, &field("code", "Code", "text", ""), "Continue")
            ),
        ),
    };
    page(status, "Reset your password", &body)
}

/// The page a throttled submission gets.
pub struct Throttled;

impl crate::http::throttled::Refusal for Throttled {
    fn refusal(_retry_after: u64) -> Response {
        page(
            StatusCode::TOO_MANY_REQUESTS,
            "Please wait",
            "<p>Too many attempts. Try again in a minute.</p>",
        )
    }
}
