//! The support mailbox read over IMAP from a real server (a private Dovecot): each message is
//! taken once across restarts, a crash between taking and remembering, and a rebuilt folder;
//! hostile and oversized messages are refused and the reader goes on; news arrives by IDLE;
//! staff mail sent with the CRM in BCC is logged on the records it names; strangers' tickets
//! wait for triage; `crm mail fetch` does one pass from the command line.

use crate::common::*;
use crate::imap_server::ImapServer;
use crate::mail_in::{count, message};
use crate::support_http::{account, contact};
use axum::http::StatusCode;
use crm::domain::user::Role;
use crm::server::support::inbound::{Received, receive};
use crm::server::support::mailbox::{Fetched, fetch_once, from_settings, run};
use serde_json::json;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn request(i: u32) -> Vec<u8> {
    message(
        &format!("customer{i}@example.com"),
        &format!("Request {i}"),
        &format!("<r{i}@example.com>"),
        "",
        "Please help.",
    )
}

fn taken(n: usize) -> Fetched {
    Fetched {
        taken: n,
        ..Default::default()
    }
}

async fn execute(app: &TestApp, sql: &str) {
    let mut h = app.state.db.handle().await.expect("handle");
    crm::on!(&mut h.c(), c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected()))
        .expect("execute");
}

async fn uid_validity(app: &TestApp) -> i64 {
    count(app, "select max(uid_validity) from mailbox_cursor").await
}

#[tokio::test]
async fn each_message_is_taken_once_across_restarts_a_lost_cursor_and_a_rebuilt_folder() {
    let imap = ImapServer::start();
    for (n, db) in TestDb::all().await.into_iter().enumerate() {
        let folder = format!("Support{n}");
        imap.create(&folder).await;
        let url = imap.url(&folder);
        let app = TestApp::on(db, |c| c.imap_url = Some(url)).await;
        app.api("root@example.com", Role::SuperAdmin).await;
        let mb = from_settings(&app.state.config)
            .expect("a usable URL")
            .expect("a mailbox");

        imap.deliver(&folder, &request(1)).await;
        imap.deliver(&folder, &request(2)).await;
        assert_eq!(fetch_once(&app.state, &mb).await.expect("fetch"), taken(2));
        assert_eq!(imap.seen(&folder).await, 0, "the reader leaves mail unread");

        // A restart (a new connection) takes only what is new, then nothing.
        imap.deliver(&folder, &request(3)).await;
        assert_eq!(fetch_once(&app.state, &mb).await.expect("fetch"), taken(1));
        assert_eq!(
            fetch_once(&app.state, &mb).await.expect("fetch"),
            Fetched::default()
        );

        // A crash after taking two messages but before remembering them: they are read again
        // and recognised.
        execute(&app, "update mailbox_cursor set last_uid = 1").await;
        assert_eq!(
            fetch_once(&app.state, &mb).await.expect("fetch"),
            Fetched {
                again: 2,
                ..Default::default()
            }
        );

        // The folder is rebuilt (a new UIDVALIDITY, UIDs from 1 again) with the same mail and
        // one new message: only the new one is taken.
        let before = uid_validity(&app).await;
        imap.remove(&folder).await;
        imap.create(&folder).await;
        for i in 1..=4 {
            imap.deliver(&folder, &request(i)).await;
        }
        assert_eq!(
            fetch_once(&app.state, &mb).await.expect("fetch"),
            Fetched {
                taken: 1,
                again: 3,
                ..Default::default()
            }
        );
        assert_ne!(uid_validity(&app).await, before);
        assert_eq!(count(&app, "select count(*) from tickets").await, 4);
        assert_eq!(count(&app, "select count(*) from inbound_mail").await, 4);
    }
}

/// A message with one attachment of `data`, named `name`, from `from`.
fn with_attachment(from: &str, id: &str, name: &str, base64_lines: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: help@acme.example\r\nSubject: Files\r\nMessage-ID: {id}\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the file.\r\n\
         --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{base64_lines}--b--\r\n"
    )
    .into_bytes()
}

/// Base64 lines decoding to about `mib` MiB of `A`s.
fn base64_of_mib(mib: usize) -> String {
    let line = format!("{}\r\n", "QUFB".repeat(19));
    let lines = (mib << 20).div_ceil(57);
    line.repeat(lines)
}

async fn ticket_of(app: &TestApp, message_id: &str) -> Uuid {
    let mut h = app.state.db.handle().await.expect("handle");
    let id: Option<Uuid> = crm::on!(&mut h.c(), c => sqlx::query_scalar(
        "select ticket_id from inbound_mail where message_id = $1")
        .bind(message_id).fetch_one(c).await)
    .expect("the message");
    id.expect("a ticket")
}

#[tokio::test]
async fn hostile_and_oversized_messages_are_refused_and_the_reader_goes_on() {
    let imap = ImapServer::start();
    imap.create("Support").await;
    let url = imap.url("Support");
    let app = TestApp::on(TestDb::sqlite(), |c| c.imap_url = Some(url)).await;
    let (mut admin, _) = app.api("root@example.com", Role::SuperAdmin).await;
    let mb = from_settings(&app.state.config)
        .expect("a usable URL")
        .expect("a mailbox");

    // A parser bomb.
    let mut bomb = String::from(
        "From: x@example.com\r\nMessage-ID: <bomb@x>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n",
    );
    for _ in 0..10_000 {
        bomb.push_str("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
    }
    imap.deliver("Support", bomb.as_bytes()).await;
    // A charset nobody knows: the text is read as well as it can be.
    imap.deliver(
        "Support",
        b"From: a@example.com\r\nSubject: Odd\r\nMessage-ID: <odd@x>\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla\xff\r\n",
    )
    .await;
    // An encoded subject hiding a line break and a header.
    imap.deliver(
        "Support",
        b"From: b@example.com\r\nSubject: =?utf-8?b?SGVsbG8NCkJjYzogZXZpbEBleGFtcGxlLmNvbQ==?=\r\nMessage-ID: <crlf@x>\r\nContent-Type: text/plain\r\n\r\nhi\r\n",
    )
    .await;
    // Over 40 MB: refused without being fetched.
    imap.deliver(
        "Support",
        &with_attachment("c@example.com", "<huge@x>", "huge.pdf", &base64_of_mib(31)),
    )
    .await;
    // 12 MB: taken, the file listed but kept only in the stored message (over 10 MiB).
    imap.deliver(
        "Support",
        &with_attachment("d@example.com", "<big@x>", "big.pdf", &base64_of_mib(12)),
    )
    .await;
    // A name that tries to leave the attachment folder.
    imap.deliver(
        "Support",
        &with_attachment(
            "e@example.com",
            "<path@x>",
            "../../etc/passwd",
            "cm9vdDp4OjA6MA==\r\n",
        ),
    )
    .await;
    imap.deliver("Support", &request(9)).await;

    assert_eq!(
        fetch_once(&app.state, &mb).await.expect("fetch"),
        Fetched {
            taken: 5,
            refused: 2,
            ..Default::default()
        }
    );
    let reasons = count(
        &app,
        "select count(*) from inbound_mail where outcome = 'refused' and reason like '%MB%' and length(raw) = 0",
    )
    .await;
    assert_eq!(
        reasons, 1,
        "the huge message is refused unread, with its size"
    );
    assert_eq!(imap.seen("Support").await, 0);

    let crlf = ticket_of(&app, "<crlf@x>").await;
    let t = admin.get(&format!("/api/crm/tickets/{crlf}")).await.json();
    let subject = t["subject"].as_str().expect("subject");
    assert!(
        !subject.contains('\r') && !subject.contains('\n'),
        "{subject:?}"
    );
    assert!(subject.contains("Hello"), "{subject:?}");
    ticket_of(&app, "<odd@x>").await;

    let big = ticket_of(&app, "<big@x>").await;
    let files = admin
        .get(&format!("/api/crm/tickets/{big}/attachments"))
        .await
        .json();
    assert_eq!(files[0]["name"], "big.pdf");
    assert_eq!(files[0]["stored"], false);
    assert!(files[0]["size"].as_i64().unwrap_or(0) >= 12 << 20);
    let r = admin
        .get(&format!(
            "/api/crm/tickets/{big}/attachments/{}",
            files[0]["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());

    let path = ticket_of(&app, "<path@x>").await;
    let files = admin
        .get(&format!("/api/crm/tickets/{path}/attachments"))
        .await
        .json();
    assert_eq!(files[0]["name"], "passwd", "no folder part is kept");
    assert_eq!(files[0]["stored"], true);
    let r = admin
        .get(&format!(
            "/api/crm/tickets/{path}/attachments/{}",
            files[0]["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/octet-stream")
    );
    let disposition = r.header("content-disposition").expect("disposition");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(!disposition.contains('/'), "{disposition}");
    // Nothing was written outside the attachment folder.
    let dir = app.state.config.upload_dir.join("attachments");
    let kept = std::fs::read_dir(&dir).expect("attachments").count();
    assert_eq!(kept, 1, "only the small file is kept as a file");
}

#[tokio::test]
async fn the_running_reader_takes_news_as_it_arrives_by_idle() {
    let imap = ImapServer::start();
    imap.create("Support").await;
    let url = imap.url("Support");
    let app = TestApp::on(TestDb::sqlite(), |c| c.imap_url = Some(url)).await;
    app.api("root@example.com", Role::SuperAdmin).await;
    let mb = from_settings(&app.state.config)
        .expect("a usable URL")
        .expect("a mailbox");
    imap.deliver("Support", &request(1)).await;
    let reader = tokio::spawn(run(app.state.clone(), mb));
    let tickets_within = async |n: i64| {
        let until = Instant::now() + Duration::from_secs(25);
        while count(&app, "select count(*) from tickets").await < n {
            assert!(Instant::now() < until, "no ticket {n} within 25 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tickets_within(1).await;
    // The poll interval is an hour: only IDLE brings this one in time.
    imap.deliver("Support", &request(2)).await;
    tickets_within(2).await;
    reader.abort();
}

#[tokio::test]
async fn staff_mail_with_the_crm_in_bcc_is_logged_on_the_records_it_names() {
    for db in TestDb::all().await {
        let app = TestApp::on(db, |c| c.bcc_address = Some("log@acme.example".into())).await;
        let (mut admin, _) = app.api("root@example.com", Role::SuperAdmin).await;
        let (mut sales, _) = app.api("sam@acme.example", Role::Sales).await;
        let (mut support, _) = app.api("sue@acme.example", Role::Support).await;
        let acme = account(&mut admin, "Globex").await;
        let pia = contact(
            &mut admin,
            "Pia",
            "pia@globex.example",
            Some(&acme),
            "client",
        )
        .await;
        let deal = sales
            .post_json(
                "/api/crm/opportunities",
                json!({"name": "Globex renewal", "stage": "lead", "primary_contact_id": pia}),
            )
            .await;
        assert_eq!(deal.status, StatusCode::CREATED, "{}", deal.text());
        let lead = sales
            .post_json(
                "/api/crm/leads",
                json!({"name": "Lee", "email": "Lee@Prospect.example"}),
            )
            .await;
        assert_eq!(lead.status, StatusCode::CREATED, "{}", lead.text());

        let mail = message(
            "Sam <sam@acme.example>",
            "Renewal terms",
            "<sam1@acme.example>",
            "Cc: lee@prospect.example\r\nBcc: log@acme.example\r\n",
            "Here are the terms.",
        );
        // `message` puts help@acme.example in To; make Pia the recipient instead.
        let mail = String::from_utf8(mail)
            .expect("text")
            .replace("To: help@acme.example", "To: Pia <pia@globex.example>")
            .into_bytes();
        assert_eq!(
            receive(&app.state, &mail).await.expect("received"),
            Received::Logged { records: 3 }
        );
        assert_eq!(count(&app, "select count(*) from tickets").await, 0);
        let logged = count(
            &app,
            "select count(*) from activities where kind = 'email' and mail_id is not null",
        )
        .await;
        assert_eq!(logged, 3);
        let pia_id = pia.as_str();
        let timeline = sales
            .get(&format!(
                "/api/crm/activities?related_type=contact&related_id={pia_id}"
            ))
            .await;
        assert_eq!(timeline.status, StatusCode::OK, "{}", timeline.text());
        let items = timeline.json();
        let items = items["items"].as_array().cloned().unwrap_or_default();
        let entry = items
            .iter()
            .find(|a| a["subject"] == "Renewal terms")
            .unwrap_or_else(|| panic!("logged on Pia: {items:?}"));
        let mail_id = entry["mail_id"].as_str().expect("a mail id").to_string();
        let r = sales.get(&format!("/api/crm/mail/{mail_id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.header("content-type").as_deref(), Some("message/rfc822"));
        assert!(r.text().contains("Here are the terms."));
        // Support may read contacts, so the mail on Pia is theirs to read too.
        assert_eq!(
            support
                .get(&format!("/api/crm/mail/{mail_id}"))
                .await
                .status,
            StatusCode::OK
        );

        // Mail only to a lead: support (who may not read leads) cannot open it.
        let to_lead = message(
            "sam@acme.example",
            "Intro",
            "<sam2@acme.example>",
            "",
            "Nice to meet you.",
        );
        let to_lead = String::from_utf8(to_lead)
            .expect("text")
            .replace("To: help@acme.example", "To: lee@prospect.example")
            .into_bytes();
        assert_eq!(
            receive(&app.state, &to_lead).await.expect("received"),
            Received::Logged { records: 1 }
        );
        let mut h = app.state.db.handle().await.expect("handle");
        let lead_mail: Uuid = crm::on!(&mut h.c(), c => sqlx::query_scalar(
            "select id from inbound_mail where message_id = '<sam2@acme.example>'")
            .fetch_one(c).await)
        .expect("the mail");
        drop(h);
        assert_eq!(
            support
                .get(&format!("/api/crm/mail/{lead_mail}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            sales
                .get(&format!("/api/crm/mail/{lead_mail}"))
                .await
                .status,
            StatusCode::OK
        );

        // Staff mail naming nobody the CRM knows is kept and nothing else.
        let nobody = message(
            "sam@acme.example",
            "Lunch",
            "<sam3@acme.example>",
            "",
            "Noon?",
        );
        let nobody = String::from_utf8(nobody)
            .expect("text")
            .replace("To: help@acme.example", "To: friend@elsewhere.example")
            .into_bytes();
        assert!(matches!(
            receive(&app.state, &nobody).await.expect("received"),
            Received::Ignored(_)
        ));
        assert_eq!(count(&app, "select count(*) from tickets").await, 0);
    }
}

#[tokio::test]
async fn a_strangers_ticket_waits_for_triage_until_someone_takes_it() {
    on_every_backend(async |app| {
        let (mut admin, _) = app.api("root@example.com", Role::SuperAdmin).await;
        let (_, agent) = app.api("sue@acme.example", Role::Support).await;
        let acme = account(&mut admin, "Initech").await;
        contact(
            &mut admin,
            "Kim",
            "kim@initech.example",
            Some(&acme),
            "client",
        )
        .await;

        let Received::Opened {
            ticket_id: known, ..
        } = receive(
            &app.state,
            &message("kim@initech.example", "Printer", "<k@i>", "", "Jammed."),
        )
        .await
        .expect("received")
        else {
            panic!("a ticket");
        };
        let t = admin.get(&format!("/api/crm/tickets/{known}")).await.json();
        assert_eq!(t["triage"], false, "{t}");

        let Received::Opened { ticket_id: new, .. } = receive(
            &app.state,
            &message("who@nowhere.example", "Hello?", "<w@n>", "", "Anyone?"),
        )
        .await
        .expect("received") else {
            panic!("a ticket");
        };
        let t = admin.get(&format!("/api/crm/tickets/{new}")).await.json();
        assert_eq!(t["triage"], true, "{t}");
        let r = admin
            .put_json(
                &format!("/api/crm/tickets/{new}"),
                json!({"assignee_id": agent, "version": t["version"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let t = admin.get(&format!("/api/crm/tickets/{new}")).await.json();
        assert_eq!(t["triage"], false, "assigning someone ends triage: {t}");
    })
    .await;
}

#[tokio::test]
async fn crm_mail_fetch_takes_the_mailbox_once_from_the_command_line() {
    let imap = ImapServer::start();
    imap.create("Support").await;
    let db = TestDb::sqlite();
    let bin = env!("CARGO_BIN_EXE_crm");
    let crm = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("CRM_IMAP_URL", imap.url("Support"))
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run crm")
    };
    assert!(crm(&["migrate"]).status.success());
    let mut admin = std::process::Command::new(bin)
        .args([
            "user",
            "create",
            "--email",
            "root@example.com",
            "--name",
            "Root",
        ])
        .args(["--role", "super_admin", "--password-stdin"])
        .env("DATABASE_URL", &db.url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("crm user create");
    {
        use std::io::Write;
        let mut input = admin.stdin.take().expect("stdin");
        input.write_all(PASSWORD.as_bytes()).expect("password");
    }
    assert!(admin.wait().expect("crm user create").success());
    imap.deliver("Support", &request(1)).await;
    imap.deliver("Support", &request(2)).await;
    let out = crm(&["mail", "fetch"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("2 taken"), "{stdout}");
    assert!(
        !stdout.contains(crate::imap_server::PASSWORD)
            && !stderr.contains(crate::imap_server::PASSWORD),
        "the password is never printed: {stdout}{stderr}"
    );
    let again = crm(&["mail", "fetch"]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 taken"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}
