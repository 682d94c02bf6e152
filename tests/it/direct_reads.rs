//! Point reads on the request's own thread (SQLite files): a token and a record by id must read
//! exactly what the pool reads, see every committed write at once, and fall back to the pool
//! where there is no file to open (PostgreSQL).

use crate::common::TestDb;
use chrono::{Duration, Utc};
use crm::domain::lead::Lead;
use crm::server::db::sql::Arg;
use crm::server::db::tokens::{self, TokenWithUser};
use crm::server::db::truncate_micros;
use crm::server::db::{Db, leads, on};
use crm::server::demo;
use uuid::Uuid;

async fn execute(db: &Db, sql: &str) {
    let mut h = db.handle().await.unwrap();
    on!(&mut h.c(), c => sqlx::query(sql).execute(c).await.map(|_| ())).unwrap();
}

async fn lead_ids(db: &Db) -> Vec<Uuid> {
    let mut h = db.handle().await.unwrap();
    on!(&mut h.c(), c => sqlx::query_scalar::<_, Uuid>("select id from leads order by id").fetch_all(c).await)
        .unwrap()
}

async fn pooled_lead(db: &Db, id: Uuid) -> Option<Lead> {
    let mut h = db.handle().await.unwrap();
    leads::get(&mut h.c(), id).await.unwrap()
}

#[tokio::test]
async fn a_lead_read_directly_is_the_lead_the_pool_reads() {
    let test_db = TestDb::sqlite();
    let db = test_db.open().await;
    demo::load(&db, 300, 7, Utc::now()).await.unwrap();
    // Every kind of column filled somewhere: custom answers, conversions, a reason, no owner name.
    execute(
        &db,
        r#"update leads set custom = '{"budget":"10k","seats":12}', disqualify_reason = 'budget',
               converted_account_id = (select id from accounts order by id limit 1),
               converted_contact_id = (select id from contacts order by id limit 1),
               converted_opportunity_id = (select id from opportunities order by id limit 1)
           where id in (select id from leads order by id limit 3)"#,
    )
    .await;
    let direct = db.direct().expect("a SQLite file is read directly");

    let ids = lead_ids(&db).await;
    assert_eq!(ids.len(), 300);
    let (mut converted, mut custom) = (0, 0);
    for id in ids {
        let read: Option<Lead> = direct.one(&leads::BY_ID, &[Arg::Uuid(id)]).unwrap();
        let read = read.expect("the lead");
        assert_eq!(Some(&read), pooled_lead(&db, id).await.as_ref());
        converted += usize::from(read.converted_opportunity_id.is_some());
        custom += usize::from(!read.custom.is_empty());
    }
    assert!(
        converted >= 3 && custom >= 3,
        "the odd columns were compared too"
    );
    let missing: Option<Lead> = direct
        .one(&leads::BY_ID, &[Arg::Uuid(Uuid::now_v7())])
        .unwrap();
    assert!(missing.is_none());

    // A committed change is what the next direct read sees.
    let id = lead_ids(&db).await[0];
    let mut lead = pooled_lead(&db, id).await.unwrap();
    lead.fields.name = "Renamed Directly".into();
    lead.updated_at = truncate_micros(Utc::now());
    let mut tx = db.begin().await.unwrap();
    assert!(
        leads::update(&mut tx.c(), &lead, lead.version)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let read = leads::get_now(&db, id).await.unwrap().unwrap();
    assert_eq!(
        (read.fields.name.as_str(), read.version),
        ("Renamed Directly", lead.version + 1)
    );
    db.close().await;
}

fn summary(found: &Option<TokenWithUser>) -> Option<String> {
    found.as_ref().map(|t| format!("{t:?}"))
}

#[tokio::test]
async fn tokens_and_leads_read_the_same_through_either_path_on_every_backend() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        demo::load(&db, 20, 3, Utc::now()).await.unwrap();
        let now = truncate_micros(Utc::now());
        let user = {
            let mut h = db.handle().await.unwrap();
            on!(&mut h.c(), c => sqlx::query_scalar::<_, Uuid>("select id from users order by id limit 1").fetch_one(c).await)
                .unwrap()
        };
        let token_id = Uuid::now_v7();
        let mut tx = db.begin().await.unwrap();
        tokens::insert_api_token(&mut tx.c(), token_id, user, "direct", "hash-direct", now)
            .await
            .unwrap();
        tokens::touch_api_token(&mut tx.c(), token_id, now - Duration::minutes(5))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let pooled = {
            let mut h = db.handle().await.unwrap();
            tokens::api_token_user(&mut h.c(), "hash-direct")
                .await
                .unwrap()
        };
        let now_read = tokens::api_token_user_now(&db, "hash-direct")
            .await
            .unwrap();
        assert!(pooled.is_some());
        assert_eq!(summary(&now_read), summary(&pooled));
        if let Some(direct) = db.direct() {
            let read = direct
                .one::<TokenWithUser>(tokens::API_TOKEN_USER, &[Arg::Text("hash-direct".into())])
                .unwrap();
            assert_eq!(summary(&read), summary(&pooled));
        }
        assert!(
            tokens::api_token_user_now(&db, "hash-other")
                .await
                .unwrap()
                .is_none()
        );

        // Revoked: gone at once for the next request.
        let mut tx = db.begin().await.unwrap();
        assert!(
            tokens::revoke(&mut tx.c(), token_id, user, now)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        assert!(
            tokens::api_token_user_now(&db, "hash-direct")
                .await
                .unwrap()
                .is_none()
        );

        for id in lead_ids(&db).await {
            assert_eq!(
                leads::get_now(&db, id).await.unwrap(),
                pooled_lead(&db, id).await
            );
        }
        db.close().await;
    }
}

#[tokio::test]
async fn an_in_memory_database_has_no_direct_readers() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    assert!(db.direct().is_none());
}

/// Every account, contact and opportunity of the demo data reads the same directly as through
/// the pool (the odd columns filled in first).
#[tokio::test]
async fn accounts_contacts_and_opportunities_read_directly_are_what_the_pool_reads() {
    use crm::server::db::{accounts, contacts, opportunities};
    let test_db = TestDb::sqlite();
    let db = test_db.open().await;
    demo::load(&db, 200, 11, Utc::now()).await.unwrap();
    execute(
        &db,
        r#"update contacts set custom = '{"shirt":"M"}', active = 0, is_test = 1
           where id in (select id from contacts order by id limit 3)"#,
    )
    .await;
    {
        let mut h = db.handle().await.unwrap();
        let pairs: Vec<(Uuid, Uuid)> = on!(&mut h.c(), c => sqlx::query_as(
            "select account_id, min(id) from contacts where account_id is not null group by account_id limit 20",
        )
        .fetch_all(c)
        .await)
        .unwrap();
        assert!(!pairs.is_empty());
        for (account, contact) in pairs {
            on!(&mut h.c(), c => sqlx::query(
                "update accounts set primary_contact_id = $2, annual_revenue = 1200000, city = 'Lyon' where id = $1",
            )
            .bind(account)
            .bind(contact)
            .execute(c)
            .await
            .map(|_| ()))
            .unwrap();
        }
    }
    let direct = db.direct().expect("direct readers");
    let ids = |table: &'static str| {
        let db = db.clone();
        async move {
            let mut h = db.handle().await.unwrap();
            let sql = format!("select id from {table} order by id");
            on!(&mut h.c(), c => sqlx::query_scalar::<_, Uuid>(&sql).fetch_all(c).await).unwrap()
        }
    };
    let mut seen = (0, 0, 0);
    for id in ids("accounts").await {
        let read: Option<crm::domain::account::Account> =
            direct.one(&accounts::BY_ID, &[Arg::Uuid(id)]).unwrap();
        let mut h = db.handle().await.unwrap();
        assert_eq!(read, accounts::get(&mut h.c(), id).await.unwrap());
        seen.0 += usize::from(
            read.is_some_and(|a| a.primary_contact_name.is_some() && a.contact_count > 0),
        );
    }
    for id in ids("contacts").await {
        let read: Option<crm::domain::contact::Contact> =
            direct.one(&contacts::BY_ID, &[Arg::Uuid(id)]).unwrap();
        let mut h = db.handle().await.unwrap();
        assert_eq!(read, contacts::get(&mut h.c(), id).await.unwrap());
        seen.1 += usize::from(read.is_some_and(|c| !c.custom.is_empty() && c.fields.is_test));
    }
    for id in ids("opportunities").await {
        let read: Option<crm::domain::opportunity::Opportunity> =
            direct.one(&opportunities::BY_ID, &[Arg::Uuid(id)]).unwrap();
        let mut h = db.handle().await.unwrap();
        assert_eq!(read, opportunities::get(&mut h.c(), id).await.unwrap());
        seen.2 += usize::from(
            read.is_some_and(|o| o.fields.lost_reason.is_some() && o.closed_at.is_some()),
        );
    }
    assert!(
        seen.0 > 0 && seen.1 == 3 && seen.2 > 0,
        "the odd columns were compared: {seen:?}"
    );
    db.close().await;
}

/// A staff sign-in session, as every signed-in browser request reads it.
#[tokio::test]
async fn a_sign_in_session_reads_directly_as_through_the_pool_and_ends_at_once() {
    use crm::server::db::sessions;
    let test_db = TestDb::sqlite();
    let db = test_db.open().await;
    demo::load(&db, 10, 5, Utc::now()).await.unwrap();
    let now = truncate_micros(Utc::now());
    let user = {
        let mut h = db.handle().await.unwrap();
        on!(&mut h.c(), c => sqlx::query_scalar::<_, Uuid>("select id from users order by id limit 1").fetch_one(c).await)
            .unwrap()
    };
    let id = Uuid::now_v7();
    let mut tx = db.begin().await.unwrap();
    let new = sessions::NewSession {
        id,
        user_id: user,
        now,
        expires_at: now + Duration::hours(12),
        ip: "127.0.0.1",
        user_agent: "test",
    };
    sessions::insert(&mut tx.c(), &new).await.unwrap();
    tx.commit().await.unwrap();
    let direct = db.direct().expect("direct readers");
    let read = direct
        .one::<sessions::SessionWithUser>(sessions::WITH_USER, &[Arg::Uuid(id)])
        .unwrap();
    let pooled = {
        let mut h = db.handle().await.unwrap();
        sessions::with_user(&mut h.c(), id).await.unwrap()
    };
    assert!(pooled.is_some());
    assert_eq!(format!("{read:?}"), format!("{pooled:?}"));

    let mut tx = db.begin().await.unwrap();
    sessions::end(&mut tx.c(), id, "signed_out", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let ended = sessions::with_user_now(&db, id)
        .await
        .unwrap()
        .expect("still there");
    assert_eq!(ended.ended_at, Some(now));
    db.close().await;
}

/// Pages through `spec` both ways for every sort it offers (both directions, `pages` pages
/// deep, with `filters`), comparing the direct read with the pool's; answers how many pages
/// were compared.
async fn same_pages<T>(
    db: &Db,
    spec: &crm::server::db::list::ListSpec,
    base: crm::domain::records::ListQuery,
    filters: impl Fn() -> Vec<crm::server::db::list::Filter>,
    pages: usize,
) -> usize
where
    T: crm::server::db::direct::FromDirect
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin
        + PartialEq
        + std::fmt::Debug,
{
    use crm::server::db::list;
    let direct = db.direct().expect("direct readers");
    let mut compared = 0;
    for sort in spec
        .sorts
        .iter()
        .flat_map(|s| [s.field.to_string(), format!("-{}", s.field)])
    {
        let mut query = base.clone();
        query.sort = Some(sort.clone());
        for _ in 0..pages {
            let pooled: crm::domain::records::Page<T> = {
                let mut h = db.handle().await.unwrap();
                list::page(&mut h.c(), spec, &query, filters())
                    .await
                    .unwrap_or_else(|e| panic!("pool, sort {sort}, {query:?}: {e:?}"))
            };
            let read: crm::domain::records::Page<T> =
                list::page_direct(direct, spec, &query, filters(), u32::MAX).unwrap();
            assert_eq!(read.items, pooled.items, "sort {sort}");
            assert_eq!(read.next_cursor, pooled.next_cursor, "sort {sort}");
            compared += 1;
            match pooled.next_cursor {
                Some(next) => query.cursor = Some(next),
                None => break,
            }
        }
    }
    compared
}

#[tokio::test]
async fn list_pages_read_directly_are_the_pages_the_pool_reads() {
    use crm::domain::account::Account;
    use crm::domain::contact::Contact;
    use crm::domain::opportunity::Opportunity;
    use crm::domain::records::ListQuery;
    use crm::server::db::list::{self, DIRECT_BUDGET, Filter};
    use crm::server::db::{accounts, contacts, opportunities};
    let test_db = TestDb::sqlite();
    let db = test_db.open().await;
    demo::load(&db, 2_000, 7, Utc::now()).await.unwrap();
    let small = ListQuery {
        limit: Some(20),
        ..Default::default()
    };
    let new_only = || vec![Filter::new("l.status = ?", vec![Arg::Text("new".into())])];
    let mut compared = same_pages::<Lead>(&db, &leads::LIST, small.clone(), Vec::new, 3).await;
    compared += same_pages::<Lead>(&db, &leads::LIST, small.clone(), new_only, 3).await;
    let word = pooled_lead(&db, lead_ids(&db).await[0])
        .await
        .unwrap()
        .fields
        .name;
    let word = word.split_whitespace().next().unwrap().to_string();
    let searched = ListQuery {
        q: Some(word),
        ..small.clone()
    };
    compared += same_pages::<Lead>(&db, &leads::LIST, searched, Vec::new, 2).await;
    compared += same_pages::<Account>(&db, &accounts::LIST, small.clone(), Vec::new, 2).await;
    compared += same_pages::<Contact>(&db, &contacts::LIST, small.clone(), Vec::new, 2).await;
    // Sorting by close time lists closed deals only (the service adds this filter).
    let closed = || vec![Filter::new("o.closed_at is not null", Vec::new())];
    compared +=
        same_pages::<Opportunity>(&db, &opportunities::LIST, small.clone(), closed, 2).await;
    assert!(compared > 60, "{compared} pages compared");

    // The everyday page fits the budget; with no budget at all it is refused, and the page the
    // request gets (through the pool then) is still the right one.
    let direct = db.direct().unwrap();
    let everyday = ListQuery::default();
    let fits: Result<crm::domain::records::Page<Lead>, _> =
        list::page_direct(direct, &leads::LIST, &everyday, new_only(), DIRECT_BUDGET);
    assert!(fits.is_ok(), "{:?}", fits.err());
    let refused: Result<crm::domain::records::Page<Lead>, _> =
        list::page_direct(direct, &leads::LIST, &everyday, new_only(), 0);
    assert!(matches!(
        refused,
        Err(crm::server::db::direct::DirectError::OverBudget)
    ));
    let answered: crm::domain::records::Page<Lead> =
        list::page_now(&db, &leads::LIST, &everyday, new_only())
            .await
            .unwrap();
    let pooled: crm::domain::records::Page<Lead> = {
        let mut h = db.handle().await.unwrap();
        list::page(&mut h.c(), &leads::LIST, &everyday, new_only())
            .await
            .unwrap()
    };
    assert_eq!(answered.items, pooled.items);
    assert_eq!(answered.items.len(), 50);
    db.close().await;
}
