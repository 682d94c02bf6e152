//! Test harness: fresh databases (a temp SQLite file always; a fresh PostgreSQL database when
//! `TEST_DATABASE_URL` is set), the real router with a controllable clock, and a small
//! cookie-keeping HTTP client that talks to the router in-process.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use chrono::Utc;
use crm::domain::user::{NewStaffUser, Role};
use crm::server::auth::service;
use crm::server::config::Config;
use crm::server::db::Db;
use crm::server::principal::ClientInfo;
use crm::server::router::{app_state, router};
use crm::server::session_store::CrmSessionStore;
use crm::server::state::{AppState, Clock};
use http_body_util::BodyExt;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use tower::ServiceExt;
use uuid::Uuid;

pub const SITE: &str = "http://127.0.0.1:3000";
pub const PASSWORD: &str = "correct horse battery";

/// The PostgreSQL server to test against, if the developer or CI gave one.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// A directory that exists for one test and is removed afterwards. (Not the `tempfile` crate:
/// its `rustix` turns on a `bitflags` feature the server build lacks, and that difference
/// made CI compile the whole server twice.)
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!("crm-test-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: String,
    _dir: Option<TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = TempDir::new();
        let url = format!("sqlite://{}", dir.path().join("crm.db").display());
        TestDb {
            url,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A fresh database on the PostgreSQL server of `TEST_DATABASE_URL`. Panics when the
    /// variable is set but the server cannot be reached: CI must fail, not skip.
    pub async fn postgres() -> Option<TestDb> {
        use sqlx::Connection;
        let admin = postgres_url()?;
        let name = format!("crm_test_{}", Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| {
                panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
            });
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let base = admin.split('?').next().unwrap_or(&admin);
        let url = match base.rfind('/') {
            Some(i) if i > base.find("//").map_or(0, |j| j + 1) => format!("{}/{name}", &base[..i]),
            _ => format!("{base}/{name}"),
        };
        Some(TestDb {
            url,
            _dir: None,
            pg: Some((admin, name)),
        })
    }

    /// Both backends: SQLite always, PostgreSQL when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite()];
        if let Some(pg) = TestDb::postgres().await {
            dbs.push(pg);
        } else {
            eprintln!("NOTE: TEST_DATABASE_URL not set: PostgreSQL half of this test skipped");
        }
        dbs
    }

    pub async fn open(&self) -> Db {
        let db = Db::connect(&self.url).await.expect("connect");
        db.migrate().await.expect("migrate");
        db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("drop database if exists {name} with (force)"))
                                .execute(&mut c)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs a scenario on a fresh app on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.
pub async fn on_every_backend(scenario: impl AsyncFn(TestApp)) {
    for db in TestDb::all().await {
        scenario(TestApp::on(db, |_| {}).await).await;
    }
}

/// The real application on a test database, with a clock the test controls.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub clock: Clock,
    pub db: TestDb,
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::on(TestDb::sqlite(), |_| {}).await
    }

    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::on(TestDb::sqlite(), adjust).await
    }

    pub async fn on(db: TestDb, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::for_database(&db.url);
        config.site_addr = "127.0.0.1:3000".parse().expect("addr");
        config.public_url = None;
        config.trust_proxy = true;
        config.upload_dir =
            std::env::temp_dir().join(format!("crm-test-uploads-{}", Uuid::new_v4()));
        adjust(&mut config);
        let pool = db.open().await;
        let store = CrmSessionStore::for_db(&pool).await.expect("session store");
        let clock = Clock::fixed(Utc::now());
        let state = app_state(config, pool, clock.clone()).await;
        let router = router(state.clone(), store);
        TestApp {
            state,
            router,
            clock,
            db,
        }
    }

    /// The state of a second server on the same database (its own pool and memory).
    pub async fn another_server_state(&self) -> AppState {
        let config = (*self.state.config).clone();
        let pool = self.db.open().await;
        app_state(config, pool, self.clock.clone()).await
    }

    /// A second server on the same database, as when a company runs several app servers: its
    /// own state and memory, the same rows. Returns a client with no sign-in to send to it.
    pub async fn another_server(&self) -> Client {
        let config = (*self.state.config).clone();
        let pool = self.db.open().await;
        let store = CrmSessionStore::for_db(&pool).await.expect("session store");
        let state = app_state(config, pool, self.clock.clone()).await;
        Client {
            router: router(state, store),
            cookies: BTreeMap::new(),
            ip: None,
            bearer: None,
        }
    }

    pub fn client(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookies: BTreeMap::new(),
            ip: None,
            bearer: None,
        }
    }

    /// A staff user with the test password; returns its id.
    pub async fn user(&self, email: &str, role: Role) -> Uuid {
        let input = NewStaffUser {
            email: email.into(),
            name: format!("{role:?} {email}"),
            password: Some(PASSWORD.into()),
        };
        service::create_staff_user(&self.state, None, &ClientInfo::default(), input, role)
            .await
            .expect("create user")
            .id
    }

    /// A client signed in as a new user of this role.
    pub async fn signed_in(&self, email: &str, role: Role) -> (Client, Uuid) {
        let id = self.user(email, role).await;
        let mut client = self.client();
        let r = client.login(email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "login failed: {}", r.text());
        (client, id)
    }

    /// An API client acting as a new user of this role.
    pub async fn api(&self, email: &str, role: Role) -> (Client, Uuid) {
        let id = self.user(email, role).await;
        let token = self.token_for(email).await;
        let mut client = self.client();
        client.bearer = Some(token);
        (client, id)
    }

    /// Rows in a table, straight from the database.
    pub async fn count(&self, table: &str) -> i64 {
        let mut h = self.state.db.handle().await.expect("handle");
        let sql = format!("select count(*) from {table}");
        crm::on!(&mut h.c(), c => sqlx::query_scalar::<_, i64>(&sql).fetch_one(c).await)
            .expect("count")
    }

    pub async fn token_for(&self, email: &str) -> String {
        service::create_api_token(&self.state, email, "test")
            .await
            .expect("token")
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// A browser-like client: keeps cookies, sends a same-site Origin on writes.
#[derive(Clone)]
pub struct Client {
    pub router: Router,
    pub cookies: BTreeMap<String, String>,
    pub ip: Option<String>,
    pub bearer: Option<String>,
}

impl Client {
    pub fn cookie_header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    pub fn from_ip(mut self, ip: &str) -> Client {
        self.ip = Some(ip.into());
        self
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> Resp {
        let h = req.headers_mut();
        h.entry(header::HOST)
            .or_insert(HeaderValue::from_static("127.0.0.1:3000"));
        if req.method() != Method::GET && !req.headers().contains_key(header::ORIGIN) {
            req.headers_mut()
                .insert(header::ORIGIN, HeaderValue::from_static(SITE));
        }
        if let Some(cookie) = self.cookie_header() {
            if !req.headers().contains_key(header::COOKIE) {
                req.headers_mut().insert(
                    header::COOKIE,
                    HeaderValue::from_str(&cookie).expect("cookie"),
                );
            }
        }
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 4000))));
        if let Some(ip) = &self.ip {
            req.headers_mut()
                .insert("x-forwarded-for", HeaderValue::from_str(ip).expect("ip"));
        }
        if let Some(token) = &self.bearer {
            let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("token");
            req.headers_mut().insert(header::AUTHORIZATION, value);
        }
        let response = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router is infallible");
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        let resp = Resp {
            status: parts.status,
            headers: parts.headers,
            body,
        };
        for set in resp.set_cookies() {
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                let expired = set.to_ascii_lowercase().contains("max-age=0") || v.is_empty();
                if expired {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        resp
    }

    /// A multipart/form-data POST: text fields, then the file as `file`.
    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        file: &[u8],
    ) -> Resp {
        let boundary = "----crm-test-boundary-7d1f";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\ncontent-disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\ncontent-type: text/csv\r\n\r\n").as_bytes());
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    pub async fn get_html(&mut self, path: &str) -> Resp {
        self.send(
            Request::get(path)
                .header(header::ACCEPT, "text/html")
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = fields
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    crm::domain::links::urlencode(k),
                    crm::domain::links::urlencode(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    pub async fn post_json(&mut self, path: &str, json: serde_json::Value) -> Resp {
        self.json(Method::POST, path, json).await
    }

    /// A JSON POST with an `Idempotency-Key`.
    pub async fn post_json_keyed(
        &mut self,
        path: &str,
        key: &str,
        json: serde_json::Value,
    ) -> Resp {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Body::from(json.to_string()))
            .expect("request");
        self.send(req).await
    }

    pub async fn put_json(&mut self, path: &str, json: serde_json::Value) -> Resp {
        self.json(Method::PUT, path, json).await
    }

    pub async fn json(&mut self, method: Method, path: &str, json: serde_json::Value) -> Resp {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .expect("request");
        self.send(req).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Resp {
        self.post_form(
            "/api/auth/login",
            &[("email", email), ("password", password)],
        )
        .await
    }
}

/// A request carrying a bearer token.
pub fn bearer(
    method: Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    let builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    match body {
        Some(json) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .expect("request"),
        None => builder.body(Body::empty()).expect("request"),
    }
}

/// The path a server function is registered under (its name plus the hash Leptos adds).
pub fn server_fn_path(name: &str) -> String {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .find(|path| {
            path.rsplit('/')
                .next()
                .is_some_and(|last| last.trim_end_matches(|c: char| c.is_ascii_digit()) == name)
        })
        .unwrap_or_else(|| panic!("no server function named {name}"))
}
