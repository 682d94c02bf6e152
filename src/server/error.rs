//! How an [`AppError`] leaves the server: a status, the JSON error body, and for internal
//! errors a log line carrying the request id the user is shown.

use crate::domain::error::{AppError, ErrorBody};
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served, or a fresh one when called outside a request scope
/// (work spawned during rendering, the CLI).
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_else(|_| {
        let id = uuid::Uuid::new_v4().simple().to_string();
        id[..16].to_string()
    })
}

/// Runs `fut` with `id` as the current request id.
pub async fn with_request_id<F: Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// Logs what went wrong with the request id, and returns the error a user may see.
pub fn internal(err: impl std::fmt::Display) -> AppError {
    let request_id = current_request_id();
    tracing::error!(request_id = %request_id, error = %err, "internal error");
    AppError::Internal { request_id }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        internal(format_args!("database: {e}"))
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        internal(format_args!("session store: {e}"))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        internal(format_args!("background task: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = match &self {
            AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let mut response = (status, Json(ErrorBody::from(self))).into_response();
        if let Some(secs) = retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// Sets the HTTP status of a server function's response from its error, so scripts and the
/// authorization test see 401/403/404/409/422 rather than a blanket 500.
pub fn set_server_fn_status(error: &AppError) {
    if let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = StatusCode::from_u16(error.status()) {
            options.set_status(status);
        }
        if let AppError::RateLimited { retry_after_secs } = error {
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                options.insert_header(header::RETRY_AFTER, value);
            }
        }
    }
}
