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

/// `crm user create … --password-stdin`: a staff user who signs in with [`PASSWORD`].
async fn user_with_password(
    db: &str,
    email: &str,
    name: &str,
    role: &str,
) -> (bool, String, String) {
    let args = [
        "user",
        "create",
        "--email",
        email,
        "--name",
        name,
        "--role",
        role,
        "--password-stdin",
    ];
    crm(db, &args, Some(PASSWORD)).await
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// Starts `crm serve`; returns the child and everything it printed before listening.
async fn serve(db: &str, port: u16) -> (Child, String) {
    serve_with(db, port, &[]).await
}

/// Starts `crm serve` with more settings (`envs`).
async fn serve_with(db: &str, port: u16, envs: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .envs(envs.iter().copied())
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
    let (ok, _, err) = user_with_password(&db.url, "ada@example.com", "Ada", "sales").await;
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
        let (ok, _, err) =
            user_with_password(&url, "root@example.com", "Root", "super_admin").await;
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

async fn crm_with(envs: &[(&str, &str)], args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .envs(envs.iter().copied())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("crm output");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test]
async fn mail_test_sends_through_the_outbox_and_says_what_is_missing() {
    use crate::mail_sink::{Behaviour, MailSink, header};
    let db = TestDb::sqlite();
    let sink = MailSink::start(Behaviour::default());
    let url = sink.url();
    let from = "\"Acme\" <crm@acme.example>";
    let envs = [
        ("DATABASE_URL", db.url.as_str()),
        ("CRM_SMTP_URL", url.as_str()),
        ("CRM_MAIL_FROM", from),
    ];
    let (ok, out, err) = crm_with(&envs, &["mail", "test", "--to", "ops@example.com"]).await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("sent to ops@example.com") && out.contains("250"),
        "{out}"
    );
    let got = sink.wait_for(1);
    assert_eq!(got.len(), 1);
    assert_eq!(
        header(&got[0], "X-Envelope-To").as_deref(),
        Some("ops@example.com")
    );
    assert!(header(&got[0], "Message-ID").is_some_and(|m| m.ends_with("@acme.example>")));

    // No mail server named, a sender missing, plain text to another machine: each refused
    // with what to do, nothing sent.
    let db_only = [("DATABASE_URL", db.url.as_str())];
    let (ok, _, err) = crm_with(&db_only, &["mail", "test", "--to", "ops@example.com"]).await;
    assert!(!ok && err.contains("set CRM_SMTP_URL"), "{err}");
    let no_from = [
        ("DATABASE_URL", db.url.as_str()),
        ("CRM_SMTP_URL", url.as_str()),
    ];
    let (ok, _, err) = crm_with(&no_from, &["mail", "test", "--to", "ops@example.com"]).await;
    assert!(!ok && err.contains("CRM_MAIL_FROM"), "{err}");
    let far = [
        ("DATABASE_URL", db.url.as_str()),
        ("CRM_SMTP_URL", "smtp://u:p@mail.example.com:25?tls=off"),
        ("CRM_MAIL_FROM", from),
    ];
    let (ok, _, err) = crm_with(&far, &["mail", "test", "--to", "ops@example.com"]).await;
    assert!(
        !ok && err.contains("only for a server on this machine"),
        "{err}"
    );
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn mail_written_by_a_server_killed_before_sending_goes_out_once_after_a_restart() {
    use crate::mail_sink::{Behaviour, MailSink, header};
    let db = TestDb::sqlite();
    let (ok, out, err) =
        user_with_password(&db.url, "root@example.com", "Root", "super_admin").await;
    assert!(ok, "{out}{err}");
    let (ok, out, err) = crm(
        &db.url,
        &["token", "create", "--email", "root@example.com"],
        None,
    )
    .await;
    assert!(ok, "{out}{err}");
    let token = out.lines().last().expect("token").trim().to_string();
    let bearer = format!("Bearer {token}");
    let json = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
    ];

    // No mail server yet: the change writes its mail, then the server is killed (-9).
    let port = free_port();
    let (mut first, _) = serve(&db.url, port).await;
    let (status, _, body) = http(
        port,
        "POST",
        "/api/admin/outbox/test",
        &json,
        r#"{"to": "ops@example.com"}"#,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    first.start_kill().expect("kill -9");
    first.wait().await.expect("killed");

    // The next server, with a mail server, sends it: once, however long it runs.
    let sink = MailSink::start(Behaviour::default());
    let url = sink.url();
    let envs = [
        ("CRM_SMTP_URL", url.as_str()),
        ("CRM_MAIL_FROM", "\"Acme\" <crm@acme.example>"),
    ];
    let port = free_port();
    let (mut second, _) = serve_with(&db.url, port, &envs).await;
    let got = sink.wait_for(1);
    assert_eq!(got.len(), 1, "sent after the restart");
    assert_eq!(
        header(&got[0], "X-Envelope-To").as_deref(),
        Some("ops@example.com")
    );
    tokio::time::sleep(Duration::from_secs(6)).await; // past the worker's next pass
    assert_eq!(sink.messages().len(), 1, "and only once");
    let (status, _, body) = http(port, "GET", "/api/admin/outbox", &json, "").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""state":"sent""#), "{body}");
    second.start_kill().expect("stop");
    let _ = second.wait().await;
}

#[tokio::test]
async fn mail_receive_takes_one_message_from_stdin_once() {
    let db = TestDb::sqlite();
    let (ok, _, err) = crm(&db.url, &["migrate"], None).await;
    assert!(ok, "{err}");
    let (ok, out, err) =
        user_with_password(&db.url, "root@example.com", "Root", "super_admin").await;
    assert!(ok, "{out}{err}");
    let mail = "From: Pat Doe <pat@example.com>\r\nSubject: Help\r\nMessage-ID: <p1@example.com>\r\n\r\nMy printer is on fire.\r\n";
    let (ok, out, err) = crm(&db.url, &["mail", "receive"], Some(mail)).await;
    assert!(ok && out.contains("opened ticket #1"), "{out}{err}");
    let (ok, out, _) = crm(&db.url, &["mail", "receive"], Some(mail)).await;
    assert!(ok && out.contains("received before"), "{out}");
    let (ok, _, err) = crm(&db.url, &["mail", "receive"], Some("nonsense")).await;
    assert!(!ok && err.contains("sender"), "{err}");
}
