//! The OpenAPI 3.1 document of the native API, served at `/api/v1/openapi.json`.

use super::{accounts, audit, clients, me, passwords, recovery, sessions, views};
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Latchkey native API", description = "Password lifecycle: sign-in, change, reset, generation, accounts, audit."),
    paths(
        sessions::create_session,
        sessions::delete_current_session,
        me::get_me,
        me::change_my_password,
        accounts::create_account,
        accounts::list_accounts,
        accounts::get_account,
        accounts::patch_account,
        accounts::delete_account,
        accounts::unlock_account,
        passwords::reset_password,
        passwords::generate_password,
        passwords::check_password,
        recovery::recover,
        recovery::send_recovery_link,
        recovery::get_security_questions,
        recovery::put_security_questions,
        audit::list_audit,
        clients::create_client,
        clients::list_clients,
        clients::get_client,
        clients::delete_client,
        clients::rotate_secret,
        clients::issue_token,
        crate::http::ops::healthz,
        crate::http::ops::readyz,
        crate::http::ops::metrics,
    ),
    components(schemas(views::AccountView)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn openapi_json() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        ApiDoc::openapi().to_pretty_json().unwrap_or_default(),
    )
}
