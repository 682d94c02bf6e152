//! `/api/*` HTTP handlers for scripts and integrations, thin, calling the same server code
//! as the server functions.

pub mod auth;

use crate::server::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().merge(auth::router())
}
