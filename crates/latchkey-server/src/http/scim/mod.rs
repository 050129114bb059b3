//! SCIM 2.0 (RFC 7643/7644) under `/scim/v2`: discovery, `Users`, `Me`. A thin mapping
//! of SCIM resources onto the core's accounts; passwords go through the core reset
//! (administrators) — a user's own change is IBM Verify's `/v2.0/Me/password`.

mod discovery;
mod error;
mod users;

pub use error::{DICTIONARY_HEADER, ScimError};

use super::AppState;
use super::extract::bearer;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use latchkey_core::auth::Principal;
use serde_json::Value;

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub fn router() -> Router<AppState> {
    // IBM Security Verify clients address SCIM at `/v2.0`: the same endpoints, the same
    // answers (resource locations stay under `/scim/v2`).
    ["/scim/v2", "/v2.0"]
        .into_iter()
        .fold(Router::new(), |r, base| r.merge(routes(base)))
}

fn routes(base: &str) -> Router<AppState> {
    let at = |path: &str| format!("{base}{path}");
    Router::new()
        .route(
            &at("/ServiceProviderConfig"),
            get(discovery::service_provider_config),
        )
        .route(&at("/ResourceTypes"), get(discovery::resource_types))
        .route(&at("/ResourceTypes/{id}"), get(discovery::resource_type))
        .route(&at("/Schemas"), get(discovery::schemas))
        .route(&at("/Schemas/{id}"), get(discovery::schema))
        .route(&at("/Users"), get(users::list).post(users::create))
        .route(
            &at("/Users/{id}"),
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route(&at("/Users/.search"), axum::routing::post(users::search))
        .route(&at("/.search"), axum::routing::post(users::search))
        .route(&at("/Me"), get(users::me))
        .route(&at("/{*rest}"), axum::routing::any(not_found))
}

/// Unknown SCIM paths answer in SCIM's error shape.
async fn not_found() -> ScimError {
    ScimError::new(
        StatusCode::NOT_FOUND,
        None,
        "No such SCIM resource or endpoint.",
    )
}

/// A SCIM answer: `application/scim+json`, with an optional `ETag` and `Location`.
pub fn scim(
    status: StatusCode,
    body: &Value,
    etag: Option<i64>,
    location: Option<&str>,
) -> Response {
    let mut r = (status, serde_json::to_vec(body).unwrap_or_default()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/scim+json"),
    );
    if let Some(rev) = etag
        && let Ok(v) = HeaderValue::from_str(&format!("W/\"{rev}\""))
    {
        h.insert(header::ETAG, v);
    }
    if let Some(l) = location
        && let Ok(v) = HeaderValue::from_str(l)
    {
        h.insert(header::LOCATION, v);
    }
    r
}

pub async fn principal(state: &AppState, h: &HeaderMap) -> Result<Principal, ScimError> {
    let token = bearer(h).ok_or_else(|| {
        ScimError::new(
            StatusCode::UNAUTHORIZED,
            None,
            "A bearer token is required.",
        )
    })?;
    Ok(state.core.authenticate(token).await?)
}

/// The base of resource locations.
pub fn base(state: &AppState) -> String {
    format!("{}/scim/v2", state.config.public_url.trim_end_matches('/'))
}

impl crate::http::throttled::Refusal for ScimError {
    fn refusal(
        _retry_after: u64,
        _: &crate::http::throttled::Asked<'_>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        ScimError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            None,
            "Too many attempts; retry later.",
        )
        .into_response()
    }
}
