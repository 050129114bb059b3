//! `GET /api/v1/audit?accountId=&type=&since=&until=&surface=&outcome=&before=&limit=`
//! (admin, or `audit:read`): newest first, paged by a cursor that survives new events.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Auth, non_negative};
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use latchkey_core::audit::{AuditEvent, AuditQuery, AuditType, Outcome};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    pub account_id: Option<Uuid>,
    /// e.g. `password.change`
    #[serde(rename = "type")]
    #[param(rename = "type", schema_with = super::schema::audit_type)]
    pub kind: Option<String>,
    /// RFC 3339 UTC: events at or after.
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// RFC 3339 UTC: events at or before.
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// `native`, `idm`, `ping`, `adaxes`, `scim`, `ibm`, `cli`, `ui`, …
    pub surface: Option<String>,
    /// `success` or `failure`.
    pub outcome: Option<String>,
    /// A cursor: the `next` of the previous page (events older than this event's id).
    pub before: Option<Uuid>,
    /// Default 500, at most 5000.
    #[param(minimum = 0)]
    pub limit: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<AuditEvent>,
    /// Pass as `before` for the next (older) page; null on the last page.
    pub next: Option<Uuid>,
}

fn time(name: &str, raw: Option<String>) -> Result<Option<OffsetDateTime>, ApiError> {
    raw.map(|s| {
        OffsetDateTime::parse(&s, &Rfc3339)
            .map_err(|_| ApiError::BadRequest(format!("{name} must be an RFC 3339 time")))
    })
    .transpose()
}

/// Audit events, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses(
        (status = 200, description = "Matching events", body = AuditList),
        (status = 400, description = "Bad query parameters", content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
pub async fn list_audit(
    State(state): State<AppState>,
    Auth(principal): Auth,
    query: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(p) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let kind = p
        .kind
        .map(|k| {
            AuditType::parse(&k)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown event type {k:?}")))
        })
        .transpose()?;
    let outcome = p
        .outcome
        .map(|o| {
            Outcome::parse(&o)
                .ok_or_else(|| ApiError::BadRequest("outcome must be success or failure".into()))
        })
        .transpose()?;
    let (events, next) = state
        .core
        .audit_page(
            &principal,
            AuditQuery {
                account_id: p.account_id,
                kind,
                since: time("since", p.since)?,
                until: time("until", p.until)?,
                surface: p.surface,
                outcome,
                before: p.before,
                limit: non_negative(p.limit, "limit")?,
            },
        )
        .await?;
    Ok(axum::Json(AuditList { events, next }))
}
