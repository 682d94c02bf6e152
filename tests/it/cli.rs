//! The `crm` binary itself: its subcommands, first run, and two server processes sharing
//! sessions through one PostgreSQL database.

use crate::common::{PASSWORD, TestDb};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_crm");

async fn crm(db: &str, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn crm");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input.as_bytes()).await.expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().await.expect("crm output");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// Starts `crm serve`; returns the child and everything it printed before listening.
async fn serve(db: &str, port: u16) -> (Child, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", db)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn server");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut printed = String::new();
    let started = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            printed.push_str(&line);
            printed.push('\n');
            if line.contains("listening") {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(started, Ok(true)),
        "server did not start:\n{printed}"
    );
    (child, printed)
}

/// A minimal HTTP/1.1 exchange over a fresh connection.
async fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn session_cookie(head: &str) -> String {
    head.lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .find(|c| c.starts_with("crm_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string()
}

#[tokio::test]
async fn user_and_token_commands_print_what_scripts_need() {
    let db = TestDb::sqlite();
    let (ok, out, _) = crm(&db.url, &["migrate"], None).await;
    assert!(ok, "{out}");

    let (ok, out, err) = crm(
        &db.url,
        &[
            "user",
            "create",
            "--email",
            "ada@example.com",
            "--name",
            "Ada",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    )
    .await;
    assert!(ok, "{err}");
    let id = out.trim();
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "prints only the id: {out}"
    );

    let (ok, out, err) = crm(
        &db.url,
        &[
            "user",
            "create",
            "--email",
            "sam@example.com",
            "--name",
            "Sam",
            "--role",
            "sales",
        ],
        None,
    )
    .await;
    assert!(ok, "{err}");
    let lines: Vec<_> = out.lines().collect();
    assert!(uuid::Uuid::parse_str(lines[0]).is_ok());
    assert!(
        lines[1].contains("/set-password?token="),
        "a one-time link: {out}"
    );

    let (ok, _, err) = crm(
        &db.url,
        &[
            "user",
            "create",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "root",
        ],
        None,
    )
    .await;
    assert!(!ok && err.contains("unknown role"), "{err}");
    let (ok, _, err) = crm(
        &db.url,
        &[
            "user",
            "create",
            "--email",
            "ADA@example.com",
            "--name",
            "Ada 2",
            "--role",
            "sales",
        ],
        None,
    )
    .await;
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = crm(
        &db.url,
        &[
            "user", "create", "--email", "bad", "--name", "Bad", "--role", "sales",
        ],
        None,
    )
    .await;
    assert!(!ok && err.contains("email"), "{err}");

    let (ok, out, err) = crm(
        &db.url,
        &[
            "token",
            "create",
            "--email",
            "ada@example.com",
            "--label",
            "ci",
        ],
        None,
    )
    .await;
    assert!(ok, "{err}");
    let token = out.lines().last().unwrap().trim().to_string();
    assert!(
        token.starts_with("crm_"),
        "the token is the last line: {out}"
    );

    let port = free_port();
    let (_server, printed) = serve(&db.url, port).await;
    assert!(
        !printed.contains("/setup?token="),
        "users exist: no setup link"
    );
    let (status, _, body) = http(
        port,
        "GET",
        "/api/auth/me",
        &[("Authorization", &format!("Bearer {token}"))],
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("ada@example.com"));
}

#[tokio::test]
async fn first_run_prints_one_setup_link_and_serves_it() {
    let db = TestDb::sqlite();
    let port = free_port();
    let (_server, printed) = serve(&db.url, port).await;
    assert_eq!(printed.matches("/setup?token=").count(), 1, "{printed}");
    let link = printed
        .split_whitespace()
        .find(|w| w.contains("/setup?token="))
        .unwrap();
    let path = &link[link.find("/setup").unwrap()..];
    let (status, _, body) = http(port, "GET", path, &[], "").await;
    assert_eq!(status, 200);
    assert!(body.contains("Set up your CRM"));
    let (status, _, _) = http(port, "GET", "/healthz", &[], "").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_database_directory_is_created_on_first_run() {
    let dir = crate::common::TempDir::new();
    let url = format!("sqlite://{}/nested/deeper/crm.db", dir.path().display());
    let (ok, _, err) = crm(&url, &["migrate"], None).await;
    assert!(ok, "{err}");
    assert!(dir.path().join("nested/deeper/crm.db").exists());
}

#[tokio::test]
async fn two_servers_on_one_postgres_accept_the_same_session_cookie() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("NOTE: TEST_DATABASE_URL not set: two-process PostgreSQL test skipped");
        return;
    };
    let (ok, _, err) = crm(
        &db.url,
        &[
            "user",
            "create",
            "--email",
            "ada@example.com",
            "--name",
            "Ada",
            "--role",
            "sales",
            "--password-stdin",
        ],
        Some(PASSWORD),
    )
    .await;
    assert!(ok, "{err}");
    let (a, b) = (free_port(), free_port());
    let (_one, _) = serve(&db.url, a).await;
    let (_two, _) = serve(&db.url, b).await;

    let form = format!(
        "email=ada%40example.com&password={}",
        PASSWORD.replace(' ', "%20")
    );
    let (status, head, body) = http(
        a,
        "POST",
        "/api/auth/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let cookie = session_cookie(&head);
    let (status, _, body) = http(b, "GET", "/api/auth/me", &[("Cookie", &cookie)], "").await;
    assert_eq!(status, 200, "the other process accepts the cookie: {body}");

    // Signing out on the second ends it for the first too.
    let origin = format!("http://127.0.0.1:{b}");
    let (status, _, _) = http(
        b,
        "POST",
        "/api/auth/logout",
        &[("Cookie", &cookie), ("Origin", &origin)],
        "",
    )
    .await;
    assert_eq!(status, 204);
    let (status, _, _) = http(a, "GET", "/api/auth/me", &[("Cookie", &cookie)], "").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn import_prints_the_counts_and_writes_every_rows_outcome() {
    for db in TestDb::all().await {
        let url = db.url.clone();
        let dir = crate::common::TempDir::new();
        // Without a super admin, the import says what to pass instead of "no such user".
        let early = dir.path().join("early.csv");
        std::fs::write(&early, "email\nx@example.com\n").expect("write");
        let e = early.to_string_lossy().to_string();
        let (ok, _, err) = crm(&url, &["import", "--kind", "leads", "--file", &e], None).await;
        assert!(!ok && err.contains("pass `--as EMAIL`"), "{err}");
        let (ok, _, err) = crm(
            &url,
            &[
                "import",
                "--kind",
                "leads",
                "--file",
                &e,
                "--as",
                "nobody@example.com",
            ],
            None,
        )
        .await;
        assert!(
            !ok && err.contains("no active staff user nobody@example.com"),
            "{err}"
        );
        let (ok, _, err) = crm(
            &url,
            &[
                "user",
                "create",
                "--email",
                "root@example.com",
                "--name",
                "Root",
                "--role",
                "super_admin",
                "--password-stdin",
            ],
            Some(PASSWORD),
        )
        .await;
        assert!(ok, "{err}");
        // Windows-1252, semicolons, a column named by a mapping file.
        let file = dir.path().join("people.csv");
        std::fs::write(&file, b"Vorname;Nachname;E-mail;Firma\nJ\xfcrgen;M\xfcller;jm@example.com;Acme\nBad;Row;nope;Acme\nJ\xfcrgen;M;JM@example.com;Acme\n").expect("write");
        let mapping = dir.path().join("mapping.json");
        std::fs::write(
            &mapping,
            r#"{"Vorname": "first_name", "Nachname": "last_name", "Firma": "company"}"#,
        )
        .expect("write");
        let f = file.to_string_lossy().to_string();
        let m = mapping.to_string_lossy().to_string();
        let (ok, out, err) = crm(
            &url,
            &[
                "import",
                "--kind",
                "contacts",
                "--file",
                &f,
                "--mapping",
                &m,
                "--dry-run",
            ],
            None,
        )
        .await;
        assert!(ok, "{err}");
        assert!(
            out.contains("dry run: 3 rows")
                && out.contains("1 created")
                && out.contains("1 duplicates in the file")
                && out.contains("1 invalid"),
            "{out}"
        );
        assert!(err.contains("windows-1252"), "{err}");
        let (ok, out, err) = crm(
            &url,
            &[
                "import",
                "--kind",
                "contacts",
                "--file",
                &f,
                "--mapping",
                &m,
            ],
            None,
        )
        .await;
        assert!(ok, "{err}");
        assert!(out.contains("3 rows") && out.contains("1 created"), "{out}");
        let outcome =
            std::fs::read_to_string(dir.path().join("people.outcome.csv")).expect("outcome file");
        let lines: Vec<&str> = outcome.lines().collect();
        assert_eq!(lines.len(), 4, "{outcome}");
        assert!(lines[1].starts_with("1,created,"), "{outcome}");
        assert!(lines[2].starts_with("2,invalid: email"), "{outcome}");
        assert!(lines[3].starts_with("3,skipped_duplicate,"), "{outcome}");
        // Run again: everything is already there.
        let (ok, out, _) = crm(
            &url,
            &[
                "import",
                "--kind",
                "contacts",
                "--file",
                &f,
                "--mapping",
                &m,
            ],
            None,
        )
        .await;
        assert!(ok);
        assert!(
            out.contains("0 created") && out.contains("1 skipped"),
            "{out}"
        );
    }
}
