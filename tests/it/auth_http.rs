//! Sign-in, sessions, throttling and first run, through the real router.

use crate::common::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::Duration;
use crm::domain::user::Role;
use crm::server::auth::service;
use crm::server::db::audit;
use crm::server::principal::ClientInfo;

#[tokio::test]
async fn login_sets_a_locked_down_session_cookie_and_me_answers() {
    let app = TestApp::new().await;
    let id = app.user("ada@example.com", Role::Admin).await;
    let mut c = app.client();
    assert_eq!(c.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);

    let r = c.login("Ada@Example.com ", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["user"]["email"], "ada@example.com");
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("crm_session="))
        .expect("session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing from {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "loopback serves plain http: {cookie}"
    );

    let me = c.get("/api/auth/me").await;
    assert_eq!(me.status, StatusCode::OK);
    let me = me.json();
    assert_eq!(me["user"]["id"], id.to_string());
    assert_eq!(me["user"]["role"], "admin");
    assert_eq!(me["user"]["name"], "Admin ada@example.com");
    assert!(me["impersonator"].is_null());
}

#[tokio::test]
async fn the_cookie_is_secure_when_configured() {
    let app = TestApp::with_config(|c| c.cookie_secure = Some(true)).await;
    app.user("ada@example.com", Role::Admin).await;
    // A site with secure cookies is served over https: that is the origin its pages post from.
    let r = app
        .client()
        .send(
            Request::post("/api/auth/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("origin", "https://127.0.0.1:3000")
                .body(Body::from(format!(
                    "email=ada%40example.com&password={}",
                    crm::domain::links::urlencode(PASSWORD)
                )))
                .unwrap(),
        )
        .await;
    let cookie = r.set_cookies().join(" ");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(r.header("strict-transport-security").is_some());
}

#[tokio::test]
async fn a_plain_form_post_is_redirected_to_the_app_or_shown_the_form_again() {
    let app = TestApp::new().await;
    app.user("ada@example.com", Role::Sales).await;
    let mut c = app.client();
    let form = |pw: &'static str| {
        axum::http::Request::post("/api/auth/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html,application/xhtml+xml")
            .body(axum::body::Body::from(format!(
                "email=ada%40example.com&password={pw}&next=%2Fleads"
            )))
            .unwrap()
    };
    let bad = c.send(form("nope")).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.text().contains("Email or password is incorrect."));
    assert!(
        bad.text().contains("action=\"/api/auth/login\""),
        "the form is shown again"
    );

    let ok = c.send(form("correct%20horse%20battery")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.header("location").as_deref(), Some("/leads"));
}

#[tokio::test]
async fn failures_get_one_generic_message_whether_or_not_the_email_exists() {
    let app = TestApp::new().await;
    app.user("ada@example.com", Role::Sales).await;
    let mut c = app.client();
    let wrong_password = c.login("ada@example.com", "wrong password").await;
    let unknown_email = c.login("nobody@example.com", "wrong password").await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.body, unknown_email.body);
    assert_eq!(
        wrong_password.json()["error"]["message"],
        "Email or password is incorrect."
    );

    let mut h = app.state.db.handle().await.unwrap();
    let failures = audit::recent(&mut h.c(), Some("auth.login_failed"), 10)
        .await
        .unwrap();
    assert_eq!(failures.len(), 2);
    let reasons: Vec<_> = failures
        .iter()
        .map(|f| f.details.0["reason"].as_str().unwrap().to_string())
        .collect();
    assert!(
        reasons.contains(&"bad_password".to_string())
            && reasons.contains(&"unknown_email".to_string())
    );
    assert!(failures.iter().all(|f| f.ip.as_deref() == Some("10.0.0.1")));
}

#[tokio::test]
async fn every_successful_login_is_audited() {
    let app = TestApp::new().await;
    let id = app.user("ada@example.com", Role::Sales).await;
    let mut c = app.client();
    c.login("ada@example.com", PASSWORD).await;
    let mut h = app.state.db.handle().await.unwrap();
    let logins = audit::recent(&mut h.c(), Some("auth.login"), 10)
        .await
        .unwrap();
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].actor_id, Some(id));
    assert_eq!(logins[0].user_agent.as_deref(), Some(""));
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = TestApp::new().await;
    let (mut c, _) = app.signed_in("ada@example.com", Role::Sales).await;
    let stolen = c.clone();
    let r = c.post_form("/api/auth/logout", &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(c.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
    // A copy of the old cookie is worthless too.
    let mut stolen = stolen;
    assert_eq!(
        stolen.get("/api/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_session_id_is_cycled_at_login() {
    let app = TestApp::new().await;
    let (mut c, _) = app.signed_in("ada@example.com", Role::Sales).await;
    let before = c.cookies["crm_session"].clone();
    let mut old = c.clone();
    assert_eq!(
        c.login("ada@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    let after = c.cookies["crm_session"].clone();
    assert_ne!(before, after);
    assert_eq!(c.get("/api/auth/me").await.status, StatusCode::OK);
    assert_eq!(
        old.get("/api/auth/me").await.status,
        StatusCode::UNAUTHORIZED,
        "the old id no longer works"
    );
}

#[tokio::test]
async fn sessions_end_after_idle_time_and_after_the_absolute_lifetime() {
    let app = TestApp::new().await;
    let (mut c, _) = app.signed_in("ada@example.com", Role::Sales).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        c.get("/api/auth/me").await.status,
        StatusCode::OK,
        "29 idle minutes are fine"
    );
    app.clock.advance(Duration::minutes(31));
    assert_eq!(
        c.get("/api/auth/me").await.status,
        StatusCode::UNAUTHORIZED,
        "31 idle minutes are not"
    );

    // Active all day: still ends 12 hours after sign-in.
    let mut c = app.client();
    c.login("ada@example.com", PASSWORD).await;
    for _ in 0..(11 * 3) {
        app.clock.advance(Duration::minutes(20));
        assert_eq!(c.get("/api/auth/me").await.status, StatusCode::OK);
    }
    app.clock.advance(Duration::minutes(61));
    assert_eq!(c.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deactivating_a_user_ends_all_their_sessions_at_once() {
    let app = TestApp::new().await;
    let (mut laptop, id) = app.signed_in("ada@example.com", Role::Sales).await;
    let mut phone = app.client();
    phone.login("ada@example.com", PASSWORD).await;
    service::set_user_active(&app.state, None, &ClientInfo::default(), id, false)
        .await
        .unwrap();
    assert_eq!(
        laptop.get("/api/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        phone.get("/api/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = app.client().login("ada@example.com", PASSWORD).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        again.json()["error"]["message"],
        "Email or password is incorrect."
    );
}

#[tokio::test]
async fn ten_failures_for_an_account_answer_429_until_they_age_out() {
    let app = TestApp::new().await;
    app.user("ada@example.com", Role::Sales).await;
    for i in 0..10 {
        // Different addresses: the account limit holds on its own.
        let mut c = app.client().from_ip(&format!("192.0.2.{i}"));
        assert_eq!(
            c.login("ada@example.com", "wrong password").await.status,
            StatusCode::UNAUTHORIZED
        );
        app.clock.advance(Duration::seconds(30));
    }
    let mut c = app.client().from_ip("198.51.100.7");
    let limited = c.login("ada@example.com", PASSWORD).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry: i64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "retry after {retry}s");
    assert_eq!(limited.error_code(), "rate_limited");

    // Hammering during the lock does not extend it.
    for _ in 0..20 {
        c.login("ada@example.com", "wrong password").await;
    }
    app.clock.advance(Duration::seconds(retry + 1));
    assert_eq!(
        c.login("ada@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_person_mistyping_does_not_lock_out_their_office() {
    let app = TestApp::new().await;
    app.user("ada@example.com", Role::Sales).await;
    app.user("bob@example.com", Role::Sales).await;
    // Bob, behind the office's one address, gets his password wrong until he is locked out.
    let mut office = app.client().from_ip("203.0.113.9");
    for _ in 0..10 {
        assert_eq!(
            office
                .login("bob@example.com", "wrong password")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        office.login("bob@example.com", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "his account waits"
    );
    // Ada, at the next desk, signs in.
    let mut colleague = app.client().from_ip("203.0.113.9");
    assert_eq!(
        colleague.login("ada@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn spraying_many_accounts_from_one_address_answers_429_for_that_address_only() {
    let app = TestApp::new().await;
    app.user("ada@example.com", Role::Sales).await;
    let mut attacker = app.client().from_ip("203.0.113.9");
    for i in 0..service::MAX_ACCOUNTS_PER_ADDRESS {
        let r = attacker
            .login(&format!("user{i}@example.com"), "guess guess")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let limited = attacker.login("ada@example.com", PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "retry after {retry}s");
    let mut someone_else = app.client().from_ip("198.51.100.1");
    assert_eq!(
        someone_else.login("ada@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    // The address's limit lifts as the failures age out.
    app.clock.advance(Duration::seconds(retry + 1));
    assert_eq!(
        attacker.login("ada@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    let app = TestApp::new().await;
    let (c, _) = app.signed_in("ada@example.com", Role::Sales).await;
    let cookie = c.cookie_header().unwrap();
    // Sent as is: no Origin is added for us here.
    let send = |origin: Option<&str>, referer: Option<&str>| {
        let mut b = axum::http::Request::post("/api/auth/logout")
            .header("cookie", &cookie)
            .header("host", "127.0.0.1:3000");
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        if let Some(r) = referer {
            b = b.header("referer", r);
        }
        let req = b.body(axum::body::Body::empty()).unwrap();
        let router = app.router.clone();
        async move {
            tower::ServiceExt::oneshot(router, req)
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        send(Some("https://evil.example"), None).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(Some("null"), Some(&format!("{SITE}/pipeline"))).await,
        StatusCode::FORBIDDEN,
        "an opaque origin is not ours"
    );
    assert_eq!(
        send(None, Some("https://evil.example/page")).await,
        StatusCode::FORBIDDEN,
        "a foreign referer"
    );
    assert_eq!(
        send(None, None).await,
        StatusCode::FORBIDDEN,
        "a cookie write must say where it comes from"
    );
    let mut check = c.clone();
    assert_eq!(
        check.get("/api/auth/me").await.status,
        StatusCode::OK,
        "nothing was logged out"
    );
    // Our own pages' posts pass, by Origin or by Referer.
    assert_eq!(
        send(None, Some(&format!("{SITE}/pipeline"))).await,
        StatusCode::NO_CONTENT
    );
    let mut refused = app.client();
    let r = refused
        .send(
            axum::http::Request::post("/api/auth/login")
                .header("origin", "https://evil.example")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no login CSRF either");
    assert_eq!(r.error_code(), "forbidden");
}

#[tokio::test]
async fn bearer_requests_are_exempt_from_the_origin_check() {
    let app = TestApp::new().await;
    app.user("ada@example.com", Role::Sales).await;
    let token = app.token_for("ada@example.com").await;
    let mut req = bearer(Method::POST, "/api/auth/logout", &token, None);
    req.headers_mut()
        .insert("origin", "https://elsewhere.example".parse().unwrap());
    let r = tower::ServiceExt::oneshot(app.router.clone(), req)
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "a browser never adds a bearer token on its own"
    );
}

#[tokio::test]
async fn bodies_over_two_megabytes_get_413_everywhere() {
    let app = TestApp::new().await;
    let mut c = app.client();
    let body = "a".repeat(2 * 1024 * 1024 + 1);
    for path in ["/api/auth/login", "/api/fn/current_user"] {
        let req = axum::http::Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body.clone()))
            .unwrap();
        let r = c.send(req).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(r.error_code(), "payload_too_large");
    }
    // Exactly at the limit is accepted (and fails only as a bad login).
    let at_limit = format!(
        "email=a%40b.co&password={}",
        "a".repeat(2 * 1024 * 1024 - 26)
    );
    let req = axum::http::Request::post("/api/auth/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(at_limit))
        .unwrap();
    assert_eq!(c.send(req).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn security_headers_are_on_pages_and_apis() {
    let app = TestApp::new().await;
    let mut c = app.client();
    for path in ["/login", "/api/auth/me", "/healthz"] {
        let r = c.get(path).await;
        let csp = r
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("no CSP on {path}"));
        assert!(csp.contains("'wasm-unsafe-eval'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert!(r.header("referrer-policy").is_some(), "{path}");
        assert!(r.header("x-request-id").is_some(), "{path}");
    }
    // A page's inline scripts all carry the nonce its policy names.
    let page = c.get("/login").await;
    let csp = page.header("content-security-policy").unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("nonce in CSP");
    let html = page.text();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "{html}"
    );
}

#[tokio::test]
async fn pages_and_json_are_compressed_for_browsers_that_accept_it() {
    let app = TestApp::new().await;
    let (mut c, _) = app.signed_in("ada@example.com", Role::Admin).await;
    for name in ["Ada", "Grace", "Edsger"] {
        let r = c
            .post_json("/api/crm/leads", serde_json::json!({"name": name}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    for (path, encoding) in [("/leads", "br"), ("/api/crm/leads", "gzip")] {
        let req = Request::get(path)
            .header("accept-encoding", encoding)
            .header("accept", "text/html,application/json")
            .body(Body::empty())
            .unwrap();
        let r = c.send(req).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(
            r.header("content-encoding").as_deref(),
            Some(encoding),
            "{path}"
        );
    }
    // Without Accept-Encoding (scripts, curl) the body stays plain.
    let r = c.get("/api/crm/leads").await;
    assert_eq!(r.header("content-encoding"), None);
    assert!(r.json()["items"].is_array());
}

#[tokio::test]
async fn pages_send_strangers_to_sign_in_and_render_the_shell_for_staff() {
    let app = TestApp::new().await;
    let mut stranger = app.client();
    let r = stranger.get("/accounts").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.header("location").as_deref(),
        Some("/login?next=/accounts")
    );
    assert_eq!(stranger.get("/login").await.status, StatusCode::OK);

    let (mut sales, _) = app.signed_in("sam@example.com", Role::Sales).await;
    let page = sales.get("/accounts").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("Sales sam@example.com"),
        "the shell names the user"
    );
    assert!(html.contains("href=\"/leads\""), "sales sees Leads");
    assert!(
        !html.contains("href=\"/admin\""),
        "sales does not see Admin"
    );
    assert_eq!(sales.get("/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        sales.get("/login").await.status,
        StatusCode::SEE_OTHER,
        "signed in: no sign-in page"
    );
    assert_eq!(
        sales.get("/no-such-page").await.status,
        StatusCode::NOT_FOUND
    );

    let (mut support, _) = app.signed_in("sue@example.com", Role::Support).await;
    let html = support.get("/tickets").await.text();
    assert!(html.contains("href=\"/tickets\"") && !html.contains("href=\"/leads\""));
}

#[tokio::test]
async fn server_functions_answer_with_real_statuses_and_the_error_shape() {
    let app = TestApp::new().await;
    let mut c = app.client();
    let r = c
        .post_json("/api/fn/current_user", serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "unauthorized");
    let (mut staff, _) = app.signed_in("ada@example.com", Role::Manager).await;
    let r = staff
        .post_json("/api/fn/current_user", serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["user"]["role"], "manager");
}

#[tokio::test]
async fn a_database_failure_shows_only_a_reference() {
    let app = TestApp::new().await;
    app.state.db.close().await;
    let r = app.client().login("ada@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = r.json();
    assert_eq!(body["error"]["code"], "internal");
    let text = r.text().to_lowercase();
    for leak in ["pool", "closed", "sqlite", "sqlx", "database"] {
        assert!(!text.contains(leak), "error text leaked `{leak}`: {text}");
    }
    let reference = body["error"]["request_id"].as_str().unwrap();
    assert_eq!(
        r.header("x-request-id").as_deref(),
        Some(reference),
        "the reference is the request id"
    );
}

#[tokio::test]
async fn api_tokens_authenticate_scripts_and_bad_ones_do_not() {
    let app = TestApp::new().await;
    app.user("bot@example.com", Role::Sales).await;
    let token = app.token_for("bot@example.com").await;
    assert!(token.starts_with("crm_"));
    let mut c = app.client();
    let r = c
        .send(bearer(Method::GET, "/api/auth/me", &token, None))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["user"]["email"], "bot@example.com");
    let r = c
        .send(bearer(
            Method::GET,
            "/api/auth/me",
            "crm_not-a-real-token",
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        service::create_api_token(&app.state, "ghost@example.com", "x")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn first_run_setup_link_creates_one_super_admin_once() {
    let app = TestApp::new().await;
    let link = service::ensure_setup_link(&app.state)
        .await
        .unwrap()
        .expect("no users yet: a link");
    let token = link.split("token=").nth(1).unwrap().to_string();
    assert!(link.starts_with("http://127.0.0.1:3000/setup?token="));

    let mut c = app.client();
    let bad = c
        .post_form(
            "/api/auth/setup",
            &[
                ("token", &token),
                ("name", "Ada"),
                ("email", "nope"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &bad.json()["error"]["fields"];
    assert!(
        fields["email"].is_array() && fields["password"].is_array(),
        "{fields}"
    );

    let ok = c
        .post_form(
            "/api/auth/setup",
            &[
                ("token", &token),
                ("name", "Ada"),
                ("email", "ada@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json()["user"]["role"], "super_admin");
    assert_eq!(
        c.get("/api/auth/me").await.status,
        StatusCode::OK,
        "signed in straight away"
    );

    let again = app
        .client()
        .post_form(
            "/api/auth/setup",
            &[
                ("token", &token),
                ("name", "Eve"),
                ("email", "eve@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        service::ensure_setup_link(&app.state)
            .await
            .unwrap()
            .is_none(),
        "users exist: no new link"
    );
}

#[tokio::test]
async fn an_older_setup_link_stops_working_when_a_new_one_is_printed() {
    let app = TestApp::new().await;
    let first = service::ensure_setup_link(&app.state)
        .await
        .unwrap()
        .unwrap();
    let _second = service::ensure_setup_link(&app.state)
        .await
        .unwrap()
        .unwrap();
    let token = first.split("token=").nth(1).unwrap();
    let r = app
        .client()
        .post_form(
            "/api/auth/setup",
            &[
                ("token", token),
                ("name", "Ada"),
                ("email", "ada@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn set_password_links_work_once_and_expire() {
    let app = TestApp::new().await;
    let client_info = ClientInfo::default();
    let new_user = |email: &str| crm::domain::user::NewStaffUser {
        email: email.into(),
        name: "New".into(),
        password: None,
    };
    let created = service::create_staff_user(
        &app.state,
        None,
        &client_info,
        new_user("new@example.com"),
        Role::Sales,
    )
    .await
    .unwrap();
    let link = created
        .set_password_link
        .expect("a link when no password is given");
    let token = link.split("token=").nth(1).unwrap().to_string();

    // No password yet: sign-in fails with the generic message.
    assert_eq!(
        app.client().login("new@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );

    let mut c = app.client();
    let r = c
        .post_form(
            "/api/auth/set-password",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        c.get("/api/auth/me").await.json()["user"]["email"],
        "new@example.com"
    );
    let reuse = app
        .client()
        .post_form(
            "/api/auth/set-password",
            &[("token", &token), ("password", "another password")],
        )
        .await;
    assert_eq!(reuse.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.client().login("new@example.com", PASSWORD).await.status,
        StatusCode::OK
    );

    let late = service::create_staff_user(
        &app.state,
        None,
        &client_info,
        new_user("late@example.com"),
        Role::Sales,
    )
    .await
    .unwrap();
    let late_token = late
        .set_password_link
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_string();
    app.clock.advance(Duration::hours(73));
    let r = app
        .client()
        .post_form(
            "/api/auth/set-password",
            &[("token", &late_token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("expired"));
}

#[tokio::test]
async fn a_taken_email_is_a_conflict_naming_the_existing_user() {
    let app = TestApp::new().await;
    let id = app.user("ada@example.com", Role::Sales).await;
    let input = crm::domain::user::NewStaffUser {
        email: "ADA@example.com".into(),
        name: "Other".into(),
        password: None,
    };
    let err =
        service::create_staff_user(&app.state, None, &ClientInfo::default(), input, Role::Sales)
            .await
            .unwrap_err();
    match err {
        crm::domain::error::AppError::Conflict { existing_id, .. } => {
            assert_eq!(existing_id, Some(id.to_string()))
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// The icon every page names is a file for anyone: before signing in it was answered with the
/// sign-in page (and, for portal users, with the portal).
#[tokio::test]
async fn the_page_icon_is_served_to_everyone() {
    let app = TestApp::with_config(|c| c.site_root = "public".into()).await;
    let (mut staff, _) = app.signed_in("ada@example.com", Role::Sales).await;
    for (who, mut client) in [("anonymous", app.client()), ("staff", staff.clone())] {
        let r = client.get("/favicon.svg").await;
        assert_eq!(r.status, StatusCode::OK, "{who}");
        assert!(r.text().contains("<svg"), "{who}: {}", r.text());
    }
    let r = staff.get("/robots.txt").await;
    assert_eq!(r.status, StatusCode::OK);
}
