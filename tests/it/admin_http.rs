//! Administration through the real router: users and their sessions, a user's own account,
//! impersonation (who, re-authentication, the 30-minute limit, blocked actions, both
//! identities in the audit log, session cycling), and the audit log's page.

use crate::common::*;
use crate::support_http::{account, contact, portal_user};
use axum::http::{Method, StatusCode};
use chrono::Duration;
use crm::domain::user::Role;
use crm::server::db::audit;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

async fn delete(c: &mut Client, path: &str) -> Resp {
    c.json(Method::DELETE, path, json!({})).await
}

async fn me(c: &mut Client) -> Value {
    let r = c.get("/api/auth/me").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn view_as(c: &mut Client, target: Value) -> Resp {
    let mut body = json!({"reason": "Ticket 42: checking what they see", "password": PASSWORD});
    if let (Some(b), Some(t)) = (body.as_object_mut(), target.as_object()) {
        b.extend(t.clone());
    }
    c.post_json("/api/admin/impersonation", body).await
}

/// The newest audit entry of an action.
async fn last(app: &TestApp, action: &str) -> audit::EntryRow {
    let mut h = app.state.db.handle().await.expect("handle");
    audit::recent(&mut h.c(), Some(action), 1)
        .await
        .expect("audit")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {action} entry"))
}

#[tokio::test]
async fn admins_manage_users_within_their_reach() {
    on_every_backend(async |app| {
        let (mut sup, sup_id) = app.signed_in("sam@example.com", Role::SuperAdmin).await;
        let (mut admin, admin_id) = app.signed_in("ann@example.com", Role::Admin).await;
        let (mut sales, sales_id) = app.signed_in("sid@example.com", Role::Sales).await;
        let mgr_id = app.user("meg@example.com", Role::Manager).await;

        // Only admins see the list, with role, activity and open sessions.
        let r = admin.get("/api/admin/users").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let users = r.json()["users"].as_array().expect("users").clone();
        assert_eq!(users.len(), 4);
        let sid = users
            .iter()
            .find(|u| u["id"] == sales_id.to_string())
            .expect("sales");
        assert_eq!(
            (sid["role"].as_str(), sid["open_sessions"].as_i64()),
            (Some("sales"), Some(1))
        );
        assert_eq!(
            sales.get("/api/admin/users").await.status,
            StatusCode::FORBIDDEN
        );

        // Admins create managers, sales and support; only a super admin creates admins.
        let r = admin
            .post_json(
                "/api/admin/users",
                json!({"email": "Nia@Example.com", "name": "Nia", "role": "support"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let link = r.json()["link"]
            .as_str()
            .expect("set-password link")
            .to_string();
        assert!(link.contains("/set-password?token="), "{link}");
        let r = admin
            .post_json(
                "/api/admin/users",
                json!({"email": "x@example.com", "name": "X", "role": "admin"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        let r = sup
            .post_json(
                "/api/admin/users",
                json!({"email": "x@example.com", "name": "X", "role": "admin"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let x_id = id(&r.json());
        let r = admin
            .post_json(
                "/api/admin/users",
                json!({"email": "nia@example.com", "name": "Nia 2", "role": "sales"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());

        // Role changes: admins within manager/sales/support; other admins' names only.
        let put = |id: String, body: Value| (format!("/api/admin/users/{id}"), body);
        let (path, body) = put(mgr_id.to_string(), json!({"role": "support"}));
        let r = admin.put_json(&path, body).await;
        assert_eq!(
            (r.status, r.json()["role"].as_str()),
            (StatusCode::OK, Some("support"))
        );
        let (path, body) = put(mgr_id.to_string(), json!({"role": "admin"}));
        assert_eq!(
            admin.put_json(&path, body).await.status,
            StatusCode::FORBIDDEN
        );
        let (path, body) = put(x_id.clone(), json!({"name": "Xavier"}));
        assert_eq!(admin.put_json(&path, body).await.status, StatusCode::OK);
        let (path, body) = put(x_id.clone(), json!({"active": false}));
        assert_eq!(
            admin.put_json(&path, body).await.status,
            StatusCode::FORBIDDEN
        );
        let (path, body) = put(sup_id.to_string(), json!({"role": "sales"}));
        assert_eq!(
            admin.put_json(&path, body).await.status,
            StatusCode::FORBIDDEN
        );
        let (path, body) = put(admin_id.to_string(), json!({"active": false}));
        assert_eq!(
            admin.put_json(&path, body).await.status,
            StatusCode::FORBIDDEN
        );
        let (path, body) = put(mgr_id.to_string(), json!({"role": "client"}));
        assert_eq!(
            admin.put_json(&path, body).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let entry = last(&app, "user.role_changed").await;
        assert_eq!(entry.actor_id, Some(admin_id));
        assert_eq!(
            entry.details.0["changes"]["role"],
            json!({"old": "manager", "new": "support"})
        );

        // The last active super admin can be neither demoted nor deactivated.
        let (path, body) = put(sup_id.to_string(), json!({"role": "admin"}));
        let r = sup.put_json(&path, body).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
        assert!(r.text().contains("last active super admin"), "{}", r.text());
        let (path, body) = put(x_id.clone(), json!({"role": "super_admin"}));
        assert_eq!(sup.put_json(&path, body).await.status, StatusCode::OK);
        let (path, body) = put(sup_id.to_string(), json!({"role": "admin"}));
        assert_eq!(
            sup.put_json(&path, body).await.status,
            StatusCode::OK,
            "a second super admin exists now"
        );

        // Deactivation ends every session of the user at once; reactivation lets them back.
        let mut sales_phone = app.client();
        assert_eq!(
            sales_phone.login("sid@example.com", PASSWORD).await.status,
            StatusCode::OK
        );
        let (path, body) = put(sales_id.to_string(), json!({"active": false}));
        let r = admin.put_json(&path, body).await;
        assert_eq!(
            (r.status, r.json()["active"].as_bool()),
            (StatusCode::OK, Some(false))
        );
        assert_eq!(
            sales.get("/api/auth/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            sales_phone.get("/api/auth/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.client().login("sid@example.com", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        let (path, body) = put(sales_id.to_string(), json!({"active": true}));
        assert_eq!(admin.put_json(&path, body).await.status, StatusCode::OK);

        // Ending a user's sessions signs them out everywhere.
        let mut a = app.client();
        let mut b = app.client();
        a.login("sid@example.com", PASSWORD).await;
        b.login("sid@example.com", PASSWORD).await;
        let r = delete(&mut admin, &format!("/api/admin/users/{sales_id}/sessions")).await;
        assert_eq!(
            (r.status, r.json()["ended"].as_u64()),
            (StatusCode::OK, Some(2))
        );
        assert_eq!(a.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(b.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            delete(&mut admin, &format!("/api/admin/users/{x_id}/sessions"))
                .await
                .status,
            StatusCode::FORBIDDEN,
            "another admin's sessions are a super admin's business"
        );

        // A password-reset link: using it sets the password and ends the other sessions.
        a.login("sid@example.com", PASSWORD).await;
        let r = admin
            .post_json(
                &format!("/api/admin/users/{sales_id}/password-reset"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let link = r.json()["link"].as_str().expect("link").to_string();
        let token = link.split("token=").nth(1).expect("token");
        let mut fresh = app.client();
        let r = fresh
            .post_json(
                "/api/auth/set-password",
                json!({"token": token, "password": "a brand new secret"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(a.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(fresh.get("/api/auth/me").await.status, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn users_manage_their_own_password_sessions_and_tokens() {
    on_every_backend(async |app| {
        let (mut laptop, _) = app.signed_in("sid@example.com", Role::Sales).await;
        let mut phone = app.client();
        let mut tablet = app.client();
        phone.login("sid@example.com", PASSWORD).await;
        tablet.login("sid@example.com", PASSWORD).await;

        let r = laptop.get("/api/account").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let sessions = r.json()["sessions"].as_array().expect("sessions").clone();
        assert_eq!(sessions.len(), 3);
        assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);

        // End one other session by id; someone else's session id is not found.
        let phone_id = phone.get("/api/account").await.json()["sessions"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["current"] == true).cloned())
            .expect("phone session")["id"]
            .as_str()
            .expect("id")
            .to_string();
        let (mut other, _) = app.signed_in("ola@example.com", Role::Sales).await;
        assert_eq!(
            delete(&mut other, &format!("/api/account/sessions/{phone_id}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            delete(&mut laptop, &format!("/api/account/sessions/{phone_id}"))
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            phone.get("/api/auth/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(tablet.get("/api/auth/me").await.status, StatusCode::OK);

        // Changing the password needs the current one, and ends the other sessions.
        let r = laptop
            .post_json(
                "/api/account/password",
                json!({"current_password": "wrong one!!", "new_password": "another long secret"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.json()["error"]["fields"]["current_password"].is_array(),
            "{}",
            r.text()
        );
        let r = laptop
            .post_json(
                "/api/account/password",
                json!({"current_password": PASSWORD, "new_password": "short"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = laptop
            .post_json(
                "/api/account/password",
                json!({"current_password": PASSWORD, "new_password": "another long secret"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["ended"].as_u64()),
            (StatusCode::OK, Some(1)),
            "{}",
            r.text()
        );
        assert_eq!(
            tablet.get("/api/auth/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(laptop.get("/api/auth/me").await.status, StatusCode::OK);
        assert_eq!(
            app.client()
                .login("sid@example.com", "another long secret")
                .await
                .status,
            StatusCode::OK
        );

        // API tokens: created once, usable, revocable.
        let r = laptop
            .post_json("/api/account/tokens", json!({"label": "nightly sync"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let token = r.json()["token"].as_str().expect("token").to_string();
        let token_id = id(&r.json());
        let mut script = app.client();
        script.bearer = Some(token);
        assert_eq!(script.get("/api/crm/leads").await.status, StatusCode::OK);
        let listed = laptop.get("/api/account").await.json()["tokens"].clone();
        assert_eq!(listed[0]["label"], "nightly sync");
        assert!(
            listed[0].get("token").is_none(),
            "the secret is never listed"
        );
        assert_eq!(
            delete(&mut other, &format!("/api/account/tokens/{token_id}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            delete(&mut laptop, &format!("/api/account/tokens/{token_id}"))
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            script.get("/api/crm/leads").await.status,
            StatusCode::UNAUTHORIZED
        );
    })
    .await;
}

#[tokio::test]
async fn who_may_view_as_whom() {
    on_every_backend(async |app| {
        let (mut sup, _) = app.signed_in("sam@example.com", Role::SuperAdmin).await;
        let (mut admin, _) = app.signed_in("ann@example.com", Role::Admin).await;
        let (mut mgr, _) = app.signed_in("meg@example.com", Role::Manager).await;
        let other_sup = app.user("sue@example.com", Role::SuperAdmin).await;
        let other_admin = app.user("abe@example.com", Role::Admin).await;
        let sales = app.user("sid@example.com", Role::Sales).await;
        let support = app.user("sky@example.com", Role::Support).await;
        let manager = app.user("max@example.com", Role::Manager).await;

        let cases = [
            ("admin", sales, StatusCode::CREATED),
            ("admin", support, StatusCode::CREATED),
            ("admin", manager, StatusCode::CREATED),
            ("admin", other_admin, StatusCode::FORBIDDEN),
            ("admin", other_sup, StatusCode::FORBIDDEN),
            ("super_admin", other_admin, StatusCode::CREATED),
            ("super_admin", sales, StatusCode::CREATED),
            ("super_admin", other_sup, StatusCode::FORBIDDEN),
            ("manager", sales, StatusCode::FORBIDDEN),
        ];
        for (who, subject, expected) in cases {
            let client = match who {
                "admin" => &mut admin,
                "super_admin" => &mut sup,
                _ => &mut mgr,
            };
            let r = view_as(client, json!({"user_id": subject})).await;
            assert_eq!(r.status, expected, "{who} as {subject}: {}", r.text());
            if expected == StatusCode::CREATED {
                assert_eq!(
                    delete(client, "/api/admin/impersonation").await.status,
                    StatusCode::NO_CONTENT
                );
            }
        }

        // A token cannot start a viewing; an unknown user is not found; one id exactly.
        let (mut token_admin, _) = app.api("tia@example.com", Role::Admin).await;
        assert_eq!(
            view_as(&mut token_admin, json!({"user_id": sales}))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            view_as(&mut admin, json!({"user_id": uuid::Uuid::now_v7()}))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            view_as(&mut admin, json!({"user_id": sales, "contact_id": sales}))
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );

        // Contacts: only with portal access; companies: through their primary contact.
        let acme = account(&mut admin, "Acme").await;
        let grace = contact(
            &mut admin,
            "Grace",
            "grace@acme.example",
            Some(&acme),
            "client",
        )
        .await;
        let r = view_as(&mut admin, json!({"contact_id": grace})).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "no portal access yet: {}",
            r.text()
        );
        let r = view_as(&mut admin, json!({"account_id": acme})).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "no primary contact: {}",
            r.text()
        );
        portal_user(&app, &mut admin, &grace).await;
        let r = view_as(&mut mgr, json!({"contact_id": grace})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = view_as(&mut admin, json!({"contact_id": grace})).await;
        assert_eq!(
            (r.status, r.json()["home"].as_str()),
            (StatusCode::CREATED, Some("/portal")),
            "{}",
            r.text()
        );
        delete(&mut admin, "/api/admin/impersonation").await;
        let r = admin
            .put_json(
                &format!("/api/crm/accounts/{acme}"),
                json!({"primary_contact_id": grace, "version": 1}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = view_as(&mut admin, json!({"account_id": acme})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(me(&mut admin).await["user"]["email"], "grace@acme.example");
    })
    .await;
}

#[tokio::test]
async fn viewing_as_a_user_is_reauthenticated_limited_and_on_the_record() {
    on_every_backend(async |app| {
        let (mut admin, admin_id) = app.signed_in("ann@example.com", Role::Admin).await;
        let (_, sales_id) = app.signed_in("sid@example.com", Role::Sales).await;
        let target = json!({"user_id": sales_id});

        // Re-authentication and a reason are required; a wrong password is on the record.
        let r = admin
            .post_json(
                "/api/admin/impersonation",
                json!({"user_id": sales_id, "reason": "x", "password": "not my password"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.json()["error"]["fields"]["password"].is_array(),
            "{}",
            r.text()
        );
        assert_eq!(
            last(&app, "impersonation.refused").await.subject_id,
            Some(sales_id)
        );
        let r = admin
            .post_json(
                "/api/admin/impersonation",
                json!({"user_id": sales_id, "reason": "  ", "password": PASSWORD}),
            )
            .await;
        assert!(
            r.json()["error"]["fields"]["reason"].is_array(),
            "{}",
            r.text()
        );

        // Start: the session id changes, and the app is the sales user's with the admin beside.
        let before = admin.cookies.clone();
        let r = view_as(&mut admin, target.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(r.json()["home"], "/");
        assert_ne!(admin.cookies, before, "the session id is cycled at start");
        let m = me(&mut admin).await;
        assert_eq!(m["user"]["id"], sales_id.to_string());
        assert_eq!(m["user"]["role"], "sales");
        assert_eq!(m["impersonator"]["id"], admin_id.to_string());
        assert!(m["impersonation_ends_at"].is_string());
        let page = admin.get_html("/pipeline").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text().contains("Viewing as"),
            "the banner is on every page"
        );
        assert!(page.text().contains("/api/admin/impersonation/stop"));
        let started = last(&app, "impersonation.started").await;
        assert_eq!(
            (started.actor_id, started.subject_id),
            (Some(admin_id), Some(sales_id))
        );
        assert_eq!(
            started.details.0["reason"],
            "Ticket 42: checking what they see"
        );

        // Writes carry both identities.
        let r = admin
            .post_json(
                "/api/crm/leads",
                json!({"name": "Ada Lovelace", "company": "Engines"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let created = last(&app, "lead.created").await;
        assert_eq!(
            (created.actor_id, created.subject_id),
            (Some(admin_id), Some(sales_id))
        );

        // What is closed while viewing as someone.
        let blocked: [(Method, &str, Value); 8] = [
            (
                Method::PUT,
                "/api/account/profile",
                json!({"name": "Renamed by an admin", "time_zone": "Asia/Tokyo"}),
            ),
            (
                Method::POST,
                "/api/account/password",
                json!({"current_password": PASSWORD, "new_password": "a new long password"}),
            ),
            (
                Method::POST,
                "/api/account/tokens",
                json!({"label": "mine now"}),
            ),
            (Method::DELETE, "/api/account/sessions", json!({})),
            (
                Method::DELETE,
                &format!("/api/account/sessions/{}", uuid::Uuid::now_v7()),
                json!({}),
            ),
            (
                Method::POST,
                "/api/admin/impersonation",
                json!({"user_id": sales_id, "reason": "again", "password": PASSWORD}),
            ),
            (Method::GET, "/api/admin/users", json!({})),
            (
                Method::DELETE,
                &format!("/api/admin/users/{sales_id}/sessions"),
                json!({}),
            ),
        ];
        for (method, path, body) in blocked {
            let r = admin.json(method.clone(), path, body).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{method} {path}: {}",
                r.text()
            );
        }
        let r = admin
            .post_json("/api/account/tokens", json!({"label": "x"}))
            .await;
        assert!(r.text().contains("viewing as someone else"), "{}", r.text());

        // Stop: the admin is back as themselves, under another new session id.
        let during = admin.cookies.clone();
        assert_eq!(
            delete(&mut admin, "/api/admin/impersonation").await.status,
            StatusCode::NO_CONTENT
        );
        assert_ne!(admin.cookies, during, "the session id is cycled at stop");
        let m = me(&mut admin).await;
        assert_eq!(
            (m["user"]["id"].as_str(), m["impersonator"].is_null()),
            (Some(admin_id.to_string().as_str()), true)
        );
        let ended = last(&app, "impersonation.ended").await;
        assert_eq!(
            (ended.actor_id, ended.subject_id),
            (Some(admin_id), Some(sales_id))
        );
        assert_eq!(ended.details.0["why"], "stopped");
        assert_eq!(
            delete(&mut admin, "/api/admin/impersonation").await.status,
            StatusCode::CONFLICT
        );

        // The viewed user sees when, by whom and why.
        let mut sid = app.client();
        sid.login("sid@example.com", PASSWORD).await;
        let viewings = sid.get("/api/account").await.json()["viewings"].clone();
        assert_eq!(viewings[0]["admin_name"], "Admin ann@example.com");
        assert_eq!(viewings[0]["reason"], "Ticket 42: checking what they see");
        assert!(viewings[0]["ended_at"].is_string());

        // The 30-minute limit: after it, the next request is the admin's own again.
        assert_eq!(
            view_as(&mut admin, target.clone()).await.status,
            StatusCode::CREATED
        );
        app.clock.advance(Duration::minutes(29));
        assert_eq!(me(&mut admin).await["user"]["id"], sales_id.to_string());
        app.clock.advance(Duration::minutes(2));
        let m = me(&mut admin).await;
        assert_eq!(
            (m["user"]["id"].as_str(), m["impersonator"].is_null()),
            (Some(admin_id.to_string().as_str()), true)
        );
        assert_eq!(
            last(&app, "impersonation.ended").await.details.0["why"],
            "expired"
        );

        // Signing out while viewing ends the viewing, not the admin's own session.
        assert_eq!(
            view_as(&mut admin, target.clone()).await.status,
            StatusCode::CREATED
        );
        assert_eq!(
            admin.post_json("/api/auth/logout", json!({})).await.status,
            StatusCode::NO_CONTENT
        );
        let m = me(&mut admin).await;
        assert_eq!(m["user"]["id"], admin_id.to_string());
        assert_eq!(
            last(&app, "impersonation.ended").await.details.0["why"],
            "signed_out"
        );

        // Deactivating the subject ends a viewing of them on the next request.
        assert_eq!(
            view_as(&mut admin, target.clone()).await.status,
            StatusCode::CREATED
        );
        let mut other_admin = app.signed_in("abe@example.com", Role::Admin).await.0;
        let r = other_admin
            .put_json(
                &format!("/api/admin/users/{sales_id}"),
                json!({"active": false}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(me(&mut admin).await["user"]["id"], admin_id.to_string());
    })
    .await;
}

#[tokio::test]
async fn a_super_admin_viewing_as_an_admin_cannot_manage_users() {
    let app = TestApp::new().await;
    let (mut sup, _) = app.signed_in("sam@example.com", Role::SuperAdmin).await;
    let admin = app.user("ann@example.com", Role::Admin).await;
    let sales = app.user("sid@example.com", Role::Sales).await;
    assert_eq!(
        view_as(&mut sup, json!({"user_id": admin})).await.status,
        StatusCode::CREATED
    );
    for (method, path, body) in [
        (Method::GET, "/api/admin/users".to_string(), json!({})),
        (
            Method::POST,
            "/api/admin/users".to_string(),
            json!({"email": "n@example.com", "name": "N", "role": "sales"}),
        ),
        (
            Method::PUT,
            format!("/api/admin/users/{sales}"),
            json!({"role": "manager"}),
        ),
        (
            Method::POST,
            format!("/api/admin/users/{sales}/password-reset"),
            json!({}),
        ),
    ] {
        let r = sup.json(method.clone(), &path, body).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            r.text()
        );
    }
    // What an admin may do otherwise stays open: the audit log, say.
    assert_eq!(sup.get("/api/admin/audit").await.status, StatusCode::OK);
}

#[tokio::test]
async fn viewing_the_portal_as_a_client() {
    on_every_backend(async |app| {
        let (mut admin, admin_id) = app.signed_in("ann@example.com", Role::Admin).await;
        let acme = account(&mut admin, "Acme").await;
        let grace = contact(
            &mut admin,
            "Grace",
            "grace@acme.example",
            Some(&acme),
            "client",
        )
        .await;
        portal_user(&app, &mut admin, &grace).await;

        assert_eq!(
            view_as(&mut admin, json!({"contact_id": grace}))
                .await
                .status,
            StatusCode::CREATED
        );
        let m = me(&mut admin).await;
        assert_eq!(
            (m["user"]["role"].as_str(), m["impersonator"]["id"].as_str()),
            (Some("client"), Some(admin_id.to_string().as_str()))
        );
        // The portal as Grace sees it; the staff app is closed, as it is to her.
        assert_eq!(
            admin.get("/api/portal/tickets").await.status,
            StatusCode::OK
        );
        assert_eq!(
            admin.get("/api/crm/leads").await.status,
            StatusCode::FORBIDDEN
        );
        let page = admin.get_html("/portal").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text().contains("Viewing as"),
            "the banner is on portal pages too"
        );
        let r = admin.get_html("/pipeline").await;
        assert_eq!(r.header("location").as_deref(), Some("/portal"));

        // Her writes, made by the admin, carry both.
        let r = admin
            .post_json(
                "/api/portal/tickets",
                json!({"subject": "Invoice question", "description": "Where is it?"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let opened = last(&app, "ticket.created").await;
        assert_eq!(opened.actor_id, Some(admin_id));
        assert_eq!(
            opened.subject_id.map(|s| s.to_string()),
            Some(grace.clone())
        );

        // Stop works from the portal side too.
        assert_eq!(
            delete(&mut admin, "/api/admin/impersonation").await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(me(&mut admin).await["user"]["role"], "admin");
    })
    .await;
}

#[tokio::test]
async fn the_audit_page_filters_and_names_people() {
    on_every_backend(async |app| {
        let (mut admin, admin_id) = app.signed_in("ann@example.com", Role::Admin).await;
        let (mut sales, sales_id) = app.signed_in("sid@example.com", Role::Sales).await;
        let r = sales
            .post_json(
                "/api/crm/leads",
                json!({"name": "Grace Hopper", "company": "Navy"}),
            )
            .await;
        let lead = r.json();
        let lead_id = id(&lead);
        let r = sales
            .put_json(
                &format!("/api/crm/leads/{lead_id}"),
                json!({"company": "US Navy", "version": lead["version"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        view_as(&mut admin, json!({"user_id": sales_id})).await;
        delete(&mut admin, "/api/admin/impersonation").await;

        assert_eq!(
            sales.get("/api/admin/audit").await.status,
            StatusCode::FORBIDDEN
        );
        let r = admin
            .get(&format!(
                "/api/admin/audit?target_type=lead&target_id={lead_id}"
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let entries = r.json()["entries"].as_array().expect("entries").clone();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["action"], "lead.updated");
        assert_eq!(entries[0]["actor"], "Sales sid@example.com");
        assert_eq!(entries[0]["target_link"], format!("/leads/{lead_id}"));
        // The record is named (ids share their first characters, so an id alone is ambiguous).
        assert_eq!(entries[0]["target_name"], "Grace Hopper");
        assert_eq!(
            entries[0]["changes"],
            json!([{"field": "company", "old": "Navy", "new": "US Navy"}])
        );

        let r = admin.get("/api/admin/audit?action=impersonation.").await;
        let actions: Vec<String> = r.json()["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["action"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(actions, ["impersonation.ended", "impersonation.started"]);
        let started = &r.json()["entries"][1];
        assert_eq!(started["target_name"], "Sales sid@example.com", "{started}");
        let facts = started["facts"].as_array().expect("facts");
        assert!(
            facts
                .iter()
                .all(|f| f["name"].is_string() && f["value"].is_string()),
            "{started}"
        );
        let r = admin
            .get(&format!("/api/admin/audit?subject={sales_id}"))
            .await;
        let first = r.json()["entries"][0].clone();
        assert_eq!(
            (first["actor_id"].as_str(), first["subject"].as_str()),
            (
                Some(admin_id.to_string().as_str()),
                Some("Sales sid@example.com")
            )
        );
        let r = admin
            .get(&format!(
                "/api/admin/audit?actor={sales_id}&from=2000-01-01T00:00:00Z"
            ))
            .await;
        assert!(
            r.json()["entries"].as_array().is_some_and(|e| e.len() >= 3),
            "{}",
            r.text()
        );
        let r = admin.get("/api/admin/audit?to=2000-01-01T00:00:00Z").await;
        assert_eq!(r.json()["entries"].as_array().map(Vec::len), Some(0));
        assert_eq!(
            admin.get("/api/admin/audit?before=nope").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    })
    .await;
}

#[tokio::test]
async fn what_an_admin_does_while_viewing_as_someone_is_shown_as_theirs() {
    on_every_backend(async |app| {
        let (mut admin, _) = app.signed_in("ann@example.com", Role::Admin).await;
        let (mut sales, _) = app.api("sid@example.com", Role::Sales).await;
        let lead = sales.post_json("/api/crm/leads", json!({"name": "Viewed Lead"})).await.json();
        let lead_id = lead["id"].as_str().expect("id").to_string();
        let sales_id = me(&mut sales).await["user"]["id"].as_str().expect("id").parse::<uuid::Uuid>().expect("uuid");
        let r = view_as(&mut admin, json!({"user_id": sales_id})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = admin.post_json("/api/crm/activities", json!({"kind": "note", "subject": "Checked for them", "related_type": "lead", "related_id": lead_id})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = admin.put_json(&format!("/api/crm/leads/{lead_id}"), json!({"version": 1, "company": "Viewed Co"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        sales.post_json("/api/crm/activities", json!({"kind": "call", "subject": "My own call", "related_type": "lead", "related_id": lead_id})).await;
        // A deal of theirs, moved by the admin viewing as them and then by them.
        let opp = sales.post_json("/api/crm/opportunities", json!({"name": "Viewed Deal", "stage": "lead"})).await.json();
        let opp_id = opp["id"].as_str().expect("id").to_string();
        let r = admin.put_json(&format!("/api/crm/opportunities/{opp_id}"), json!({"version": opp["version"], "stage": "qualified"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let moved = r.json();
        let r = sales.put_json(&format!("/api/crm/opportunities/{opp_id}"), json!({"version": moved["version"], "stage": "lead"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());

        let principal = {
            let mut h = app.state.db.handle().await.expect("handle");
            let user = crm::server::db::users::by_email(&mut h.c(), "sid@example.com").await.expect("read").expect("user");
            crm::server::principal::Principal::Staff(crm::server::principal::Staff { user: user.current(), impersonator: None, via: crm::server::principal::Via::Token { token_id: uuid::Uuid::nil() }, reach: Default::default() })
        };
        let timeline = crm::server::sales::activities::timeline(&app.state, &principal, crm::domain::records::RecordKind::Lead, lead_id.parse().expect("uuid"))
            .await
            .expect("timeline");
        let actor = |title: &str| timeline.iter().find(|e| e.title.contains(title)).and_then(|e| e.actor_name.clone()).unwrap_or_default();
        let admin_as_sales = "Admin ann@example.com as Sales sid@example.com";
        assert_eq!(actor("Checked for them"), admin_as_sales, "{timeline:?}");
        assert_eq!(actor("Edited"), admin_as_sales, "{timeline:?}");
        assert_eq!(actor("My own call"), "Sales sid@example.com");
        let deal = crm::server::sales::activities::timeline(&app.state, &principal, crm::domain::records::RecordKind::Opportunity, opp_id.parse().expect("uuid"))
            .await
            .expect("timeline");
        let mover = |title: &str| deal.iter().find(|e| e.title == title).and_then(|e| e.actor_name.clone()).unwrap_or_default();
        assert_eq!(mover("Stage: Lead → Qualified"), admin_as_sales, "{deal:?}");
        assert_eq!(mover("Stage: Qualified → Lead"), "Sales sid@example.com", "{deal:?}");
        assert_eq!(mover("Created in Lead"), "Sales sid@example.com", "{deal:?}");
    })
    .await;
}

#[tokio::test]
async fn the_browser_is_told_what_the_policy_allows_once() {
    on_every_backend(async |app| {
        let (mut sue, _) = app.signed_in("sue@example.com", Role::Support).await;
        let (mut sam, _) = app.signed_in("sam@example.com", Role::Sales).await;
        let (mut meg, _) = app.signed_in("meg@example.com", Role::Manager).await;
        let can = |v: Value| v["can"].clone();
        let support = can(me(&mut sue).await);
        assert!(
            support["create"]
                .as_array()
                .is_some_and(|k| k.contains(&json!("ticket")) && !k.contains(&json!("lead"))),
            "{support}"
        );
        assert_eq!(
            (
                support["configure"].as_bool(),
                support["administer"].as_bool()
            ),
            (Some(false), Some(false))
        );
        let sales = can(me(&mut sam).await);
        assert!(
            sales["create"]
                .as_array()
                .is_some_and(|k| k.contains(&json!("lead"))),
            "{sales}"
        );
        assert!(
            !sales["update"]
                .as_array()
                .is_some_and(|k| k.contains(&json!("ticket"))),
            "{sales}"
        );
        assert_eq!(sales["reopen"], false);
        let manager = can(me(&mut meg).await);
        assert_eq!(
            (
                manager["reopen"].as_bool(),
                manager["configure"].as_bool(),
                manager["administer"].as_bool()
            ),
            (Some(true), Some(true), Some(false))
        );
        // The page carries the same answer in its head, for the UI to read before it renders.
        let page = sue.get("/tickets").await.text();
        assert!(
            page.contains("crm-me")
                && (page.contains("&quot;can&quot;") || page.contains("\"can\"")),
            "the page names what its person may do"
        );
    })
    .await;
}
