//! Time zones and formats through the real router: each person's own choice, the
//! installation's default, the portal following the browser, and pages rendered in them.

use crate::common::*;
use crate::support_http::{account, contact, portal_user};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use crm::domain::regional::{Locale, Regional};
use crm::domain::user::Role;
use crm::server::db::audit;
use serde_json::json;

/// The settings a page was rendered with, as its `crm-regional` meta tag tells the browser.
fn regional_of(html: &str) -> Regional {
    let start = html
        .find("name=\"crm-regional\" content=\"")
        .map(|i| i + "name=\"crm-regional\" content=\"".len())
        .unwrap_or_else(|| panic!("no crm-regional meta in {html}"));
    let end = start + html[start..].find('"').expect("end of content");
    let json = html[start..end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&#x27;", "'")
        .replace("&#39;", "'");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

#[tokio::test]
async fn staff_read_times_in_their_own_zone_and_formats() {
    on_every_backend(async |app| {
        let (mut sid, sid_id) = app.signed_in("sid@example.com", Role::Sales).await;

        // Nothing chosen: the installation's default (UTC, US formats, here).
        let page = sid.get_html("/account").await;
        assert_eq!(page.status, StatusCode::OK);
        let r = regional_of(&page.text());
        assert_eq!((r.zone.as_str(), r.locale), ("UTC", Locale::EnUs));
        let account = sid.get("/api/account").await.json();
        assert!(account["regional"]["time_zone"].is_null(), "{account}");
        assert!(
            account["options"]["zones"]
                .as_array()
                .is_some_and(|z| z.iter().any(|z| z == "Europe/Berlin") && z.len() > 300),
            "{}",
            account["options"]
        );

        // Bad choices are refused field by field, and change nothing.
        let r = sid
            .put_json(
                "/api/account/profile",
                json!({"name": " ", "time_zone": "Mars/Olympus", "locale": "tlh"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        let fields = &r.json()["error"]["fields"];
        for f in ["name", "time_zone", "locale"] {
            assert!(fields[f].is_array(), "{f}: {fields}");
        }
        assert!(sid.get("/api/account").await.json()["regional"]["time_zone"].is_null());

        // A choice is stored by its canonical name and audited as old → new.
        let r = sid
            .put_json(
                "/api/account/profile",
                json!({"name": "Sid Vicious", "time_zone": "europe/berlin", "locale": "de_de"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        let account = sid.get("/api/account").await.json();
        assert_eq!(account["regional"]["time_zone"], "Europe/Berlin");
        assert_eq!(account["regional"]["locale"], "de-DE");
        assert_eq!(account["me"]["name"], "Sid Vicious");
        {
            let mut h = app.state.db.handle().await.expect("handle");
            let entry = audit::recent(&mut h.c(), Some("user.profile_changed"), 1)
                .await
                .expect("audit")
                .into_iter()
                .next()
                .expect("entry");
            assert_eq!(entry.actor_id, Some(sid_id));
            let changes = &entry.details.0["changes"];
            assert_eq!(changes["time_zone"]["old"], json!(null));
            assert_eq!(changes["time_zone"]["new"], "Europe/Berlin");
            assert_eq!(changes["name"]["new"], "Sid Vicious");
        }

        // Pages are now rendered in Berlin time with German formats: the session list shows
        // when this sign-in started as a German reader would read it.
        let page = sid.get_html("/account").await.text();
        let r = regional_of(&page);
        assert_eq!((r.zone.as_str(), r.locale), ("Europe/Berlin", Locale::DeDe));
        assert!(
            r.shifts.len() > 20,
            "the offsets around today travel with the page"
        );
        let started: DateTime<Utc> = account["sessions"][0]["started_at"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("started_at");
        let shown = r.datetime(started);
        assert!(shown.contains("CET") || shown.contains("CEST"), "{shown}");
        assert!(page.contains(&shown), "{shown} not in the page");
        assert!(page.contains("Sid Vicious"));

        // Empty choices go back to the default.
        let r = sid
            .put_json(
                "/api/account/profile",
                json!({"name": "Sid Vicious", "time_zone": "", "locale": ""}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        let r = regional_of(&sid.get_html("/account").await.text());
        assert_eq!(r.zone, "UTC");
    })
    .await;
}

#[tokio::test]
async fn the_installation_default_applies_to_staff_who_chose_nothing() {
    let app = TestApp::with_config(|c| {
        c.time_zone = "America/New_York".into();
        c.locale = "en-GB".into();
    })
    .await;
    let (mut sid, _) = app.signed_in("sid@example.com", Role::Sales).await;
    // A staff member's browser does not override the company's default.
    sid.cookies.insert("crm_tz".into(), "Asia%2FTokyo".into());
    let r = regional_of(&sid.get_html("/leads").await.text());
    assert_eq!(
        (r.zone.as_str(), r.locale),
        ("America/New_York", Locale::EnGb)
    );
    let options = sid.get("/api/account").await.json()["options"].clone();
    assert_eq!(options["default_zone"], "America/New_York");
    assert_eq!(options["default_locale"], "en-GB");
}

#[tokio::test]
async fn the_portal_follows_the_browser_until_the_customer_chooses() {
    on_every_backend(async |app| {
        let (mut admin, _) = app.api("ann@example.com", Role::Admin).await;
        let acme = account(&mut admin, "Acme").await;
        let grace = contact(
            &mut admin,
            "Grace",
            "grace@example.com",
            Some(&acme),
            "client",
        )
        .await;
        let mut customer = portal_user(&app, &mut admin, &grace).await;
        customer
            .cookies
            .insert("crm_tz".into(), "Asia%2FTokyo".into());
        let html = |c: &mut Client| {
            let req = Request::get("/portal/profile")
                .header(header::ACCEPT, "text/html")
                .header(header::ACCEPT_LANGUAGE, "nl-NL, fr-CH;q=0.9, en;q=0.5")
                .body(Body::empty())
                .expect("request");
            let mut c = c.clone();
            async move {
                let r = c.send(req).await;
                assert_eq!(r.status, StatusCode::OK);
                r.text()
            }
        };
        let r = regional_of(&html(&mut customer).await);
        assert_eq!((r.zone.as_str(), r.locale), ("Asia/Tokyo", Locale::FrFr));

        // Their own choice wins over the browser; a bad one is refused on its field.
        let me = customer.get("/api/portal/me").await.json();
        let mut patch = json!({
            "first_name": me["first_name"], "last_name": me["last_name"],
            "time_zone": "Nowhere/Land", "locale": "en-GB",
        });
        let r = customer.put_json("/api/portal/me", patch.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert!(r.json()["error"]["fields"]["time_zone"].is_array());
        patch["time_zone"] = json!("America/Sao_Paulo");
        let r = customer.put_json("/api/portal/me", patch).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["time_zone"], "America/Sao_Paulo");
        let r = regional_of(&html(&mut customer).await);
        assert_eq!(
            (r.zone.as_str(), r.locale),
            ("America/Sao_Paulo", Locale::EnGb)
        );

        // Staff settings are not theirs to change; nor anyone's without signing in.
        let r = customer
            .put_json(
                "/api/account/profile",
                json!({"name": "Grace", "time_zone": "UTC"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .client()
            .put_json("/api/account/profile", json!({"name": "x"}))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    })
    .await;
}
