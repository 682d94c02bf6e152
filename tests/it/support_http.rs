//! Tickets, SLAs, the portal and kickoff forms through the real router.

use crate::common::*;
use axum::http::StatusCode;
use chrono::Duration;
use crm::domain::user::Role;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

pub async fn account(api: &mut Client, name: &str) -> String {
    let r = api
        .post_json("/api/crm/accounts", json!({"name": name}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    id(&r.json())
}

pub async fn contact(
    api: &mut Client,
    name: &str,
    email: &str,
    account: Option<&str>,
    role: &str,
) -> String {
    let r = api
        .post_json("/api/crm/contacts", json!({"first_name": name, "last_name": "Tester", "email": email, "account_id": account, "role": role}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    id(&r.json())
}

/// Invites a contact and accepts the invite in a fresh client: a signed-in portal user.
pub async fn portal_user(app: &TestApp, staff: &mut Client, contact_id: &str) -> Client {
    let r = staff
        .post_json(
            &format!("/api/crm/contacts/{contact_id}/portal-invite"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let url = r.json()["invite_url"]
        .as_str()
        .expect("invite_url")
        .to_string();
    let token = url.split("token=").nth(1).expect("token").to_string();
    let mut customer = app.client();
    let r = customer
        .post_json(
            "/api/auth/accept-invite",
            json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    customer
}

#[tokio::test]
async fn tickets_follow_their_transitions_and_sla_clock() {
    on_every_backend(async |app| {
        let (mut sup, sup_id) = app.api("sue@example.com", Role::Support).await;
        let (mut admin, _) = app.api("ann@example.com", Role::Admin).await;
        let acme = account(&mut admin, "Acme").await;
        let grace = contact(
            &mut admin,
            "Grace",
            "grace@acme.example",
            Some(&acme),
            "client",
        )
        .await;
        let t0 = app.clock.now();

        // Normal priority: 8 h to first response, 72 h to resolution (the default policies).
        let r = sup
            .post_json(
                "/api/crm/tickets",
                json!({"subject": "  Printer on fire ", "contact_id": grace, "priority": "normal"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let t = r.json();
        assert_eq!(t["subject"], "Printer on fire");
        assert_eq!(
            t["account_id"].as_str(),
            Some(acme.as_str()),
            "the contact's account is taken"
        );
        assert_eq!(
            (t["status"].as_str(), t["channel"].as_str()),
            (Some("new"), Some("phone"))
        );
        let due = |v: &Value, f: &str| {
            chrono::DateTime::parse_from_rfc3339(v[f].as_str().unwrap())
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        assert_eq!(due(&t, "first_response_due_at"), t0 + Duration::hours(8));
        assert_eq!(due(&t, "resolution_due_at"), t0 + Duration::hours(72));
        let second = sup
            .post_json("/api/crm/tickets", json!({"subject": "Second"}))
            .await
            .json();
        assert_eq!(
            second["number"].as_i64(),
            t["number"].as_i64().map(|n| n + 1),
            "numbers are sequential"
        );
        let tid = id(&t);
        let path = format!("/api/crm/tickets/{tid}");

        // Raising the priority recomputes the due times from when the ticket opened.
        app.clock.advance(Duration::minutes(30));
        let r = sup
            .put_json(&path, json!({"version": 1, "priority": "urgent"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let t = r.json();
        assert_eq!(due(&t, "first_response_due_at"), t0 + Duration::hours(1));
        assert_eq!(due(&t, "resolution_due_at"), t0 + Duration::hours(8));

        // Two hours in, nobody answered: the breach is recorded, and stays recorded.
        app.clock.advance(Duration::minutes(90));
        assert_eq!(
            crm::server::support::tickets::record_breaches(&app.state)
                .await
                .unwrap(),
            1
        );
        let breached = sup.get("/api/crm/tickets?breached=true").await.json();
        assert_eq!(breached["total"], 1);
        // The first public reply sets first_response_at and opens the ticket; a note does not.
        let r = sup
            .post_json(
                &format!("{path}/comments"),
                json!({"body": "Internal: call the fire brigade"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["public"].as_bool()),
            (StatusCode::CREATED, Some(false))
        );
        assert!(sup.get(&path).await.json()["first_response_at"].is_null());
        let r = sup
            .post_json(
                &format!("{path}/comments"),
                json!({"body": "We are on it.", "public": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let t = sup.get(&path).await.json();
        assert_eq!(due(&t, "first_response_at"), app.clock.now());
        assert_eq!(t["status"], "open");
        assert_eq!(
            due(&t, "first_response_breached_at"),
            t0 + Duration::hours(1),
            "breach kept after the reply"
        );
        // Lowering the priority again does not erase it either.
        let r = sup
            .put_json(&path, json!({"version": t["version"], "priority": "low"}))
            .await;
        assert!(!r.json()["first_response_breached_at"].is_null());

        // Transitions: resolved → open again is allowed; closed is final.
        let v = r.json()["version"].clone();
        let r = sup
            .put_json(
                &path,
                json!({"version": v, "status": "resolved", "assignee_id": sup_id}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(!r.json()["resolved_at"].is_null());
        let r = sup
            .put_json(
                &path,
                json!({"version": r.json()["version"], "status": "open"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.json()["resolved_at"].is_null());
        let r = sup
            .put_json(
                &path,
                json!({"version": r.json()["version"], "status": "closed"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = sup
            .put_json(
                &path,
                json!({"version": r.json()["version"], "status": "open"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.json()["error"]["fields"]["status"].is_array());
        let r = sup
            .put_json(&path, json!({"version": 1, "subject": "stale"}))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);

        // Assignees are support staff or above; sales cannot work tickets.
        let (_, sales_id) = app.api("sam@example.com", Role::Sales).await;
        let r = sup
            .put_json(
                &format!("/api/crm/tickets/{}", id(&second)),
                json!({"version": 1, "assignee_id": sales_id}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        // The queue: working tickets only, by due time; status=all shows the closed one too.
        let q = sup.get("/api/crm/tickets").await.json();
        assert_eq!(q["total"], 1);
        assert_eq!(
            sup.get("/api/crm/tickets?status=all").await.json()["total"],
            2
        );
        assert_eq!(
            sup.get("/api/crm/tickets?assigned=unassigned").await.json()["total"],
            1
        );
        assert_eq!(
            sup.get(&format!("/api/crm/tickets?q=%23{}&status=all", t["number"]))
                .await
                .json()["total"],
            1
        );

        // Everything is on the audit log.
        assert!(app.count("audit_log where action = 'ticket.replied'").await == 1);
        assert!(
            app.count("audit_log where action = 'ticket.status_changed'")
                .await
                >= 3
        );
    })
    .await;
}

#[tokio::test]
async fn sla_policies_are_admin_settings() {
    on_every_backend(async |app| {
        let (mut sup, _) = app.api("sue@example.com", Role::Support).await;
        let (mut admin, _) = app.api("ann@example.com", Role::Admin).await;
        assert_eq!(
            sup.get("/api/crm/sla-policies")
                .await
                .json()
                .as_array()
                .map(Vec::len),
            Some(4)
        );
        let body = json!([{"priority": "high", "first_response_hours": 2, "resolution_hours": 12}]);
        assert_eq!(
            sup.put_json("/api/crm/sla-policies", body.clone())
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let r = admin.put_json("/api/crm/sla-policies", body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let bad = admin
            .put_json(
                "/api/crm/sla-policies",
                json!([{"priority": "low", "first_response_hours": 10, "resolution_hours": 5}]),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let t0 = app.clock.now();
        let t = sup
            .post_json(
                "/api/crm/tickets",
                json!({"subject": "Fast", "priority": "high"}),
            )
            .await
            .json();
        let due =
            chrono::DateTime::parse_from_rfc3339(t["first_response_due_at"].as_str().unwrap())
                .unwrap();
        assert_eq!(due, t0 + Duration::hours(2));
    })
    .await;
}

#[tokio::test]
async fn the_portal_shows_customers_their_own_tickets_and_nothing_internal() {
    on_every_backend(async |app| {
        let (mut staff, _) = app.api("meg@example.com", Role::Manager).await;
        let (mut sup, _) = app.api("sue@example.com", Role::Support).await;
        let acme = account(&mut staff, "Acme").await;
        let globex = account(&mut staff, "Globex").await;
        let client_a = contact(&mut staff, "Cleo", "cleo@acme.example", Some(&acme), "client").await;
        let client_a2 = contact(&mut staff, "Colin", "colin@acme.example", Some(&acme), "client").await;
        let prospect_a = contact(&mut staff, "Pia", "pia@acme.example", Some(&acme), "prospect").await;
        let client_b = contact(&mut staff, "Bob", "bob@globex.example", Some(&globex), "client").await;

        let mut cleo = portal_user(&app, &mut staff, &client_a).await;
        let mut pia = portal_user(&app, &mut staff, &prospect_a).await;
        let mut bob = portal_user(&app, &mut staff, &client_b).await;
        let me = cleo.get("/api/auth/me").await.json();
        assert_eq!(me["user"]["role"], "client");

        // Tickets opened in the portal take account and contact from the session.
        let r = cleo.post_json("/api/portal/tickets", json!({"subject": "Login broken", "description": "Since Monday", "account_id": globex})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let cleo_ticket = id(&r.json());
        let staff_view = sup.get(&format!("/api/crm/tickets/{cleo_ticket}")).await.json();
        assert_eq!(staff_view["account_id"].as_str(), Some(acme.as_str()));
        assert_eq!(staff_view["channel"], "portal");
        let pia_ticket = id(&pia.post_json("/api/portal/tickets", json!({"subject": "Pricing question"})).await.json());
        let colin_ticket = id(&staff.post_json("/api/crm/tickets", json!({"subject": "Colin's", "contact_id": client_a2})).await.json());

        // Support replies publicly and adds an internal note: the customer sees only the reply.
        sup.post_json(&format!("/api/crm/tickets/{cleo_ticket}/comments"), json!({"body": "Looking into it", "public": true})).await;
        sup.post_json(&format!("/api/crm/tickets/{cleo_ticket}/comments"), json!({"body": "SECRET: customer is on the old plan"})).await;
        let seen = cleo.get(&format!("/api/portal/tickets/{cleo_ticket}")).await;
        assert_eq!(seen.status, StatusCode::OK);
        let text = seen.text();
        assert!(text.contains("Looking into it") && !text.contains("SECRET"), "{text}");
        for internal in ["assignee", "owner", "breached", "due_at", "account_id", "value"] {
            assert!(!text.contains(internal), "portal answer leaks `{internal}`: {text}");
        }
        let list = cleo.get("/api/portal/tickets").await.text();
        assert!(!list.contains("SECRET"));

        // A client sees every ticket of the account; a prospect only their own.
        let numbers = |v: Value| v["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        let cleo_sees = numbers(cleo.get("/api/portal/tickets").await.json());
        assert!(cleo_sees.contains(&cleo_ticket) && cleo_sees.contains(&colin_ticket) && cleo_sees.contains(&pia_ticket));
        assert_eq!(numbers(pia.get("/api/portal/tickets").await.json()), vec![pia_ticket.clone()]);
        assert_eq!(pia.get(&format!("/api/portal/tickets/{cleo_ticket}")).await.status, StatusCode::NOT_FOUND);
        // Another account's ticket is simply not there.
        assert!(numbers(bob.get("/api/portal/tickets").await.json()).is_empty());
        for path in [format!("/api/portal/tickets/{cleo_ticket}"), format!("/api/portal/tickets/{}", uuid::Uuid::now_v7())] {
            assert_eq!(bob.get(&path).await.status, StatusCode::NOT_FOUND);
        }
        assert_eq!(bob.post_json(&format!("/api/portal/tickets/{cleo_ticket}/comments"), json!({"body": "hi"})).await.status, StatusCode::NOT_FOUND);

        // The customer replies (a resolved ticket wakes up) and marks it resolved.
        let r = cleo.post_json(&format!("/api/portal/tickets/{cleo_ticket}/comments"), json!({"body": "Still broken"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = cleo.put_json(&format!("/api/portal/tickets/{cleo_ticket}"), json!({"status": "resolved"})).await;
        assert_eq!(r.json()["status"], "resolved");
        let r = cleo.put_json(&format!("/api/portal/tickets/{cleo_ticket}"), json!({"status": "closed"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Profile: their own name, phone and title; the account's name.
        let r = cleo.put_json("/api/portal/me", json!({"first_name": "Cleo", "last_name": "Patra", "phone": "+1 415 555 0100", "title": "CTO"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let me = cleo.get("/api/portal/me").await.json();
        assert_eq!((me["last_name"].as_str(), me["account_name"].as_str()), (Some("Patra"), Some("Acme")));
        assert_eq!(staff.get(&format!("/api/crm/contacts/{client_a}")).await.json()["title"], "CTO");

        // Portal users never reach staff data or pages; staff do not use the portal API.
        assert_eq!(cleo.get("/api/crm/accounts").await.status, StatusCode::FORBIDDEN);
        assert_eq!(cleo.get(&format!("/api/crm/tickets/{cleo_ticket}")).await.status, StatusCode::FORBIDDEN);
        let page = cleo.get_html("/pipeline").await;
        assert_eq!(page.header("location").as_deref(), Some("/portal"));
        assert_eq!(sup.get("/api/portal/tickets").await.status, StatusCode::FORBIDDEN);

        // Signing out ends the portal sign-in row too, not just the cookie.
        let live = "portal_sessions where ended_at is null";
        let before = app.count(live).await;
        assert_eq!(cleo.post_json("/api/auth/logout", json!({})).await.status, StatusCode::NO_CONTENT);
        assert_eq!(app.count(live).await, before - 1);
        assert_eq!(cleo.get("/api/portal/me").await.status, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn portal_sign_in_follows_seed_001() {
    on_every_backend(async |app| {
        let (mut staff, _) = app.api("meg@example.com", Role::Manager).await;
        let acme = account(&mut staff, "Acme").await;
        let lead = contact(&mut staff, "Lee", "lee@acme.example", Some(&acme), "lead").await;
        let client = contact(
            &mut staff,
            "Cleo",
            "cleo@acme.example",
            Some(&acme),
            "client",
        )
        .await;

        // Lead contacts cannot be invited at all: their state conflicts, the request is fine.
        let r = staff
            .post_json(
                &format!("/api/crm/contacts/{lead}/portal-invite"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(
            r.text().contains("change the contact's role"),
            "{}",
            r.text()
        );

        // An invite works once, and not after 72 hours.
        let r = staff
            .post_json(
                &format!("/api/crm/contacts/{client}/portal-invite"),
                json!({}),
            )
            .await;
        let url = r.json()["invite_url"].as_str().unwrap().to_string();
        let token = url.split("token=").nth(1).unwrap().to_string();
        app.clock.advance(Duration::hours(73));
        let mut browser = app.client();
        let r = browser
            .post_json(
                "/api/auth/accept-invite",
                json!({"token": token, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("expired"), "{}", r.text());
        let r = staff
            .post_json(
                &format!("/api/crm/contacts/{client}/portal-invite"),
                json!({}),
            )
            .await;
        let token = r.json()["invite_url"]
            .as_str()
            .unwrap()
            .split("token=")
            .nth(1)
            .unwrap()
            .to_string();
        assert_eq!(
            browser
                .post_json(
                    "/api/auth/accept-invite",
                    json!({"token": token, "password": "short"})
                )
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            browser
                .post_json(
                    "/api/auth/accept-invite",
                    json!({"token": token, "password": PASSWORD})
                )
                .await
                .status,
            StatusCode::OK
        );
        let r = app
            .client()
            .post_json(
                "/api/auth/accept-invite",
                json!({"token": token, "password": PASSWORD}),
            )
            .await;
        assert!(r.text().contains("already been used"), "{}", r.text());

        // Signing in at the one login endpoint lands in the portal.
        let mut c = app.client();
        let r = c.login("CLEO@acme.example", PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            c.get_html("/").await.header("location").as_deref(),
            Some("/portal")
        );
        let wrong = app
            .client()
            .login("cleo@acme.example", "not the password")
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        let generic = wrong.json()["error"]["message"].clone();

        // Turned into a lead, made inactive, or access disabled: the same generic refusal,
        // and a live portal session ends on its next request.
        let v = staff
            .get(&format!("/api/crm/contacts/{client}"))
            .await
            .json()["version"]
            .clone();
        staff
            .put_json(
                &format!("/api/crm/contacts/{client}"),
                json!({"version": v, "active": false}),
            )
            .await;
        let r = app.client().login("cleo@acme.example", PASSWORD).await;
        assert_eq!(
            (r.status, r.json()["error"]["message"].clone()),
            (StatusCode::UNAUTHORIZED, generic.clone())
        );
        assert_eq!(
            c.get("/api/portal/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        let v = staff
            .get(&format!("/api/crm/contacts/{client}"))
            .await
            .json()["version"]
            .clone();
        staff
            .put_json(
                &format!("/api/crm/contacts/{client}"),
                json!({"version": v, "active": true, "role": "lead"}),
            )
            .await;
        assert_eq!(
            app.client()
                .login("cleo@acme.example", PASSWORD)
                .await
                .json()["error"]["message"],
            generic
        );
        let v = staff
            .get(&format!("/api/crm/contacts/{client}"))
            .await
            .json()["version"]
            .clone();
        staff
            .put_json(
                &format!("/api/crm/contacts/{client}"),
                json!({"version": v, "role": "client"}),
            )
            .await;
        assert_eq!(
            app.client()
                .login("cleo@acme.example", PASSWORD)
                .await
                .status,
            StatusCode::OK
        );
        let r = staff
            .json(
                axum::http::Method::DELETE,
                &format!("/api/crm/contacts/{client}/portal"),
                json!({}),
            )
            .await;
        assert_eq!(r.json()["enabled"], false);
        assert_eq!(
            app.client()
                .login("cleo@acme.example", PASSWORD)
                .await
                .json()["error"]["message"],
            generic
        );
        assert!(
            app.count("audit_log where action = 'auth.login_failed'")
                .await
                >= 4
        );
    })
    .await;
}

#[tokio::test]
async fn kickoff_forms_create_leads_with_their_utm_source_once() {
    on_every_backend(async |app| {
        let (mut admin, admin_id) = app.api("ann@example.com", Role::Admin).await;
        let (mut sales, _) = app.api("sam@example.com", Role::Sales).await;
        let form = json!({
            "slug": "trial", "title": "Start a trial", "intro": "Two minutes.",
            "standard_fields": ["name", "email", "company"],
            "custom_fields": [{"key": "team_size", "label": "Team size", "kind": "number", "required": true},
                              {"key": "plan", "label": "Plan", "kind": "choice", "choices": ["Basic", "Pro"]}],
            "creates": "lead"
        });
        assert_eq!(sales.post_json("/api/admin/forms", form.clone()).await.status, StatusCode::FORBIDDEN);
        let r = admin.post_json("/api/admin/forms", form.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(admin.post_json("/api/admin/forms", form).await.status, StatusCode::UNPROCESSABLE_ENTITY, "slug taken");

        // The public page works without JavaScript: a plain form post.
        let mut visitor = app.client().from_ip("203.0.113.7");
        let page = visitor.get_html("/forms/trial?utm_source=newsletter&utm_campaign=fall").await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains("Start a trial") && html.contains("name=\"team_size\""));
        assert!(html.contains("value=\"newsletter\""), "UTM carried into the form");
        let key = html.split("name=\"_key\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let fields = [("name", "Ada Lovelace"), ("email", "ada@engines.example"), ("company", "Engines"),
                      ("team_size", "12"), ("plan", "Pro"), ("utm_source", "newsletter"), ("utm_campaign", "fall"),
                      ("website", ""), ("_key", key.as_str())];
        let r = visitor.post_form("/forms/trial", &fields).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(r.text().contains("Thank you"));
        // A double submit creates nothing new.
        visitor.post_form("/forms/trial", &fields).await;
        let leads = admin.get("/api/crm/leads?q=engines").await.json();
        assert_eq!(leads["items"].as_array().unwrap().len(), 1, "{leads}");
        let lead = &leads["items"][0];
        assert_eq!((lead["source"].as_str(), lead["utm_source"].as_str(), lead["utm_campaign"].as_str()), (Some("web"), Some("newsletter"), Some("fall")));
        assert_eq!(lead["owner_id"].as_str(), Some(admin_id.to_string().as_str()));
        let full = admin.get(&format!("/api/crm/leads/{}", lead["id"].as_str().unwrap())).await.json();
        assert_eq!(full["custom"]["plan"], "Pro");

        // Invalid answers come back on the page, named; the honeypot is thanked and dropped.
        let r = visitor.post_form("/forms/trial", &[("name", ""), ("team_size", "lots"), ("_key", "k2")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("Enter your name.") && r.text().contains("Enter a number."));
        let r = visitor.post_form("/forms/trial", &[("name", "Bot"), ("team_size", "1"), ("website", "http://spam"), ("_key", "k3")]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(app.count("leads where name = 'Bot'").await, 0);

        // Per-address limit.
        let mut limited = false;
        for i in 0..12 {
            let k = format!("key-{i}");
            let name = format!("Person {i}");
            let r = visitor.post_form("/forms/trial", &[("name", &name), ("team_size", "1"), ("_key", &k)]).await;
            limited |= r.status == StatusCode::TOO_MANY_REQUESTS;
        }
        assert!(limited, "the per-address limit stops a flood");
        assert_eq!(app.client().get_html("/forms/nope").await.status, StatusCode::NOT_FOUND);
    })
    .await;
}
