//! CSV import and export through the HTTP API: every row accounted for, dedup modes,
//! duplicates inside a file, dry run, resume after a crash between batches, cancel, undo,
//! formula neutralisation, export → import round trip, and who may do what.

use crate::common::*;
use axum::http::StatusCode;
use crm::domain::import::ImportStatus;
use crm::domain::user::Role;
use crm::server::db::imports;
use crm::server::import::job;
use serde_json::{Value, json};
use uuid::Uuid;

/// Uploads `csv` and waits until its background work is over; returns the import.
async fn import(
    c: &mut Client,
    app: &TestApp,
    kind: &str,
    dedup: &str,
    action: &str,
    csv: &str,
) -> Value {
    import_mapped(
        c,
        app,
        &[("kind", kind), ("dedup", dedup), ("action", action)],
        csv,
    )
    .await
}

async fn import_mapped(c: &mut Client, app: &TestApp, fields: &[(&str, &str)], csv: &str) -> Value {
    let r = c
        .upload("/api/crm/imports", fields, "people.csv", csv.as_bytes())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().expect("id").to_string();
    settle(c, app, &id).await
}

/// Polls an import until no job works on it.
async fn settle(c: &mut Client, _app: &TestApp, id: &str) -> Value {
    for _ in 0..600 {
        let r = c.get(&format!("/api/crm/imports/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let v = r.json();
        let status: ImportStatus = v["status"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .expect("status");
        if !status.is_working() {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("import {id} did not finish");
}

fn counts(v: &Value) -> (i64, i64, i64, i64, i64) {
    let c = &v["counts"];
    let n = |k: &str| c[k].as_i64().unwrap_or(-1);
    (
        n("created"),
        n("updated"),
        n("skipped_duplicate"),
        n("duplicate_in_file"),
        n("invalid"),
    )
}

/// The outcome file as (row, outcome, record_id, message) lines.
async fn outcome_file(c: &mut Client, id: &str) -> Vec<Vec<String>> {
    let r = c.get(&format!("/api/crm/imports/{id}/rows.csv")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.header("content-type")
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let mut reader = csv::ReaderBuilder::new().from_reader(r.body.as_slice());
    reader
        .records()
        .map(|rec| rec.expect("csv").iter().map(str::to_string).collect())
        .collect()
}

const MESSY: &str = "\u{feff}First Name,Last Name,E-mail Address,Company,Job Title,Notes\n\
Ada,Lovelace,ada@example.com,\"Analytical Engines, Ltd\",Countess,first\n\
Zoë,Ñúñez,zoe@example.com,Acme,CTO,\"multi\nline note\"\n\
Ada,L.,ADA@EXAMPLE.COM,Acme,,same person in capitals\n\
Bad,Email,not-an-email,Acme,,\n\
,,,,,\n\
Grace,Hopper,grace@example.com,Acme,Rear Admiral,\n";

#[tokio::test]
async fn a_messy_contacts_file_accounts_for_every_row() {
    on_every_backend(async |app| {
        let (mut sales, sales_id) = app.api("sales@example.com", Role::Sales).await;
        // The guessed mapping, with the notes kept as custom data.
        let mapping = json!([
            {"header": "First Name", "field": "first_name"}, {"header": "Last Name", "field": "last_name"},
            {"header": "E-mail Address", "field": "email"}, {"header": "Company", "field": "company"},
            {"header": "Job Title", "field": "title"}, {"header": "Notes", "field": "custom"},
        ])
        .to_string();
        let v = import_mapped(&mut sales, &app, &[("kind", "contacts"), ("mapping", &mapping)], MESSY).await;
        assert_eq!(v["status"], "done", "{v}");
        let id = v["id"].as_str().expect("id").to_string();
        // 6 data rows: 3 created, 1 duplicate in the file, 1 invalid email, 1 empty row.
        assert_eq!(counts(&v), (3, 0, 0, 1, 2), "{v}");
        assert_eq!(v["total_rows"], 6);
        assert_eq!(v["rows_done"], 6);
        assert_eq!(app.count("contacts").await, 3);
        // The company column found-or-created two accounts, once each.
        assert_eq!(app.count("accounts").await, 2);

        let rows = outcome_file(&mut sales, &id).await;
        let outcomes: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ["1", "2", "3", "4", "5", "6"]);
        assert_eq!(&outcomes[..3], ["created", "created", "skipped_duplicate"]);
        assert!(outcomes[3].starts_with("invalid: email"), "{outcomes:?}");
        assert_eq!(outcomes[4], "invalid: The row is empty.");
        assert_eq!(outcomes[5], "created");
        assert_eq!(rows[2][3], "Same email as row 1.");
        // The duplicate points at the record its first row created.
        assert_eq!(rows[2][2], rows[0][2]);

        // The records: normalised, owned by the importer, marked with the import.
        let zoe = sales.get(&format!("/api/crm/contacts/{}", rows[1][2])).await.json();
        assert_eq!(zoe["first_name"], "Zoë");
        assert_eq!(zoe["last_name"], "Ñúñez");
        assert_eq!(zoe["title"], "CTO");
        assert_eq!(zoe["account_name"], "Acme");
        assert_eq!(zoe["owner_id"], sales_id.to_string());
        assert_eq!(zoe["custom"]["notes"], "multi\nline note");
        let ada = sales.get(&format!("/api/crm/contacts/{}", rows[0][2])).await.json();
        assert_eq!(ada["account_name"], "Analytical Engines, Ltd");
        let mut h = app.state.db.handle().await.expect("handle");
        let marked: i64 = crm::on!(&mut h.c(), c => sqlx::query_scalar("select count(*) from contacts where import_id is not null").fetch_one(c).await).expect("count");
        assert_eq!(marked, 3);
        // One audit entry per record created (contacts and accounts), plus start and finish.
        let audited: i64 = crm::on!(&mut h.c(), c => sqlx::query_scalar("select count(*) from audit_log where action in ('contact.created', 'account.created', 'import.started', 'import.finished')").fetch_one(c).await).expect("count");
        assert_eq!(audited, 3 + 2 + 2);
        // Each row's entry says where the run was started from, like any other write.
        let clients: Vec<(String, Option<String>, Option<String>)> = crm::on!(&mut h.c(), c => sqlx::query_as("select action, ip, user_agent from audit_log where action in ('contact.created', 'account.created', 'import.started', 'import.finished')").fetch_all(c).await).expect("clients");
        let started = clients.iter().find(|(a, ..)| a == "import.started").expect("started");
        assert!(started.1.is_some(), "{started:?}");
        for entry in &clients {
            assert_eq!((&entry.1, &entry.2), (&started.1, &started.2), "{entry:?}");
        }
        drop(h);
        // The chain is still whole.
        let mut h = app.state.db.handle().await.expect("handle");
        let verdict = crm::server::db::audit::verify(&mut h.c()).await.expect("verify");
        assert!(matches!(verdict, crm::server::db::audit::Verdict::Intact { .. }), "{verdict:?}");
    })
    .await;
}

#[tokio::test]
async fn dedup_modes_skip_fill_and_overwrite() {
    on_every_backend(async |app| {
        let (mut sales, _) = app.api("sales@example.com", Role::Sales).await;
        let r = sales.post_json("/api/crm/contacts", json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "title": "Countess"})).await;
        assert_eq!(r.status, StatusCode::CREATED);
        let ada = r.json()["id"].as_str().expect("id").to_string();
        let file = "Email,First Name,Last Name,Job Title,Phone\nADA@example.com,Augusta,Lovelace,Mathematician,+44 20 7946 0000\nnew@example.com,New,Person,,\n";

        let v = import(&mut sales, &app, "contacts", "skip", "run", file).await;
        assert_eq!(counts(&v), (1, 0, 1, 0, 0), "{v}");
        let now = sales.get(&format!("/api/crm/contacts/{ada}")).await.json();
        assert_eq!(now["title"], "Countess");
        assert_eq!(now["version"], 1);

        let v = import(&mut sales, &app, "contacts", "fill", "run", file).await;
        // The new person now exists too: skipped (nothing empty to fill on them either).
        assert_eq!(counts(&v), (0, 1, 1, 0, 0), "{v}");
        let now = sales.get(&format!("/api/crm/contacts/{ada}")).await.json();
        assert_eq!(now["first_name"], "Ada", "fill keeps what is there");
        assert_eq!(now["phone"], "+44 20 7946 0000", "fill sets what was empty");
        assert_eq!(now["version"], 2);

        let v = import(&mut sales, &app, "contacts", "overwrite", "run", file).await;
        assert_eq!(counts(&v), (0, 1, 1, 0, 0), "{v}");
        let now = sales.get(&format!("/api/crm/contacts/{ada}")).await.json();
        assert_eq!(now["first_name"], "Augusta");
        assert_eq!(now["title"], "Mathematician");
        assert_eq!(app.count("contacts").await, 2);
        // The update is audited with old → new.
        let mut h = app.state.db.handle().await.expect("handle");
        let details: String = crm::on!(&mut h.c(), c => sqlx::query_scalar("select cast(details as text) from audit_log where action = 'contact.updated' order by seq desc limit 1").fetch_one(c).await).expect("audit");
        assert!(details.contains("Augusta") && details.contains("import_id"), "{details}");
    })
    .await;
}

#[tokio::test]
async fn the_dry_run_counts_without_writing_then_the_wizard_runs_it() {
    let app = TestApp::new().await;
    let (mut sales, _) = app.api("sales@example.com", Role::Sales).await;
    // Semicolons, a preamble, and a column the wizard maps by hand.
    let file = "Exported from somewhere\n\nNom;Courriel;Société\nAda Lovelace;ada@example.com;Acme\nAda again;ADA@example.com;Acme\nNobody;bad@;Acme\n";
    let v = import(&mut sales, &app, "leads", "skip", "upload", file).await;
    assert_eq!(v["status"], "uploaded");
    assert_eq!(v["delimiter"], "semicolon");
    let id = v["id"].as_str().expect("id").to_string();
    let headers: Vec<&str> = v["mapping"]
        .as_array()
        .expect("mapping")
        .iter()
        .map(|m| m["header"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(headers, ["Nom", "Courriel", "Société"]);
    // Nothing was recognised in French: a dry run is refused until a name is mapped.
    let r = sales
        .post_json(&format!("/api/crm/imports/{id}/dry-run"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let mapping = json!([{"header": "Nom", "field": "name"}, {"header": "Courriel", "field": "email"}, {"header": "Société", "field": "company"}]);
    let r = sales
        .put_json(
            &format!("/api/crm/imports/{id}"),
            json!({"mapping": mapping, "dedup": "skip"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = sales
        .post_json(&format!("/api/crm/imports/{id}/dry-run"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = settle(&mut sales, &app, &id).await;
    assert_eq!(v["status"], "analysed", "{v}");
    assert_eq!(
        v["dry_run"],
        json!({"created": 1, "updated": 0, "skipped_duplicate": 0, "duplicate_in_file": 1, "invalid": 1})
    );
    assert_eq!(v["total_rows"], 3);
    assert_eq!(v["examples"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(app.count("leads").await, 0, "a dry run writes nothing");
    let r = sales
        .post_json(&format!("/api/crm/imports/{id}/start"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = settle(&mut sales, &app, &id).await;
    assert_eq!(v["status"], "done");
    assert_eq!(counts(&v), (1, 0, 0, 1, 1));
    let lead = sales.get("/api/crm/leads").await.json()["items"][0].clone();
    assert_eq!(lead["source"], "import");
    assert_eq!(lead["company"], "Acme");
    // Once run, the mapping is fixed and it cannot start again.
    let r = sales
        .put_json(
            &format!("/api/crm/imports/{id}"),
            json!({"mapping": mapping, "dedup": "skip"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = sales
        .post_json(&format!("/api/crm/imports/{id}/start"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// 4,500 rows (three batches), 10 of them repeating an earlier email in capitals; every row
/// names one of three companies.
fn big_file() -> String {
    let mut s = String::from("email,first_name,last_name,company\n");
    for i in 0..4_500 {
        let n = if i % 450 == 449 { i - 400 } else { i };
        let email = format!("person{n}@example.com");
        let email = if n != i { email.to_uppercase() } else { email };
        s.push_str(&format!("{email},Person,Number {i},Firm {}\n", i % 3));
    }
    s
}

#[tokio::test]
async fn a_crash_between_batches_resumes_without_creating_anything_twice() {
    on_every_backend(async |app| {
        let (mut sales, _) = app.api("sales@example.com", Role::Sales).await;
        let v = import(&mut sales, &app, "contacts", "skip", "upload", &big_file()).await;
        let id: Uuid = v["id"].as_str().expect("id").parse().expect("uuid");
        {
            let mut h = app.state.db.handle().await.expect("handle");
            assert!(
                imports::transition(
                    &mut h.c(),
                    id,
                    &[ImportStatus::Uploaded],
                    ImportStatus::Queued,
                    app.state.now()
                )
                .await
                .expect("queue")
            );
        }
        // The server dies after its first batch committed.
        job::work_at_most(&app.state, id, Some(1)).await;
        let v = sales.get(&format!("/api/crm/imports/{id}")).await.json();
        assert_eq!(v["status"], "running");
        assert_eq!(v["rows_done"], job::BATCH_ROWS as i64);
        assert_eq!(
            app.count("contacts").await,
            job::BATCH_ROWS as i64 - 4,
            "{v}"
        );
        // A new server picks it up.
        job::resume_all(&app.state).await;
        let v = settle(&mut sales, &app, &id.to_string()).await;
        assert_eq!(v["status"], "done", "{v}");
        assert_eq!(counts(&v), (4_490, 0, 0, 10, 0), "{v}");
        assert_eq!(app.count("contacts").await, 4_490);
        assert_eq!(app.count("import_rows").await, 4_500);
        // Each company became one account, whichever batch (or process) met it first.
        assert_eq!(app.count("accounts").await, 3);
        let rows = outcome_file(&mut sales, &id.to_string()).await;
        assert_eq!(rows.len(), 4_500);
        // A duplicate in the second batch of a row in the first, seen across the restart.
        assert_eq!(rows[2_249][1], "skipped_duplicate");
        assert_eq!(rows[2_249][3], "Same email as row 1850.");
    })
    .await;
}

#[tokio::test]
async fn cancel_keeps_committed_rows_and_undo_removes_what_was_created() {
    let app = TestApp::new().await;
    let (mut admin, _) = app.api("admin@example.com", Role::Admin).await;
    let (mut sales, _) = app.api("sales@example.com", Role::Sales).await;
    let v = import(&mut sales, &app, "contacts", "skip", "upload", &big_file()).await;
    let id: Uuid = v["id"].as_str().expect("id").parse().expect("uuid");
    {
        let mut h = app.state.db.handle().await.expect("handle");
        imports::transition(
            &mut h.c(),
            id,
            &[ImportStatus::Uploaded],
            ImportStatus::Queued,
            app.state.now(),
        )
        .await
        .expect("queue");
    }
    job::work_at_most(&app.state, id, Some(1)).await;
    let r = sales
        .post_json(&format!("/api/crm/imports/{id}/cancel"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = settle(&mut sales, &app, &id.to_string()).await;
    assert_eq!(v["status"], "cancelled", "{v}");
    assert_eq!(v["rows_done"], job::BATCH_ROWS as i64);
    let kept = app.count("contacts").await;
    assert_eq!(kept, job::BATCH_ROWS as i64 - 4);
    assert_eq!(
        outcome_file(&mut sales, &id.to_string()).await.len(),
        job::BATCH_ROWS
    );

    // Someone works on one of the imported contacts: undo keeps it.
    let first = outcome_file(&mut sales, &id.to_string()).await[0][2].clone();
    let r = sales.post_json("/api/crm/activities", json!({"kind": "call", "subject": "Called", "related_type": "contact", "related_id": first})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = sales
        .post_json(&format!("/api/crm/imports/{id}/undo"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only admins undo");
    let r = admin
        .post_json(&format!("/api/crm/imports/{id}/undo"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["deleted"], kept - 1);
    assert_eq!(app.count("contacts").await, 1);
    // The accounts the company column made go too, except the one the kept contact is in.
    assert_eq!(app.count("accounts").await, 1);
    let v = admin.get(&format!("/api/crm/imports/{id}")).await.json();
    assert_eq!(v["undone"], kept - 1);
}

#[tokio::test]
async fn export_neutralises_formulas_follows_the_filter_and_round_trips() {
    on_every_backend(async |app| {
        let (mut sales, _) = app.api("sales@example.com", Role::Sales).await;
        for (first, email, role) in [("=HYPERLINK(\"http://evil\")", "a@example.com", "client"), ("Plain", "b@example.com", "client"), ("Other", "c@example.com", "prospect")] {
            let r = sales.post_json("/api/crm/contacts", json!({"first_name": first, "last_name": "Person, Jr.", "email": email, "role": role})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        }
        let r = sales.get("/api/crm/contacts/export.csv?status=client").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(r.header("content-disposition").unwrap_or_default().contains("attachment"));
        let text = r.text();
        // UTF-8 with a byte-order mark, or Excel garbles accented names.
        let lines: Vec<&str> = text.strip_prefix('\u{feff}').expect("a byte-order mark").lines().collect();
        assert!(lines[0].starts_with("id,first_name,last_name,email"), "{}", lines[0]);
        assert_eq!(lines.len(), 3, "the filter applies: {text}");
        assert!(text.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "{text}");
        assert!(!text.contains(",=HYPERLINK"));
        // Importing the export with "skip duplicates" creates nothing.
        let before = app.count("contacts").await;
        let v = import(&mut sales, &app, "contacts", "skip", "run", &text).await;
        assert_eq!(counts(&v), (0, 0, 2, 0, 0), "{v}");
        assert_eq!(app.count("contacts").await, before);
        // Compressed, as browsers ask for it, both downloads end cleanly.
        for path in ["/api/crm/contacts/export.csv".to_string(), format!("/api/crm/imports/{}/rows.csv", v["id"].as_str().unwrap_or_default())] {
            let req = axum::http::Request::get(&path).header("accept-encoding", "br, gzip").body(axum::body::Body::empty()).expect("request");
            let r = sales.send(req).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            assert_eq!(r.header("content-encoding").as_deref(), Some("br"), "{path}");
        }
        let mut h = app.state.db.handle().await.expect("handle");
        let audited: i64 = crm::on!(&mut h.c(), c => sqlx::query_scalar("select count(*) from audit_log where action = 'contacts.exported'").fetch_one(c).await).expect("count");
        assert_eq!(audited, 2);
    })
    .await;
}

#[tokio::test]
async fn exports_and_tickets_follow_the_rules() {
    let app = TestApp::new().await;
    let (mut support, _) = app.api("support@example.com", Role::Support).await;
    assert_eq!(
        support.get("/api/crm/leads/export.csv").await.status,
        StatusCode::FORBIDDEN
    );
    let r = support.get("/api/crm/tickets/export.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().starts_with("\u{feff}number,subject"));
    // An admin viewing as a sales user cannot export.
    let (mut admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
    let sales_id = app.user("sales@example.com", Role::Sales).await;
    let r = admin
        .post_json(
            "/api/admin/impersonation",
            json!({"user_id": sales_id, "reason": "checking", "password": PASSWORD}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let r = admin.get("/api/crm/contacts/export.csv").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(r.text().contains("export"));
}

#[tokio::test]
async fn who_may_import_and_see_imports() {
    let app = TestApp::with_config(|c| c.import_max_bytes = 2_000).await;
    let (mut support, _) = app.api("support@example.com", Role::Support).await;
    let (mut sales, _) = app.api("sales@example.com", Role::Sales).await;
    let (mut other, _) = app.api("other@example.com", Role::Sales).await;
    let (mut manager, _) = app.api("manager@example.com", Role::Manager).await;
    let file = "Name,Email\nAda,ada@example.com\n";
    let r = support
        .upload(
            "/api/crm/imports",
            &[("kind", "contacts")],
            "x.csv",
            file.as_bytes(),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "support cannot create contacts"
    );
    let v = import(&mut sales, &app, "leads", "skip", "run", file).await;
    let id = v["id"].as_str().expect("id");
    assert_eq!(
        other.get(&format!("/api/crm/imports/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other
            .get(&format!("/api/crm/imports/{id}/rows.csv"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        manager.get(&format!("/api/crm/imports/{id}")).await.status,
        StatusCode::OK
    );
    let listed = other.get("/api/crm/imports").await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(0));
    // Too large, not CSV, or no kind: a clear 422, nothing stored.
    let big = "Name\n".to_string() + &"x\n".repeat(2_000);
    let r = sales
        .upload(
            "/api/crm/imports",
            &[("kind", "leads")],
            "big.csv",
            big.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("larger than"), "{}", r.text());
    let r = sales
        .upload("/api/crm/imports", &[("kind", "leads")], "empty.csv", b"")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = sales
        .upload("/api/crm/imports", &[], "x.csv", file.as_bytes())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = sales.post_json("/api/crm/imports", json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("imports").await, 1);
    let left = std::fs::read_dir(&app.state.config.upload_dir)
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 1, "refused uploads leave no file behind");
}

/// A person as the import should have read them from another system's export.
struct Expected {
    first: &'static str,
    last: &'static str,
    email: Option<&'static str>,
    phone: Option<&'static str>,
    company: &'static str,
}

const fn person(
    first: &'static str,
    last: &'static str,
    email: Option<&'static str>,
    phone: Option<&'static str>,
    company: &'static str,
) -> Expected {
    Expected {
        first,
        last,
        email,
        phone,
        company,
    }
}

/// Exports of the systems people leave for us (`tests/fixtures/exports/`, each with that
/// system's header names and quirks: Windows-1252, every cell quoted, a byte-order mark, a
/// preamble, a footer, several values in one cell, its own record ids) import with names,
/// emails, phones and companies mapped by the guesser alone.
#[tokio::test]
async fn other_systems_exports_import_with_the_guessed_mapping() {
    let systems: [(&str, [Expected; 2], usize); 8] = [
        // Salesforce's report ends with two one-cell footer lines: accounted for as invalid.
        (
            "salesforce",
            [
                person(
                    "Renée",
                    "Fournier",
                    Some("renee.fournier@sgo.example"),
                    Some("+33 4 72 00 11 22"),
                    "Société Générale d'Outillage",
                ),
                person(
                    "Jürgen",
                    "Weiß",
                    Some("j.weiss@weiss-soehne.example"),
                    Some("+49 221 555 0100"),
                    "Weiß & Söhne GmbH",
                ),
            ],
            2,
        ),
        (
            "hubspot",
            [
                person(
                    "Aiko",
                    "Tanaka",
                    Some("aiko.tanaka@kumo.example"),
                    Some("+81 3-1234-5678"),
                    "Kumo Systems, K.K.",
                ),
                person(
                    "Liam",
                    "O'Connor",
                    Some("liam@oconnor-logistics.example"),
                    Some("(617) 555-0134"),
                    "O'Connor Logistics",
                ),
            ],
            0,
        ),
        (
            "zoho",
            [
                person(
                    "Arjun",
                    "Mehta",
                    Some("arjun@mehtatextiles.example"),
                    Some("+91 22 4000 1234"),
                    "Mehta Textiles Pvt Ltd",
                ),
                person(
                    "Sofia",
                    "Rossi",
                    Some("sofia.rossi@rossidesign.example"),
                    Some("+39 02 1234 5678"),
                    "Rossi Design Srl",
                ),
            ],
            0,
        ),
        (
            "pipedrive",
            [
                person(
                    "Kwame",
                    "Mensah",
                    Some("kwame@accrasolar.example"),
                    Some("+233 30 222 3344"),
                    "Accra Solar Ltd",
                ),
                person(
                    "Ingrid",
                    "Larsen",
                    Some("ingrid@fjord.example"),
                    Some("+47 22 33 44 55"),
                    "Fjord Analytics AS",
                ),
            ],
            0,
        ),
        (
            "google",
            [
                person(
                    "Chloé",
                    "Dubois",
                    Some("chloe@atelier-dubois.example"),
                    Some("+33 6 98 76 54 32"),
                    "Atelier Dubois",
                ),
                person(
                    "Omar",
                    "Haddad",
                    Some("omar@haddad.example"),
                    Some("+971 4 123 4567"),
                    "Haddad Trading",
                ),
            ],
            0,
        ),
        (
            "outlook",
            [
                person(
                    "Björn",
                    "Åkesson",
                    Some("bjorn.akesson@nordiskmobler.example"),
                    Some("+46 40 123 456"),
                    "Nordisk Möbler AB",
                ),
                person(
                    "Ana",
                    "Peña",
                    Some("ana@pena-asociados.example"),
                    Some("+34 954 000 111"),
                    "Peña y Asociados",
                ),
            ],
            0,
        ),
        (
            "linkedin",
            [
                person(
                    "Mei",
                    "Chen",
                    Some("mei.chen@lotus.example"),
                    None,
                    "Lotus Robotics",
                ),
                person("David", "Cohen", None, None, "Cohen Partners"),
            ],
            0,
        ),
        (
            "mailchimp",
            [
                person(
                    "Lucía",
                    "Fernández",
                    Some("lucia.fernandez@verde.example"),
                    Some("+34 91 555 1234"),
                    "Verde Foods",
                ),
                person(
                    "Tom",
                    "Becker",
                    Some("tom.becker@becker.example"),
                    None,
                    "Becker Bau",
                ),
            ],
            0,
        ),
    ];
    let app = TestApp::new().await;
    let (mut sales, _) = app.api("sales@example.com", Role::Sales).await;
    let mut chloe = String::new();
    for (system, people, footer_rows) in systems {
        let path = format!(
            "{}/tests/fixtures/exports/{system}.csv",
            env!("CARGO_MANIFEST_DIR")
        );
        let file = std::fs::read(&path).expect("fixture");
        let r = sales
            .upload(
                "/api/crm/imports",
                &[("kind", "contacts")],
                &format!("{system}.csv"),
                &file,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{system}: {}", r.text());
        let id = r.json()["id"].as_str().expect("id").to_string();
        let v = settle(&mut sales, &app, &id).await;
        assert_eq!(v["status"], "done", "{system}: {v}");
        assert_eq!(
            counts(&v),
            (2, 0, 0, 0, footer_rows as i64),
            "{system}: {v}"
        );
        let rows = outcome_file(&mut sales, &id).await;
        assert_eq!(rows.len(), 2 + footer_rows, "{system}");
        for footer in &rows[2..] {
            assert!(
                footer[1].starts_with("invalid: The row has 1 column"),
                "{system}: {footer:?}"
            );
        }
        if system == "google" {
            chloe = rows[0][2].clone();
        }
        for (row, want) in rows.iter().zip(&people) {
            assert_eq!(row[1], "created", "{system}: {row:?}");
            let c = sales
                .get(&format!("/api/crm/contacts/{}", row[2]))
                .await
                .json();
            assert_eq!(c["first_name"], want.first, "{system}: {c}");
            assert_eq!(c["last_name"], want.last, "{system}: {c}");
            assert_eq!(c["email"].as_str(), want.email, "{system}: {c}");
            assert_eq!(c["phone"].as_str(), want.phone, "{system}: {c}");
            assert_eq!(c["account_name"], want.company, "{system}: {c}");
        }
    }
    // Google's second address of a person is kept on the record, not dropped.
    let c = sales
        .get(&format!("/api/crm/contacts/{chloe}"))
        .await
        .json();
    assert_eq!(c["custom"]["other_emails"], "chloe.d@mail.example", "{c}");
}

/// A role that does not see money imports accounts without their revenue: the revenue column is
/// not guessed for it, and a mapping that fills it is refused.
#[tokio::test]
async fn an_importer_who_does_not_see_money_leaves_revenue_unmapped() {
    let app = TestApp::new().await;
    let (mut root, _) = app.api("root@example.com", Role::SuperAdmin).await;
    let (mut sales, _) = app.api("sales@example.com", Role::Sales).await;
    let r = root
        .put_json(
            "/api/admin/visibility",
            json!({"sales": {"see": "all", "edit": "team", "money": false}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let file = "Name,Annual Revenue\nAcme,1250000\n";
    let v = import(&mut sales, &app, "accounts", "skip", "upload", file).await;
    assert_eq!(
        v["mapping"][1],
        json!({"header": "Annual Revenue", "field": null}),
        "{v}"
    );
    let id = v["id"].as_str().expect("id").to_string();
    let mapping = json!([{"header": "Name", "field": "name"}, {"header": "Annual Revenue", "field": "annual_revenue"}]);
    let r = sales
        .put_json(
            &format!("/api/crm/imports/{id}"),
            json!({"mapping": mapping, "dedup": "skip"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = sales
        .post_json(&format!("/api/crm/imports/{id}/start"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = settle(&mut sales, &app, &id).await;
    assert_eq!(v["status"], "done", "{v}");
    let acme = root.get("/api/crm/accounts").await.json()["items"][0].clone();
    assert_eq!(
        (acme["name"].clone(), acme["annual_revenue"].clone()),
        (json!("Acme"), Value::Null)
    );
    // Someone who sees money has the column guessed.
    let v = import(&mut root, &app, "accounts", "skip", "upload", file).await;
    assert_eq!(v["mapping"][1]["field"], json!("annual_revenue"), "{v}");
}
