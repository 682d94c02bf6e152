//! The sales records' rules through the REST API and the real router.

use crate::common::*;
use axum::http::StatusCode;
use crm::domain::user::Role;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn leads_are_created_read_listed_and_validated() {
    on_every_backend(async |app| {
    let (mut api, me) = app.api("sam@example.com", Role::Sales).await;
    let r = api
        .post_json("/api/crm/leads", json!({"name": " Ada Lovelace ", "company": "Analytical Engines", "email": "ADA@engines.example", "source": "referral"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let lead = r.json();
    assert_eq!(lead["name"], "Ada Lovelace");
    assert_eq!(lead["email"], "ada@engines.example");
    assert_eq!((lead["status"].as_str(), lead["source"].as_str(), lead["version"].as_i64()), (Some("new"), Some("referral"), Some(1)));
    assert_eq!(lead["owner_id"], me.to_string());
    assert_eq!(lead["warnings"], json!([]));

    let got = api.get(&format!("/api/crm/leads/{}", id(&lead))).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json()["company"], "Analytical Engines");
    assert_eq!(api.get(&format!("/api/crm/leads/{}", uuid::Uuid::now_v7())).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/api/crm/leads/not-an-id").await.status, StatusCode::NOT_FOUND);

    let bad = api.post_json("/api/crm/leads", json!({"name": "", "email": "nope", "source": "carrier-pigeon"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = api.post_json("/api/crm/leads", json!({"name": "", "email": "nope"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &bad.json()["error"]["fields"];
    assert!(fields["name"].is_array() && fields["email"].is_array(), "{fields}");
    })
    .await;
}

#[tokio::test]
async fn lists_filter_sort_and_page_by_cursor_without_gaps() {
    on_every_backend(async |app| {
        let (mut api, _) = app.api("sam@example.com", Role::Sales).await;
        for (i, name) in [
            "Grace", "Ada", "Edsger", "Barbara", "Alan", "Donald", "Frances",
        ]
        .iter()
        .enumerate()
        {
            let status = if i % 2 == 0 { "new" } else { "contacted" };
            let r = api
                .post_json(
                    "/api/crm/leads",
                    json!({"name": name, "status": status, "company": format!("Co {i}")}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED);
            app.clock.advance(chrono::Duration::seconds(1));
        }
        // Sorted by name, three at a time.
        let mut names = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/crm/leads?sort=name&limit=3&cursor={c}"),
                None => "/api/crm/leads?sort=name&limit=3".to_string(),
            };
            let page = api.get(&path).await.json();
            names.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["name"].as_str().unwrap().to_string()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(
            names,
            [
                "Ada", "Alan", "Barbara", "Donald", "Edsger", "Frances", "Grace"
            ]
        );

        // Newest first by default; filtered by status.
        let page = api.get("/api/crm/leads?status=new").await.json();
        let new: Vec<_> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap())
            .collect();
        assert_eq!(new, ["Frances", "Alan", "Edsger", "Grace"]);
        let desc = api.get("/api/crm/leads?sort=-name&limit=2").await.json();
        assert_eq!(desc["items"][0]["name"], "Grace");
        assert_eq!(
            api.get("/api/crm/leads?q=barb").await.json()["items"][0]["name"],
            "Barbara"
        );
        assert_eq!(
            api.get("/api/crm/leads?q=co%203").await.json()["items"][0]["name"],
            "Barbara"
        );

        assert_eq!(
            api.get("/api/crm/leads?sort=password").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            api.get("/api/crm/leads?cursor=garbage").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            api.get("/api/crm/leads?status=hot").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            api.get("/api/crm/leads?limit=1000").await.json()["items"]
                .as_array()
                .unwrap()
                .len(),
            7,
            "limit is capped, not refused"
        );
    })
    .await;
}

#[tokio::test]
async fn lead_status_moves_follow_the_rules() {
    on_every_backend(async |app| {
        let (mut sales, _) = app.api("sam@example.com", Role::Sales).await;
        let (mut manager, _) = app.api("meg@example.com", Role::Manager).await;
        let lead = sales
            .post_json("/api/crm/leads", json!({"name": "Ada"}))
            .await
            .json();
        let path = format!("/api/crm/leads/{}", id(&lead));

        let r = sales
            .put_json(&path, json!({"version": 1, "status": "contacted"}))
            .await;
        assert_eq!(
            (r.status, r.json()["version"].as_i64()),
            (StatusCode::OK, Some(2))
        );
        let r = sales
            .put_json(&path, json!({"version": 2, "status": "qualified"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.json()["error"]["fields"]["status"].is_array());
        let r = sales
            .put_json(&path, json!({"version": 2, "status": "disqualified"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.json()["error"]["fields"]["disqualify_reason"].is_array());
        let r = sales
            .put_json(
                &path,
                json!({"version": 2, "status": "disqualified", "disqualify_reason": "No budget"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["disqualify_reason"], "No budget");
        let r = sales
            .put_json(&path, json!({"version": 3, "status": "new"}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "sales cannot reopen"
        );
        let r = manager
            .put_json(&path, json!({"version": 3, "status": "new"}))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.json()["disqualify_reason"].is_null());
    })
    .await;
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_carrying_the_current_record() {
    on_every_backend(async |app| {
        let (mut api, _) = app.api("sam@example.com", Role::Sales).await;
        let contact = api
            .post_json(
                "/api/crm/contacts",
                json!({"first_name": "Ada", "phone": "+44 20 7946 0000"}),
            )
            .await
            .json();
        let path = format!("/api/crm/contacts/{}", id(&contact));
        assert_eq!(
            api.put_json(&path, json!({"version": 1, "title": "Countess"}))
                .await
                .status,
            StatusCode::OK
        );
        let stale = api
            .put_json(&path, json!({"version": 1, "title": "Mathematician"}))
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        let body = stale.json();
        assert_eq!(body["error"]["code"], "conflict");
        assert_eq!(body["error"]["current"]["title"], "Countess");
        assert_eq!(body["error"]["current"]["version"], 2);
        assert_eq!(
            api.get(&path).await.json()["title"],
            "Countess",
            "nothing was overwritten"
        );
    })
    .await;
}

#[tokio::test]
async fn duplicate_contacts_and_accounts_are_refused_naming_the_existing_one() {
    on_every_backend(async |app| {
        let (mut api, _) = app.api("sam@example.com", Role::Sales).await;
        let contact = api
            .post_json(
                "/api/crm/contacts",
                json!({"first_name": "Ada", "email": "ada@example.com"}),
            )
            .await
            .json();
        let dup = api
            .post_json(
                "/api/crm/contacts",
                json!({"first_name": "Other", "email": "ADA@Example.com"}),
            )
            .await;
        assert_eq!(dup.status, StatusCode::CONFLICT);
        assert_eq!(dup.json()["error"]["existing_id"], id(&contact));

        let account = api
            .post_json(
                "/api/crm/accounts",
                json!({"name": "Acme", "domain": "https://www.ACME.com/"}),
            )
            .await
            .json();
        assert_eq!(account["domain"], "acme.com");
        let dup = api
            .post_json(
                "/api/crm/accounts",
                json!({"name": "Acme Two", "domain": "acme.com"}),
            )
            .await;
        assert_eq!(dup.status, StatusCode::CONFLICT);
        assert_eq!(dup.json()["error"]["existing_id"], id(&account));
        // Editing another account onto the same domain is refused too.
        let other = api
            .post_json("/api/crm/accounts", json!({"name": "Other"}))
            .await
            .json();
        let r = api
            .put_json(
                &format!("/api/crm/accounts/{}", id(&other)),
                json!({"version": 1, "domain": "acme.com"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);

        // A lead with a known email is created, with warnings linking to the matches.
        let lead = api
            .post_json(
                "/api/crm/leads",
                json!({"name": "Ada again", "email": "ada@example.com"}),
            )
            .await;
        assert_eq!(lead.status, StatusCode::CREATED);
        let warnings = lead.json()["warnings"].clone();
        assert_eq!(warnings[0]["kind"], "contact");
        assert_eq!(warnings[0]["id"], id(&contact));
        let second = api
            .post_json(
                "/api/crm/leads",
                json!({"name": "Ada thrice", "email": "ada@example.com"}),
            )
            .await
            .json();
        assert_eq!(
            second["warnings"].as_array().unwrap().len(),
            2,
            "the contact and the open lead"
        );
    })
    .await;
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer() {
    on_every_backend(async |app| {
        let (mut api, _) = app.api("sam@example.com", Role::Sales).await;
        let body = json!({"name": "Acme", "city": "Leeds"});
        let first = api
            .post_json_keyed("/api/crm/accounts", "key-1", body.clone())
            .await;
        let again = api
            .post_json_keyed("/api/crm/accounts", "key-1", body.clone())
            .await;
        assert_eq!(
            (first.status, again.status),
            (StatusCode::CREATED, StatusCode::CREATED)
        );
        assert_eq!(first.json(), again.json());
        assert_eq!(app.count("accounts").await, 1);
        let other = api
            .post_json_keyed("/api/crm/accounts", "key-1", json!({"name": "Other"}))
            .await;
        assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.count("accounts").await, 1);
        // Keys belong to their user: someone else's same key is a fresh create.
        let (mut colleague, _) = app.api("sue@example.com", Role::Sales).await;
        assert_eq!(
            colleague
                .post_json_keyed("/api/crm/accounts", "key-1", body)
                .await
                .status,
            StatusCode::CREATED
        );
        assert_eq!(app.count("accounts").await, 2);
    })
    .await;
}

#[tokio::test]
async fn opportunity_stage_rules_and_history() {
    on_every_backend(async |app| {
    let (mut sales, _) = app.api("sam@example.com", Role::Sales).await;
    let (mut manager, _) = app.api("meg@example.com", Role::Manager).await;
    let opp = sales.post_json("/api/crm/opportunities", json!({"name": "Big deal"})).await.json();
    assert_eq!((opp["stage"].as_str(), opp["probability"].as_i64()), (Some("lead"), Some(10)));
    let path = format!("/api/crm/opportunities/{}", id(&opp));

    let r = sales.put_json(&path, json!({"version": 1, "stage": "qualified"})).await;
    assert_eq!((r.status, r.json()["probability"].as_i64()), (StatusCode::OK, Some(25)), "ungated open stages move freely");
    let r = sales.put_json(&path, json!({"version": 2, "stage": "won"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = r.json()["error"]["fields"].clone();
    assert!(fields["value"].is_array() && fields["account_id"].is_array(), "{fields}");
    let r = sales.put_json(&path, json!({"version": 2, "stage": "lost"})).await;
    assert!(r.json()["error"]["fields"]["lost_reason"].is_array());

    let account = sales.post_json("/api/crm/accounts", json!({"name": "Acme"})).await.json();
    let r = sales.put_json(&path, json!({"version": 2, "stage": "won", "value": "12500.50", "account_id": id(&account)})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let won = r.json();
    assert_eq!((won["value"].as_f64(), won["probability"].as_i64()), (Some(12500.5), Some(100)));
    assert!(won["closed_at"].is_string());

    let r = sales.put_json(&path, json!({"version": 3, "stage": "qualified"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only managers reopen");
    let r = manager.put_json(&path, json!({"version": 3, "stage": "negotiation"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "reopening into a gated stage meets its gate");
    let contact = sales.post_json("/api/crm/contacts", json!({"first_name": "Pat", "email": "pat@acme.example"})).await.json();
    let r = manager.put_json(&path, json!({"version": 3, "stage": "negotiation", "primary_contact_id": id(&contact)})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["closed_at"].is_null());

    let mut h = app.state.db.handle().await.unwrap();
    let history = crm::server::db::opportunities::stage_history(&mut h.c(), id(&opp).parse().unwrap()).await.unwrap();
    let moves: Vec<_> = history.iter().rev().map(|h| (h.from_stage.clone(), h.to_stage.clone())).collect();
    assert_eq!(
        moves,
        [(None, "lead".into()), (Some("lead".into()), "qualified".into()), (Some("qualified".into()), "won".into()), (Some("won".into()), "negotiation".into())]
    );
    let created_won = sales.post_json("/api/crm/opportunities", json!({"name": "Instant", "stage": "won"})).await;
    assert_eq!(created_won.status, StatusCode::UNPROCESSABLE_ENTITY, "the gate applies to creates too");
    assert_eq!(sales.post_json("/api/crm/opportunities", json!({"name": "X", "stage": "nope"})).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn qualify_creates_the_account_contact_and_opportunity_once() {
    for db in TestDb::all().await {
        let app = TestApp::on(db, |_| {}).await;
        qualify_scenario(&app).await;
    }
}

async fn qualify_scenario(app: &TestApp) {
    let (mut api, me) = app.api("sam@example.com", Role::Sales).await;
    let lead = api
        .post_json("/api/crm/leads", json!({"name": "Ada King Lovelace", "company": "Analytical Engines", "email": "ada@engines.example", "phone": "+44 20 7946 0000"}))
        .await
        .json();
    let path = format!("/api/crm/leads/{}/qualify", id(&lead));
    let r = api.post_json(&path, json!({"value": 5000})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let first = r.json();
    assert_eq!(
        (
            first["account_created"].as_bool(),
            first["contact_created"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(first["lead"]["status"], "qualified");
    let account = api
        .get(&format!(
            "/api/crm/accounts/{}",
            first["account_id"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(
        (account["name"].as_str(), account["domain"].as_str()),
        (Some("Analytical Engines"), Some("engines.example"))
    );
    let contact = api
        .get(&format!(
            "/api/crm/contacts/{}",
            first["contact_id"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(
        (
            contact["first_name"].as_str(),
            contact["last_name"].as_str(),
            contact["role"].as_str()
        ),
        (Some("Ada"), Some("King Lovelace"), Some("prospect"))
    );
    assert_eq!(contact["account_id"], first["account_id"]);
    let opp = api
        .get(&format!(
            "/api/crm/opportunities/{}",
            first["opportunity_id"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(
        (opp["stage"].as_str(), opp["value"].as_f64()),
        (Some("qualified"), Some(5000.0))
    );
    assert_eq!(
        (opp["account_id"].clone(), opp["primary_contact_id"].clone()),
        (first["account_id"].clone(), first["contact_id"].clone())
    );
    assert_eq!(opp["owner_id"], me.to_string());
    assert_eq!(opp["lead_id"], lead["id"]);

    let counts = (
        app.count("accounts").await,
        app.count("contacts").await,
        app.count("opportunities").await,
    );
    let again = api.post_json(&path, json!({})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json(), first, "the same answer");
    assert_eq!(
        (
            app.count("accounts").await,
            app.count("contacts").await,
            app.count("opportunities").await
        ),
        counts,
        "nothing new"
    );

    // A second lead from the same company domain and a known email reuses both.
    let lead2 = api
        .post_json(
            "/api/crm/leads",
            json!({"name": "Charles", "email": "charles@engines.example"}),
        )
        .await
        .json();
    let r = api
        .post_json(&format!("/api/crm/leads/{}/qualify", id(&lead2)), json!({}))
        .await
        .json();
    assert_eq!(
        (r["account_id"].clone(), r["account_created"].as_bool()),
        (first["account_id"].clone(), Some(false))
    );
    assert_eq!(r["contact_created"], true);
    let lead3 = api.post_json("/api/crm/leads", json!({"name": "Ada", "email": "ada@engines.example", "company": "analytical engines "})).await.json();
    let r = api
        .post_json(
            &format!("/api/crm/leads/{}/qualify", id(&lead3)),
            Value::Null,
        )
        .await
        .json();
    assert_eq!(
        (r["contact_id"].clone(), r["contact_created"].as_bool()),
        (first["contact_id"].clone(), Some(false))
    );

    // A free-mail lead with only a company name matches the account by its exact name.
    let lead4 = api
        .post_json(
            "/api/crm/leads",
            json!({"name": "Bob", "email": "bob@gmail.com", "company": "Analytical Engines"}),
        )
        .await
        .json();
    let r = api
        .post_json(&format!("/api/crm/leads/{}/qualify", id(&lead4)), json!({}))
        .await
        .json();
    assert_eq!(r["account_id"], first["account_id"]);

    let disqualified = api
        .post_json("/api/crm/leads", json!({"name": "Nope"}))
        .await
        .json();
    api.put_json(
        &format!("/api/crm/leads/{}", id(&disqualified)),
        json!({"version": 1, "status": "disqualified", "disqualify_reason": "spam"}),
    )
    .await;
    let r = api
        .post_json(
            &format!("/api/crm/leads/{}/qualify", id(&disqualified)),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn roles_decide_who_does_what() {
    on_every_backend(async |app| {
    let (mut sales, sales_id) = app.api("sam@example.com", Role::Sales).await;
    let (mut other_sales, other_sales_id) = app.api("sid@example.com", Role::Sales).await;
    let (mut support, _) = app.api("sue@example.com", Role::Support).await;
    let (mut manager, manager_id) = app.api("meg@example.com", Role::Manager).await;
    let mut nobody = app.client();

    let lead = sales.post_json("/api/crm/leads", json!({"name": "Ada"})).await.json();
    let account = sales.post_json("/api/crm/accounts", json!({"name": "Acme"})).await.json();
    assert_eq!(nobody.get("/api/crm/leads").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(support.get("/api/crm/leads").await.status, StatusCode::FORBIDDEN);
    assert_eq!(support.get(&format!("/api/crm/leads/{}", id(&lead))).await.status, StatusCode::FORBIDDEN);
    assert_eq!(support.get("/api/crm/accounts").await.status, StatusCode::OK);
    assert_eq!(support.post_json("/api/crm/accounts", json!({"name": "X"})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(support.put_json(&format!("/api/crm/accounts/{}", id(&account)), json!({"version": 1, "city": "Paris"})).await.status, StatusCode::FORBIDDEN);
    let note = json!({"kind": "call", "subject": "Support call", "related_type": "account", "related_id": id(&account)});
    assert_eq!(support.post_json("/api/crm/activities", note).await.status, StatusCode::CREATED);
    let on_lead = json!({"kind": "note", "subject": "x", "related_type": "lead", "related_id": id(&lead)});
    assert_eq!(support.post_json("/api/crm/activities", on_lead).await.status, StatusCode::FORBIDDEN);
    assert_eq!(support.post_json(&format!("/api/crm/leads/{}/qualify", id(&lead)), json!({})).await.status, StatusCode::FORBIDDEN);

    // Reassigning: sales only what they own; managers anything.
    let path = format!("/api/crm/leads/{}", id(&lead));
    let r = other_sales.put_json(&path, json!({"version": 1, "owner_id": manager_id})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = sales.put_json(&path, json!({"version": 1, "owner_id": manager_id})).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = manager.put_json(&path, json!({"version": 2, "owner_id": sales_id})).await;
    assert_eq!(r.status, StatusCode::OK);
    // Sales edit their own and their teams' records (issue 19's default): a colleague outside
    // their teams may read the lead but not change it; in one team with its owner, they may.
    assert_eq!(other_sales.get(&path).await.status, StatusCode::OK);
    assert_eq!(other_sales.put_json(&path, json!({"version": 3, "phone": "+1 415 555 0100"})).await.status, StatusCode::FORBIDDEN);
    let (mut root, _) = app.api("root@example.com", Role::SuperAdmin).await;
    let team = json!({"name": "West", "member_ids": [sales_id, other_sales_id]});
    assert_eq!(root.post_json("/api/admin/teams", team).await.status, StatusCode::CREATED);
    assert_eq!(other_sales.put_json(&path, json!({"version": 3, "phone": "+1 415 555 0100"})).await.status, StatusCode::OK);
    // Creating for someone else is for managers.
    let r = sales.post_json("/api/crm/leads", json!({"name": "For Meg", "owner_id": manager_id})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = manager.post_json("/api/crm/leads", json!({"name": "For Sam", "owner_id": sales_id})).await;
    assert_eq!((r.status, r.json()["owner_id"].clone()), (StatusCode::CREATED, json!(sales_id.to_string())));
    })
    .await;
}

#[tokio::test]
async fn every_change_is_audited_with_old_and_new_values() {
    on_every_backend(async |app| {
        let (mut api, me) = app.api("sam@example.com", Role::Sales).await;
        let lead = api
            .post_json("/api/crm/leads", json!({"name": "Ada", "company": "Acme"}))
            .await
            .json();
        api.put_json(
            &format!("/api/crm/leads/{}", id(&lead)),
            json!({"version": 1, "company": "Engines", "status": "contacted"}),
        )
        .await;
        let mut h = app.state.db.handle().await.unwrap();
        let entries = crm::server::db::audit::for_target(&mut h.c(), "lead", &id(&lead), 10)
            .await
            .unwrap();
        let actions: Vec<_> = entries.iter().map(|(e, _)| e.action.clone()).collect();
        assert_eq!(actions, ["lead.status_changed", "lead.created"]);
        let (change, actor) = &entries[0];
        assert_eq!(change.actor_id, Some(me));
        assert_eq!(actor.as_deref(), Some("Sales sam@example.com"));
        assert_eq!(
            change.details.0["changes"]["company"],
            json!({"old": "Acme", "new": "Engines"})
        );
        assert_eq!(
            change.details.0["changes"]["status"],
            json!({"old": "new", "new": "contacted"})
        );
        // An edit that changes nothing writes nothing.
        let same = api
            .put_json(
                &format!("/api/crm/leads/{}", id(&lead)),
                json!({"version": 2, "company": "Engines"}),
            )
            .await;
        assert_eq!(same.json()["version"], 2);
        assert_eq!(
            crm::server::db::audit::for_target(&mut h.c(), "lead", &id(&lead), 10)
                .await
                .unwrap()
                .len(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn search_finds_records_by_word_and_prefix_for_those_who_may_see_them() {
    for db in TestDb::all().await {
        let app = TestApp::on(db, |_| {}).await;
        let (mut sales, _) = app.api("sam@example.com", Role::Sales).await;
        let (mut support, _) = app.api("sue@example.com", Role::Support).await;
        sales.post_json("/api/crm/leads", json!({"name": "Ada Lovelace", "company": "Analytical Engines", "email": "ada@engines.example"})).await;
        sales.post_json("/api/crm/contacts", json!({"first_name": "Charles", "last_name": "Babbage", "email": "cb@engines.example"})).await;
        sales
            .post_json(
                "/api/crm/accounts",
                json!({"name": "Difference Engines Ltd", "domain": "difference.example"}),
            )
            .await;
        let found = |r: Resp| -> Vec<(String, String)> {
            r.json()["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    (
                        x["kind"].as_str().unwrap().to_string(),
                        x["title"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        let all = found(sales.get("/api/crm/search?q=engin").await);
        assert!(
            all.contains(&("lead".into(), "Ada Lovelace".into())),
            "{all:?}"
        );
        assert!(
            all.contains(&("contact".into(), "Charles Babbage".into())),
            "{all:?}"
        );
        assert!(
            all.contains(&("account".into(), "Difference Engines Ltd".into())),
            "{all:?}"
        );
        assert_eq!(
            found(sales.get("/api/crm/search?q=lovel%20ada").await),
            [("lead".into(), "Ada Lovelace".into())]
        );
        assert_eq!(
            found(sales.get("/api/crm/search?q=ada%40engines").await),
            [("lead".into(), "Ada Lovelace".into())]
        );
        assert!(
            found(sales.get("/api/crm/search?q=%22%20OR%20*").await).is_empty(),
            "syntax is not interpreted"
        );
        let support_sees = found(support.get("/api/crm/search?q=engin").await);
        assert!(
            support_sees.iter().all(|(k, _)| k != "lead"),
            "{support_sees:?}"
        );
        assert_eq!(
            app.client().get("/api/crm/search?q=ada").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn tasks_are_assigned_completed_and_listed_overdue_first() {
    on_every_backend(async |app| {
        let (mut sales, me) = app.api("sam@example.com", Role::Sales).await;
        let (mut support, support_id) = app.api("sue@example.com", Role::Support).await;
        let now = app.state.now();
        let later = sales
            .post_json(
                "/api/crm/tasks",
                json!({"title": "Later", "due_at": now + chrono::Duration::days(3)}),
            )
            .await
            .json();
        let overdue = sales
            .post_json(
                "/api/crm/tasks",
                json!({"title": "Overdue", "due_at": now - chrono::Duration::days(1)}),
            )
            .await
            .json();
        sales
            .post_json("/api/crm/tasks", json!({"title": "Someday"}))
            .await;
        let theirs = sales
            .post_json(
                "/api/crm/tasks",
                json!({"title": "For support", "assignee_id": support_id}),
            )
            .await
            .json();
        assert_eq!(later["assignee_id"], me.to_string());

        let mine = sales
            .get(&format!("/api/crm/tasks?assignee_id={me}&open=true"))
            .await
            .json();
        let titles: Vec<_> = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["Overdue", "Later", "Someday"]);

        let r = sales
            .put_json(
                &format!("/api/crm/tasks/{}", id(&overdue)),
                json!({"version": 1, "done": true}),
            )
            .await;
        assert!(r.json()["done_at"].is_string());
        // Support sees and completes only their own tasks.
        let list = support.get("/api/crm/tasks").await.json();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        assert_eq!(
            support
                .put_json(
                    &format!("/api/crm/tasks/{}", id(&later)),
                    json!({"version": 1, "done": true})
                )
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            support
                .put_json(
                    &format!("/api/crm/tasks/{}", id(&theirs)),
                    json!({"version": 1, "done": true})
                )
                .await
                .status,
            StatusCode::OK
        );
    })
    .await;
}

#[tokio::test]
async fn the_timeline_shows_activities_stage_moves_and_field_changes() {
    on_every_backend(async |app| {
    let (mut api, _) = app.api("sam@example.com", Role::Sales).await;
    let opp = api.post_json("/api/crm/opportunities", json!({"name": "Deal"})).await.json();
    app.clock.advance(chrono::Duration::minutes(1));
    api.put_json(&format!("/api/crm/opportunities/{}", id(&opp)), json!({"version": 1, "stage": "qualified"})).await;
    app.clock.advance(chrono::Duration::minutes(1));
    api.put_json(&format!("/api/crm/opportunities/{}", id(&opp)), json!({"version": 2, "name": "Bigger deal"})).await;
    app.clock.advance(chrono::Duration::minutes(1));
    api.post_json("/api/crm/activities", json!({"kind": "call", "subject": "Discussed pricing", "related_type": "opportunity", "related_id": id(&opp)})).await;

    let principal = {
        let mut h = app.state.db.handle().await.unwrap();
        let user = crm::server::db::users::by_email(&mut h.c(), "sam@example.com").await.unwrap().unwrap();
        crm::server::principal::Principal::Staff(crm::server::principal::Staff { user: user.current(), impersonator: None, via: crm::server::principal::Via::Token { token_id: uuid::Uuid::nil() }, reach: Default::default() })
    };
    let timeline = crm::server::sales::activities::timeline(&app.state, &principal, crm::domain::records::RecordKind::Opportunity, id(&opp).parse().unwrap())
        .await
        .unwrap();
    let titles: Vec<_> = timeline.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["Call: Discussed pricing", "Edited", "Stage: Lead → Qualified", "Created in Lead", "Created this opportunity"]);
    assert_eq!(timeline[1].changes[0].old.as_deref(), Some("Deal"));
    assert_eq!(timeline[1].changes[0].new.as_deref(), Some("Bigger deal"));
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_lists_every_crm_route() {
    on_every_backend(async |app| {
        let doc = app.client().get("/api/openapi.json").await.json();
        assert_eq!(
            doc["openapi"].as_str().map(|v| v.starts_with("3.")),
            Some(true)
        );
        let paths = doc["paths"].as_object().unwrap();
        for (path, methods) in [
            ("/api/crm/leads", &["get", "post"][..]),
            ("/api/crm/leads/{id}", &["get", "put"]),
            ("/api/crm/leads/{id}/qualify", &["post"]),
            ("/api/crm/opportunities", &["get", "post"]),
            ("/api/crm/opportunities/{id}", &["get", "put"]),
            ("/api/crm/accounts", &["get", "post"]),
            ("/api/crm/accounts/{id}", &["get", "put"]),
            ("/api/crm/contacts", &["get", "post"]),
            ("/api/crm/contacts/{id}", &["get", "put"]),
            ("/api/crm/activities", &["get", "post"]),
            ("/api/crm/tasks", &["get", "post"]),
            ("/api/crm/tasks/{id}", &["put"]),
            ("/api/crm/search", &["get"]),
        ] {
            for m in methods {
                assert!(
                    paths.get(path).and_then(|p| p.get(*m)).is_some(),
                    "{m} {path} missing from the OpenAPI document"
                );
            }
        }
        assert!(doc["components"]["schemas"]["Lead"].is_object());
    })
    .await;
}

#[tokio::test]
async fn a_fresh_list_says_it_is_empty_and_offers_the_way_on() {
    let app = TestApp::new().await;
    let (mut admin, _) = app.signed_in("ann@example.com", Role::Admin).await;
    let page = admin.get_html("/leads").await.text();
    assert!(page.contains("No leads yet."), "{page}");
    assert!(
        !page.contains("match these filters"),
        "no filter is applied"
    );
    let empty = page.split("class=\"empty\"").nth(1).unwrap_or_default();
    assert!(
        empty.contains("New lead") && empty.contains("/imports?kind=leads"),
        "{empty}"
    );
    let page = admin.get_html("/leads?q=nothing").await.text();
    assert!(page.contains("No leads match these filters."), "{page}");
    assert!(page.contains("Clear the filters"));
}

#[tokio::test]
async fn a_leads_history_stays_on_what_it_became_and_a_contact_lists_its_tickets() {
    on_every_backend(async |app| {
        let (mut sam, _) = app.api("sam@example.com", Role::Sales).await;
        let (mut sue, _) = app.api("sue@example.com", Role::Support).await;
        let lead = sam
            .post_json("/api/crm/leads", json!({"name": "Hedy Lamarr", "company": "Frequency Hopping", "email": "hedy@hop.example"}))
            .await
            .json();
        let lead_id = id(&lead);
        let r = sam
            .post_json("/api/crm/activities", json!({"kind": "call", "subject": "Discovery call", "related_type": "lead", "related_id": lead_id}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = sam
            .post_json("/api/crm/tasks", json!({"title": "Send the spec sheet", "related_type": "lead", "related_id": lead_id}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let q = sam
            .post_json(&format!("/api/crm/leads/{lead_id}/qualify"), json!({"value": 900}))
            .await
            .json();
        for kind in ["opportunity", "contact", "account"] {
            let record = q[format!("{kind}_id")].as_str().expect("id").to_string();
            let r = sam
                .post_json(&server_fn_path("record_timeline"), json!({"kind": kind, "id": record}))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let call = r
                .json()
                .as_array()
                .and_then(|t| t.iter().find(|e| e["title"] == "Call: Discovery call").cloned())
                .unwrap_or_else(|| panic!("the lead's call is on the {kind}: {}", r.text()));
            assert_eq!(call["source"], "lead Hedy Lamarr");
            assert_eq!(call["source_link"], format!("/leads/{lead_id}"));
            let r = sam
                .post_json(&server_fn_path("record_tasks"), json!({"kind": kind, "id": record}))
                .await;
            assert!(r.text().contains("Send the spec sheet"), "{kind}: {}", r.text());
        }

        // Support reads the opportunity but not leads: the lead's history stays out of it.
        let opp = q["opportunity_id"].as_str().expect("id").to_string();
        let r = sue
            .post_json(&server_fn_path("record_timeline"), json!({"kind": "opportunity", "id": opp}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(!r.text().contains("Discovery call"), "{}", r.text());
        let r = sue
            .post_json(&server_fn_path("record_tasks"), json!({"kind": "opportunity", "id": opp}))
            .await;
        assert!(!r.text().contains("Send the spec sheet"), "{}", r.text());

        // The contact's tickets, for whoever reads tickets.
        let contact = q["contact_id"].as_str().expect("id").to_string();
        let r = sue
            .post_json("/api/crm/tickets", json!({"subject": "Antenna drift", "contact_id": contact, "channel": "phone"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = sue.get(&format!("/api/crm/tickets?status=all&contact_id={contact}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["total"], 1, "{}", r.text());
    })
    .await;
}

/// What the OpenAPI document says of inputs is what the server does: whole numbers written as
/// `2.0` are integers, the support queue refuses filters that name nothing, a contact that
/// cannot use the portal is a conflict (its state, not the request), and the document carries
/// the rules (required text, lengths, enums) schemathesis checks both ways in `make test`.
#[tokio::test]
async fn inputs_are_read_as_the_openapi_document_describes_them() {
    on_every_backend(async |app| {
        let (mut api, _) = app.api("ada@example.com", Role::Admin).await;
        let lead = api
            .post_json("/api/crm/leads", json!({"name": "Whole Numbers"}))
            .await
            .json();
        let path = format!("/api/crm/leads/{}", lead["id"].as_str().unwrap());
        let r = api
            .put_json(&path, json!({"version": 1.0, "company": "Floats Ltd"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["version"], 2);
        let r = api.put_json(&path, json!({"version": 2.5})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());

        for bad in ["status=hot", "assigned=everyone"] {
            let r = api.get(&format!("/api/crm/tickets?{bad}")).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}: {}",
                r.text()
            );
        }
        for fine in [
            "status=all",
            "status=",
            "assigned=mine",
            "priority=",
            "contact_id=",
        ] {
            let r = api.get(&format!("/api/crm/tickets?{fine}")).await;
            assert_eq!(r.status, StatusCode::OK, "{fine}: {}", r.text());
        }

        let contact = api
            .post_json(
                "/api/crm/contacts",
                json!({"first_name": "No", "last_name": "Mail", "role": "client"}),
            )
            .await
            .json();
        let r = api
            .post_json(
                &format!(
                    "/api/crm/contacts/{}/portal-invite",
                    contact["id"].as_str().unwrap()
                ),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
        assert!(r.text().contains("email address first"), "{}", r.text());

        let doc = app.client().get("/api/openapi.json").await.json();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["LeadFields"]["required"], json!(["name"]));
        assert_eq!(
            schemas["LeadFields"]["properties"]["name"]["maxLength"],
            200
        );
        assert!(schemas["LeadFields"]["properties"]["email"]["pattern"].is_string());
        assert_eq!(
            schemas["PasswordChange"]["properties"]["new_password"]["minLength"],
            10
        );
        let roles = &schemas["NewUserInput"]["properties"]["role"]["enum"];
        assert!(
            roles.as_array().unwrap().iter().all(|r| r != "client"),
            "{roles}"
        );
        let tickets = &doc["paths"]["/api/crm/tickets"]["get"]["parameters"];
        let status = tickets
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "status")
            .unwrap();
        assert_eq!(status["in"], "query");
        assert!(
            status["schema"]["enum"]
                .as_array()
                .unwrap()
                .contains(&json!("pending"))
        );
    })
    .await;
}

/// Whose records a user reaches is kept between their requests, but never past a change: a
/// member taken out of a team, or a role's visibility narrowed, loses sight of the records at
/// their very next request, on this server and on another one on the same database, signed in
/// with a token or a session.
#[tokio::test]
async fn a_change_of_team_or_visibility_applies_at_the_next_request_on_every_server() {
    on_every_backend(async |app| {
        let (mut root, _) = app.api("root@example.com", Role::SuperAdmin).await;
        let (mut sid, sid_id) = app.api("sid@example.com", Role::Sales).await;
        let (mut sam_here, sam_id) = app.signed_in("sam@example.com", Role::Sales).await;
        let mut sam_there = app.another_server().await;
        sam_there.bearer = Some(app.token_for("sam@example.com").await);
        let r = root
            .put_json(
                "/api/admin/visibility",
                json!({"sales": {"see": "team", "edit": "team"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let team = json!({"name": "West", "member_ids": [sam_id, sid_id]});
        let r = root.post_json("/api/admin/teams", team).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let team_id = id(&r.json());
        let lead = sid
            .post_json("/api/crm/leads", json!({"name": "Ada"}))
            .await
            .json();
        let path = format!("/api/crm/leads/{}", id(&lead));
        // Read twice each, so what the servers keep is what the next answer comes from.
        for _ in 0..2 {
            assert_eq!(sam_here.get(&path).await.status, StatusCode::OK);
            assert_eq!(sam_there.get(&path).await.status, StatusCode::OK);
        }

        let r = root
            .put_json(
                &format!("/api/admin/teams/{team_id}"),
                json!({"name": "West", "member_ids": [sid_id]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(sam_here.get(&path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(sam_there.get(&path).await.status, StatusCode::NOT_FOUND);

        // Back in the team: in sight again; then the role sees only its own.
        let r = root
            .put_json(
                &format!("/api/admin/teams/{team_id}"),
                json!({"name": "West", "member_ids": [sid_id, sam_id]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(sam_there.get(&path).await.status, StatusCode::OK);
        assert_eq!(sam_here.get(&path).await.status, StatusCode::OK);
        let r = root
            .put_json(
                "/api/admin/visibility",
                json!({"sales": {"see": "own", "edit": "own"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(sam_here.get(&path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(sam_there.get(&path).await.status, StatusCode::NOT_FOUND);
        let listed = sam_there.get("/api/crm/leads").await.json();
        assert_eq!(
            listed["items"].as_array().map(Vec::len),
            Some(0),
            "{listed}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_taken_domain_or_email_names_its_holder_only_to_those_who_see_it() {
    on_every_backend(async |app| {
        let (mut root, _) = app.api("root@example.com", Role::SuperAdmin).await;
        let (mut sid, _) = app.api("sid@example.com", Role::Sales).await;
        let (mut sam, _) = app.api("sam@example.com", Role::Sales).await;
        let account = sid
            .post_json("/api/crm/accounts", json!({"name": "Secret Holdings", "domain": "secret.example"}))
            .await;
        assert_eq!(account.status, StatusCode::CREATED, "{}", account.text());
        let contact = sid
            .post_json("/api/crm/contacts", json!({"first_name": "Hidden", "last_name": "Person", "email": "hidden@secret.example"}))
            .await;
        assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.text());
        let (account_id, contact_id) = (id(&account.json()), id(&contact.json()));

        // Everyone sees everything (the default): the 409 names the holder to open.
        let r = sam.post_json("/api/crm/accounts", json!({"name": "Again", "domain": "secret.example"})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
        assert_eq!(r.json()["error"]["existing_id"], account_id.as_str());

        // Sales see their own only: still refused, but nothing about whose it is.
        let r = root
            .put_json("/api/admin/visibility", json!({"sales": {"see": "own", "edit": "own"}}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        for (path, body) in [
            ("/api/crm/accounts", json!({"name": "Again", "domain": "secret.example"})),
            ("/api/crm/contacts", json!({"first_name": "Again", "email": "HIDDEN@secret.example"})),
        ] {
            let r = sam.post_json(path, body).await;
            assert_eq!(r.status, StatusCode::CONFLICT, "{path}: {}", r.text());
            let text = r.text();
            assert!(r.json()["error"]["existing_id"].is_null(), "{path}: {text}");
            assert!(!text.contains(&account_id) && !text.contains(&contact_id), "{text}");
            assert!(text.contains("outside the records you see"), "{text}");
        }
        // Their owner still gets the holder named.
        let r = sid.post_json("/api/crm/contacts", json!({"first_name": "Twice", "email": "hidden@secret.example"})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
        assert_eq!(r.json()["error"]["existing_id"], contact_id.as_str());
    })
    .await;
}
