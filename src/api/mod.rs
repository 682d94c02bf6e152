//! Server functions: how the browser talks to the server. Each is thin: who is asking →
//! authorize → one server call → the shared type back.

pub mod admin;
pub mod auth;
pub mod imports;
pub mod pipeline;
pub mod portal;
pub mod sales;
pub mod support;

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    use crate::domain::error::AppResult;
    use crate::server::error::set_server_fn_status;
    use crate::server::principal::{ClientInfo, Principal};
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

    /// Where the request came from, for the audit log.
    pub fn client() -> ClientInfo {
        let trust =
            leptos::prelude::use_context::<AppState>().is_some_and(|s| s.config.trust_proxy);
        leptos::prelude::use_context::<axum::http::request::Parts>()
            .map(|parts| ClientInfo::from_parts(&parts, trust))
            .unwrap_or_default()
    }

    /// Gives the response the status of the error, then hands the result back.
    pub fn answer<T>(result: AppResult<T>) -> AppResult<T> {
        if let Err(e) = &result {
            set_server_fn_status(e);
        }
        result
    }
}
