//! The native REST API (`/api/v1`): thin handlers translating JSON to core operations.

mod accounts;
mod audit;
mod clients;
mod me;
mod openapi;
mod passwords;
pub mod recovery;
mod requirements;
mod schema;
mod sessions;
mod views;

use super::AppState;
use axum::Router;
use axum::routing::{delete, get, post, put};

pub use openapi::ApiDoc;

pub use clients::ClientView;
pub use views::rfc3339;

pub fn router(state: &AppState) -> Router<AppState> {
    let throttled = axum::middleware::from_fn_with_state(
        state.clone(),
        super::throttled::throttled::<super::error::ApiError>,
    );
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .route(
            "/api/v1/sessions",
            post(sessions::create_session).route_layer(throttled.clone()),
        )
        .route(
            "/api/v1/sessions/current",
            delete(sessions::delete_current_session),
        )
        .route("/api/v1/me", get(me::get_me))
        .route(
            "/api/v1/me/password",
            post(me::change_my_password).route_layer(throttled.clone()),
        )
        .route(
            "/api/v1/accounts",
            post(accounts::create_account).get(accounts::list_accounts),
        )
        .route(
            "/api/v1/accounts/{id}",
            get(accounts::get_account)
                .patch(accounts::patch_account)
                .delete(accounts::delete_account),
        )
        .route(
            "/api/v1/accounts/{id}/unlock",
            post(accounts::unlock_account),
        )
        .route(
            "/api/v1/accounts/{id}/password/reset",
            post(passwords::reset_password),
        )
        .route(
            "/api/v1/passwords/generate",
            post(passwords::generate_password),
        )
        .route("/api/v1/passwords/check", post(passwords::check_password))
        .route(
            "/api/v1/recovery",
            post(recovery::recover).route_layer(throttled.clone()),
        )
        .route(
            "/api/v1/accounts/{id}/recovery",
            post(recovery::send_recovery_link),
        )
        .route(
            "/api/v1/me/security-questions",
            get(recovery::get_security_questions)
                .merge(put(recovery::put_security_questions).route_layer(throttled.clone())),
        )
        .route("/api/v1/audit", get(audit::list_audit))
        .route(
            "/api/v1/clients",
            post(clients::create_client).get(clients::list_clients),
        )
        .route(
            "/api/v1/clients/{id}",
            get(clients::get_client).delete(clients::delete_client),
        )
        .route("/api/v1/clients/{id}/secret", post(clients::rotate_secret))
        .route(
            "/api/v1/token",
            post(clients::issue_token).route_layer(throttled),
        )
}

/// The native account JSON of an account, as an administrator sees it (CLI `account show`).
pub fn account_view(
    a: &latchkey_core::domain::Account,
    core: &latchkey_core::Latchkey,
) -> views::AccountView {
    views::AccountView::new(a, core, &latchkey_core::auth::Principal::System)
}
