//! `/api/*` HTTP handlers for scripts and integrations, thin, calling the same server code
//! as the server functions.

pub mod admin;
pub mod auth;
pub mod crm;
pub mod extract;
pub mod forms;
pub mod imports;
pub mod pipeline;
pub mod portal;
pub mod support;

use crate::server::state::AppState;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

/// Every `/api/*` route, each registered with its OpenAPI entry: the document is the list
/// of what the server answers (the authorization matrix test walks it).
fn all() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(admin::router())
        .merge(crm::router())
        .merge(imports::router())
        .merge(support::router())
        .merge(portal::router())
}

/// The OpenAPI 3 document of the whole `/api/*` surface, built from the registered routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = all().split_for_parts();
    describe(api)
}

fn describe(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    api.info.title = "CRM API".into();
    api.info.version = env!("CARGO_PKG_VERSION").into();
    api.info.description = Some(
        "Sales records, tickets and the customer portal for integrations. Authenticate with `Authorization: Bearer <token>` \
         (from `crm token create`) or the session cookie. Errors have the shape \
         {\"error\":{\"code\",\"message\",\"fields\"}}."
            .into(),
    );
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    api.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    api
}

pub fn router() -> Router<AppState> {
    let (routes, api) = all().split_for_parts();
    let document = Arc::new(describe(api));
    Router::new().merge(routes).merge(forms::router()).route(
        "/api/openapi.json",
        get(move || async move { Json(document.as_ref().clone()) }),
    )
}
