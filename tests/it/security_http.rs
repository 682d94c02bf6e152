//! The holes an attack on the running product found (issue 17), each closed at its cause and
//! held here: markup in page titles, portal takeover by invite, task reassignment, account
//! changes while viewing as someone, open redirects, hashing before checking, origins,
//! request ids, and credentials that outlive a deactivation.

use crate::common::*;
use crate::support_http::{account, contact, portal_user};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use crm::domain::user::Role;
use crm::server::auth::password::counting_hashes;
use serde_json::{Value, json};

const HOSTILE: &str =
    "T</title><meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\"><title>x";

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// The document head of a server-rendered page.
fn head_of(html: &str) -> &str {
    let end = html.find("</head>").unwrap_or(html.len());
    &html[..end]
}

/// Checks no markup got out of the title; true when the title shows the (escaped) name.
fn assert_title_escaped(page: &Resp, what: &str) -> bool {
    assert_eq!(page.status, StatusCode::OK, "{what}: {}", page.text());
    let html = page.text();
    let head = head_of(&html);
    assert!(
        !head.contains("<meta http-equiv"),
        "{what}: markup escaped the title: {head}"
    );
    let title = head
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_default();
    assert!(
        title == "CRM" || title.contains("T&lt;/title&gt;&lt;meta http-equiv="),
        "{what}: the name is shown escaped, if at all: {title}"
    );
    assert_eq!(
        head.matches("<title>").count(),
        1,
        "{what}: one title: {head}"
    );
    title != "CRM"
}

#[tokio::test]
async fn record_names_are_escaped_in_every_page_title() {
    let app = TestApp::new().await;
    let (mut admin, _) = app.signed_in("ann@example.com", Role::Admin).await;

    // Anyone can plant a name through a public kickoff form.
    let form = json!({"slug": "trial", "title": "Trial", "standard_fields": ["name", "email"], "creates": "lead"});
    let r = admin.post_json("/api/admin/forms", form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mut visitor = app.client().from_ip("203.0.113.50");
    let page = visitor.get_html("/forms/trial").await.text();
    let key = page
        .split("name=\"_key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("form key")
        .to_string();
    let r = visitor
        .post_form(
            "/forms/trial",
            &[
                ("name", HOSTILE),
                ("email", "mallory@evil.example"),
                ("website", ""),
                ("_key", &key),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let leads = admin.get("/api/crm/leads?q=mallory").await.json();
    let lead = id(&leads["items"][0]);
    assert!(assert_title_escaped(
        &admin.get_html(&format!("/leads/{lead}")).await,
        "lead"
    ));

    let acc = id(&admin
        .post_json("/api/crm/accounts", json!({"name": HOSTILE}))
        .await
        .json());
    assert!(assert_title_escaped(
        &admin.get_html(&format!("/accounts/{acc}")).await,
        "account"
    ));
    let con = id(&admin
        .post_json("/api/crm/contacts", json!({"first_name": HOSTILE, "email": "h@client.example", "account_id": acc, "role": "client"}))
        .await
        .json());
    assert!(assert_title_escaped(
        &admin.get_html(&format!("/contacts/{con}")).await,
        "contact",
    ));
    let opp = id(&admin
        .post_json(
            "/api/crm/opportunities",
            json!({"name": HOSTILE, "account_id": acc}),
        )
        .await
        .json());
    assert!(assert_title_escaped(
        &admin.get_html(&format!("/opportunities/{opp}")).await,
        "opportunity",
    ));

    // A portal user plants one through a ticket subject: the portal page and the queue's.
    let mut customer = portal_user(&app, &mut admin, &con).await;
    let ticket = customer
        .post_json("/api/portal/tickets", json!({"subject": HOSTILE}))
        .await
        .json();
    let tid = id(&ticket);
    assert!(assert_title_escaped(
        &customer.get_html(&format!("/portal/tickets/{tid}")).await,
        "portal ticket",
    ));
    assert!(assert_title_escaped(
        &admin.get_html(&format!("/tickets/{tid}")).await,
        "staff ticket",
    ));
}

#[tokio::test]
async fn portal_access_is_given_only_by_those_who_look_after_the_customer() {
    on_every_backend(async |app| {
        let (mut root, _) = app.api("root@example.com", Role::SuperAdmin).await;
        let (mut rep, rep_id) = app.api("rep@example.com", Role::Sales).await;
        let (mut other_rep, _) = app.api("other@example.com", Role::Sales).await;
        let (mut support, _) = app.api("sue@example.com", Role::Support).await;
        let acme = account(&mut root, "Acme").await;
        root.put_json(
            &format!("/api/crm/accounts/{acme}"),
            json!({"version": 1, "owner_id": rep_id}),
        )
        .await;
        let grace = contact(
            &mut root,
            "Grace",
            "grace@acme.example",
            Some(&acme),
            "client",
        )
        .await;
        let invite = format!("/api/crm/contacts/{grace}/portal-invite");
        // The contact page offers the invite to exactly those the policy lets invite.
        let access = format!("/api/crm/contacts/{grace}/portal");
        assert_eq!(other_rep.get(&access).await.json()["may_manage"], false);
        assert_eq!(rep.get(&access).await.json()["may_manage"], true);
        assert_eq!(support.get(&access).await.json()["may_manage"], true);

        // Another rep may not hand out (or take away) this customer's key.
        let r = other_rep.post_json(&invite, json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("owner"),
            "says who can"
        );
        let r = other_rep
            .json(
                Method::DELETE,
                &format!("/api/crm/contacts/{grace}/portal"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // The account's owner and support may.
        assert_eq!(
            rep.post_json(&invite, json!({})).await.status,
            StatusCode::CREATED
        );
        let first = support.post_json(&invite, json!({})).await;
        assert_eq!(first.status, StatusCode::CREATED);
        assert_eq!(first.json()["reset"], false);

        // Grace accepts and uses the portal.
        let mut grace_client = portal_user(&app, &mut root, &grace).await;
        assert_eq!(
            grace_client.get("/api/portal/me").await.status,
            StatusCode::OK
        );

        // A re-invite is a reset: it does not touch her password…
        let again = rep.post_json(&invite, json!({})).await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.json()["reset"], true);
        let mut elsewhere = app.client();
        assert_eq!(
            elsewhere.login("grace@acme.example", PASSWORD).await.status,
            StatusCode::OK,
            "the old password still works until she chooses a new one"
        );
        // …and choosing a new password through it ends her other portal sessions.
        let token = again.json()["invite_url"]
            .as_str()
            .unwrap()
            .split("token=")
            .nth(1)
            .unwrap()
            .to_string();
        let mut resetter = app.client();
        let r = resetter
            .post_json(
                "/api/auth/accept-invite",
                json!({"token": token, "password": "a brand new password"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            grace_client.get("/api/portal/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            elsewhere.get("/api/portal/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(resetter.get("/api/portal/me").await.status, StatusCode::OK);
        assert_eq!(
            app.count("audit_log where action = 'contact.portal_reset_issued'")
                .await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_rep_hands_on_only_their_own_tasks() {
    let app = TestApp::new().await;
    let (mut rep, rep_id) = app.api("rep@example.com", Role::Sales).await;
    let (mut other, other_id) = app.api("other@example.com", Role::Sales).await;
    let (mut manager, _) = app.api("max@example.com", Role::Manager).await;
    let theirs = other
        .post_json("/api/crm/tasks", json!({"title": "Call Acme"}))
        .await
        .json();
    let r = rep
        .put_json(
            &format!("/api/crm/tasks/{}", id(&theirs)),
            json!({"version": 1, "assignee_id": rep_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // Their own task they may give to a colleague; a manager reassigns anyone's.
    let mine = rep
        .post_json("/api/crm/tasks", json!({"title": "Send quote"}))
        .await
        .json();
    let r = rep
        .put_json(
            &format!("/api/crm/tasks/{}", id(&mine)),
            json!({"version": 1, "assignee_id": other_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = manager
        .put_json(
            &format!("/api/crm/tasks/{}", id(&theirs)),
            json!({"version": 1, "assignee_id": rep_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test]
async fn nothing_of_ones_own_account_changes_while_viewing_as_someone() {
    let app = TestApp::new().await;
    let (mut admin, _) = app.signed_in("ann@example.com", Role::Admin).await;
    let sales_id = app.user("sam@example.com", Role::Sales).await;
    let token = app.token_for("sam@example.com").await;
    let (token_id,) = {
        let mut sam = app.client();
        sam.login("sam@example.com", PASSWORD).await;
        let tokens = sam.get("/api/account").await.json();
        (tokens["tokens"][0]["id"].as_str().unwrap().to_string(),)
    };
    let r = admin
        .post_json(
            "/api/admin/impersonation",
            json!({"user_id": sales_id, "reason": "Checking a report", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let writes = [
        (
            Method::DELETE,
            format!("/api/account/tokens/{token_id}"),
            json!({}),
        ),
        (
            Method::POST,
            "/api/account/tokens".to_string(),
            json!({"label": "x"}),
        ),
        (
            Method::POST,
            "/api/account/password".to_string(),
            json!({"current_password": PASSWORD, "new_password": "another long password"}),
        ),
        (
            Method::DELETE,
            "/api/account/sessions".to_string(),
            json!({}),
        ),
    ];
    for (method, path, body) in writes {
        let r = admin.json(method.clone(), &path, body).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            r.text()
        );
    }
    // The token still works.
    let mut script = app.client();
    script.bearer = Some(token);
    assert_eq!(script.get("/api/crm/leads").await.status, StatusCode::OK);
}

#[tokio::test]
async fn sign_in_sends_people_only_to_pages_of_this_site() {
    let app = TestApp::new().await;
    app.user("ada@example.com", Role::Sales).await;
    for next in [
        "/\t/evil.example/x",
        "/\n/evil.example/x",
        "\t//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "//evil.example",
        "https://evil.example",
        " /\\/evil.example",
    ] {
        let mut c = app.client();
        let r = c
            .send(
                Request::post("/api/auth/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ACCEPT, "text/html")
                    .body(Body::from(format!(
                        "email=ada%40example.com&password={}&next={}",
                        crm::domain::links::urlencode(PASSWORD),
                        crm::domain::links::urlencode(next)
                    )))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.header("location").as_deref(), Some("/"), "{next:?}");
        // The sign-in page does not carry it into its form either.
        let page = app
            .client()
            .get_html(&format!(
                "/login?next={}",
                crm::domain::links::urlencode(next)
            ))
            .await
            .text();
        assert!(
            page.contains("name=\"next\" value=\"/\""),
            "{next:?}: {page}"
        );
    }
    let mut c = app.client();
    let r = c
        .send(
            Request::post("/api/auth/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "text/html")
                .body(Body::from(format!(
                    "email=ada%40example.com&password={}&next=%2Fleads%3Fstatus%3Dnew",
                    crm::domain::links::urlencode(PASSWORD)
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.header("location").as_deref(), Some("/leads?status=new"));
}

#[tokio::test]
async fn a_setup_attempt_without_the_link_costs_no_hashing() {
    let app = TestApp::new().await;
    let link = crm::server::auth::service::ensure_setup_link(&app.state)
        .await
        .unwrap()
        .unwrap();
    let token = link.split("token=").nth(1).unwrap().to_string();
    let session = tower_sessions::Session::new(
        None,
        std::sync::Arc::new(tower_sessions::MemoryStore::default()),
        None,
    );
    let input = || crm::domain::user::NewStaffUser {
        email: "ada@example.com".into(),
        name: "Ada".into(),
        password: Some("long enough password".into()),
    };
    let client = crm::server::principal::ClientInfo::default();
    let setup = |token: String| {
        let (state, session, client) = (app.state.clone(), session.clone(), client.clone());
        async move {
            crm::server::auth::service::complete_setup(&state, &session, &client, &token, input())
                .await
        }
    };
    let (r, hashes) = counting_hashes(setup("setup_wrong".into())).await;
    assert_eq!(r.unwrap_err().status(), 422);
    assert_eq!(hashes, 0, "a wrong token is refused before any hashing");
    let (r, hashes) = counting_hashes(setup(token)).await;
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(hashes, 1);
}

#[tokio::test]
async fn writes_must_come_from_this_exact_origin_and_server_functions_take_only_json() {
    let app = TestApp::new().await;
    let (c, _) = app.signed_in("ada@example.com", Role::Sales).await;
    let cookie = c.cookie_header().unwrap();
    let post = |origin: &str, content_type: &str, body: &str| {
        Request::post(server_fn_path("search_records"))
            .header(header::COOKIE, cookie.clone())
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let mut c2 = c.clone();
    let ok = c2
        .send(post(SITE, "application/json", r#"{"q":"ab"}"#))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    for origin in [
        "https://127.0.0.1:3000",
        "http://127.0.0.1:3001",
        "http://evil.example",
    ] {
        let r = c2
            .send(post(origin, "application/json", r#"{"q":"ab"}"#))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}");
    }
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let r = c2.send(post(SITE, content_type, r#"{"q":"ab"}"#)).await;
        assert_eq!(
            r.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert_eq!(r.error_code(), "unsupported_media_type");
    }
}

#[tokio::test]
async fn every_request_gets_an_id_of_our_own() {
    let app = TestApp::new().await;
    let mut c = app.client();
    let r = c
        .send(
            Request::get("/api/auth/me")
                .header("x-request-id", "chosen-by-the-client")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let id = r.header("x-request-id").expect("request id");
    assert_ne!(id, "chosen-by-the-client");
    assert_eq!(id.len(), 16);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
}

#[tokio::test]
async fn viewing_as_someone_is_for_admins_and_every_refusal_is_on_record() {
    let app = TestApp::new().await;
    let target = app.user("sam@example.com", Role::Sales).await;
    // Nobody signed in learns nothing from validation.
    let r = app
        .client()
        .post_json("/api/admin/impersonation", json!({"nonsense": true}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let (mut manager, _) = app.signed_in("max@example.com", Role::Manager).await;
    let r = manager
        .post_json(
            "/api/admin/impersonation",
            json!({"user_id": target, "reason": "curious", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("audit_log where action = 'impersonation.refused'")
            .await,
        1
    );
}

#[tokio::test]
async fn deactivation_retires_api_tokens_for_good() {
    let app = TestApp::new().await;
    let (mut admin, _) = app.api("ann@example.com", Role::Admin).await;
    let sam = app.user("sam@example.com", Role::Sales).await;
    let mut script = app.client();
    script.bearer = Some(app.token_for("sam@example.com").await);
    assert_eq!(script.get("/api/crm/leads").await.status, StatusCode::OK);
    let path = format!("/api/admin/users/{sam}");
    assert_eq!(
        admin.put_json(&path, json!({"active": false})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        script.get("/api/crm/leads").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        admin.put_json(&path, json!({"active": true})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        script.get("/api/crm/leads").await.status,
        StatusCode::UNAUTHORIZED,
        "reactivating does not revive the old token"
    );
}

#[tokio::test]
async fn a_password_change_can_revoke_tokens_and_portal_users_manage_their_own() {
    let app = TestApp::new().await;
    let (mut sam, _) = app.signed_in("sam@example.com", Role::Sales).await;
    let mut script = app.client();
    script.bearer = Some(app.token_for("sam@example.com").await);
    let r = sam
        .post_json(
            "/api/account/password",
            json!({"current_password": PASSWORD, "new_password": "another long password", "revoke_tokens": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["tokens_revoked"], 1);
    assert_eq!(
        script.get("/api/crm/leads").await.status,
        StatusCode::UNAUTHORIZED
    );

    let (mut root, _) = app.api("root@example.com", Role::SuperAdmin).await;
    let acme = account(&mut root, "Acme").await;
    let grace = contact(
        &mut root,
        "Grace",
        "grace@acme.example",
        Some(&acme),
        "client",
    )
    .await;
    let mut here = portal_user(&app, &mut root, &grace).await;
    let mut there = app.client();
    assert_eq!(
        there.login("grace@acme.example", PASSWORD).await.status,
        StatusCode::OK
    );
    let wrong = here
        .post_json(
            "/api/portal/me/password",
            json!({"current_password": "not it at all", "new_password": "a new long password"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.json()["error"]["fields"]["current_password"].is_array());
    let r = here
        .post_json(
            "/api/portal/me/password",
            json!({"current_password": PASSWORD, "new_password": "a new long password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["ended"], 1);
    assert_eq!(
        there.get("/api/portal/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(here.get("/api/portal/me").await.status, StatusCode::OK);
    let mut third = app.client();
    assert_eq!(
        third
            .login("grace@acme.example", "a new long password")
            .await
            .status,
        StatusCode::OK
    );
    let r = here
        .json(Method::DELETE, "/api/portal/me/sessions", json!({}))
        .await;
    assert_eq!(r.json()["ended"], 1);
    assert_eq!(
        third.get("/api/portal/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn behind_a_tls_proxy_the_cookie_is_secure() {
    let app = TestApp::with_config(|c| c.public_url = Some("https://crm.example.com".into())).await;
    app.user("ada@example.com", Role::Sales).await;
    let mut c = app.client();
    let r = c
        .send(
            Request::post("/api/auth/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ORIGIN, "https://crm.example.com")
                .body(Body::from(format!(
                    "email=ada%40example.com&password={}",
                    crm::domain::links::urlencode(PASSWORD)
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let cookie = r.set_cookies().join("\n");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(r.header("strict-transport-security").is_some());
}

#[tokio::test]
async fn pages_and_answers_with_personal_data_are_never_cached() {
    let app = TestApp::new().await;
    let (mut admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
    for path in ["/leads", "/account", "/tickets"] {
        let r = admin.get_html(path).await;
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
    }
    let r = admin.get("/api/auth/me").await;
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
}

#[tokio::test]
async fn each_role_lands_on_its_own_first_page() {
    let app = TestApp::new().await;
    for (email, role, home) in [
        ("sue@example.com", Role::Support, "/tickets"),
        ("sam@example.com", Role::Sales, "/pipeline"),
        ("meg@example.com", Role::Manager, "/pipeline"),
    ] {
        let (mut c, _) = app.signed_in(email, role).await;
        let r = c.get_html("/").await;
        assert_eq!(r.header("location").as_deref(), Some(home), "{role:?}");
    }
}
