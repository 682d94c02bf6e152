//! The mail people are sent through a real SMTP server (aiosmtpd): portal invitations and
//! resets, new users' and reset set-password links, "forgot password" for staff and portal
//! users, and ticket mail with its thread. Every link is opened the way its reader would.

use crate::common::*;
use crate::mail_http::app_sending_to;
use crate::mail_sink::{Behaviour, MailSink, header, link_in};
use crate::support_http::{account, contact};
use axum::http::StatusCode;
use chrono::Duration;
use crm::domain::user::Role;
use crm::server::mail::worker::drain;
use serde_json::{Value, json};

/// Sends what the outbox holds, and returns every mail the sink has so far (decoded).
async fn deliver(app: &TestApp, sink: &MailSink, expected: usize) -> Vec<Value> {
    let clock = app.clock.clone();
    let now = move || clock.now();
    let mailer = app.state.mailer.as_ref().expect("a mailer");
    drain(&app.state.db, mailer, &now)
        .await
        .expect("worker pass");
    sink.wait_for(expected);
    sink.read()
}

fn to_of(m: &Value) -> String {
    m["to"][0].as_str().unwrap_or_default().to_string()
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).expect("token").to_string()
}

#[tokio::test]
async fn a_portal_invitation_is_mailed_not_shown_and_its_link_opens_the_portal() {
    for db in TestDb::all().await {
        let sink = MailSink::start(Behaviour::default());
        let app = app_sending_to(db, &sink).await;
        let (mut admin, _) = app.api("ann@example.com", Role::Admin).await;
        let acme = account(&mut admin, "Globex").await;
        let grace = contact(
            &mut admin,
            "Grace",
            "grace@globex.example",
            Some(&acme),
            "client",
        )
        .await;
        let r = admin
            .post_json(
                &format!("/api/crm/contacts/{grace}/portal-invite"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let answer = r.json();
        assert_eq!(
            answer["invite_url"],
            Value::Null,
            "a mailed link is not shown"
        );
        assert_eq!(answer["mailed_to"], "grace@globex.example");

        let mails = deliver(&app, &sink, 1).await;
        assert_eq!(mails.len(), 1);
        let m = &mails[0];
        assert_eq!(to_of(m), "grace@globex.example");
        assert!(m["subject"].as_str().unwrap().contains("Acme"), "{m}");
        let text = m["text"].as_str().expect("text part");
        assert!(text.starts_with("Hello Grace Tester,"), "{text}");
        let link = link_in(text, "http://127.0.0.1:3000/portal/accept?token=").expect("link");
        let html = m["html"].as_str().expect("html part");
        assert!(html.contains(&link), "the button carries the same link");

        let mut customer = app.client();
        let r = customer
            .post_json(
                "/api/auth/accept-invite",
                json!({"token": token_of(&link), "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            customer.get("/api/portal/tickets").await.status,
            StatusCode::OK
        );

        // A second invite is a reset, mailed as one; the first link is spent.
        let r = admin
            .post_json(
                &format!("/api/crm/contacts/{grace}/portal-invite"),
                json!({}),
            )
            .await;
        assert_eq!(r.json()["reset"], true);
        let mails = deliver(&app, &sink, 2).await;
        assert!(
            mails[1]["subject"]
                .as_str()
                .unwrap()
                .contains("new password"),
            "{}",
            mails[1]
        );
        let again = app
            .client()
            .post_json(
                "/api/auth/accept-invite",
                json!({"token": token_of(&link), "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            again.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            again.text()
        );
    }
}

#[tokio::test]
async fn new_users_and_reset_links_are_mailed_to_the_user_and_work_once() {
    for db in TestDb::all().await {
        let sink = MailSink::start(Behaviour::default());
        let app = app_sending_to(db, &sink).await;
        let (mut admin, _) = app.api("root@example.com", Role::SuperAdmin).await;
        let r = admin
            .post_json(
                "/api/admin/users",
                json!({"email": "Sal@Example.com", "name": "Sal Sales", "role": "sales"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let made = r.json();
        assert_eq!(made["link"], Value::Null);
        assert_eq!(made["mailed_to"], "sal@example.com");
        let sal_id = made["id"].as_str().expect("id").to_string();
        let mails = deliver(&app, &sink, 1).await;
        let text = mails[0]["text"].as_str().expect("text");
        assert!(text.contains("for 72 hours"), "{text}");
        let link = link_in(text, "http://127.0.0.1:3000/set-password?token=").expect("link");
        let mut sal = app.client();
        let r = sal
            .post_json(
                "/api/auth/set-password",
                json!({"token": token_of(&link), "password": "sal's long password"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());

        let r = admin
            .post_json(
                &format!("/api/admin/users/{sal_id}/password-reset"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["link"], Value::Null);
        let mails = deliver(&app, &sink, 2).await;
        assert_eq!(to_of(&mails[1]), "sal@example.com");
        let reset = link_in(
            mails[1]["text"].as_str().unwrap(),
            "http://127.0.0.1:3000/set-password?token=",
        )
        .expect("reset link");
        assert_ne!(reset, link);
        let r = app
            .client()
            .post_json(
                "/api/auth/set-password",
                json!({"token": token_of(&reset), "password": "another long password"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        // The old session ended with the reset.
        assert_eq!(
            sal.get("/api/auth/me").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn forgot_password_answers_alike_for_every_address_and_mails_a_one_hour_link_to_real_ones() {
    for db in TestDb::all().await {
        let sink = MailSink::start(Behaviour::default());
        let app = app_sending_to(db, &sink).await;
        let (_, _) = app.api("sue@example.com", Role::Support).await;
        let mut anyone = app.client();
        let known = anyone
            .post_json(
                "/api/auth/forgot-password",
                json!({"email": " Sue@Example.com "}),
            )
            .await;
        let unknown = anyone
            .post_json(
                "/api/auth/forgot-password",
                json!({"email": "nobody@example.com"}),
            )
            .await;
        assert_eq!(known.status, StatusCode::ACCEPTED, "{}", known.text());
        assert_eq!(unknown.status, known.status);
        assert_eq!(
            unknown.text(),
            known.text(),
            "no hint whether the address exists"
        );
        let bad = anyone
            .post_json(
                "/api/auth/forgot-password",
                json!({"email": "not an address"}),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

        let mails = deliver(&app, &sink, 1).await;
        assert_eq!(mails.len(), 1, "only the real address gets mail");
        assert_eq!(to_of(&mails[0]), "sue@example.com");
        let raw = &sink.messages()[0];
        assert_eq!(
            header(raw, "Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        let text = mails[0]["text"].as_str().unwrap();
        assert!(text.contains("for 1 hour"), "{text}");
        let link = link_in(text, "http://127.0.0.1:3000/set-password?token=").expect("link");

        // After an hour the link no longer works.
        app.clock.advance(Duration::minutes(61));
        let late = app
            .client()
            .post_json(
                "/api/auth/set-password",
                json!({"token": token_of(&link), "password": "a new long password"}),
            )
            .await;
        assert_eq!(
            late.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            late.text()
        );

        // A fresh one works, once.
        anyone
            .post_json(
                "/api/auth/forgot-password",
                json!({"email": "sue@example.com"}),
            )
            .await;
        let mails = deliver(&app, &sink, 2).await;
        let link = link_in(
            mails[1]["text"].as_str().unwrap(),
            "http://127.0.0.1:3000/set-password?token=",
        )
        .expect("link");
        let body = json!({"token": token_of(&link), "password": "a new long password"});
        let used = app
            .client()
            .post_json("/api/auth/set-password", body.clone())
            .await;
        assert_eq!(used.status, StatusCode::OK, "{}", used.text());
        let twice = app.client().post_json("/api/auth/set-password", body).await;
        assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Nobody fills a mailbox through us: three links per address in 15 minutes.
        app.clock.advance(Duration::minutes(16));
        for _ in 0..5 {
            let r = anyone
                .post_json(
                    "/api/auth/forgot-password",
                    json!({"email": "sue@example.com"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::ACCEPTED);
        }
        let mails = deliver(&app, &sink, 5).await;
        assert_eq!(mails.len(), 5, "three more, not five");

        // One network address scanning many addresses is told to wait.
        let mut last = StatusCode::OK;
        for i in 0..25 {
            last = anyone
                .post_json(
                    "/api/auth/forgot-password",
                    json!({"email": format!("p{i}@example.com")}),
                )
                .await
                .status;
        }
        assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    }
}

#[tokio::test]
async fn a_portal_user_who_forgot_gets_a_portal_link_and_a_lead_or_a_disabled_contact_gets_none() {
    for db in TestDb::all().await {
        let sink = MailSink::start(Behaviour::default());
        let app = app_sending_to(db, &sink).await;
        let (mut admin, _) = app.api("ann@example.com", Role::Admin).await;
        let acme = account(&mut admin, "Initech").await;
        let pia = contact(
            &mut admin,
            "Pia",
            "pia@initech.example",
            Some(&acme),
            "client",
        )
        .await;
        contact(
            &mut admin,
            "Lee",
            "lee@initech.example",
            Some(&acme),
            "lead",
        )
        .await;
        contact(
            &mut admin,
            "Olga",
            "olga@initech.example",
            Some(&acme),
            "client",
        )
        .await;
        admin
            .post_json(&format!("/api/crm/contacts/{pia}/portal-invite"), json!({}))
            .await;
        deliver(&app, &sink, 1).await;
        for who in [
            "pia@initech.example",
            "lee@initech.example",
            "olga@initech.example",
        ] {
            let r = app
                .client()
                .post_json("/api/auth/forgot-password", json!({"email": who}))
                .await;
            assert_eq!(r.status, StatusCode::ACCEPTED);
        }
        let mails = deliver(&app, &sink, 2).await;
        assert_eq!(mails.len(), 2, "only the portal user: {mails:?}");
        assert_eq!(to_of(&mails[1]), "pia@initech.example");
        let link = link_in(
            mails[1]["text"].as_str().unwrap(),
            "http://127.0.0.1:3000/portal/accept?token=",
        )
        .expect("portal link");
        let mut pia_client = app.client();
        let r = pia_client
            .post_json(
                "/api/auth/accept-invite",
                json!({"token": token_of(&link), "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
}

#[tokio::test]
async fn ticket_mail_threads_public_replies_reach_the_customer_and_internal_notes_never_do() {
    for db in TestDb::all().await {
        let sink = MailSink::start(Behaviour::default());
        let app = app_sending_to(db, &sink).await;
        let (mut admin, _) = app.api("ann@example.com", Role::Admin).await;
        let (mut sup, _) = app.api("sue@example.com", Role::Support).await;
        let acme = account(&mut admin, "Umbrella").await;
        let kim = contact(
            &mut admin,
            "Kim",
            "kim@umbrella.example",
            Some(&acme),
            "client",
        )
        .await;
        let mut kim_client = {
            admin
                .post_json(&format!("/api/crm/contacts/{kim}/portal-invite"), json!({}))
                .await;
            let mails = deliver(&app, &sink, 1).await;
            let link = link_in(
                mails[0]["text"].as_str().unwrap(),
                "http://127.0.0.1:3000/portal/accept?token=",
            )
            .expect("invite");
            let mut c = app.client();
            let r = c
                .post_json(
                    "/api/auth/accept-invite",
                    json!({"token": token_of(&link), "password": PASSWORD}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK);
            c
        };

        // The customer opens a ticket in the portal: a confirmation, marked automatic.
        let r = kim_client
            .post_json(
                "/api/portal/tickets",
                json!({"subject": "Lab door <stuck>", "description": "Since Monday"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let ticket = r.json()["id"].as_str().expect("ticket id").to_string();
        let number = r.json()["number"].as_i64().expect("number");
        let mails = deliver(&app, &sink, 2).await;
        let confirmation = &sink.messages()[1];
        assert_eq!(mails[1]["subject"], format!("[#{number}] Lab door <stuck>"));
        assert_eq!(
            header(confirmation, "Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        let root = format!("<ticket-{}@acme.example>", ticket.replace('-', ""));
        assert_eq!(
            header(confirmation, "References").as_deref(),
            Some(root.as_str())
        );
        assert!(
            mails[1]["text"]
                .as_str()
                .unwrap()
                .contains(&format!("/portal/tickets/{ticket}")),
            "{}",
            mails[1]
        );

        // An internal note stays inside; a public reply is mailed in the thread.
        let path = format!("/api/crm/tickets/{ticket}/comments");
        let r = sup
            .post_json(
                &path,
                json!({"body": "Internal: the lock vendor is slow", "public": false}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = sup
            .post_json(
                &path,
                json!({"body": "A technician comes tomorrow.", "public": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let mails = deliver(&app, &sink, 3).await;
        assert_eq!(mails.len(), 3, "the note is not mailed");
        let reply = &sink.messages()[2];
        assert_eq!(
            mails[2]["subject"],
            format!("Re: [#{number}] Lab door <stuck>")
        );
        assert_eq!(to_of(&mails[2]), "kim@umbrella.example");
        assert_eq!(header(reply, "In-Reply-To").as_deref(), Some(root.as_str()));
        assert!(header(reply, "References").is_some_and(|r| r.contains(&root)));
        assert!(header(reply, "Reply-To").is_some_and(|r| r.contains("help@acme.example")));
        assert_eq!(header(reply, "Auto-Submitted"), None, "a person wrote it");
        let text = mails[2]["text"].as_str().unwrap();
        assert!(text.contains("A technician comes tomorrow."), "{text}");
        assert!(!sink.messages().iter().any(|m| m.contains("lock vendor")));
    }
}

#[tokio::test]
async fn without_a_mail_server_links_are_shown_to_hand_over_and_forgot_password_sends_nothing() {
    on_every_backend(async |app| {
        let (mut admin, _) = app.api("root@example.com", Role::SuperAdmin).await;
        let r = admin
            .post_json(
                "/api/admin/users",
                json!({"email": "tess@example.com", "name": "Tess", "role": "support"}),
            )
            .await;
        let made = r.json();
        assert!(
            made["link"]
                .as_str()
                .is_some_and(|l| l.contains("/set-password?token="))
        );
        assert_eq!(made["mailed_to"], Value::Null);
        let r = app
            .client()
            .post_json(
                "/api/auth/forgot-password",
                json!({"email": "tess@example.com"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        let mut h = app.state.db.handle().await.expect("handle");
        let n: i64 = crm::on!(&mut h.c(), c => sqlx::query_scalar("select count(*) from outbox")
            .fetch_one(c).await)
        .expect("count");
        assert_eq!(n, 0, "nothing waits to be sent to anyone");
    })
    .await;
}
