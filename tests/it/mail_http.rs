//! Mail out through a real SMTP server (aiosmtpd, see `mail_sink.rs`): the outbox is written
//! in the change's transaction and the worker sends each mail once — with its headers, after
//! a crash, through temporary refusals, and with two workers on one database.

use crate::common::*;
use crate::mail_sink::{Behaviour, MailSink, header};
use axum::http::StatusCode;
use chrono::Duration;
use crm::domain::user::Role;
use crm::server::db::outbox;
use crm::server::mail::smtp::Mailer;
use crm::server::mail::worker::{Pass, drain};
use serde_json::json;

const FROM: &str = "\"Acme Support\" <support@acme.example>";

/// The app sending to `sink` as Acme Support, with replies asked at help@acme.example.
pub async fn app_sending_to(db: TestDb, sink: &MailSink) -> TestApp {
    let url = sink.url();
    TestApp::on(db, |c| {
        c.smtp_url = Some(url);
        c.mail_from = Some(FROM.into());
        c.mail_reply_to = Some("\"Acme Help\" <help@acme.example>".into());
        c.business_name = "Acme".into();
    })
    .await
}

fn mailer(sink: &MailSink) -> Mailer {
    Mailer::new(&sink.url(), FROM).expect("mailer")
}

async fn run_worker(app: &TestApp, mailer: &Mailer) -> Pass {
    let clock = app.clock.clone();
    let now = move || clock.now();
    drain(&app.state.db, mailer, &now)
        .await
        .expect("worker pass")
}

async fn outbox_of(admin: &mut Client) -> serde_json::Value {
    let r = admin.get("/api/admin/outbox").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

#[tokio::test]
async fn a_test_mail_reaches_the_mail_server_once_with_its_headers_and_leaves_no_body_behind() {
    for db in TestDb::all().await {
        let sink = MailSink::start(Behaviour::default());
        let app = app_sending_to(db, &sink).await;
        let (mut admin, _) = app.signed_in("admin@acme.example", Role::Admin).await;
        let r = admin
            .post_json("/api/admin/outbox/test", json!({"to": " Ada@Example.COM "}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        let queued = r.json();
        assert_eq!(queued["state"], "queued");
        assert_eq!(queued["to_address"], "ada@example.com");
        let message_id = queued["message_id"]
            .as_str()
            .expect("message id")
            .to_string();
        assert!(message_id.ends_with("@acme.example>"), "{message_id}");

        let mailer = mailer(&sink);
        assert_eq!(run_worker(&app, &mailer).await.sent, 1);
        let got = sink.wait_for(1);
        assert_eq!(got.len(), 1);
        let m = &got[0];
        assert_eq!(
            header(m, "Message-ID").as_deref(),
            Some(message_id.as_str())
        );
        assert_eq!(
            header(m, "Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        assert_eq!(
            header(m, "X-Envelope-To").as_deref(),
            Some("ada@example.com")
        );
        assert!(
            header(m, "From").is_some_and(|f| f.contains("support@acme.example")),
            "{m}"
        );
        assert!(
            header(m, "Subject").is_some_and(|s| s.contains("Acme")),
            "{m}"
        );
        assert!(
            header(m, "Content-Type").is_some_and(|t| t.contains("multipart/alternative")),
            "{m}"
        );
        assert!(m.contains("text/plain") && m.contains("text/html"), "{m}");

        // Sent once: another pass finds nothing, and the outbox says what the server said.
        assert_eq!(run_worker(&app, &mailer).await, Pass::default());
        assert_eq!(sink.messages().len(), 1);
        let listed = outbox_of(&mut admin).await;
        assert_eq!(listed["sending"], true);
        let mail = &listed["mails"][0];
        assert_eq!(mail["state"], "sent");
        assert!(
            mail["server_reply"]
                .as_str()
                .is_some_and(|r| r.starts_with("250")),
            "{mail}"
        );
        assert!(
            listed.to_string().find("text_body").is_none(),
            "no body on the page"
        );
        let mut h = app.state.db.handle().await.expect("handle");
        let body: String =
            crm::on!(&mut h.c(), c => sqlx::query_scalar("select text_body from outbox")
            .fetch_one(c).await)
            .expect("body");
        assert_eq!(body, "", "a sent mail's body is not kept");
    }
}

#[tokio::test]
async fn mail_written_before_a_crash_is_sent_once_by_the_next_server() {
    for db in TestDb::all().await {
        let sink = MailSink::start(Behaviour::default());
        let app = app_sending_to(db, &sink).await;
        let (mut admin, _) = app.signed_in("admin@acme.example", Role::Admin).await;
        for to in ["a@example.com", "b@example.com"] {
            let r = admin
                .post_json("/api/admin/outbox/test", json!({"to": to}))
                .await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        }
        // A worker claims both and stops before sending (the server was killed).
        {
            let now = app.clock.now();
            let mut tx = app.state.db.begin().await.expect("tx");
            let claimed = outbox::claim(&mut tx.c(), now, now + Duration::minutes(5), 20)
                .await
                .expect("claim");
            assert_eq!(claimed.len(), 2);
            tx.commit().await.expect("commit");
        }
        // The next server leaves them alone while the claim lasts, then sends each once.
        let next = app.another_server_state().await;
        let mailer = mailer(&sink);
        let clock = app.clock.clone();
        let now = move || clock.now();
        let pass = drain(&next.db, &mailer, &now).await.expect("pass");
        assert_eq!(pass.sent, 0, "a live claim is not taken over");
        app.clock.advance(Duration::minutes(6));
        assert_eq!(drain(&next.db, &mailer, &now).await.expect("pass").sent, 2);
        assert_eq!(drain(&next.db, &mailer, &now).await.expect("pass").sent, 0);
        let got = sink.wait_for(2);
        assert_eq!(got.len(), 2);
        let mut ids: Vec<_> = got.iter().filter_map(|m| header(m, "Message-ID")).collect();
        ids.dedup();
        assert_eq!(ids.len(), 2, "two messages, each once");
    }
}

#[tokio::test]
async fn a_refusal_is_tried_again_later_and_a_rejection_fails_with_the_servers_words() {
    for db in TestDb::all().await {
        let sink = MailSink::start(Behaviour {
            refuse: 1,
            reject: false,
        });
        let app = app_sending_to(db, &sink).await;
        let (mut admin, _) = app.signed_in("admin@acme.example", Role::Admin).await;
        let r = admin
            .post_json("/api/admin/outbox/test", json!({"to": "ada@example.com"}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        let mailer = mailer(&sink);
        assert_eq!(run_worker(&app, &mailer).await.retrying, 1);
        let mail = outbox_of(&mut admin).await["mails"][0].clone();
        assert_eq!(mail["state"], "queued");
        assert!(
            mail["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("451")),
            "{mail}"
        );
        // Not before its time; then once.
        assert_eq!(run_worker(&app, &mailer).await, Pass::default());
        app.clock.advance(Duration::seconds(31));
        assert_eq!(run_worker(&app, &mailer).await.sent, 1);
        assert_eq!(sink.wait_for(1).len(), 1);
        // A sent mail is not sent again by hand.
        let id = mail["id"].as_str().expect("id");
        let again = admin
            .post_json(&format!("/api/admin/outbox/{id}/retry"), json!({}))
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    }
    for db in TestDb::all().await {
        let sink = MailSink::start(Behaviour {
            refuse: 0,
            reject: true,
        });
        let app = app_sending_to(db, &sink).await;
        let (mut admin, _) = app.signed_in("admin@acme.example", Role::Admin).await;
        let r = admin
            .post_json("/api/admin/outbox/test", json!({"to": "gone@example.com"}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        let mailer = mailer(&sink);
        assert_eq!(run_worker(&app, &mailer).await.failed, 1);
        let failed = admin.get("/api/admin/outbox?state=failed").await.json();
        let mail = &failed["mails"][0];
        assert!(
            mail["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("550")),
            "{mail}"
        );
        let id = mail["id"].as_str().expect("id");
        let retried = admin
            .post_json(&format!("/api/admin/outbox/{id}/retry"), json!({}))
            .await;
        assert_eq!(retried.status, StatusCode::OK, "{}", retried.text());
        assert_eq!(retried.json()["state"], "queued");
        let bad = admin.get("/api/admin/outbox?state=lost").await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            bad.text()
        );
        assert!(sink.messages().is_empty());
    }
}

#[tokio::test]
async fn two_workers_on_one_database_send_every_mail_exactly_once() {
    for db in TestDb::all().await {
        let sink = MailSink::start(Behaviour::default());
        let app = app_sending_to(db, &sink).await;
        let (mut admin, _) = app.signed_in("admin@acme.example", Role::Admin).await;
        for n in 0..30 {
            let r = admin
                .post_json(
                    "/api/admin/outbox/test",
                    json!({"to": format!("p{n}@example.com")}),
                )
                .await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        }
        let other = app.another_server_state().await;
        let (m1, m2) = (mailer(&sink), mailer(&sink));
        let (c1, c2) = (app.clock.clone(), app.clock.clone());
        let (n1, n2) = (move || c1.now(), move || c2.now());
        let (a, b) = tokio::join!(drain(&app.state.db, &m1, &n1), drain(&other.db, &m2, &n2));
        assert_eq!(a.expect("a").sent + b.expect("b").sent, 30);
        let got = sink.wait_for(30);
        let mut ids: Vec<_> = got.iter().filter_map(|m| header(m, "Message-ID")).collect();
        ids.sort();
        ids.dedup();
        assert_eq!((got.len(), ids.len()), (30, 30), "each mail once");
    }
}

#[tokio::test]
async fn without_a_mail_server_mail_waits_in_the_outbox_and_the_page_says_so() {
    let app = TestApp::new().await;
    let (mut admin, _) = app.signed_in("admin@acme.example", Role::Admin).await;
    let r = admin
        .post_json("/api/admin/outbox/test", json!({"to": "ada@example.com"}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let listed = outbox_of(&mut admin).await;
    assert_eq!(listed["sending"], false);
    assert_eq!(listed["server"], serde_json::Value::Null);
    assert_eq!(listed["mails"][0]["state"], "queued");
    let bad = admin
        .post_json("/api/admin/outbox/test", json!({"to": "not an address"}))
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
}
