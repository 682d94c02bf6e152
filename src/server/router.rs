//! The whole HTTP surface in one place: static files, `/api/*`, server functions and pages,
//! behind the protection stack.

use super::auth::resolve_principal;
use super::config::Config;
use super::db::Db;
use super::http::{self, CLIENT_REQUEST_ID_HEADER, REQUEST_ID_HEADER, SESSION_COOKIE};
use super::session_store::CrmSessionStore;
use super::state::{AppState, Clock, Shared};
use crate::app::{App, shell};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::SessionManagerLayer;
use tower_sessions::cookie::SameSite;

/// Leptos settings from our own configuration, so the binary needs no Cargo.toml at run time.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("DEV") | Ok("dev") | Ok("development") => Env::DEV,
        _ => Env::PROD,
    };
    LeptosOptions::builder()
        .output_name(crate::server::assets::stem(&config.site_root))
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.site_addr)
        .env(env)
        .build()
}

/// Everything a running server needs, from the configuration and an open database.
pub async fn app_state(config: Config, db: Db, clock: Clock) -> AppState {
    // A bad mail setting stops `crm serve` before this (`cli::serve` checks it); elsewhere
    // (tests, tools) it only means no mail goes out.
    let mailer = crate::server::mail::smtp::Mailer::from_settings(&config)
        .ok()
        .flatten();
    AppState::new(Shared {
        leptos_options: leptos_options(&config),
        db,
        config: Arc::new(config),
        clock,
        background: tokio::runtime::Handle::current(),
        reach: Default::default(),
        mailer,
        mail_wake: Default::default(),
    })
}

/// The complete router.
pub fn router(state: AppState, store: CrmSessionStore) -> Router {
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.cookie_secure())
        .with_path("/");

    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let context_state = state.clone();
    let app = Router::new()
        .merge(crate::rest::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn_with_state(
            state.clone(),
            http::writes_on_writer_thread,
        ))
        .layer(from_fn(http::page_guard))
        .layer(from_fn(http::server_fn_status))
        .layer(from_fn(http::api_gate))
        .layer(from_fn_with_state(state.clone(), resolve_principal))
        .layer(sessions)
        .with_state(state.clone());

    let pkg_dir = state.config.site_root.join("pkg");
    // Files named by their content are kept by browsers for a year; plain names are
    // revalidated on every load.
    let cache = if crate::server::assets::hashed() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let pkg = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache),
        ))
        .service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        );

    let routes = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest_service("/pkg", pkg)
        .merge(app);
    protect(state, routes)
}

/// Wraps routes in the protection stack every request passes through.
pub fn protect(state: AppState, routes: Router) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    routes
        // Layers from the innermost out; each `layer` call wraps everything above it.
        .layer(from_fn_with_state(state.clone(), http::csrf_guard))
        .layer(from_fn_with_state(state.clone(), http::timeout))
        .layer(from_fn(http::limit_body))
        .layer(DefaultBodyLimit::disable())
        .layer(CatchPanicLayer::custom(http::panic_response))
        // Pages and JSON go out compressed (brotli or gzip, as the browser accepts). A low
        // brotli level: most of its gain for a fraction of the CPU; the WASM, JS and CSS are
        // precompressed at their best at build time and passed through untouched.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
            tracing::info_span!("request", id = %header(REQUEST_ID_HEADER), client_id = %header(CLIENT_REQUEST_ID_HEADER),
                method = %req.method(), path = %req.uri().path())
        }))
        // The request id is made first (ours, never the client's), then made current for
        // everything inside.
        .layer(from_fn_with_state(state, http::frame))
}
