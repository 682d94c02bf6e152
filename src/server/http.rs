//! Protection in front of everything: request ids, security headers, CSRF defence, the
//! sign-in guard for pages, and JSON bodies for the plain errors of lower layers.

use super::auth::bearer_token;
use super::error::{internal, with_request_id};
use super::principal::Principal;
use super::state::AppState;
use crate::domain::error::AppError;
pub use crate::domain::links::{safe_next, urlencode};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Where the id a client sent rides along inside the server (for the request's log line).
pub const CLIENT_REQUEST_ID_HEADER: &str = "x-client-request-id";
const CLIENT_REQUEST_ID_MAX: usize = 64;

/// A fresh request id: 16 hex digits, time-ordered, so log lines sort by when they began.
pub fn new_request_id() -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    // The time and the first random digits: unique enough within one log.
    format!("{}{}", &id[..12], &id[16..20])
}
pub const SESSION_COOKIE: &str = "crm_session";
pub const BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// The policy for everything that is not a rendered page. Pages send their own, with the
/// nonce of their inline scripts (see `app.rs`).
pub const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
    object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The policy for a rendered page whose inline scripts carry `nonce`.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Outermost middleware: makes the request id current for logging and error messages, adds
/// the security headers, and gives plain-text errors from lower layers our JSON shape.
pub async fn frame(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Our own id for every request, never the client's: a client-chosen id could collide
    // with another request's in the logs, or carry anything into them. The client's own is
    // kept (shortened, printable only) under another name for the request's log line.
    let theirs = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.chars()
                .filter(|c| c.is_ascii_graphic())
                .take(CLIENT_REQUEST_ID_MAX)
                .collect::<String>()
        });
    let id = new_request_id();
    let headers = req.headers_mut();
    headers.remove(CLIENT_REQUEST_ID_HEADER);
    if let Some(v) = theirs.and_then(|t| HeaderValue::from_str(&t).ok()) {
        headers.insert(CLIENT_REQUEST_ID_HEADER, v);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID_HEADER, v);
    }
    let wants_json = !accepts_html(req.headers());
    let mut response = with_request_id(id, async move {
        let response = next.run(req).await;
        jsonify_plain_errors(response, wants_json)
    })
    .await;
    let secure = state.config.cookie_secure();
    add_security_headers(response.headers_mut(), secure);
    response
}

fn add_security_headers(h: &mut HeaderMap, secure: bool) {
    // Pages and API answers carry personal data: no copy stays in the browser's cache (Back
    // after signing out showed the account page from it). Files that may be cached say so.
    let dynamic = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    if dynamic && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if secure {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

/// 408 from the timeout layer and 413 from the body limit arrive with plain or empty bodies;
/// API clients get the same JSON error shape as everywhere else.
fn jsonify_plain_errors(response: Response, wants_json: bool) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !wants_json {
        return response;
    }
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge.into_response(),
        StatusCode::REQUEST_TIMEOUT => {
            let mut r = AppError::Network {
                message: "The request took too long.".into(),
            }
            .into_response();
            *r.status_mut() = StatusCode::REQUEST_TIMEOUT;
            r
        }
        _ => response,
    }
}

pub fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The panic handler: a generic 500 with the request id; the panic itself is logged.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("panic");
    internal(format_args!("panic: {what}")).into_response()
}

fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(';')
                .any(|pair| pair.trim_start().starts_with(&format!("{SESSION_COOKIE}=")))
        })
}

/// Whether `url` (an `Origin` or `Referer`) is of this site: the public URL's origin when one
/// is configured, else this request's host under the scheme the site is served with. Scheme,
/// host and port all count (`https://` is another origin than `http://`).
fn is_our_origin(config: &crate::server::config::Config, host: Option<&str>, url: &str) -> bool {
    let Ok(theirs) = url::Url::parse(url) else {
        return false;
    };
    let ours = match &config.public_url {
        Some(public) => url::Url::parse(public).ok(),
        None => host.and_then(|h| {
            let scheme = if config.cookie_secure() {
                "https"
            } else {
                "http"
            };
            url::Url::parse(&format!("{scheme}://{h}/")).ok()
        }),
    };
    ours.is_some_and(|o| o.origin() == theirs.origin())
}

/// CSRF defence: a state-changing request must come from our own pages. When `Origin` (or,
/// failing that, `Referer`) is present it must name this site; a request that carries the
/// session cookie must present one of them. Requests with a bearer token are exempt: a
/// browser never adds one on its own.
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || bearer_token(req.headers()).is_some()
    {
        return next.run(req).await;
    }
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .or_else(|| {
            req.uri()
                .authority()
                .map(|a| a.as_str().to_ascii_lowercase())
        });
    let ours = |url: &str| is_our_origin(&state.config, host.as_deref(), url);
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
    let allowed = match (origin, referer) {
        (Some(o), _) => ours(o),
        (None, Some(r)) => ours(r),
        (None, None) => !has_session_cookie(headers),
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(origin, referer, path = %req.uri().path(), "cross-site request refused");
        AppError::forbidden("Cross-site request refused.").into_response()
    }
}

/// Refuses bodies over the limit with 413 before any handler sees them. A declared length is
/// checked up front; a body without one is read up to the limit, so a chunked upload cannot
/// slip past (server functions read bodies themselves and would otherwise fail obscurely).
pub async fn limit_body(req: Request, next: Next) -> Response {
    if is_upload(&req) {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > BODY_LIMIT_BYTES as u64 => AppError::PayloadTooLarge.into_response(),
        Some(_) => next.run(req).await,
        None if matches!(
            *req.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::DELETE
        ) =>
        {
            next.run(req).await
        }
        None => {
            let (parts, body) = req.into_parts();
            match axum::body::to_bytes(body, BODY_LIMIT_BYTES).await {
                Ok(bytes) => {
                    next.run(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
                Err(_) => AppError::PayloadTooLarge.into_response(),
            }
        }
    }
}

/// Whether a request changes data: a REST write, or a server function declared under a
/// writes prefix (`/api/fn/w/`, `/api/fn/portal/w/`). Uploads stream for minutes and stay
/// where they are.
pub fn is_write(req: &Request) -> bool {
    let path = req.uri().path();
    if !path.starts_with("/api/") || is_upload(req) {
        return false;
    }
    if path.starts_with("/api/fn/") {
        return path.starts_with("/api/fn/w/") || path.starts_with("/api/fn/portal/w/");
    }
    !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Writes are answered on the database's writer thread (see [`crate::server::db::Db::on_writer`]):
/// on a busy machine each of a write's short trips to SQLite would otherwise wait for the
/// request threads, stretching the one-writer-at-a-time section every other write queues
/// behind. The write also runs to its end when the client goes away.
pub async fn writes_on_writer_thread(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if is_write(&req) {
        state.db.on_writer(next.run(req)).await
    } else {
        next.run(req).await
    }
}

/// A CSV upload: streamed to disk by the importer with its own (much larger) limit.
fn is_upload(req: &Request) -> bool {
    req.method() == Method::POST && req.uri().path() == crate::rest::imports::UPLOAD_PATH
}

/// Answers 408 when a request takes longer than `secs`, except uploads (a large file on a
/// slow line takes as long as it takes; the importer limits its size).
pub async fn timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_upload(&req) {
        return next.run(req).await;
    }
    let limit = std::time::Duration::from_secs(state.config.request_timeout_secs);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// Pages anyone may open without signing in, and the public files every page names (a
/// browser asks for the icon before anyone signs in; it is not a page to be sent away from).
fn is_public_page(path: &str) -> bool {
    matches!(
        path,
        "/login"
            | "/setup"
            | "/set-password"
            | "/portal/accept"
            | "/forgot-password"
            | "/favicon.svg"
            | "/favicon.ico"
            | "/robots.txt"
    ) || path.starts_with("/forms/")
}

fn is_portal_page(path: &str) -> bool {
    path == "/portal" || path.starts_with("/portal/")
}

/// Pages need someone signed in: anyone else is sent to the sign-in page. Staff get the staff
/// app and portal users the portal, each sent home from the other's pages. APIs answer 401
/// and 403 themselves.
pub async fn page_guard(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if req.method() != Method::GET || path.starts_with("/api/") || path.starts_with("/pkg/") {
        return next.run(req).await;
    }
    let principal = req.extensions().get::<Principal>();
    let staff = principal.is_some_and(|p| p.staff().is_some());
    let customer = principal.is_some_and(|p| p.portal().is_some());
    if is_public_page(path) {
        if path == "/login" && (staff || customer) {
            return Redirect::to(if customer { "/portal" } else { "/" }).into_response();
        }
        return next.run(req).await;
    }
    if !staff && !customer {
        let target = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let next_param = if target == "/" {
            String::new()
        } else {
            format!("?next={}", urlencode(target))
        };
        return Redirect::to(&format!("/login{next_param}")).into_response();
    }
    if customer && !is_portal_page(path) {
        return Redirect::to("/portal").into_response();
    }
    if staff && is_portal_page(path) {
        return Redirect::to("/").into_response();
    }
    if path == "/" {
        let home = principal
            .and_then(|p| p.staff())
            .map_or("/pipeline", |s| s.user.role.home());
        return Redirect::to(home).into_response();
    }
    next.run(req).await
}

/// Applies [`crate::server::policy::enter`] to every `/api/*` request, before its body is
/// read (so nobody signed in learns nothing from validation), and accepts only JSON bodies
/// for server functions (a form or `text/plain` post is what a cross-site page can send).
pub async fn api_gate(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") {
        let principal = req
            .extensions()
            .get::<Principal>()
            .cloned()
            .unwrap_or_default();
        let surface = crate::server::policy::surface(req.method(), path);
        if let Err(e) = crate::server::policy::enter(&principal, surface) {
            return e.into_response();
        }
        if path.starts_with("/api/fn/") && req.method() == Method::POST && !is_json(req.headers()) {
            return AppError::UnsupportedMedia.into_response();
        }
    }
    next.run(req).await
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// A server function whose arguments cannot be read answers with our validation error but,
/// left alone, with status 500: give such answers the status their error names.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_fn = req.uri().path().starts_with("/api/fn/");
    let response = next.run(req).await;
    if !is_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return internal("unreadable server function error").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A 303 to `to`.
pub fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::SEE_OTHER.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let mut config = crate::server::config::Config::for_database("sqlite://x.db");
        let host = Some("127.0.0.1:3000");
        assert!(is_our_origin(&config, host, "http://127.0.0.1:3000"));
        assert!(is_our_origin(
            &config,
            host,
            "http://127.0.0.1:3000/login?x=1"
        ));
        assert!(!is_our_origin(&config, host, "https://127.0.0.1:3000"));
        assert!(!is_our_origin(&config, host, "http://127.0.0.1:3001"));
        assert!(!is_our_origin(&config, host, "null"));
        config.public_url = Some("https://CRM.example.com".into());
        assert!(is_our_origin(&config, host, "https://crm.example.com"));
        assert!(is_our_origin(
            &config,
            host,
            "https://crm.example.com:443/x"
        ));
        assert!(!is_our_origin(&config, host, "http://crm.example.com"));
        assert!(!is_our_origin(&config, host, "http://127.0.0.1:3000"));
    }

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; crm_session=abc"),
        );
        assert!(has_session_cookie(&h));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("not_crm_session=abc"),
        );
        assert!(!has_session_cookie(&h));
    }
}
