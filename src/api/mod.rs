//! Server functions: how the browser talks to the server. Each is thin: who is asking →
//! authorize → one server call → the shared type back.

pub mod auth;

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    use crate::domain::error::AppResult;
    use crate::server::auth::Principal;
    use crate::server::error::set_server_fn_status;
    use crate::server::state::AppState;

    /// The state and the principal of the request a server function is answering.
    pub async fn request() -> AppResult<(AppState, Principal)> {
        let state = leptos::prelude::use_context::<AppState>().ok_or_else(|| {
            crate::server::error::internal("server function without application state")
        })?;
        let principal = leptos_axum::extract::<Principal>()
            .await
            .unwrap_or_default();
        Ok((state, principal))
    }

    /// Gives the response the status of the error, then hands the result back.
    pub fn answer<T>(result: AppResult<T>) -> AppResult<T> {
        if let Err(e) = &result {
            set_server_fn_status(e);
        }
        result
    }
}
