//! The sales story: every sales repository function (leads, accounts, contacts, opportunities
//! and their stage history, activities, tasks, search, lists, idempotency keys, audit), called
//! directly on SQLite and, when `TEST_DATABASE_URL` is set, on PostgreSQL.

use crate::common::TestDb;
use chrono::{Duration, NaiveDate, Utc};
use crm::domain::account::{Account, AccountFields};
use crm::domain::activity::{Activity, ActivityKind, Task};
use crm::domain::contact::{Contact, ContactFields, ContactRole};
use crm::domain::lead::{Lead, LeadFields, LeadSource, LeadStatus};
use crm::domain::opportunity::{Opportunity, OpportunityFields};
use crm::domain::records::{ListQuery, RecordKind};
use crm::domain::user::Role;
use crm::server::db::list::{self, Filter};
use crm::server::db::sql::Arg;
use crm::server::db::truncate_micros;
use crm::server::db::{
    Db, accounts, activities, audit, contacts, idempotency, leads, opportunities, search, users,
};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn sales_story_on_every_backend() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        sales_story(&db).await;
        db.close().await;
    }
}

fn lead(owner: Uuid, name: &str, email: Option<&str>, at: chrono::DateTime<Utc>) -> Lead {
    Lead {
        id: Uuid::now_v7(),
        owner_id: owner,
        owner_name: None,
        status: LeadStatus::New,
        disqualify_reason: None,
        fields: LeadFields {
            name: name.into(),
            company: Some("Quinn Robotics".into()),
            email: email.map(str::to_string),
            source: LeadSource::Web,
            ..Default::default()
        },
        converted_account_id: None,
        converted_contact_id: None,
        converted_opportunity_id: None,
        created_at: at,
        updated_at: at,
        version: 1,
        custom: Default::default(),
    }
}

async fn sales_story(db: &Db) {
    let now = truncate_micros(Utc::now());
    let mut tx = db.begin().await.unwrap();
    let c = &mut tx.c();
    let ada = Uuid::now_v7();
    users::insert(
        c,
        &users::NewUser {
            id: ada,
            email: "ada@example.com",
            name: "Ada",
            role: Role::Sales,
            password_hash: None,
            now,
        },
    )
    .await
    .unwrap();

    // Leads: insert, read back with the owner's name, version-checked update, open duplicates.
    let mut first = lead(ada, "Grace Quinn", Some("grace@quinn.example"), now);
    leads::insert(c, &first).await.unwrap();
    let second = lead(
        ada,
        "Gus Quinn",
        Some("grace@quinn.example"),
        now + Duration::seconds(1),
    );
    leads::insert(c, &second).await.unwrap();
    let read = leads::get(c, first.id).await.unwrap().expect("lead");
    assert_eq!(read.owner_name.as_deref(), Some("Ada"));
    assert_eq!(read.fields, first.fields);
    first.status = LeadStatus::Contacted;
    first.updated_at = now + Duration::minutes(1);
    assert!(leads::update(c, &first, 1).await.unwrap());
    assert!(!leads::update(c, &first, 1).await.unwrap(), "stale version");
    let read = leads::get(c, first.id).await.unwrap().unwrap();
    assert_eq!((read.status, read.version), (LeadStatus::Contacted, 2));
    let open = leads::open_with_email(c, "grace@quinn.example", Some(first.id))
        .await
        .unwrap();
    assert_eq!(open, vec![(second.id, "Gus Quinn".to_string())]);
    leads::touch(c, second.id, now + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        leads::get(c, second.id).await.unwrap().unwrap().updated_at,
        now + Duration::hours(1)
    );

    // Accounts and contacts, with their natural keys.
    let account = Account {
        id: Uuid::now_v7(),
        owner_id: ada,
        owner_name: None,
        fields: AccountFields {
            name: "Quinn Robotics".into(),
            domain: Some("quinn.example".into()),
            annual_revenue: Some(12_000_000),
            ..Default::default()
        },
        primary_contact_name: None,
        contact_count: 0,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    accounts::insert(c, &account).await.unwrap();
    assert_eq!(
        accounts::id_by_domain(c, "quinn.example").await.unwrap(),
        Some(account.id)
    );
    assert_eq!(
        accounts::id_by_name(c, "Quinn Robotics").await.unwrap(),
        Some(account.id)
    );
    let contact = Contact {
        id: Uuid::now_v7(),
        owner_id: ada,
        owner_name: None,
        fields: ContactFields {
            first_name: Some("Grace".into()),
            last_name: Some("Quinn".into()),
            email: Some("grace@quinn.example".into()),
            phone: None,
            title: Some("CTO".into()),
            account_id: Some(account.id),
            role: ContactRole::Prospect,
            active: true,
            is_test: false,
        },
        account_name: None,
        created_at: now,
        updated_at: now,
        version: 1,
        custom: Default::default(),
    };
    contacts::insert(c, &contact).await.unwrap();
    assert_eq!(
        contacts::id_by_email(c, "grace@quinn.example")
            .await
            .unwrap(),
        Some(contact.id)
    );
    let read = contacts::get(c, contact.id).await.unwrap().unwrap();
    assert_eq!(read.account_name.as_deref(), Some("Quinn Robotics"));
    let mut edited = read.clone();
    edited.fields.title = Some("CEO".into());
    assert!(contacts::update(c, &edited, 1).await.unwrap());
    let mut with_primary = accounts::get(c, account.id).await.unwrap().unwrap();
    assert_eq!(with_primary.contact_count, 1);
    with_primary.fields.primary_contact_id = Some(contact.id);
    assert!(accounts::update(c, &with_primary, 1).await.unwrap());
    assert_eq!(
        accounts::get(c, account.id)
            .await
            .unwrap()
            .unwrap()
            .primary_contact_name
            .as_deref(),
        Some("Grace Quinn")
    );

    // Opportunities, their stage history, and the configured stages.
    let stages = opportunities::stages(c).await.unwrap();
    assert_eq!(
        stages.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(),
        [
            "lead",
            "qualified",
            "proposal",
            "negotiation",
            "won",
            "lost"
        ]
    );
    let mut deal = Opportunity {
        id: Uuid::now_v7(),
        owner_id: ada,
        owner_name: None,
        fields: OpportunityFields {
            name: "Quinn Robotics — Pilot".into(),
            account_id: Some(account.id),
            primary_contact_id: Some(contact.id),
            value: Some(1_250_000),
            expected_close: NaiveDate::from_ymd_opt(2027, 3, 31),
            ..Default::default()
        },
        stage: "qualified".into(),
        stage_label: None,
        probability: 25,
        account_name: None,
        primary_contact_name: None,
        stage_entered_at: now,
        closed_at: None,
        lead_id: Some(first.id),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    opportunities::insert(c, &deal).await.unwrap();
    opportunities::record_stage_change(c, deal.id, None, "qualified", now, Some(ada))
        .await
        .unwrap();
    deal.stage = "proposal".into();
    deal.updated_at = now + Duration::minutes(5);
    assert!(opportunities::update(c, &deal, 1).await.unwrap());
    opportunities::record_stage_change(
        c,
        deal.id,
        Some("qualified"),
        "proposal",
        now + Duration::minutes(5),
        Some(ada),
    )
    .await
    .unwrap();
    let read = opportunities::get(c, deal.id).await.unwrap().unwrap();
    assert_eq!(
        (
            read.stage.as_str(),
            read.fields.value,
            read.account_name.as_deref()
        ),
        ("proposal", Some(1_250_000), Some("Quinn Robotics"))
    );
    let history = opportunities::stage_history(c, deal.id).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| (h.from_stage.as_deref(), h.to_stage.as_str()))
            .collect::<Vec<_>>(),
        [(Some("qualified"), "proposal"), (None, "qualified")]
    );

    // Activities and tasks linked to the opportunity.
    let call = Activity {
        id: Uuid::now_v7(),
        owner_id: ada,
        owner_name: None,
        kind: ActivityKind::Call,
        subject: "Kick-off call".into(),
        body: Some("Budget confirmed".into()),
        occurred_at: now,
        related_type: RecordKind::Opportunity,
        related_id: deal.id,
        created_at: now,
        updated_at: now,
        version: 1,
        mail_id: None,
    };
    activities::insert_activity(c, &call).await.unwrap();
    assert_eq!(
        activities::get_activity(c, call.id)
            .await
            .unwrap()
            .unwrap()
            .subject,
        "Kick-off call"
    );
    let logged = activities::for_record(c, RecordKind::Opportunity, deal.id, 10)
        .await
        .unwrap();
    assert_eq!(logged.len(), 1);
    let mut task = Task {
        id: Uuid::now_v7(),
        owner_id: ada,
        title: "Send the proposal".into(),
        due_at: Some(now - Duration::days(1)),
        assignee_id: ada,
        assignee_name: None,
        done_at: None,
        related_type: Some(RecordKind::Opportunity),
        related_id: Some(deal.id),
        related_title: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    activities::insert_task(c, &task).await.unwrap();
    let read = activities::get_task(c, task.id).await.unwrap().unwrap();
    assert_eq!(
        read.related_title.as_deref(),
        Some("Quinn Robotics — Pilot")
    );
    assert!(read.is_overdue(now));
    assert_eq!(
        activities::open_tasks_for(c, RecordKind::Opportunity, deal.id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        activities::open_tasks_of(c, ada, 10).await.unwrap().len(),
        1
    );
    task.done_at = Some(now);
    task.updated_at = now;
    assert!(activities::update_task(c, &task, 1).await.unwrap());
    assert!(
        activities::open_tasks_of(c, ada, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        activities::done_tasks_of(c, ada, now - Duration::days(7))
            .await
            .unwrap()
            .len(),
        1
    );

    // Idempotency keys and audit rows.
    idempotency::store(c, ada, "key-1", "hash", 201, "{\"id\":1}", now)
        .await
        .unwrap();
    let stored = idempotency::find(c, ada, "key-1").await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.response.as_str()),
        (201, "{\"id\":1}")
    );
    assert!(idempotency::find(c, ada, "key-2").await.unwrap().is_none());
    audit::insert(
        c,
        &audit::NewEntry {
            actor_id: Some(ada),
            action: "opportunity.stage_changed".into(),
            target_type: Some("opportunity".into()),
            target_id: Some(deal.id.to_string()),
            details: json!({"stage": {"old": "qualified", "new": "proposal"}}),
            ..Default::default()
        },
        now,
    )
    .await
    .unwrap();
    let about = audit::for_target(c, "opportunity", &deal.id.to_string(), 10)
        .await
        .unwrap();
    assert_eq!(about.len(), 1);
    assert_eq!(about[0].1.as_deref(), Some("Ada"));
    assert_eq!(
        audit::recent(c, Some("opportunity.stage_changed"), 5)
            .await
            .unwrap()
            .len(),
        1
    );
    tx.commit().await.unwrap();

    // Lists and search see committed rows (PostgreSQL's search column is maintained by a
    // trigger, SQLite's FTS tables by theirs).
    let mut h = db.handle().await.unwrap();
    let c = &mut h.c();
    let page: crm::domain::records::Page<Lead> = list::page(
        c,
        &leads::LIST,
        &ListQuery {
            q: Some("quinn".into()),
            sort: Some("name".into()),
            limit: Some(1),
            ..Default::default()
        },
        vec![Filter::new("l.owner_id = ?", vec![Arg::Uuid(ada)])],
    )
    .await
    .unwrap();
    assert_eq!(page.items[0].fields.name, "Grace Quinn");
    let next: crm::domain::records::Page<Lead> = list::page(
        c,
        &leads::LIST,
        &ListQuery {
            q: Some("quinn".into()),
            sort: Some("name".into()),
            limit: Some(1),
            cursor: page.next_cursor.clone(),
            ..Default::default()
        },
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(next.items[0].fields.name, "Gus Quinn");
    assert!(next.next_cursor.is_none());
    let found = search::search(
        c,
        "grace qui",
        &[
            RecordKind::Lead,
            RecordKind::Contact,
            RecordKind::Account,
            RecordKind::Opportunity,
        ],
        6,
        None,
    )
    .await
    .unwrap();
    let kinds: Vec<RecordKind> = found.iter().map(|r| r.kind).collect();
    // Both leads carry the address; the account and the deal do not match "grace".
    assert_eq!(
        kinds,
        [RecordKind::Lead, RecordKind::Lead, RecordKind::Contact]
    );
    drop(h);

    // Deletes (used by later issues' undo and admin tools) and pruning old keys.
    let mut tx = db.begin().await.unwrap();
    let c = &mut tx.c();
    assert!(leads::delete(c, second.id).await.unwrap());
    assert!(!leads::delete(c, second.id).await.unwrap());
    assert_eq!(
        idempotency::prune(c, now + Duration::days(2))
            .await
            .unwrap(),
        1
    );
    assert!(opportunities::delete(c, deal.id).await.unwrap());
    let mut cleared = accounts::get(c, account.id).await.unwrap().unwrap();
    cleared.fields.primary_contact_id = None;
    assert!(accounts::update(c, &cleared, 2).await.unwrap());
    assert!(contacts::delete(c, contact.id).await.unwrap());
    assert!(accounts::delete(c, account.id).await.unwrap());
    tx.commit().await.unwrap();
}
