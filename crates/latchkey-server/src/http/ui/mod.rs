//! The web page for people (`/ui`). For now: the page behind the e-mailed recovery link.

mod recover;

use super::AppState;
use axum::Router;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/ui/recover", get(recover::show_link).post(recover::submit))
}
