//! The protection stack on its own: panics and slow handlers.

use crate::common::*;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use crm::server::router::protect;

async fn boom() -> &'static str {
    panic!("secret internals")
}

#[tokio::test]
async fn a_panic_becomes_a_generic_500_with_a_reference() {
    let app = TestApp::new().await;
    let routes = Router::new().route("/boom", get(boom));
    let mut c = Client {
        router: protect(app.state.clone(), routes),
        cookies: Default::default(),
        ip: None,
        bearer: None,
    };
    let r = c.get("/boom").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.error_code(), "internal");
    assert!(!r.text().contains("secret internals"));
    assert!(r.json()["error"]["request_id"].is_string());
    assert!(
        r.header("content-security-policy").is_some(),
        "headers still added"
    );
}

#[tokio::test]
async fn a_request_that_takes_too_long_gets_408() {
    let app = TestApp::with_config(|c| c.request_timeout_secs = 1).await;
    let routes = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            "late"
        }),
    );
    let mut c = Client {
        router: protect(app.state.clone(), routes),
        cookies: Default::default(),
        ip: None,
        bearer: None,
    };
    let r = c.get("/slow").await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(r.json()["error"]["message"], "The request took too long.");
}
