//! Mail in: messages as a mailbox delivers them become tickets and replies on both backends;
//! machines (auto-replies, bounces) never do; a message read twice is handled once; a hostile
//! one is refused with a reason. The confirmation and the customer's answer thread through
//! the real SMTP server.

use crate::common::*;
use crate::mail_sink::{Behaviour, MailSink, header};
use crate::support_http::{account, contact};
use axum::http::StatusCode;
use crm::domain::user::Role;
use crm::server::mail::worker::drain;
use crm::server::support::inbound::{Received, receive};
use serde_json::json;

pub fn message(from: &str, subject: &str, id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: help@acme.example\r\nSubject: {subject}\r\nMessage-ID: {id}\r\nDate: Thu, 3 Dec 2026 10:00:00 +0000\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut h = app.state.db.handle().await.expect("handle");
    crm::on!(&mut h.c(), c => sqlx::query_scalar(sql).fetch_one(c).await).expect("count")
}

#[tokio::test]
async fn a_customers_mail_opens_a_ticket_their_answer_threads_into_it_and_machines_are_ignored() {
    for db in TestDb::all().await {
        let sink = MailSink::start(Behaviour::default());
        let url = sink.url();
        let app = TestApp::on(db, |c| {
            c.smtp_url = Some(url);
            c.mail_from = Some("\"Acme Support\" <help@acme.example>".into());
        })
        .await;
        let (mut admin, _) = app.api("ann@example.com", Role::SuperAdmin).await;
        let acme = account(&mut admin, "Umbrella").await;
        contact(
            &mut admin,
            "Kim",
            "kim@umbrella.example",
            Some(&acme),
            "client",
        )
        .await;

        // A known contact writes in: a ticket on their account, and a confirmation.
        let first = message(
            "Kim Tester <Kim@Umbrella.example>",
            "Lab door stuck",
            "<k1@umbrella.example>",
            "",
            "The lab door will not open.",
        );
        let Received::Opened { ticket_id, number } =
            receive(&app.state, &first).await.expect("received")
        else {
            panic!("a ticket");
        };
        let r = admin.get(&format!("/api/crm/tickets/{ticket_id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let t = r.json();
        assert_eq!(t["channel"], "email");
        assert_eq!(t["account_id"], acme.as_str());
        assert_eq!(t["description"], "The lab door will not open.");
        // Read twice (a reader restarted): nothing changes.
        assert_eq!(
            receive(&app.state, &first).await.expect("again"),
            Received::Again
        );
        assert_eq!(count(&app, "select count(*) from tickets").await, 1);

        let clock = app.clock.clone();
        let now = move || clock.now();
        let mailer = app.state.mailer.as_ref().expect("mailer");
        drain(&app.state.db, mailer, &now).await.expect("send");
        let sent = sink.wait_for(1);
        assert_eq!(
            header(&sent[0], "In-Reply-To").as_deref(),
            Some("<k1@umbrella.example>")
        );
        let confirmation_id = header(&sent[0], "Message-ID").expect("id");
        assert!(header(&sent[0], "Subject").is_some_and(|s| s.contains(&format!("[#{number}]"))));

        // Support marks it pending; Kim's answer to the confirmation is added and reopens it.
        let r = admin
            .put_json(
                &format!("/api/crm/tickets/{ticket_id}"),
                json!({"status": "pending", "version": t["version"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let answer = message(
            "kim@umbrella.example",
            &format!("Re: [#{number}] Lab door stuck"),
            "<k2@umbrella.example>",
            &format!("In-Reply-To: {confirmation_id}\r\nReferences: {confirmation_id}\r\n"),
            "It is open now, thanks.\r\n\r\nOn Thu, Acme Support wrote:\r\n> We have your request",
        );
        assert_eq!(
            receive(&app.state, &answer).await.expect("reply"),
            Received::Replied { ticket_id, number }
        );
        let r = admin.get(&format!("/api/crm/tickets/{ticket_id}")).await;
        assert_eq!(r.json()["status"], "open");
        let comments = admin
            .get(&format!("/api/crm/tickets/{ticket_id}/comments"))
            .await
            .json();
        let comments = comments
            .as_array()
            .cloned()
            .unwrap_or_else(|| comments["comments"].as_array().cloned().unwrap_or_default());
        assert_eq!(comments.len(), 1, "{comments:?}");
        assert_eq!(comments[0]["body"], "It is open now, thanks.");
        assert_eq!(comments[0]["public"], true);

        // An out-of-office answering the same thread is kept and ignored.
        let away = message(
            "kim@umbrella.example",
            &format!("Automatic reply: [#{number}] Lab door stuck"),
            "<k3@umbrella.example>",
            &format!("Auto-Submitted: auto-replied\r\nIn-Reply-To: {confirmation_id}\r\n"),
            "I am away until Monday.",
        );
        let Received::Ignored(why) = receive(&app.state, &away).await.expect("away") else {
            panic!("ignored");
        };
        assert!(why.contains("Auto-Submitted"), "{why}");
        assert_eq!(count(&app, "select count(*) from ticket_comments").await, 1);
        assert_eq!(count(&app, "select count(*) from inbound_mail").await, 3);
        drain(&app.state.db, mailer, &now).await.expect("send");
        assert_eq!(sink.messages().len(), 1, "no mail answers a machine");

        // A stranger: a new contact (role lead) and a ticket without an account, for triage.
        // The tag of Kim's ticket in their subject does not let them write on it.
        let stranger = message(
            "Mallory Mallet <mallory@elsewhere.example>",
            &format!("Re: [#{number}] Lab door stuck"),
            "<m1@elsewhere.example>",
            "",
            "Let me in.",
        );
        let Received::Opened {
            ticket_id: other, ..
        } = receive(&app.state, &stranger).await.expect("stranger")
        else {
            panic!("a new ticket, not a reply on Kim's");
        };
        assert_ne!(other, ticket_id);
        let t = admin.get(&format!("/api/crm/tickets/{other}")).await.json();
        assert_eq!(t["account_id"], serde_json::Value::Null);
        let people = admin.get("/api/crm/contacts?q=mallory").await.json();
        assert_eq!(people["items"][0]["role"], "lead", "{people}");

        // A hostile message is refused with its reason (and kept, to look at).
        let mut bomb = String::from(
            "From: x@example.com\r\nMessage-ID: <bomb@x>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n",
        );
        for _ in 0..10_000 {
            bomb.push_str("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        }
        let Received::Refused(why) = receive(&app.state, bomb.as_bytes())
            .await
            .expect("received")
        else {
            panic!("refused");
        };
        assert!(why.contains("MIME parts"), "{why}");
        assert_eq!(
            count(
                &app,
                "select count(*) from inbound_mail where outcome = 'refused'"
            )
            .await,
            1
        );
        assert_eq!(count(&app, "select count(*) from inbound_mail").await, 5);
    }
}

#[tokio::test]
async fn a_sender_flooding_the_mailbox_is_stopped_after_the_hourly_limit() {
    on_every_backend(async |app| {
        app.api("root@example.com", Role::SuperAdmin).await;
        let limit = crm::server::support::inbound::PER_SENDER_PER_HOUR;
        let mut opened = 0;
        let mut ignored = 0;
        for i in 0..limit + 3 {
            let m = message(
                "storm@example.com",
                &format!("Storm {i}"),
                &format!("<s{i}@example.com>"),
                "",
                "again",
            );
            match receive(&app.state, &m).await.expect("received") {
                Received::Opened { .. } => opened += 1,
                Received::Ignored(_) => ignored += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((opened, ignored), (limit, 3));
    })
    .await;
}
